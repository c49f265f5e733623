# %% [markdown]
# # Bayes by Backprop on data with a gap: where the networks drawn from q disagree
#
# A 1-50-50-1 network with a Gaussian for every weight ([`mg.nn.BayesianLinear`](../docs/api/nn.md))
# fitted by Bayes by Backprop to points on $\sin(3x) + x/2$ with none in $(-0.6, 0.6)$, against a
# plain network trained on the same points: the predictive mean and a band of two predictive
# standard deviations, in the gap and beyond the data. The maths and a run's results: the chapter
# [Bayesian neural networks](../docs/bnn.md#part-1-regression-with-a-gap); the digits of its
# other parts are `demos/bnn.py`, whose model and loss this demo imports.
#
#     python demos/bnn_regression.py         # demo_out/bnn_regression: regression.png, regression.md
#
# `demos/common.py` holds the scaffolding (options, output folder, plots, progress bars).

# %%
"""Bayes by Backprop on 1-D data with a gap: the predictive band of a Bayesian network against a plain one."""
import common  # isort: split

import numpy
from bnn import ESTIMATORS, LABELS, bayesian_mlp, negative_elbo, set_estimator, table

import minigrad as mg


def gaussian_nll(prediction, target, noise):
    """-log N(target; prediction, noise^2) per point: the likelihood, with the noise known."""
    return -mg.distributions.Normal(prediction, noise).log_prob(target).sum(axis=-1)


def options(argv):
    p = common.parser("bnn_regression", __doc__)
    p.add_argument("--estimator", choices=ESTIMATORS, default="local", help="the estimator that trains the network")
    p.add_argument("--init-scale", type=float, default=0.05, help="initial standard deviation of every weight")
    p.add_argument("--points", type=int, default=200, help="training points, half on each side of the gap")
    p.add_argument("--hidden", type=int, default=50, help="width of the two hidden layers")
    p.add_argument("--steps", type=int, default=2000, help="Adam steps on all the points")
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--prior-scale", type=float, default=1.0, help="sigma_p of the prior N(0, sigma_p^2)")
    p.add_argument("--noise", type=float, default=0.1, help="std of the noise on y (known to the model)")
    p.add_argument("--samples", type=int, default=500, help="weight draws averaged in a prediction")
    return p.parse_args(argv)


# %% [markdown]
# ## Training ([chapter, part 1](../docs/bnn.md#part-1-regression-with-a-gap))
#
# Both networks take the same Adam steps on all the points, the Bayesian one on $-\mathcal{L}/N$,
# the plain one on the negative log-likelihood alone. To predict, the layers switch to
# `"reparam"`, so that each pass draws one set of weights and is one curve; the predictive
# variance is the spread of the curves plus the noise's.
# %%
# %%
GAP, DATA, PLOT = (-0.6, 0.6), (-2.0, 2.0), (-4.0, 4.0)


def truth(x):
    return numpy.sin(3 * x) + 0.5 * x


def train_regression(args):
    rng = mg.backend.host_generator([args.seed, 1])
    n = args.points
    x = numpy.concatenate([rng.uniform(DATA[0], GAP[0], n // 2), rng.uniform(GAP[1], DATA[1], n - n // 2)])
    y = truth(x) + args.noise * rng.standard_normal(n)
    x, y = x[:, None].astype(numpy.float32), y[:, None].astype(numpy.float32)
    x_t, y_t = mg.tensor(x, device=args.device), mg.tensor(y, device=args.device)
    sizes = [1, args.hidden, args.hidden, 1]
    mg.random.seed(args.seed)
    bnn = bayesian_mlp(sizes, args.prior_scale, args.init_scale, args.estimator, args.device)
    plain = mg.nn.MLP(sizes, device=args.device)
    optimizers = mg.optim.Adam(bnn.parameters(), lr=args.lr), mg.optim.Adam(plain.parameters(), lr=args.lr)
    for _ in common.progress(range(args.steps), args, desc="training", leave=False):
        for optimizer in optimizers:
            optimizer.zero_grad()
        loss, nll, kl = negative_elbo(bnn, x_t, y_t, n, nll=lambda out, y: gaussian_nll(out, y, args.noise).mean())
        plain_nll = gaussian_nll(plain(x_t), y_t, args.noise).mean()
        (loss + plain_nll).backward()
        for optimizer in optimizers:
            optimizer.step()
    grid = numpy.linspace(*PLOT, 401, dtype=numpy.float32)[:, None]
    set_estimator(bnn, "reparam")           # one weight draw per pass: each pass is a whole curve
    with mg.no_grad():
        draws = numpy.stack([bnn(mg.tensor(grid, device=args.device)).numpy()[:, 0]
                             for _ in range(args.samples)])
        plain_curve = plain(mg.tensor(grid, device=args.device)).numpy()[:, 0]
    grid, mean, epistemic = grid[:, 0], draws.mean(0), draws.std(0)
    predictive = numpy.sqrt(epistemic ** 2 + args.noise ** 2)
    true = truth(grid)
    numbers = {"final_negative_elbo": loss.item(), "final_nll": nll.item(), "final_kl_per_point": kl.item(),
               "plain_final_nll": plain_nll.item(), "regions": {}}
    gap, beyond = (grid > GAP[0]) & (grid < GAP[1]), (grid < DATA[0]) | (grid > DATA[1])
    for name, m in {"data": ~gap & ~beyond, "gap": gap, "beyond": beyond}.items():
        numbers["regions"][name] = {
            "mean_epistemic_std": float(epistemic[m].mean()), "mean_predictive_std": float(predictive[m].mean()),
            "coverage_of_truth": float((numpy.abs(true[m] - mean[m]) <= 2 * predictive[m]).mean()),
            "bnn_rmse_to_truth": float(numpy.sqrt(((mean[m] - true[m]) ** 2).mean())),
            "plain_rmse_to_truth": float(numpy.sqrt(((plain_curve[m] - true[m]) ** 2).mean()))}
    curves = {"x": x[:, 0], "y": y[:, 0], "grid": grid, "mean": mean, "epistemic": epistemic,
              "predictive": predictive, "draws": draws[:5], "plain": plain_curve, "truth": true}
    return curves, numbers


# %% [markdown]
# ## The picture and the table: the band's width on the data, in the gap and beyond the data

# %%
def draw_regression(c, args, plt):
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.4]})
    for ax in (top, bottom):
        ax.axvspan(*GAP, color="0.92", zorder=0)
    top.fill_between(c["grid"], c["mean"] - 2 * c["predictive"], c["mean"] + 2 * c["predictive"], color="tab:blue",
                     alpha=0.25, linewidth=0, label="Bayesian: mean ± 2 predictive std")
    for i, draw in enumerate(c["draws"]):
        top.plot(c["grid"], draw, color="tab:blue", linewidth=0.6, alpha=0.6,
                 label="Bayesian: networks drawn from q(w)" if i == 0 else None)
    top.plot(c["grid"], c["mean"], color="tab:blue", linewidth=2, label="Bayesian: predictive mean")
    top.plot(c["grid"], c["plain"], color="tab:orange", linewidth=2, label="plain network")
    top.plot(c["grid"], c["truth"], "k--", linewidth=1, label="true f(x) = sin(3x) + x/2")
    top.plot(c["x"], c["y"], "k.", markersize=3, label=f"{len(c['x'])} training points")
    low, high = c["y"].min(), c["y"].max()
    top.set(ylim=(low - 0.6 * (high - low), high + 0.6 * (high - low)), ylabel="y")
    top.set_title(f"Bayes by Backprop (1-{args.hidden}-{args.hidden}-1, ReLU, {LABELS[args.estimator]}) "
                  f"against a plain network\nprior N(0, {args.prior_scale:g}^2), noise std {args.noise:g} known, "
                  f"{args.steps} Adam steps on all points, lr {args.lr:g}, seed {args.seed}, device {args.device}",
                  fontsize=9)
    bottom.semilogy(c["grid"], c["predictive"], color="tab:blue", label="predictive std")
    bottom.semilogy(c["grid"], c["epistemic"], color="tab:blue", linestyle=":",
                    label="spread of the networks (std of f(x, w))")
    bottom.axhline(args.noise, color="k", linestyle="--", linewidth=1, label=f"noise std {args.noise:g}")
    bottom.set(xlabel="x (grey: the gap in the training data)", ylabel="standard deviation", xlim=PLOT)
    for ax in (top, bottom):
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    common.save_figure(fig, args, "regression.png")



def main(argv=None):
    args = options(argv)
    plt = common.start(args)
    curves, r = train_regression(args)
    print(f"-ELBO/N {r['final_negative_elbo']:.3f} (NLL {r['final_nll']:.3f} + KL/N {r['final_kl_per_point']:.3f}); "
          f"plain network NLL {r['plain_final_nll']:.3f}")
    table(args, "regression.md", ["region of x", "spread of the networks", "predictive std", "truth within ±2 std",
                                  "RMSE of the Bayesian mean", "RMSE of the plain network"],
          [[name, f"{v['mean_epistemic_std']:.3f}", f"{v['mean_predictive_std']:.3f}",
            f"{100 * v['coverage_of_truth']:.0f}%", f"{v['bnn_rmse_to_truth']:.3f}", f"{v['plain_rmse_to_truth']:.3f}"]
           for name, v in r["regions"].items()], "the predictive band by region of the grid")
    common.write_json(args, "metrics.json", {"config": vars(args), "regression": r})
    draw_regression(curves, args, plt)
    return r


# %%
if common.in_notebook(__name__):
    main(["--no-progress"])
    common.show("demo_out/bnn_regression", "regression.png")

# %%
if __name__ == "__main__" and not common.in_notebook(__name__):
    main()
