# %% [markdown]
# # Bayesian logistic regression by stochastic backpropagation
#
# Gaussians $q(w)$ fitted to the posterior of a logistic regression on the breast-cancer data by
# maximizing the ELBO with every gradient estimator of `mg.estimators`, checked against answers
# without the tape. Theory and results: [the chapter](../docs/bayes_logreg.md). Run
# `python demos/bayes_logreg.py` (2 to 3 minutes; `--help`), or open this file as a notebook;
# `demos/common.py` holds the scaffolding (options, output folder, progress bars, notebook guard).
# %%
"""Bayesian logistic regression on the breast-cancer data, fitted by stochastic backpropagation."""
import common  # isort: split

import json
import math
import sys
import time

import numpy

import minigrad as mg
from minigrad import estimators
from minigrad.distributions import MultivariateNormal, Normal, kl_divergence
from minigrad.linalg import tril

ESTIMATORS = ("pathwise", "score", "score+baseline", "measure-valued")


# %% [markdown]
# ## The model and two Gaussian families ([§1-2](../docs/bayes_logreg.md#1-the-data-and-the-model))
# `main` takes the data from `mg.data.load_breast_cancer()` and the model from
# `mg.models.BayesianLogisticRegression`: its log joint $f(w)$ on the tape, and, without the tape
# ([§4](../docs/bayes_logreg.md#4-an-answer-without-the-tape)), the exact ELBO and the Laplace
# approximation. Both families give a `MultivariateNormal(loc, scale_tril=R)`.
# %%
class GaussianQ:
    """q(w) = N(loc, R R^T), R = tril(lower, -1) + diag(exp(log_diag)); the diagonal family has no `lower`."""

    def __init__(self, family, d, init_scale, dtype=mg.float64, device="cpu"):
        new = dict(dtype=dtype, device=device)
        self.loc = mg.zeros(d, requires_grad=True, **new)
        self.lower = mg.zeros((d, d), requires_grad=True, **new) if family == "full" else None
        self.log_diag = mg.full(d, math.log(init_scale), requires_grad=True, **new)
        self.eye = mg.eye(d, **new)

    def parameters(self):
        return [p for p in (self.loc, self.lower, self.log_diag) if p is not None]

    def scale_tril(self):
        diag = mg.expand_dims(self.log_diag.exp(), -1) * self.eye       # exp(log_diag)_j at [j, j]
        return diag if self.lower is None else tril(self.lower, -1) + diag

    def distribution(self):
        return MultivariateNormal(self.loc, self.scale_tril(), validate_args=False)

    def coordinates(self):   # the diagonal q as d one-dimensional Normals, for the measure-valued estimator
        return Normal(self.loc, self.log_diag.exp(), validate_args=False)

    def moments(self):   # (mean, covariance) as float64 NumPy arrays
        with mg.no_grad():
            r = self.scale_tril().numpy().astype(numpy.float64)
            return self.loc.numpy().astype(numpy.float64), r @ r.T

    def flat_gradient(self):   # the gradients of the free parameters (not the upper triangle of `lower`) as one vector
        grads = [p.grad.numpy() if p.grad is not None else numpy.zeros(p.shape) for p in self.parameters()]
        return numpy.concatenate([g[numpy.tril_indices(len(g), -1)] if g.ndim == 2 else g for g in grads])

    def load(self, values):   # set the parameters to a snapshot taken by `fit`
        for p, v in zip(self.parameters(), values):
            p.data = p.xp.asarray(v, dtype=p.dtype)


# %% [markdown]
# ## Four estimators of $\nabla \mathbb{E}_q[f]$ ([§3](../docs/bayes_logreg.md#3-four-estimators-of-the-gradient))
# The measure-valued estimator gets, as coordinate $j$, $f$ at a base draw with $w_j$ replaced.
# %%
def surrogate(q_family, estimator, f, n):
    """A scalar whose backward() leaves the chosen estimate of grad E_q[f] + grad H[q] in the parameters."""
    q = q_family.distribution()
    if estimator == "pathwise":
        expectation = estimators.pathwise(f, q, n)
    elif estimator in ("score", "score+baseline"):
        expectation = estimators.score_function(f, q, n, baseline="leave_one_out" if "baseline" in estimator else None)
    elif estimator == "measure-valued":
        if q_family.lower is not None:
            raise ValueError("measure-valued: written for one-dimensional Normals, so for the diagonal family only")
        base, eye = q.sample((n,)), q_family.eye                  # w_{-j}: one draw from q per sample, no graph
        one_at_a_time = lambda x: f(mg.expand_dims(base, -2) * (1.0 - eye) + mg.expand_dims(x, -1) * eye)   # (n, d)
        expectation = estimators.measure_valued(one_at_a_time, q_family.coordinates(), n)
    else:
        raise ValueError(f"unknown estimator {estimator!r}; use one of {ESTIMATORS}")
    return expectation + q.entropy()


correlation = lambda covariance: covariance / numpy.outer(*2 * [numpy.sqrt(numpy.diag(covariance))])


def compare_gaussians(mean, covariance, reference_mean, reference_covariance):
    """How far N(mean, covariance) is from a reference Gaussian: in its standard deviations, correlations, KL."""
    sd, sd_ref = numpy.sqrt(numpy.diag(covariance)), numpy.sqrt(numpy.diag(reference_covariance))
    gaussian = lambda m, c: MultivariateNormal(mg.tensor(m), mg.tensor(numpy.linalg.cholesky(c)))
    return {"max_mean_difference_in_sd": float(numpy.abs((mean - reference_mean) / sd_ref).max()),
            "sd_ratio_min": float((sd / sd_ref).min()), "sd_ratio_max": float((sd / sd_ref).max()),
            "max_correlation_difference": float(abs(correlation(covariance) - correlation(reference_covariance)).max()),
            "kl": kl_divergence(gaussian(mean, covariance), gaussian(reference_mean, reference_covariance)).item()}


# %% [markdown]
# ## Fitting, and the variance of one estimate ([§5](../docs/bayes_logreg.md#5-results))
# Adam on $-\mathcal{L}$ with a cosine schedule; the variance of one estimate at a frozen $q$.
# %%
def fit(q_family, estimator, f, args, snapshots=(), bar=None, evaluate=None):
    """Adam on -ELBO: (history {"iteration", "elbo"}, parameters at the snapshot steps, largest |gradient| entry)."""
    optimizer = mg.optim.Adam(q_family.parameters(), lr=args.lr)
    schedule = mg.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.iterations)
    history, frozen, largest = {"iteration": [], "elbo": []}, {}, 0.0
    for step in range(args.iterations + 1):
        if step in snapshots:
            frozen[step] = [p.numpy().copy() for p in q_family.parameters()]
        if evaluate is not None and (step % args.eval_every == 0 or step == args.iterations):
            history["iteration"].append(step)
            history["elbo"].append(evaluate(*q_family.moments()))
        if step == args.iterations:
            break
        optimizer.zero_grad()
        (-surrogate(q_family, estimator, f, args.samples)).backward()
        largest = max([largest] + [float(numpy.abs(p.grad.numpy()).max()) for p in q_family.parameters()])
        with numpy.errstate(over="ignore"):   # a score-function gradient past 1e154 squares to inf in Adam
            optimizer.step()
        schedule.step()
        if bar is not None:
            bar.update(1)
    return history, frozen, largest


def gradient_variance(q_family, estimator, f, n, repeats, seed=12345):   # the same noise for every estimator
    """(trace of the covariance, mean, sd per coordinate) of `repeats` estimates of the ELBO's gradient."""
    mg.random.seed(seed)
    rows = []
    for _ in range(repeats):
        for p in q_family.parameters():
            p.grad = None
        surrogate(q_family, estimator, f, n).backward()
        rows.append(q_family.flat_gradient())
    with numpy.errstate(over="ignore", invalid="ignore"):   # estimates past 1e154 square to inf: reported as inf
        variances = numpy.array(rows).var(0, ddof=1)
    return float(variances.sum()), numpy.array(rows).mean(0), numpy.sqrt(variances)


def variance_study(q_family, snapshots, names, f, args, bar):
    """Each estimator's variance at the frozen points of the fit with names[0], and the largest |z| of its mean
    gradient against names[0]'s (unbiasedness, in standard errors)."""
    study, means = {"reference": names[0], "steps": sorted(snapshots), "trace": {}, "max_abs_z": {}}, {}
    for est in names:
        for step in study["steps"]:
            q_family.load(snapshots[step])
            trace, *means[est, step] = gradient_variance(q_family, est, f, args.samples, args.variance_repeats)
            study["trace"].setdefault(est, []).append(trace)
            bar.update(args.variance_repeats)
    study["ratio"] = {e: [t / r for t, r in zip(ts, study["trace"][names[0]])] for e, ts in study["trace"].items()}
    for est in names[1:]:
        study["max_abs_z"][est] = float(numpy.max([
            numpy.abs(means[est, s][0] - means[names[0], s][0])
            / numpy.sqrt((means[est, s][1]**2 + means[names[0], s][1]**2) / args.variance_repeats + 1e-300)
            for s in study["steps"]]))
    return study


# %% [markdown]
# ## Pictures
# `elbo.png`, `gradient_variance.png`, `correlations.png`, `weights.png`; each title says what was run.
# %%
COLORS = {"pathwise": "tab:blue", "score": "tab:red", "score+baseline": "tab:orange", "measure-valued": "tab:green"}
LINES = {"pathwise": "-", "score": "-", "score+baseline": "-", "measure-valued": "--"}   # MVD often lies on pathwise
TITLES = {"diagonal": "diagonal covariance (62 parameters)", "full": "full covariance C = R R^T (527 parameters)"}
LABELS = {"measure-valued": "measure-valued (124 evaluations of f per draw)"}


def titled(fig, what, args, fontsize=10):
    fig.suptitle(f"demos/bayes_logreg.py: {what}\n{args.iterations} Adam steps (lr {args.lr:g}, cosine to 0), "
                 f"{args.samples} draws of w per step, prior N(0, {args.prior_scale:g}^2 I), init scale "
                 f"{args.init_scale:g}, seed {args.seed}", fontsize=fontsize)
    return fig


def legend_below(fig, shown, marker="", extra=(), fontsize=9):   # one legend under the panels
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color=COLORS[e], ls=LINES[e], marker=marker, ms=4, label=LABELS.get(e, e)) for e in shown]
    handles += extra
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=fontsize)


def plot_elbo(plt, fits, laplace_elbo, args):
    from matplotlib.lines import Line2D
    families = [fam for fam in args.families if any(key[0] == fam for key in fits)]
    fig, axes = plt.subplots(2, len(families), figsize=(6.2 * len(families), 8.6), squeeze=False, layout="constrained")
    for (top, bottom), fam in zip(axes.T, families):
        runs = {est: fits[fam, est] for est in args.estimators if (fam, est) in fits}
        best = max(max(run["history"]["elbo"]) for run in runs.values())
        for ax in (top, bottom):
            for est, run in runs.items():
                ax.plot(run["history"]["iteration"], run["history"]["elbo"], LINES[est], color=COLORS[est], lw=1.6)
            ax.axhline(laplace_elbo, color="black", linestyle=":", linewidth=1.2)
            ax.set(xlabel="Adam step", ylabel="ELBO of q (nats, exact)")
        # the whole run: the ELBOs span decades below 0, so a log scale of their size (symlog), ticks -c 10^k
        low, high = 1.4 * min(min(run["history"]["elbo"]) for run in runs.values()), 0.7 * max(best, laplace_elbo)
        ticks = [t for t in (-c * 10.0**k for k in range(7) for c in (1, 2, 5)) if low <= t <= high]
        top.set(yscale="symlog", ylim=(low, high), yticks=ticks, title=f"{TITLES[fam]}\nthe whole run (log scale)")
        top.yaxis.set_major_formatter("{x:,.0f}")
        bottom.set_ylim(best - 12.0, max(best, laplace_elbo) + 3.0)   # near the best: the last nats
        below = [f"{est} ({run['final_elbo']:,.1f})" for est, run in runs.items() if run["final_elbo"] < best - 12.0]
        bottom.set_title(f"{TITLES[fam]}\nnear the best ELBO (linear scale)"
                         + (f"\nended below this panel: {', '.join(below)}" if below else ""))
    legend_below(fig, args.estimators, extra=[Line2D([], [], color="black", ls=":", label="Laplace approximation")])
    return titled(fig, f"ELBO of q during the fit, breast-cancer data ({args.train_size} cases)", args)


def plot_variance(plt, variance, args):
    fig, axes = plt.subplots(1, len(variance), figsize=(6.2 * len(variance), 5.0), squeeze=False, layout="constrained")
    for ax, (fam, study) in zip(axes[0], variance.items()):
        for est, values in study["trace"].items():
            ax.plot(study["steps"], values, "o" + LINES[est], color=COLORS[est], markersize=4)
        ax.set_xscale("symlog", linthresh=10.0)   # step 0 and steps 10...2000 spaced by their logarithm
        ax.set(yscale="log", xlim=(-3.0, study["steps"][-1] * 1.6), title=TITLES[fam],
               xlabel=f"step of the {study['reference']} fit at which q was frozen (log scale, 0 at the left)",
               ylabel=f"total variance of one estimate ({args.samples} draws)")
        ax.set_xticks(study["steps"], [str(step) for step in study["steps"]])
        ax.set_xticks([], minor=True)
    legend_below(fig, [e for e in args.estimators if any(e in s["trace"] for s in variance.values())], marker="o")
    what = f"{args.variance_repeats} estimates\nper point, the same q and noise for every estimator"
    return titled(fig, f"variance of the ELBO's gradient estimates, summed over the parameters, from {what}", args, 9)


def plot_correlations(plt, full_covariance, laplace_covariance, names, estimator, args):
    fig, axes = plt.subplots(1, 2, figsize=(15.0, 7.9), layout="constrained")
    for ax, covariance, title in ((axes[0], full_covariance, f"full-covariance q ({estimator} fit)"),
                                  (axes[1], laplace_covariance, "Laplace approximation at the MAP")):
        image = ax.imshow(correlation(covariance), cmap="RdBu_r", vmin=-1.0, vmax=1.0)
        ax.set_xticks(range(len(names)), names, rotation=90, fontsize=6.5)
        ax.set_yticks(range(len(names)), names, fontsize=6.5)
        ax.set(xlabel="weight", ylabel="weight", title=f"correlations of the weights under the\n{title}")
    fig.colorbar(image, ax=axes, fraction=0.025, pad=0.02, label="correlation")
    difference = numpy.abs(correlation(full_covariance) - correlation(laplace_covariance)).max()
    return titled(fig, f"posterior correlations of the 31 weights (largest difference: {difference:.2f})", args)


def plot_weights(plt, posteriors, names, args):
    from matplotlib.lines import Line2D
    rows, styles = numpy.arange(len(names)), (("tab:purple", "o"), ("tab:blue", "s"), ("gray", "D"))
    fig, ax = plt.subplots(figsize=(8.5, 10.5), layout="constrained")
    for (mean, covariance), (color, marker), offset in zip(posteriors.values(), styles,
                                                           numpy.linspace(-0.25, 0.25, len(posteriors))):
        ax.errorbar(mean, rows + offset, xerr=2 * numpy.sqrt(numpy.diag(covariance)), fmt=marker, color=color,
                    markersize=3.5, elinewidth=1.0, capsize=0)
    ax.axvline(0.0, color="black", linewidth=0.6)
    ax.set_yticks(rows, names, fontsize=8)
    ax.invert_yaxis()
    ax.set(xlabel="weight (per standard deviation of the feature; positive: towards malignant)", ylabel="feature")
    fig.legend(handles=[Line2D([], [], color=c, marker=m, ms=4, label=f"{name}: mean ± 2 sd")
                        for name, (c, m) in zip(posteriors, styles)], loc="outside lower center", ncol=2, fontsize=8)
    return titled(fig, "the posterior of each weight", args, 9)


# %% [markdown]
# ## The demo: `main(argv)`
# Every (family, estimator) fit from the same start and seed, the variance study, `metrics.json`,
# the pictures and the tables `fits.md`, `variance.md`, `laplace.md` that the chapter includes.
# %%
def parse_args(argv):
    parser = common.parser("bayes_logreg", __doc__)
    parser.add_argument("--iterations", type=int, default=2000, help="Adam steps per fit")
    parser.add_argument("--samples", type=int, default=16, help="draws of w per step (n), for every estimator")
    parser.add_argument("--lr", type=float, default=0.05, help="Adam's learning rate, cosine-annealed to 0")
    parser.add_argument("--prior-scale", type=float, default=1.0, help="s in the prior N(0, s^2 I)")
    parser.add_argument("--init-scale", type=float, default=0.1, help="the initial standard deviations of q")
    parser.add_argument("--families", nargs="+", choices=("diagonal", "full"), default=["diagonal", "full"])
    parser.add_argument("--estimators", nargs="+", choices=ESTIMATORS, default=list(ESTIMATORS),
                        help="the first one's fit also gives the points of the variance study")
    parser.add_argument("--eval-every", type=int, default=20, help="steps between two exact ELBOs")
    parser.add_argument("--snapshots", type=int, default=6, help="frozen points of the variance study per family")
    parser.add_argument("--variance-repeats", type=int, default=100, help="gradient estimates per frozen point")
    args = parser.parse_args(argv)
    args.runs = [(f, e) for f in args.families for e in args.estimators if e != "measure-valued" or f == "diagonal"]
    if args.samples < 2 and "score+baseline" in args.estimators:
        parser.error("--samples must be at least 2 for score+baseline (the leave-one-out baseline)")
    if not args.runs:
        parser.error("the measure-valued estimator is written for the diagonal family only: nothing to run")
    return args


def snapshot_steps(iterations, count):
    """Step 0, then count - 1 steps spaced evenly on a log scale from 10 (or fewer) up to the last step."""
    if count < 2 or iterations == 0:
        return [0]
    later = numpy.geomspace(min(10, iterations), iterations, count - 1) if count > 2 else [iterations]
    return sorted({0, *(int(round(s)) for s in later)})


def markdown_table(header, rows):
    rule = ["---"] * 2 + ["---:"] * (len(header) - 2)   # text columns, then numbers
    return "\n".join("| " + " | ".join(map(str, row)) + " |" for row in [header, rule, *rows])


def main(argv=None):
    args = parse_args(argv)
    plt, began = common.start(args), time.perf_counter()
    x_train, y_train, x_test, y_test, names = mg.data.load_breast_cancer()
    args.train_size, names, d = len(y_train), [*names, "bias"], x_train.shape[1]
    model = mg.models.BayesianLogisticRegression(x_train, y_train, args.prior_scale)
    w_map, laplace_cov, newton_steps = model.laplace()
    laplace_result = dict(zip(("test_accuracy", "test_log_likelihood", "map_plugin_test_accuracy",
                               "map_plugin_test_log_likelihood"), (*model.scores(x_test, y_test, w_map, laplace_cov),
                                                                   *model.scores(x_test, y_test, w_map))),
                          elbo=model.elbo(w_map, laplace_cov), newton_steps=newton_steps)
    fits, frozen = {}, {}   # frozen[family]: the parameters of the family's first fit at the snapshot steps
    bar = common.progress(total=args.iterations * len(args.runs), args=args, desc="fits")
    for fam, est in args.runs:
        mg.random.seed(args.seed)
        q_family, tick = GaussianQ(fam, d, args.init_scale, mg.float64, args.device), time.perf_counter()
        steps = () if fam in frozen else snapshot_steps(args.iterations, args.snapshots)
        history, snapshots, largest = fit(q_family, est, model.log_joint, args, steps, bar, model.elbo)
        seconds = time.perf_counter() - tick
        own_variance = gradient_variance(q_family, est, model.log_joint, args.samples, args.variance_repeats)[0]
        frozen.setdefault(fam, snapshots)
        mean, cov = q_family.moments()
        fits[fam, est] = dict(zip(("test_accuracy", "test_log_likelihood"), model.scores(x_test, y_test, mean, cov)),
                              final_elbo=history["elbo"][-1], seconds=seconds, largest_gradient=largest,
                              log_joint_evaluations_per_step=(4 * d if est == "measure-valued" else 1) * args.samples,
                              gradient_variance_at_final_q=own_variance, history=history, mean=mean, cov=cov)
    bar.close()
    family_runs = {fam: [e for g, e in args.runs if g == fam] for fam in frozen}
    bar = common.progress(total=sum(len(frozen[g]) * len(e) for g, e in family_runs.items()) * args.variance_repeats,
                          args=args, desc="gradient variance")
    variance = {fam: variance_study(GaussianQ(fam, d, args.init_scale, mg.float64, args.device), frozen[fam],
                                    family_runs[fam], model.log_joint, args, bar) for fam in frozen}
    bar.close()

    # the tables the chapter includes; metrics.json holds every number
    first, last = (next(iter(variance.values()))["steps"][i] for i in (0, -1))
    tables = {"fits.md": markdown_table(
        ("family", "estimator", "ELBO", "test accuracy", "test log-likelihood", "$f$ evaluations per step", "seconds"),
        [(fam, est, f"{r['final_elbo']:.2f}", f"{r['test_accuracy']:.4f}", f"{r['test_log_likelihood']:.4f}",
          r["log_joint_evaluations_per_step"], f"{r['seconds']:.1f}") for (fam, est), r in fits.items()]
        + [("Laplace at the MAP", f"(Newton: {newton_steps} steps)", "{elbo:.2f}", "{test_accuracy:.4f}",
            "{test_log_likelihood:.4f}", "", ""), ("MAP, plugged in", "", "", "{map_plugin_test_accuracy:.4f}",
                                                   "{map_plugin_test_log_likelihood:.4f}", "", "")]),
        "variance.md": markdown_table(
            ("family", "estimator", f"step {first}", "ratio", f"step {last}", "ratio", "own final $q$",
             "largest gradient", "largest $\\lvert z \\rvert$"),
            [(fam, est, f"{t[0]:.3g}", f"{s['ratio'][est][0]:.3g}", f"{t[-1]:.3g}", f"{s['ratio'][est][-1]:.3g}",
              f"{fits[fam, est]['gradient_variance_at_final_q']:.3g}", f"{fits[fam, est]['largest_gradient']:.3g}",
              f"{s['max_abs_z'][est]:.1f}" if est in s["max_abs_z"] else "")
             for fam, s in variance.items() for est, t in s["trace"].items()])}
    tables["fits.md"] = tables["fits.md"].format(**laplace_result)
    if "full" in frozen:
        full, reference = fits["full", family_runs["full"][0]], family_runs["full"][0]
        agreement = compare_gaussians(full["mean"], full["cov"], w_map, laplace_cov)
        precision = numpy.linalg.inv(laplace_cov)
        agreement.update(elbo_minus_laplace_elbo=full["final_elbo"] - laplace_result["elbo"],
                         diagonal_loss_if_gaussian=float(0.5 * (numpy.log(numpy.diag(precision)).sum()
                                                                - numpy.linalg.slogdet(precision)[1])))
        if ("diagonal", reference) in fits:
            agreement["elbo_minus_diagonal_elbo"] = full["final_elbo"] - fits["diagonal", reference]["final_elbo"]
        tables["laplace.md"] = markdown_table((f"full $q$ ({reference}) against the Laplace Gaussian", "value"),
                                              [(f"`{k}`", f"{v:.3g}") for k, v in agreement.items()])
    for name, table in tables.items():
        print(f"\n{table}")
        with open(f"{args.out}/{name}", "w") as file:
            file.write(table + "\n")
    metrics = {"config": {k: v for k, v in vars(args).items() if k not in ("no_progress", "out", "runs")},
               "fits": {f"{fam}/{est}": {k: v for k, v in run.items() if k not in ("mean", "cov")}
                        for (fam, est), run in fits.items()}, "laplace": laplace_result, "gradient_variance": variance,
               "full_vs_laplace": agreement if "full" in frozen else None, "seconds": time.perf_counter() - began}
    common.write_json(args, "metrics.json", json.loads(json.dumps(metrics), parse_constant=str))   # inf as "Infinity"

    common.save_figure(plot_elbo(plt, fits, laplace_result["elbo"], args), args, "elbo.png")
    common.save_figure(plot_variance(plt, variance, args), args, "gradient_variance.png")
    if "full" in frozen:
        common.save_figure(plot_correlations(plt, full["cov"], laplace_cov, names, reference, args), args,
                           "correlations.png")
    posteriors = {f"{fam} q ({e[0]})": (fits[fam, e[0]]["mean"], fits[fam, e[0]]["cov"])
                  for fam, e in family_runs.items()} | {"Laplace": (w_map, laplace_cov)}
    common.save_figure(plot_weights(plt, posteriors, names, args), args, "weights.png")
    print(f"\nwrote metrics.json, the tables and the pictures to {args.out} in {metrics['seconds']:.1f} s")
    return metrics


# %% [markdown]
# ## Run it
# In a notebook: `main` with the defaults (2 to 3 minutes; `ARGS = ["--iterations", "300"]` for a
# quick look) and its pictures, which [§5](../docs/bayes_logreg.md#5-results) reads.
# %%
if common.in_notebook(__name__):
    ARGS, OUT = [], "demo_out/bayes_logreg"
    metrics = main([*ARGS, "--no-progress", "--out", OUT])
    common.show(OUT, "elbo.png", "gradient_variance.png", "correlations.png", "weights.png")
# %%
if __name__ == "__main__" and not common.in_notebook(__name__):
    main(sys.argv[1:])
