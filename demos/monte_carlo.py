"""Monte Carlo foundations: estimating pi, importance sampling and rejection sampling, and the 1/sqrt(N) rate.

A Monte Carlo estimate of an expectation is a sample mean,

    E_p[f(x)]  ~  (1/N) sum_i f(x_i),   x_i ~ p,

unbiased, with standard deviation sd(f) / sqrt(N): to halve the error you need four times
the samples, whatever the dimension. Three experiments show the rate, each with its own
constant sd(f):

    pi          darts in the unit square; the fraction inside the quarter circle estimates
                pi / 4 (f = 1 inside, 0 outside: sd = sqrt(p (1 - p)), p = pi / 4)
    importance  the tail probability P(X > 3) for X ~ N(0, 1), directly (f = [x > 3], almost
                always 0) and by importance sampling from q = N(3.5, 1):
                E_p[f] = E_q[f p / q] - same mean, far smaller spread of f p / q
    rejection   draws from a two-bump mixture p by proposing from q = N(0.5, 2.5^2) and
                accepting x with probability p(x) / (M q(x)), M >= max p / q; the accepted
                draws are exact draws from p (a fraction 1/M of the proposals), and their mean
                estimates E_p[x]

For each, R independent runs give the root-mean-square error at every N from 10 to --samples
(running means of one batch of draws per run), plotted on log-log axes beside a line of
slope -1/2. All draws come from mg.random, densities from mg.distributions.

    python demos/monte_carlo.py --out demo_out/monte_carlo --samples 100000
"""
import argparse
import csv
import math
import os
import sys
import time

import numpy

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))   # run from a checkout
import minigrad as mg  # noqa: E402
from minigrad.distributions import Normal  # noqa: E402

TAIL = 3.0
TAIL_PROBABILITY = 0.5 * math.erfc(TAIL / math.sqrt(2))          # P(X > 3), X ~ N(0, 1): 1.35e-3
MIXTURE = ((0.3, -2.0, 0.5), (0.7, 1.5, 1.0))                     # (weight, loc, scale) of the target
MIXTURE_MEAN = sum(w * m for w, m, _ in MIXTURE)


def running_mean(values):
    """Means of the first 1, 2, ..., N values along the last axis."""
    return numpy.cumsum(values, axis=-1) / numpy.arange(1, values.shape[-1] + 1)


def estimate_pi(runs, n):
    """(R, N) running estimates of pi from darts in the unit square."""
    x = mg.random.uniform((runs, n), dtype=mg.float64)
    y = mg.random.uniform((runs, n), dtype=mg.float64)
    inside = (x * x + y * y <= 1.0).numpy().astype(numpy.float64)
    return 4.0 * running_mean(inside), x.numpy()[0], y.numpy()[0]


def estimate_tail(runs, n):
    """(R, N) running estimates of P(X > 3): direct sampling, and importance sampling from N(3.5, 1)."""
    p, q = Normal(mg.tensor(0.0, dtype=mg.float64), 1.0), Normal(mg.tensor(TAIL + 0.5, dtype=mg.float64), 1.0)
    x = p.sample((runs, n))
    direct = (x > TAIL).numpy().astype(numpy.float64)
    y = q.sample((runs, n))
    weights = (p.log_prob(y) - q.log_prob(y)).exp()                 # p(y) / q(y), the importance weights
    weighted = ((y > TAIL).numpy() * weights.numpy())
    return running_mean(direct), running_mean(weighted)


def mixture_log_prob(x):
    """log p(x) for the two-bump target: logsumexp over the components of log w + log N(x | m, s^2)."""
    parts = [Normal(mg.tensor(m, dtype=mg.float64), s).log_prob(x) + math.log(w) for w, m, s in MIXTURE]
    return mg.stack(parts, axis=-1).logsumexp(axis=-1)


def rejection_sample(runs, n):
    """(R, N) running estimates of E_p[x] from the first N accepted draws of each run, and the acceptance rate."""
    proposal = Normal(mg.tensor(0.5, dtype=mg.float64), 2.5)
    grid = mg.tensor(numpy.linspace(-10, 10, 20001), dtype=mg.float64)
    log_m = float((mixture_log_prob(grid) - proposal.log_prob(grid)).max().item()) + 0.01   # M >= max p / q
    accepted, rate = [], None
    for _ in range(runs):
        kept, tried = [], 0
        while sum(len(k) for k in kept) < n:
            x = proposal.sample((2 * n,))
            u = mg.random.uniform((2 * n,), dtype=mg.float64)
            keep = (u.log() < mixture_log_prob(x) - proposal.log_prob(x) - log_m).numpy()
            kept.append(x.numpy()[keep])
            tried += 2 * n
        draws = numpy.concatenate(kept)
        rate = draws.size / tried
        accepted.append(draws[:n])
    return running_mean(numpy.stack(accepted)), rate, math.exp(log_m), numpy.concatenate(accepted)


def rms_error(estimates, truth, ns):
    """Root-mean-square error over the R runs at each N in ns."""
    return numpy.sqrt(((estimates[:, ns - 1] - truth) ** 2).mean(axis=0))


def slope(ns, errors):
    """The least-squares slope of log error against log N (-1/2 for the Monte Carlo rate)."""
    return float(numpy.polyfit(numpy.log(ns), numpy.log(errors), 1)[0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", default="demo_out/monte_carlo", help="folder for the PNGs and errors.csv")
    parser.add_argument("--samples", type=int, default=100000, help="the largest N")
    parser.add_argument("--runs", type=int, default=40, help="independent runs R for each error")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(args.out, exist_ok=True)
    mg.random.seed(args.seed)
    start = time.perf_counter()
    n, runs = args.samples, args.runs
    ns = numpy.unique(numpy.logspace(1, math.log10(n), 25).astype(int))

    pi_estimates, dart_x, dart_y = estimate_pi(runs, n)
    direct, importance = estimate_tail(runs, n)
    mixture_means, rate, m, draws = rejection_sample(runs, n)
    experiments = {   # name -> (running estimates, truth, the standard deviation of one term, by theory)
        "pi": (pi_estimates, math.pi, 4 * math.sqrt(math.pi / 4 * (1 - math.pi / 4))),
        "tail, direct": (direct, TAIL_PROBABILITY, math.sqrt(TAIL_PROBABILITY * (1 - TAIL_PROBABILITY))),
        "tail, importance": (importance, TAIL_PROBABILITY, None),
        "rejection, mean": (mixture_means, MIXTURE_MEAN, None),
    }
    rows, errors = [], {}
    for name, (estimates, truth, sd) in experiments.items():
        errors[name] = rms_error(estimates, truth, ns)
        for size, error in zip(ns, errors[name]):
            rows.append({"experiment": name, "samples": int(size), "rmse": float(error),
                         "theory": "" if sd is None else sd / math.sqrt(size)})
    with open(os.path.join(args.out, "errors.csv"), "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    # pi: the darts, and the error against N
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
    shown = min(n, 3000)
    inside = dart_x[:shown] ** 2 + dart_y[:shown] ** 2 <= 1
    left.scatter(dart_x[:shown][inside], dart_y[:shown][inside], s=2, color="tab:blue")
    left.scatter(dart_x[:shown][~inside], dart_y[:shown][~inside], s=2, color="tab:red")
    left.set_aspect("equal")
    left.set_title(f"{shown} darts: pi ~ {pi_estimates[0, shown - 1]:.4f}")
    _error_panel(right, ns, {"pi": errors["pi"]}, experiments)
    _save(fig, plt, args.out, "pi.png")

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
    grid = numpy.linspace(-2, 7, 500)
    left.plot(grid, numpy.exp(-grid**2 / 2) / math.sqrt(2 * math.pi), label="p = N(0, 1)")
    left.plot(grid, numpy.exp(-(grid - TAIL - 0.5) ** 2 / 2) / math.sqrt(2 * math.pi), label="q = N(3.5, 1)")
    left.axvline(TAIL, color="gray", linestyle=":", label="x = 3")
    left.legend()
    left.set_title(f"P(X > 3) = {TAIL_PROBABILITY:.3e}")
    _error_panel(right, ns, {k: errors[k] for k in ("tail, direct", "tail, importance")}, experiments)
    _save(fig, plt, args.out, "importance.png")

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
    grid_t = mg.tensor(grid * 2 - 4, dtype=mg.float64)
    left.hist(draws, bins=80, density=True, alpha=0.5, label="accepted draws")
    left.plot(grid_t.numpy(), mixture_log_prob(grid_t).exp().numpy(), label="target p")
    left.plot(grid_t.numpy(), m * Normal(mg.tensor(0.5, dtype=mg.float64), 2.5).log_prob(grid_t).exp().numpy(),
              "--", label="M q (envelope)")
    left.legend()
    left.set_title(f"rejection sampling: acceptance {rate:.3f} (1/M = {1 / m:.3f})")
    _error_panel(right, ns, {"rejection, mean": errors["rejection, mean"]}, experiments)
    _save(fig, plt, args.out, "rejection.png")

    print(f"root-mean-square error over {runs} runs; fitted slope of log error against log N (theory: -0.5)")
    print(f"{'experiment':18} {'N = ' + str(ns[0]):>12} {'N = ' + str(ns[-1]):>12} {'slope':>7}")
    for name in experiments:
        print(f"{name:18} {errors[name][0]:12.4g} {errors[name][-1]:12.4g} {slope(ns, errors[name]):7.3f}")
    print(f"(direct sampling of P(X > 3) is flat until N ~ 1/P = {1 / TAIL_PROBABILITY:.0f}: most runs see no x > 3 "
          "at all, so the estimate is 0 and the error is P itself; the 1/sqrt(N) rate starts after that)")
    gain = (errors["tail, direct"] / errors["tail, importance"]) ** 2
    print(f"importance sampling needs ~{numpy.median(gain):.0f}x fewer samples than direct sampling for P(X > 3)")
    print(f"rejection sampling accepted {rate:.3f} of the proposals (1/M = {1 / m:.3f})")
    print(f"wrote pi.png, importance.png, rejection.png and errors.csv to {args.out} "
          f"in {time.perf_counter() - start:.1f} s")
    return errors


def _error_panel(ax, ns, errors, experiments):
    for name, error in errors.items():
        ax.loglog(ns, error, "o-", markersize=3, label=f"{name} (slope {slope(ns, error):.2f})")
        sd = experiments[name][2]
        if sd is not None:
            ax.loglog(ns, sd / numpy.sqrt(ns), ":", color="gray")
    reference = errors[next(iter(errors))]
    ax.loglog(ns, reference[0] * numpy.sqrt(ns[0] / ns), "k--", linewidth=0.8, label="1/sqrt(N)")
    ax.set_xlabel("N (samples)")
    ax.set_ylabel("root-mean-square error")
    ax.legend(fontsize=8)


def _save(fig, plt, out, name):
    fig.tight_layout()
    fig.savefig(os.path.join(out, name), dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
