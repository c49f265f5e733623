# %% [markdown]
# # Monte Carlo foundations: $\pi$, importance and rejection sampling, and the $1/\sqrt{N}$ rate
#
# Every gradient estimator in minigrad is a Monte Carlo average, and its error falls like
# $1/\sqrt{N}$ in the number of draws $N$. This demo measures that rate on three problems that
# need no gradients, each beside the line its theory predicts. The theory, and what the printed
# numbers show, is in the chapter Gradients through a random draw,
# [section 7](../docs/estimators.md#7-underneath-every-estimator-the-monte-carlo-rate-demosmonte_carlopy).
#
#     python demos/monte_carlo.py --out demo_out/monte_carlo --samples 100000
#
# The scaffolding (options, output folder, plots, the notebook guard) is in `demos/common.py`.
# The file runs as a program, imports as a module (`main(argv)` returns the errors) and opens as
# a notebook (Jupytext).

# %%
"""Monte Carlo foundations: estimating pi, importance sampling and rejection sampling, and the 1/sqrt(N) rate.

    python demos/monte_carlo.py --out demo_out/monte_carlo --samples 100000

The chapter is docs/estimators.md, section 7.
"""
import common  # isort: split

import csv
import math
import os
import sys
import time

import numpy

import minigrad as mg
from minigrad.distributions import Normal

# %% [markdown]
# ## The estimate and its error
#
# The sample mean of $N$ draws has standard deviation $\sigma_f / \sqrt{N}$
# ([chapter, section 7](../docs/estimators.md#7-underneath-every-estimator-the-monte-carlo-rate-demosmonte_carlopy)).
# To measure this, each experiment is repeated in $R$ independent runs (`--runs`, 40). Each run
# draws one batch of $N$ values and keeps the running means $\hat\mu_1, \dots, \hat\mu_N$; the
# root-mean-square (RMS) error over the runs, at 25 values of $N$ from 10 to `--samples`, is
# drawn on log-log axes beside the theory $\sigma_f / \sqrt{N}$, a line of slope $-1/2$. All
# draws come from `mg.random`, all densities from `mg.distributions`.

# %%
def running_mean(values):
    """Means of the first 1, 2, ..., N values along the last axis."""
    return numpy.cumsum(values, axis=-1) / numpy.arange(1, values.shape[-1] + 1)


def rms_error(estimates, truth, ns):
    """Root-mean-square error over the R runs at each N in ns."""
    return numpy.sqrt(((estimates[:, ns - 1] - truth) ** 2).mean(axis=0))


def slope(ns, errors):
    """The least-squares slope of log error against log N (-1/2 for the Monte Carlo rate)."""
    return float(numpy.polyfit(numpy.log(ns), numpy.log(errors), 1)[0])


# %% [markdown]
# ## 1. $\pi$ from darts
#
# Throw $x, y \sim U(0, 1)$. The dart lands inside the quarter circle $x^2 + y^2 \le 1$ with
# probability $\pi / 4$, so $f = 4 \cdot [x^2 + y^2 \le 1]$ has mean $\pi$ and standard deviation
# $\sigma_f = 4 \sqrt{q (1 - q)}$ with $q = \pi / 4$, about 1.64.

# %%
def estimate_pi(runs, n, device=None):
    """(R, N) running estimates of pi from darts in the unit square."""
    x = mg.random.uniform(size=(runs, n), dtype=mg.float64, device=device)
    y = mg.random.uniform(size=(runs, n), dtype=mg.float64, device=device)
    inside = (x * x + y * y <= 1.0).numpy().astype(numpy.float64)
    return 4.0 * running_mean(inside), x.numpy()[0], y.numpy()[0]


# %% [markdown]
# ## 2. A small probability: directly, and by importance sampling
#
# Take $p = P(X > 3) = 1.35 \times 10^{-3}$ for $X \sim \mathcal{N}(0, 1)$.
#
# **Directly**, $f = [x > 3]$, and the estimate is $K / N$ with $K \sim \mathrm{Binomial}(N, p)$
# the number of draws above 3. It is unbiased with $\operatorname{Var} K = N p (1 - p)$, so its
# RMS error is $\sqrt{p (1 - p) / N}$ at every $N$, from $N = 1$: the rate is $1/\sqrt{N}$
# throughout. What is bad is the constant: the *relative* error $\sqrt{(1 - p) / (N p)}$ stays above
# 100% until $N = (1 - p)/p \approx 740$. Below $N \sim 1/p$ most runs see no $x > 3$ at all
# (probability $(1 - p)^N \approx e^{-Np}$) and return 0.
#
# **Importance sampling** draws where the integrand lives, from $q = \mathcal{N}(3.5, 1)$, and
# reweights:
#
# $$\mathbb{E}_p[f(x)] = \mathbb{E}_q\!\left[f(y)\, \frac{p(y)}{q(y)}\right].$$
#
# Same mean, far smaller spread. Completing the square, $p(y)^2 / q(y) = e^{m^2}\,
# \mathcal{N}(y \mid -m, 1)$ with $m = 3.5$, so one weighted term has variance
# $e^{m^2} P(X > 3 + m) - p^2$: $\sigma_f \approx 0.0026$ against $\sqrt{p (1 - p)} \approx 0.037$
# directly, about 200 times fewer draws for the same error.
#
# **What $R$ runs can measure.** While the $R$ runs together expect less than one draw above 3
# ($R N p < 1$, $N < 19$ for $R = 40$), usually none has one, every estimate is 0, and the
# measured RMS is flat at $p$, *below* the theory. Once they expect a few (`SEEN` = 3 hits,
# $N > 3/(R p) = 56$) the measured RMS follows $\sqrt{p (1 - p) / N}$. More runs move the flat part
# to smaller $N$: it belongs to the measurement, not to the estimator.

# %%
TAIL = 3.0
TAIL_PROBABILITY = 0.5 * math.erfc(TAIL / math.sqrt(2))          # P(X > 3), X ~ N(0, 1): 1.35e-3
SHIFT = TAIL + 0.5                                                  # the importance proposal q = N(3.5, 1)
# One importance term is w = [y > 3] p(y) / q(y), y ~ q. Its second moment is
#   E_q[w^2] = int_3^inf p(y)^2 / q(y) dy,   p(y)^2 / q(y) = exp(SHIFT^2) N(y | -SHIFT, 1),
# (complete the square: -y^2 + (y - m)^2 / 2 = -(y + m)^2 / 2 + m^2), so
#   Var w = exp(SHIFT^2) P(X > 3 + SHIFT) - p^2.
IMPORTANCE_SD = math.sqrt(math.exp(SHIFT ** 2) * 0.5 * math.erfc((TAIL + SHIFT) / math.sqrt(2))
                          - TAIL_PROBABILITY ** 2)
SEEN = 3   # the runs together expect this many draws above 3: from here on their RMS can see the hits


def estimate_tail(runs, n, device=None):
    """(R, N) running estimates of P(X > 3): direct sampling, and importance sampling from N(3.5, 1)."""
    p = Normal(mg.tensor(0.0, dtype=mg.float64, device=device), 1.0)
    q = Normal(mg.tensor(SHIFT, dtype=mg.float64, device=device), 1.0)
    x = p.sample((runs, n))
    direct = (x > TAIL).numpy().astype(numpy.float64)
    y = q.sample((runs, n))
    weights = (p.log_prob(y) - q.log_prob(y)).exp()                 # p(y) / q(y), the importance weights
    weighted = ((y > TAIL).numpy() * weights.numpy())
    return running_mean(direct), running_mean(weighted)


# %% [markdown]
# ## 3. Rejection sampling
#
# The target $p$ is a mixture of two Gaussians, $0.3\, \mathcal{N}(-2, 0.5^2) + 0.7\,
# \mathcal{N}(1.5, 1)$, and the proposal is $q = \mathcal{N}(0.5, 2.5^2)$. With a constant
# $M \ge \max_x p(x) / q(x)$ (found on a grid), draw $x \sim q$ and $u \sim U(0, 1)$, and keep $x$
# when $u < p(x) / (M q(x))$. The kept draws are exact draws from $p$, a fraction $1/M$ of the
# proposals; their running mean estimates $\mathbb{E}_p[x]$ with $\sigma_f$ the standard deviation
# of $p$. The comparison is done in logs, and $\log p$ is a `logsumexp` over the components.

# %%
MIXTURE = ((0.3, -2.0, 0.5), (0.7, 1.5, 1.0))                     # (weight, loc, scale) of the target
MIXTURE_MEAN = sum(w * m for w, m, _ in MIXTURE)
MIXTURE_SD = math.sqrt(sum(w * (s * s + m * m) for w, m, s in MIXTURE) - MIXTURE_MEAN ** 2)


def mixture_log_prob(x):
    """log p(x) for the two-bump target: logsumexp over the components of log w + log N(x | m, s^2)."""
    parts = [Normal(mg.tensor(m, dtype=mg.float64, device=x.device), s).log_prob(x) + math.log(w)
             for w, m, s in MIXTURE]
    return mg.stack(parts, axis=-1).logsumexp(axis=-1)


def rejection_sample(runs, n, device=None):
    """(R, N) running estimates of E_p[x] from the first N accepted draws of each run, and the acceptance rate."""
    proposal = Normal(mg.tensor(0.5, dtype=mg.float64, device=device), 2.5)
    grid = mg.tensor(numpy.linspace(-10, 10, 20001), dtype=mg.float64, device=device)
    log_m = float((mixture_log_prob(grid) - proposal.log_prob(grid)).max().item()) + 0.01   # M >= max p / q
    accepted, rate = [], None
    for _ in range(runs):
        kept, tried = [], 0
        while sum(len(k) for k in kept) < n:
            x = proposal.sample((2 * n,))
            u = mg.random.uniform(size=(2 * n,), dtype=mg.float64, device=device)
            keep = (u.log() < mixture_log_prob(x) - proposal.log_prob(x) - log_m).numpy()
            kept.append(x.numpy()[keep])
            tried += 2 * n
        draws = numpy.concatenate(kept)
        rate = draws.size / tried
        accepted.append(draws[:n])
    return running_mean(numpy.stack(accepted)), rate, math.exp(log_m), numpy.concatenate(accepted)


# %% [markdown]
# ## The demo: `main(argv)`
#
# `main` parses the arguments, runs the three experiments with one seed, writes the RMS errors
# and the theory at every $N$ to `errors.csv`, draws one figure per experiment (the problem on
# the left, the error against $N$ on the right) with matplotlib's file backend (Agg), and prints
# the table of errors and fitted slopes and what the direct estimate of $P(X > 3)$ shows.
# The helpers after it write that sentence and draw the error panels.

# %%
def main(argv=None):
    parser = common.parser("monte_carlo", __doc__)
    parser.add_argument("--samples", type=int, default=100000, help="the largest N")
    parser.add_argument("--runs", type=int, default=40, help="independent runs R for each error")
    args = parser.parse_args(argv)
    plt = common.start(args)
    start = time.perf_counter()
    n, runs = args.samples, args.runs
    ns = numpy.unique(numpy.logspace(1, math.log10(n), 25).astype(int))

    pi_estimates, dart_x, dart_y = estimate_pi(runs, n, args.device)
    direct, importance = estimate_tail(runs, n, args.device)
    mixture_means, rate, m, draws = rejection_sample(runs, n, args.device)
    experiments = {   # name -> (running estimates, truth, the standard deviation of one term, by theory)
        "pi": (pi_estimates, math.pi, 4 * math.sqrt(math.pi / 4 * (1 - math.pi / 4))),
        "tail, direct": (direct, TAIL_PROBABILITY, math.sqrt(TAIL_PROBABILITY * (1 - TAIL_PROBABILITY))),
        "tail, importance": (importance, TAIL_PROBABILITY, IMPORTANCE_SD),
        "rejection, mean": (mixture_means, MIXTURE_MEAN, MIXTURE_SD),   # accepted draws are exact draws from p
    }
    rows, errors = [], {}
    for name, (estimates, truth, sd) in experiments.items():
        errors[name] = rms_error(estimates, truth, ns)
        for size, error in zip(ns, errors[name]):
            rows.append({"experiment": name, "samples": int(size), "rmse": float(error),
                         "theory": sd / math.sqrt(size)})
    with open(os.path.join(args.out, "errors.csv"), "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    p = TAIL_PROBABILITY
    all_zero = (direct[:, ns - 1] == 0).all(axis=0)         # no run has drawn an x > 3 yet
    seen = ns >= SEEN / (runs * p)                           # the runs together expect >= SEEN such draws
    run = f"RMS error over R = {runs} runs, N = {ns[0]} to {ns[-1]}, seed {args.seed}, device {args.device}"

    # pi: the darts, and the error against N
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5.2), layout="constrained")
    shown = min(n, 3000)
    inside = dart_x[:shown] ** 2 + dart_y[:shown] ** 2 <= 1
    left.scatter(dart_x[:shown][inside], dart_y[:shown][inside], s=2, color="tab:blue",
                 label=f"inside the quarter circle ({inside.sum()})")
    left.scatter(dart_x[:shown][~inside], dart_y[:shown][~inside], s=2, color="tab:red",
                 label=f"outside ({(~inside).sum()})")
    angle = numpy.linspace(0, math.pi / 2, 200)
    left.plot(numpy.cos(angle), numpy.sin(angle), "k-", linewidth=1, label="x^2 + y^2 = 1")
    left.set_aspect("equal")
    left.set_xlabel("x ~ U(0, 1)")
    left.set_ylabel("y ~ U(0, 1)")
    left.set_title(f"the first {shown} darts of run 1: pi ~ 4 x {inside.sum()}/{shown} = "
                   f"{pi_estimates[0, shown - 1]:.4f}", fontsize=10)
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, markerscale=4)
    _error_panel(right, ns, {"pi": errors["pi"]}, experiments,
                 {"pi": "sd = 4 sqrt(pi/4 (1 - pi/4))"})
    fig.suptitle(f"demos/monte_carlo.py: estimating pi from darts; {run}", fontsize=11)
    common.save_figure(fig, args, "pi.png")

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5.6), layout="constrained")
    grid = numpy.linspace(-2, 7, 500)
    density = lambda x, loc: numpy.exp(-(x - loc) ** 2 / 2) / math.sqrt(2 * math.pi)   # noqa: E731
    left.plot(grid, density(grid, 0.0), label="p = N(0, 1), the target")
    left.plot(grid, density(grid, SHIFT), label=f"q = N({SHIFT:g}, 1), the proposal")
    left.axvline(TAIL, color="gray", linestyle=":", label="x = 3")
    left.set_ylim(0, 0.58)
    left.set_xlabel("x")
    left.set_ylabel("density")
    left.set_title(f"P(X > 3) = {p:.3e}, the area under p right of x = 3;\nq draws there "
                   f"{0.5 * math.erfc((TAIL - SHIFT) / math.sqrt(2)):.0%} of the time", fontsize=10)
    left.legend(loc="upper left", fontsize=8)
    _error_panel(right, ns, {k: errors[k] for k in ("tail, direct", "tail, importance")}, experiments,
                 {"tail, direct": "sd = sqrt(p (1 - p))",
                  "tail, importance": f"sd of the weights = {IMPORTANCE_SD:.2g}"},
                 fitted_where={"tail, direct": seen})
    right.plot(ns[all_zero], errors["tail, direct"][all_zero], "o", markerfacecolor="white", color="tab:blue",
               markersize=6, label=f"all {runs} direct estimates are 0 (RMS = p)")
    right.axhline(p, color="gray", linewidth=0.8, linestyle="-.", label="error = p (the estimate 0)")
    right.axvline((1 - p) / p, color="tab:blue", linewidth=0.8, linestyle="--",
                  label="N = (1 - p)/p: direct relative error 100%")
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8)
    fig.suptitle(f"demos/monte_carlo.py: P(X > 3), X ~ N(0, 1), sampled directly and by importance sampling; "
                 f"{run}", fontsize=10)
    common.save_figure(fig, args, "importance.png")

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5.2), layout="constrained")
    grid_t = mg.tensor(grid * 2 - 4, dtype=mg.float64, device=args.device)
    left.hist(draws, bins=80, density=True, alpha=0.5, label=f"accepted draws ({draws.size:,} from {runs} runs)")
    left.plot(grid_t.numpy(), mixture_log_prob(grid_t).exp().numpy(), label="target p (two bumps)")
    envelope = m * Normal(mg.tensor(0.5, dtype=mg.float64, device=args.device), 2.5).log_prob(grid_t).exp()
    left.plot(grid_t.numpy(), envelope.numpy(),
              "--", label="M q (envelope), q = N(0.5, 2.5^2)")
    left.set_ylim(0, 0.58)
    left.set_xlabel("x")
    left.set_ylabel("density")
    left.legend(loc="upper left", fontsize=8)
    left.set_title(f"acceptance {rate:.3f} (1/M = {1 / m:.3f})", fontsize=10)
    _error_panel(right, ns, {"rejection, mean": errors["rejection, mean"]}, experiments,
                 {"rejection, mean": f"sd of p = {MIXTURE_SD:.2f}"})
    fig.suptitle(f"demos/monte_carlo.py: rejection sampling, E_p[x] from the accepted draws; {run}", fontsize=11)
    common.save_figure(fig, args, "rejection.png")

    print(f"root-mean-square error over {runs} runs; fitted slope of log error against log N (theory: -0.5)")
    print(f"{'experiment':18} {'N = ' + str(ns[0]):>12} {'N = ' + str(ns[-1]):>12} {'slope':>7}")
    for name in experiments:
        print(f"{name:18} {errors[name][0]:12.4g} {errors[name][-1]:12.4g} {slope(ns, errors[name]):7.3f}")
    print(tail_sentence(ns, errors["tail, direct"], all_zero, seen, runs))
    theory_gain = p * (1 - p) / IMPORTANCE_SD ** 2
    if seen.any():   # below that N the direct RMS is not yet measured, so neither is the gain
        gain = (errors["tail, direct"][seen] / errors["tail, importance"][seen]) ** 2
        print(f"importance sampling needs ~{numpy.median(gain):.0f}x fewer samples than direct sampling for "
              f"P(X > 3)\n  (the median of the squared ratio of RMS errors over N >= {ns[seen][0]}; "
              f"theory: p (1 - p) / Var(weights) = {theory_gain:.0f}x)")
    else:
        print(f"importance sampling needs ~{theory_gain:.0f}x fewer samples than direct sampling for P(X > 3) "
              f"(theory; too few samples here to measure it)")
    print(f"rejection sampling accepted {rate:.3f} of the proposals (1/M = {1 / m:.3f})")
    write_results(args, ns, errors, experiments)
    print(f"wrote pi.png, importance.png, rejection.png, errors.csv and results.md to {args.out} "
          f"in {time.perf_counter() - start:.1f} s")
    return errors


def write_results(args, ns, errors, experiments):
    """results.md: the RMS errors at the smallest and largest N and the fitted slopes, for the chapter."""
    header = ["experiment", f"RMS error at N = {ns[0]}", f"at N = {ns[-1]}", f"theory at N = {ns[-1]}", "slope"]
    common.write_table(args, "results.md", header,
                       [[name, f"{errors[name][0]:.4g}", f"{errors[name][-1]:.4g}", f"{sd / math.sqrt(ns[-1]):.4g}",
                         f"{slope(ns, errors[name]):.3f}"] for name, (_, _, sd) in experiments.items()],
                       caption=f"RMS error over R = {args.runs} runs, seed {args.seed}; slope: least squares of log "
                               "error against log N (theory -0.5).")


def tail_sentence(ns, error, all_zero, seen, runs):
    """What the direct estimate of P(X > 3) shows, in the terms of section 2 above."""
    p = TAIL_PROBABILITY
    if all_zero.any():
        flat = (f"Measured over R = {runs} runs, the RMS is flat at p up to N = {ns[all_zero].max()}: no run had "
                f"drawn an x > 3 yet,\n  every estimate was 0 (the runs together expect one hit at "
                f"N = 1/(R p) = {1 / (runs * p):.0f}).")
    else:
        flat = (f"Measured over R = {runs} runs: at every N shown at least one run had drawn an x > 3\n"
                f"  (the runs together expect one hit at N = 1/(R p) = {1 / (runs * p):.0f}).")
    fitted = (f"fitted slope {slope(ns[seen], error[seen]):.2f} over N >= {ns[seen][0]}"
              if seen.sum() >= 2 else f"(N stops at {ns[-1]} here, too soon to fit a slope)")
    return (f"direct sampling of p = P(X > 3) = {p:.3g}: the estimate K/N, K ~ Binomial(N, p), is unbiased with\n"
            f"  RMS error sqrt(p (1 - p) / N): a 1/sqrt(N) rate from N = 1, but a relative error "
            f"sqrt((1 - p)/(N p))\n  above 100% until N = (1 - p)/p = {(1 - p) / p:.0f}; a run sees no x > 3 and "
            f"returns 0 with probability (1 - p)^N\n  ({(1 - p) ** 100:.0%} at N = 100).\n"
            f"  {flat} From N ~ {SEEN}/(R p) = {SEEN / (runs * p):.0f} on\n"
            f"  they have seen a few, and the RMS follows the theory: {fitted} ({slope(ns, error):.2f} over all N).")


def _error_panel(ax, ns, errors, experiments, theory_names, fitted_where=None):
    """The measured RMS errors against N, each with its theory line; ``fitted_where`` adds a slope
    fitted over part of the N (where the measurement can see what it measures)."""
    for name, error in errors.items():
        fitted = f"slope {slope(ns, error):.2f}"
        where = (fitted_where or {}).get(name)
        if where is not None and where.sum() >= 2:
            fitted += f"; {slope(ns[where], error[where]):.2f} for N >= {ns[where][0]}"
        (line,) = ax.loglog(ns, error, "o-", markersize=3, label=f"{name}, measured ({fitted})")
        sd = experiments[name][2]
        ax.loglog(ns, sd / numpy.sqrt(ns), ":", color=line.get_color(), linewidth=1.5,
                  label=f"{name}, theory sd/sqrt(N), {theory_names[name]}")
    ax.set_xlabel("N (samples per run)")
    ax.set_ylabel("root-mean-square error of the estimate")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1, fontsize=8)


# %% [markdown]
# ## Run it
#
# In a notebook, the next cell runs `main` with the program's defaults ($N$ up to 100,000,
# $R = 40$ runs; a few seconds) and writes to `demo_out/monte_carlo`, under the folder the
# kernel runs in. Change `ARGS` to try other settings, e.g. `["--runs", "200"]` to see the
# flat part of the direct estimate move left. When the file runs as a program or is imported,
# this cell and the one after it do nothing.

# %%
if common.in_notebook(__name__):
    ARGS = []
    OUT = os.path.join("demo_out", "monte_carlo")
    errors = main([*ARGS, "--out", OUT])

# %% [markdown]
# **$\pi$** (`pi.png`): the first darts of run 1, and the RMS error of the estimate of $\pi$
# against $N$ on top of its theory line. **$P(X > 3)$** (`importance.png`): the target and the
# proposal, and both estimators' errors; the importance-sampling line lies far below the direct
# one and parallel to it, and the open circles mark the $N$ at which every direct estimate was
# still 0. **Rejection sampling** (`rejection.png`): the histogram of the accepted draws over the
# target $p$ and the envelope $M q$, and the error of their mean.

# %%
if common.in_notebook(__name__):
    common.show(OUT, "pi.png", "importance.png", "rejection.png")

# %%
if __name__ == "__main__" and not common.in_notebook(__name__):
    main(sys.argv[1:])
