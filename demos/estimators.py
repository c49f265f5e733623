# %% [markdown]
# # The variance of gradient estimators, measured through the tape and computed exactly
#
# This demo measures how noisy each of minigrad's gradient estimators is: the variance of
# single-sample estimates of $\partial_\mu$ and $\partial_\sigma$ of
# $\mathbb{E}_{\mathcal{N}(x \mid \mu, \sigma^2)}[f(x; k)]$ at $\mu = \sigma = 1$, for three costs
# and four estimators, as $k$ varies: figures 2 and 3 of Mohamed, Rosca, Figurnov & Mnih (2020),
# [arXiv:1906.10652](https://arxiv.org/abs/1906.10652). The estimators and the closed-form
# variances are in the chapter [Gradients through a random draw](../docs/estimators.md), whose
# [section 6](../docs/estimators.md#6-the-variance-study) discusses these results.
#
#     python demos/estimators.py --out demo_out/estimators --samples 20000
#
# The scaffolding (options, output folder, plots, the notebook guard) is in `demos/common.py`.
# The file runs as a program, imports as a module (`main(argv)` returns the rows) and opens as a
# notebook (Jupytext).

# %%
"""The variance of gradient estimators, measured through minigrad's tape and computed exactly.

    python demos/estimators.py --out demo_out/estimators --samples 20000

The chapter is docs/estimators.md, section 6.
"""
import common  # isort: split

import csv
import math
import os
import sys
import time

import numpy

import minigrad as mg
from minigrad import estimators
from minigrad.distributions import Normal

# %% [markdown]
# ## Four estimators of the same gradient, three costs
#
# With $x = \mu + \sigma \epsilon$: **score** (REINFORCE,
# [section 3](../docs/estimators.md#3-score-function-reinforce)),
# **score+baseline** with each parameter's optimal constant $b^*$ computed exactly,
# **pathwise** ([section 2](../docs/estimators.md#2-pathwise-reparameterization)) and
# **measure-valued** ([section 4](../docs/estimators.md#4-measure-valued-gaussian-weak-derivatives)),
# which evaluates $f$ four times per estimate, the others once. The costs are $(x - k)^2$ for
# $k$ from $-3$ to $3$, $e^{-k x^2}$ for $k$ from 0.1 to 10, and $\cos(k x)$ for $k$ from 0.5 to 5
# (log scale).

# %%
MU, SIGMA = 1.0, 1.0
ESTIMATORS = ("score", "score+baseline", "pathwise", "measure-valued")
PARAMETERS = ("mu", "sigma")


def square(x, k):
    return (x - k) ** 2


def gaussian_bump(x, k):
    return (-k * x * x).exp()


def cosine(x, k):
    return (k * x).cos()


# name -> (cost, values of k, log-scale k axis, formula, the three k of the bottom panels)
COSTS = {
    "square": (square, numpy.linspace(-3.0, 3.0, 13), False, "(x - k)^2", (-3.0, 0.0, 3.0)),
    "exp": (gaussian_bump, numpy.logspace(-1.0, 1.0, 13), True, "exp(-k x^2)", (0.1, 1.0, 10.0)),
    "cos": (cosine, numpy.logspace(math.log10(0.5), math.log10(5.0), 13), True, "cos(k x)", (0.5, 1.58, 5.0)),
}


# %% [markdown]
# ## Monte Carlo, through the tape
#
# The `Normal` gets a batch of $N$ identical copies of $(\mu, \sigma)$ (`--samples`, 20,000),
# each drawing one sample. One `backward()` through the estimator's surrogate then leaves $N$
# independent single-sample estimates in `loc.grad` and `scale.grad`; their sample variance is
# what the figures show as markers. With a baseline it takes two passes, one with each
# parameter's $b^*$.

# %%
def monte_carlo(cost, k, estimator, baselines, n, device):
    """N single-sample estimates of (d/dmu, d/dsigma), as two NumPy arrays of length n."""
    f = lambda x: cost(x, k)   # noqa: E731

    def run(**options):
        loc = mg.full((n,), MU, dtype=mg.float64, device=device, requires_grad=True)
        scale = mg.full((n,), SIGMA, dtype=mg.float64, device=device, requires_grad=True)
        normal = Normal(loc, scale)
        if estimator == "pathwise":
            surrogate = estimators.pathwise(f, normal)
        elif estimator == "measure-valued":
            surrogate = estimators.measure_valued(f, normal)
        else:
            surrogate = estimators.score_function(f, normal, **options)
        surrogate.backward()
        return loc.grad.numpy(), scale.grad.numpy()

    if estimator != "score+baseline":
        return run()
    # one constant per parameter: a run with b*_mu for d/dmu, another with b*_sigma for d/dsigma
    return run(baseline=baselines["mu"])[0], run(baseline=baselines["sigma"])[1]


# %% [markdown]
# ## Exact values, by numerical integration
#
# The lines in the figures are exact variances $\mathbb{E}[g^2] - \mathbb{E}[g]^2$ of each
# single-sample estimate $g$: expectations over $t \sim \mathcal{N}(0, 1)$ are weighted sums on a
# fine grid of $t$ in $[-12, 12]$, with $f'$ from minigrad's backward pass; the measure-valued
# estimates are integrated over the Rayleigh density, and over the Maxwell density times a grid
# of $U$.

# %%
def _on_grid(cost, k, x):
    """f and f' at the points x (a NumPy array), f' by minigrad's backward pass."""
    xt = mg.tensor(x, dtype=mg.float64, requires_grad=True)
    fx = cost(xt, k)
    fx.sum().backward()
    return fx.numpy(), xt.grad.numpy()


def exact(cost, k):
    """{(parameter, estimator): (mean, variance)} of single-sample estimates, and the optimal baselines.

    Expectations over x = mu + sigma t, t ~ N(0, 1), are sums over a fine grid of t
    (the integrands are smooth and decay like e^{-t^2/2}, so the sum is accurate).
    """
    t = numpy.linspace(-12.0, 12.0, 24001)
    weight = numpy.exp(-0.5 * t * t) / math.sqrt(2 * math.pi) * (t[1] - t[0])
    expect = lambda values: float((weight * values).sum())   # noqa: E731
    fx, dfx = _on_grid(cost, k, MU + SIGMA * t)
    scores = {"mu": t / SIGMA, "sigma": (t * t - 1.0) / SIGMA}        # d/dtheta log N(x | mu, sigma^2)
    pathwise = {"mu": dfx, "sigma": dfx * t}                           # df/dx dx/dtheta
    gradient = {p: expect(pathwise[p]) for p in PARAMETERS}
    baselines = {p: expect(fx * scores[p] ** 2) / expect(scores[p] ** 2) for p in PARAMETERS}
    result = {}
    for p in PARAMETERS:
        for name, estimate in (("score", fx * scores[p]), ("score+baseline", (fx - baselines[p]) * scores[p]),
                               ("pathwise", pathwise[p])):
            result[p, name] = (expect(estimate), expect(estimate**2) - expect(estimate) ** 2)
    # measure-valued, mu: (f(mu + sigma w) - f(mu - sigma w)) / (sigma sqrt(2 pi)), w ~ Rayleigh
    w = numpy.linspace(0.0, 12.0, 12001)
    rayleigh = w * numpy.exp(-0.5 * w * w) * (w[1] - w[0])
    plus, minus = _on_grid(cost, k, MU + SIGMA * w)[0], _on_grid(cost, k, MU - SIGMA * w)[0]
    estimate = (plus - minus) / (SIGMA * math.sqrt(2 * math.pi))
    mean = float((rayleigh * estimate).sum())
    result["mu", "measure-valued"] = (mean, float((rayleigh * estimate**2).sum()) - mean**2)
    # measure-valued, sigma: (f(mu + sigma m) - f(mu + sigma m u)) / sigma, m ~ double-sided Maxwell, u ~ U(0, 1)
    m = numpy.linspace(-12.0, 12.0, 2401)[:, None]
    u = (numpy.arange(400)[None, :] + 0.5) / 400                       # midpoints of [0, 1]
    maxwell = m * m * numpy.exp(-0.5 * m * m) / math.sqrt(2 * math.pi) * (m[1, 0] - m[0, 0]) / 400
    estimate = (_on_grid(cost, k, MU + SIGMA * m)[0] - _on_grid(cost, k, MU + SIGMA * m * u)[0]) / SIGMA
    mean = float((maxwell * estimate).sum())
    result["sigma", "measure-valued"] = (mean, float((maxwell * estimate**2).sum()) - mean**2)
    return result, gradient, baselines


# %% [markdown]
# ## The study, the pictures and the table
#
# `study` runs every cost, $k$, estimator and parameter (`--points` thins the 13 values of $k$).
# `plot` draws one figure per cost: the variances against $k$ on log axes (markers: Monte Carlo;
# lines: exact), and below them $f$ and $f'$ at three values of $k$; the one variance that is
# exactly 0 is marked on the bottom edge. `where_pathwise_loses` says for which $k$ the score
# function beats pathwise, and how often the measure-valued estimator does at equal cost.

# %%
def study(n, device, points=None):
    """Monte Carlo and exact rows for every cost, k, parameter and estimator."""
    mc_rows, exact_rows = [], []
    for name, (cost, ks, _, _, _) in COSTS.items():
        if points is not None:
            ks = ks[numpy.linspace(0, len(ks) - 1, points).round().astype(int)]
        for k in ks:
            k = float(k)
            values, _, baselines = exact(cost, k)
            for estimator in ESTIMATORS:
                d_mu, d_sigma = monte_carlo(cost, k, estimator, baselines, n, device)
                for p, estimates in zip(PARAMETERS, (d_mu, d_sigma)):
                    mc_rows.append({"function": name, "k": k, "parameter": p, "estimator": estimator,
                                    "mean": float(estimates.mean()), "variance": float(estimates.var(ddof=1)),
                                    "samples": n})
                    mean, variance = values[p, estimator]
                    exact_rows.append({"function": name, "k": k, "parameter": p, "estimator": estimator,
                                       "mean": mean, "variance": variance})
    return mc_rows, exact_rows


def write_csv(path, rows):
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


# A variance this far below the largest one in its panel is zero up to rounding: the measure-valued
# estimate of d/dmu E[(x - k)^2] at k = mu is f(mu + w) - f(mu - w) = w^2 - w^2 = 0 for every w,
# and floating point leaves ~1e-32 of it. A log axis cannot show 0; drawn at 1e-32 it would
# squash every other value into the top of the panel, so such a point is marked at the bottom
# edge instead, labelled "0", and the limits come from the other values.
ZERO_BELOW = 1e-20


def _split_zeros(ks, variances, largest):
    """(ks, variances) with the zeros (up to rounding) replaced by NaN, which breaks a line, and the ks of the zeros."""
    ks, variances = numpy.asarray(ks, dtype=float), numpy.asarray(variances, dtype=float)
    zero = variances <= ZERO_BELOW * largest
    return ks, numpy.where(zero, numpy.nan, variances), ks[zero]


def plot(plt, name, mc_rows, exact_rows, args):
    from matplotlib.lines import Line2D
    from matplotlib.ticker import NullFormatter, ScalarFormatter
    cost, _, log_k, formula, shown = COSTS[name]
    colors = dict(zip(ESTIMATORS, ("tab:red", "tab:orange", "tab:blue", "tab:green")))
    samples = next(r["samples"] for r in mc_rows if r["function"] == name)
    fig, axes = plt.subplots(2, 2, figsize=(10.5, 9.2))
    fig.subplots_adjust(left=0.09, right=0.98, top=0.86, bottom=0.115, hspace=0.33, wspace=0.27)
    zero_handle = None
    for ax, p in zip(axes[0], PARAMETERS):
        # pick reads p when it is called, in this iteration only: its late binding (B023) is harmless
        pick = lambda rows, estimator: [r for r in rows if r["function"] == name   # noqa: E731
                                        and r["parameter"] == p and r["estimator"] == estimator]   # noqa: B023
        largest = max(r["variance"] for r in exact_rows + mc_rows if r["function"] == name and r["parameter"] == p)
        positive, zeros = [], {}
        for estimator in ESTIMATORS:
            for rows, style in ((pick(exact_rows, estimator), "-"), (pick(mc_rows, estimator), "o")):
                ks, variances, zero_ks = _split_zeros([r["k"] for r in rows], [r["variance"] for r in rows], largest)
                ax.plot(ks, variances, style, color=colors[estimator], markersize=4)
                positive.extend(variances[~numpy.isnan(variances)])
                for k in zero_ks:
                    zeros.setdefault(float(k), set()).add(estimator)
        ax.set_yscale("log")
        ax.set_ylim(min(positive) / (30 if zeros else 3), max(positive) * 3)   # from the positive values only
        for k, which in zeros.items():   # a zero: a marker on the bottom edge and a word, not a point at 1e-32
            color = colors[sorted(which, key=ESTIMATORS.index)[0]]
            (zero_handle,) = ax.plot([k], [0.0], "v", color=color, markersize=9, clip_on=False,
                                     transform=ax.get_xaxis_transform())
            ax.annotate("0 (exact)", (k, 0.0), xycoords=ax.get_xaxis_transform(), xytext=(7, 5),
                        textcoords="offset points", ha="left", va="bottom", fontsize=8, color=color)
        if log_k:
            ax.set_xscale("log")
            ax.set_xticks(shown)
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("k")
        ax.set_ylabel(f"variance of one estimate of d/d{p}")
        ax.set_title(f"variance of d/d{p} E[{formula}] (log scale)", fontsize=11)
    x = numpy.linspace(-3.0, 5.0, 801)
    k_colors = ("tab:purple", "tab:brown", "tab:cyan")
    for k, color in zip(shown, k_colors):
        fx, dfx = _on_grid(cost, k, x)
        axes[1][0].plot(x, fx, color=color)
        axes[1][1].plot(x, dfx, "--", color=color)
    axes[1][0].set_title(f"the cost f(x; k) = {formula}", fontsize=11)
    axes[1][0].set_ylabel("f(x; k)")
    axes[1][1].set_title("df/dx (what the pathwise estimator averages)", fontsize=11)
    axes[1][1].set_ylabel("df/dx")
    for ax in axes[1]:
        ax.set_xlabel("x")
    # the legends sit outside the panels, so that none covers a curve
    handles = [Line2D([], [], color=colors[e], marker="o", markersize=4, label=e) for e in ESTIMATORS]
    handles += [Line2D([], [], color="gray", marker="o", linestyle="none", markersize=4,   # how to read them
                       label=f"markers: minigrad Monte Carlo ({samples} estimates)"),
                Line2D([], [], color="gray", label="lines: exact (numerical integration)")]
    if zero_handle is not None:
        handles.append(Line2D([], [], color="gray", marker="v", linestyle="none", markersize=8,
                              label="variance exactly 0 (a log axis has no 0)"))
    fig.legend(handles=handles[:4], loc="upper center", bbox_to_anchor=(0.5, 0.965), ncol=4, fontsize=9)
    fig.legend(handles=handles[4:], loc="upper center", bbox_to_anchor=(0.5, 0.925), ncol=3, fontsize=9,
               frameon=False)
    fig.legend(handles=[Line2D([], [], color=c, label=f"k = {k:g}") for k, c in zip(shown, k_colors)],
               loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=3, fontsize=9,
               title="lower panels: f (solid) and df/dx (dashed) at", title_fontsize=9)
    fig.suptitle("demos/estimators.py: variance of single-sample gradient estimates, "
                 f"x ~ N(mu, sigma^2), mu = sigma = 1; seed {args.seed}, device {args.device}", y=0.99)
    common.save_figure(fig, args, f"variance_{name}.png")


def table_rows(mc_rows, exact_rows):
    """(function, k, parameter, cells) at the values of k nearest the three shown in the figures;
    a cell is "Monte Carlo (exact)" variance of one estimator."""
    exact_by = {(r["function"], r["k"], r["parameter"], r["estimator"]): r for r in exact_rows}
    by = {}
    for r in mc_rows:
        by.setdefault((r["function"], r["k"], r["parameter"]), {})[r["estimator"]] = r
    for name, (_, _, _, _, shown) in COSTS.items():
        ks = sorted({r["k"] for r in mc_rows if r["function"] == name})
        for k in sorted({min(ks, key=lambda x: abs(x - s)) for s in shown}):
            for p in PARAMETERS:
                yield name, k, p, [f"{by[name, k, p][e]['variance']:9.3g} ({exact_by[name, k, p, e]['variance']:9.3g})"
                                   for e in ESTIMATORS]


def print_table(mc_rows, exact_rows, args):
    """Print the table, and write it to results.md as Markdown for the chapter to include."""
    print("variance of single-sample estimates at mu = sigma = 1: Monte Carlo (exact)")
    header = f"{'function':8} {'k':>6} {'param':5} " + " ".join(f"{e:>22}" for e in ESTIMATORS)
    print(header)
    print("-" * len(header))
    rows = []
    for name, k, p, cells in table_rows(mc_rows, exact_rows):
        print(f"{name:8} {k:6.3g} {p:5} " + " ".join(f"{c:>22}" for c in cells))
        rows.append([name, f"{k:.3g}", p] + [" ".join(c.split()).replace("( ", "(") for c in cells])   # no padding
    common.write_table(args, "results.md", ["function", "k", "parameter", *ESTIMATORS], rows,
                       caption=f"Variance of single-sample estimates at mu = sigma = 1: Monte Carlo over "
                               f"{mc_rows[0]['samples']} estimates (exact), seed {args.seed}.")


def where_pathwise_loses(exact_rows):
    """Sentences naming, per cost and parameter, the k where pathwise has a higher exact variance than
    the score function (with or without baseline), and how often the measure-valued estimator beats it
    even at equal cost (it evaluates f four times per estimate, the others once: variance x 4)."""
    lines = []
    for name in COSTS:
        for p in PARAMETERS:
            rows = [r for r in exact_rows if r["function"] == name and r["parameter"] == p]
            ks = sorted({r["k"] for r in rows})
            at = {k: {r["estimator"]: r["variance"] for r in rows if r["k"] == k} for k in ks}
            score_wins = [k for k in ks if min(at[k]["score"], at[k]["score+baseline"]) < at[k]["pathwise"]]
            mvd_wins = [k for k in ks if 4 * at[k]["measure-valued"] < at[k]["pathwise"]]
            if score_wins:
                worst = max(at[k]["pathwise"] / min(at[k]["score"], at[k]["score+baseline"]) for k in score_wins)
                text = (f"score function beats pathwise for k in [{score_wins[0]:.3g}, {score_wins[-1]:.3g}] "
                        f"({len(score_wins)} of {len(ks)}; pathwise up to {worst:.3g}x the variance)")
            else:
                text = "pathwise beats the score function at every k"
            lines.append(f"  {name:6} d/d{p:5}: {text}; measure-valued beats pathwise at equal cost "
                         f"at {len(mvd_wins)} of {len(ks)} values of k")
    return lines


# %% [markdown]
# ## The demo: `main(argv)`

# %%
def main(argv=None):
    parser = common.parser("estimators", __doc__)
    parser.add_argument("--samples", type=int, default=20000, help="single-sample estimates per point (N)")
    parser.add_argument("--points", type=int, default=None,
                        help="values of k per cost (default: %(default)s, i.e. all 13)")
    args = parser.parse_args(argv)
    plt = common.start(args)
    start = time.perf_counter()
    mc_rows, exact_rows = study(args.samples, args.device, args.points)
    write_csv(os.path.join(args.out, "variance.csv"), mc_rows)
    write_csv(os.path.join(args.out, "variance_exact.csv"), exact_rows)
    for name in COSTS:
        plot(plt, name, mc_rows, exact_rows, args)
    print_table(mc_rows, exact_rows, args)
    print()
    print("Where pathwise loses (exact variances):")
    for line in where_pathwise_loses(exact_rows):
        print(line)
    print("Pathwise averages f'(x). For exp(-k x^2) and cos(k x) with large k, f' swings with amplitude")
    print("~sqrt(k) and ~k while f itself stays in [-1, 1]: the score function and the measure-valued")
    print("estimator, which only evaluate f, win there. For the smooth (x - k)^2 pathwise beats the")
    print("score function at every k (4 vs a^4 + 14a^2 + 15 for d/dmu, with a = mu - k).")
    print(f"\nwrote {len(mc_rows)} Monte Carlo rows and 3 figures to {args.out} in {time.perf_counter() - start:.1f} s")
    return mc_rows, exact_rows


# %% [markdown]
# ## Run it
#
# In a notebook, the next cell runs `main` with the program's defaults (20,000 estimates at each
# of 13 values of $k$ per cost; a few seconds) and writes to `demo_out/estimators`, under the
# folder the kernel runs in. Change `ARGS` to try other settings, e.g. `["--samples", "1000"]`
# to see the markers scatter further from the exact lines. When the file runs as a program or is
# imported, this cell and the one after it do nothing.

# %%
if common.in_notebook(__name__):
    ARGS = []
    OUT = os.path.join("demo_out", "estimators")
    mc_rows, exact_rows = main([*ARGS, "--out", OUT])

# %% [markdown]
# **$(x - k)^2$**, smooth: pathwise beats the score function at every $k$. **$e^{-k x^2}$**, a
# bump that narrows as $k$ grows, and **$\cos(k x)$**, faster and faster oscillation: $f'$ grows
# with $k$ while $f$ stays in $[-1, 1]$, so the estimators that only evaluate $f$ win at large
# $k$. Why, with the closed forms: [chapter, section 6](../docs/estimators.md#6-the-variance-study).

# %%
if common.in_notebook(__name__):
    common.show(OUT, "variance_square.png", "variance_exp.png", "variance_cos.png")

# %%
if __name__ == "__main__" and not common.in_notebook(__name__):
    main(sys.argv[1:])
