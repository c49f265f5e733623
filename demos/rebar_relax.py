# %% [markdown]
# # REBAR and RELAX on the toy problem of both papers
#
# Minimize $\mathbb{E}_{b \sim \mathrm{Bernoulli}(\sigma(\theta))}[(b - t)^2]$ for $t = 0.45$ and
# $t = 0.499$ with seven gradient estimators, all from `mg.estimators` and all on the same seeds:
# REINFORCE, REINFORCE with the leave-one-out baseline (RLOO), a learned constant baseline
# (NVIL-style), Gumbel-softmax and straight-through (both biased), REBAR and RELAX (both tuned by
# gradient descent on their own variance). The theory is in the chapter
# [docs/rebar_relax.md](../docs/rebar_relax.md).
#
#     python demos/rebar_relax.py --out demo_out/rebar_relax
#
# writes `curves.png`, `bias.png`, `results.md` and `metrics.json`. The scaffolding (options,
# output folder, plots) is in `demos/common.py`.

# %%
"""REBAR and RELAX against REINFORCE, RLOO, a learned baseline, Gumbel-softmax and straight-through on E[(b - t)^2].

    python demos/rebar_relax.py --out demo_out/rebar_relax
"""
import common  # isort: split

import math
import time

import numpy

import minigrad as mg
from minigrad import estimators
from minigrad.distributions import Bernoulli, RelaxedBernoulli

# %% [markdown]
# ## The problem and its exact answers
#
# $\mathbb{E}[(b-t)^2] = p(1-t)^2 + (1-p)t^2$ with $p = \sigma(\theta)$, so the gradient is
# $p(1-p)(1-2t)$: for $t = 0.499$ it is $0.002\,p(1-p)$, a tiny signal under noise of the size of
# $f$ itself ([the chapter](../docs/rebar_relax.md#the-toy-problem)). The optimum is $p \to 0$,
# where the loss is $t^2$; we plot the excess loss $\mathbb{E}[f] - t^2$, computed exactly.


# %%
def toy(t):
    return lambda b: (b - t) ** 2


def exact_loss(theta, t):
    p = 1.0 / (1.0 + math.exp(-theta))
    return p * (1 - t) ** 2 + (1 - p) * t ** 2


def exact_gradient(theta, t):
    p = 1.0 / (1.0 + math.exp(-theta))
    return p * (1 - p) * (1 - 2 * t)


# %% [markdown]
# ## The estimators
#
# Each entry makes a surrogate from the logits (a tensor of any shape: one logit to train, or
# many copies of it to measure the variance), and lists the parameters tuned by the variance
# (`mg.estimators.variance_gradient`) or trained beside theta (the learned baseline). The RELAX
# control is the papers' $c(z) = \eta f(\sigma(z/\tau)) + r(z)$ with a small network $r$
# ([the chapter](../docs/rebar_relax.md#relax)).

# %%
class Control(mg.nn.Module):
    """c(z) = eta f(sigmoid(z / tau)) + r(z): REBAR's control plus a one-hidden-layer network of z."""

    def __init__(self, f, device, hidden=10):
        super().__init__()
        self.f = f
        self.log_temperature = mg.nn.Parameter(mg.tensor(math.log(0.5), dtype=mg.float64, device=device))
        self.eta = mg.nn.Parameter(mg.tensor(1.0, dtype=mg.float64, device=device))
        self.r = mg.nn.Sequential(mg.nn.Linear(1, hidden, dtype=mg.float64, device=device), mg.nn.Tanh(),
                                  mg.nn.Linear(hidden, 1, dtype=mg.float64, device=device))

    def forward(self, z):
        relaxed = self.eta * self.f((z / self.log_temperature.exp()).sigmoid())
        return relaxed + self.r(z.reshape(z.shape + (1,))).reshape(z.shape)


def make_estimators(t, device, temperature):
    """name -> (surrogate of the logits, parameters tuned by variance, parameters trained by backward, f calls)."""
    f = toy(t)
    b = mg.nn.Parameter(mg.tensor(0.0, dtype=mg.float64, device=device))          # NVIL's constant
    log_tau = mg.nn.Parameter(mg.tensor(math.log(0.5), dtype=mg.float64, device=device))
    eta = mg.nn.Parameter(mg.tensor(1.0, dtype=mg.float64, device=device))
    control = Control(f, device)
    return {
        "REINFORCE": (lambda l: estimators.score_function(f, Bernoulli(logits=l)), [], [], 1),
        "RLOO (n=2)": (lambda l: estimators.score_function(f, Bernoulli(logits=l), n=2, baseline="leave_one_out"),
                       [], [], 2),
        "NVIL constant": (lambda l: estimators.score_function(f, Bernoulli(logits=l),
                                                              baseline=estimators.LearnedBaseline(lambda _: b)),
                          [], [b], 1),
        "Gumbel-softmax": (lambda l: estimators.pathwise(f, RelaxedBernoulli(temperature, logits=l)), [], [], 1),
        "straight-through": (lambda l: estimators.pathwise(f, RelaxedBernoulli(temperature, logits=l, hard=True)),
                             [], [], 1),
        "REBAR": (lambda l: estimators.rebar(f, Bernoulli(logits=l), temperature=log_tau.exp(), eta=eta),
                  [log_tau, eta], [], 3),
        "RELAX": (lambda l: estimators.relax(f, Bernoulli(logits=l), control), list(control.parameters()), [], 3),
    }


# %% [markdown]
# ## Training, with the variance measured on the way
#
# One sample per step (two for RLOO), Adam on theta. REBAR and RELAX take, at each step, the
# estimate and the gradient of its square in one call (`variance_gradient`: a backward with
# `create_graph=True`, then a backward through it) and step their own Adam on the control. Every
# `--every` steps the estimator is run on `--copies` copies of the current theta at once (a batch of
# independent estimates), which gives its variance and its mean, to compare with the exact gradient.

# %%
def measure(surrogate, theta, copies, device):
    logits = mg.tensor(numpy.full(copies, theta), dtype=mg.float64, device=device, requires_grad=True)
    surrogate(logits).backward()
    g = logits.grad.numpy()
    return float(g.var()), float(g.mean())


def train(name, entry, args, t, device):
    surrogate, tuned, trained, _ = entry
    theta = mg.nn.Parameter(mg.tensor([0.0], dtype=mg.float64, device=device))
    optimizer = mg.optim.Adam([theta] + trained, lr=args.lr)
    tuner = mg.optim.Adam(tuned, lr=args.tune_lr) if tuned else None
    history = {"step": [], "excess_loss": [], "log10_variance": [], "mean": [], "exact": []}
    seconds = 0.0
    for step in common.progress(range(args.steps + 1), args, desc=f"t={t} {name}", leave=False):
        value = theta.item()
        if step % args.every == 0:
            state = mg.random.get_state()                   # measure with draws of their own, the same
            mg.random.seed(args.seed + 1000 + step)         # for every estimator, and leave training's alone
            variance, mean = measure(surrogate, value, args.copies, device)
            mg.random.set_state(state)
            for key, v in zip(history, (step, exact_loss(value, t) - t * t, math.log10(variance), mean,
                                        exact_gradient(value, t))):
                history[key].append(v)
        if step == args.steps:
            break
        start = time.perf_counter()
        optimizer.zero_grad()
        if tuner is None:
            surrogate(theta).backward()
        else:
            tuner.zero_grad()
            (g,), tuning = estimators.variance_gradient(surrogate(theta), theta, tuned)
            theta.grad = g
            for p, d in zip(tuned, tuning):
                p.grad = d
            tuner.step()
        optimizer.step()
        seconds += time.perf_counter() - start
    history["ms_per_step"] = 1000 * seconds / args.steps
    return history


# %% [markdown]
# ## Pictures and the table

# %%
def plot_curves(plt, runs, args):
    targets = list(runs)
    fig, axes = plt.subplots(len(targets), 2, figsize=(11, 3.6 * len(targets)), squeeze=False)
    for row, t in enumerate(targets):
        for name, h in runs[t].items():
            axes[row, 0].plot(h["step"], numpy.maximum(h["excess_loss"], 1e-12), label=name)
            axes[row, 1].plot(h["step"], h["log10_variance"], label=name)
        axes[row, 0].set(yscale="log", xlabel="step", ylabel="E[f] - t^2 (exact)", title=f"loss, t = {t}")
        axes[row, 1].set(xlabel="step", ylabel="log10 variance of the estimate",
                         title=f"gradient variance, t = {t}")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, bbox_to_anchor=(0.5, -0.06))
    fig.suptitle(common.caption(args, f"E[(b - t)^2], one sample per step, Adam lr {args.lr}, "
                                      f"variance of {args.copies} estimates"))
    fig.tight_layout()
    return fig


def plot_bias(plt, runs, args):
    t = list(runs)[0]
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, h in runs[t].items():
        ax.plot(h["step"], numpy.array(h["mean"]) - numpy.array(h["exact"]), label=name)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set(xlabel="step", ylabel="mean estimate - exact gradient",
           title=common.caption(args, f"bias along each run, t = {t} ({args.copies} estimates per point)"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def table(runs, reference="REINFORCE"):
    lines = ["| t | estimator | f calls / step | log10 variance (mean over run) | variance / REINFORCE's "
             "| bias (z-score) | excess loss at the end | ms / step |",
             "|---|---|---|---|---|---|---|---|"]
    for t, by_name in runs.items():
        base = numpy.mean(by_name[reference]["log10_variance"])
        for name, h in by_name.items():
            level = numpy.mean(h["log10_variance"])
            # the summed error of the means over the run, in standard errors: |z| < 3 for an unbiased estimator
            se = math.sqrt(numpy.sum(10.0 ** numpy.array(h["log10_variance"]) / h["copies"]))
            bias = numpy.sum(numpy.array(h["mean"]) - h["exact"]) / se
            lines.append(f"| {t} | {name} | {h['f_calls']} | {level:.2f} | {10 ** (level - base):.3g} | "
                         f"{bias:+.1f} | {h['excess_loss'][-1]:.2e} | {h['ms_per_step']:.2f} |")
    return "\n".join(lines) + "\n"


# %% [markdown]
# ## The run

# %%
def main(argv=None):
    p = common.parser("rebar_relax", __doc__)
    p.add_argument("--steps", type=int, default=2000, help="training steps per estimator")
    p.add_argument("--every", type=int, default=100, help="steps between variance measurements")
    p.add_argument("--copies", type=int, default=2000, help="estimates drawn at each measurement")
    p.add_argument("--targets", type=float, nargs="+", default=[0.45, 0.499], help="the values of t")
    p.add_argument("--lr", type=float, default=0.01, help="Adam's step on theta")
    p.add_argument("--tune-lr", type=float, default=0.01, help="Adam's step on the control's parameters")
    p.add_argument("--temperature", type=float, default=0.5, help="of Gumbel-softmax and straight-through")
    args = p.parse_args(argv)
    plt = common.start(args)
    runs = {}
    for t in args.targets:
        runs[t] = {}
        for name, entry in make_estimators(t, args.device, args.temperature).items():
            mg.random.seed(args.seed)                        # the same seed for every estimator
            runs[t][name] = train(name, entry, args, t, args.device)
            runs[t][name].update(f_calls=entry[3], copies=args.copies)
    common.save_figure(plot_curves(plt, runs, args), args, "curves.png")
    common.save_figure(plot_bias(plt, runs, args), args, "bias.png")
    text = table(runs)
    with open(f"{args.out}/results.md", "w") as out:
        out.write(text)
    print(text)
    metrics = {str(t): by_name for t, by_name in runs.items()}
    common.write_json(args, "metrics.json", {"args": vars(args), "runs": metrics})
    return metrics


# %%
if common.in_notebook(__name__):
    main(["--no-progress"])
    common.show("demo_out/rebar_relax", "curves.png", "bias.png")

# %%
if __name__ == "__main__" and not common.in_notebook(__name__):
    main()
