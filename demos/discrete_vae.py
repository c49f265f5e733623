# %% [markdown]
# # A VAE with discrete latents: six ways past a draw that has no reparameterization
#
# A VAE with 20 ten-class categorical latents trained by REINFORCE + **NVIL** baseline, **RLOO**, **Gumbel-softmax**,
# **straight-through**, **REBAR**, **RELAX**, scored on the discrete ELBO; then each gradient's bias and variance.
# Theory: [Discrete latents](../docs/discrete_vae.md). `python demos/discrete_vae.py`; scaffolding: `demos/common.py`.

# %%
"""Train a VAE with categorical latents by six gradient estimators and compare them on the discrete ELBO."""
import common  # isort: split

import math
import time
from typing import NamedTuple

import numpy

import minigrad as mg
from minigrad import estimators
from minigrad.distributions import Bernoulli, Categorical, RelaxedOneHotCategorical, kl_divergence
from minigrad.distributions.categorical import one_hot
from minigrad.estimators import LeaveOneOutBaseline, NVILBaseline, bias_and_variance, dice_surrogate

NOTEBOOK = common.in_notebook(__name__)
EVAL_SEED = 12345     # the test ELBO of every model, after every epoch, uses the same draws
STUDY_SEED = 54321    # and the gradient study its own
ESTIMATORS = ("reinforce-nvil", "rloo", "gumbel-softmax", "straight-through", "rebar", "relax")
LABELS = {"reinforce": "REINFORCE, no baseline", "reinforce-nvil": "REINFORCE + NVIL baseline",
          "rloo": "RLOO (k draws)", "gumbel-softmax": "Gumbel-softmax (relaxed)",
          "straight-through": "straight-through Gumbel", "rebar": "REBAR (tuned tau, eta)",
          "relax": "RELAX (REBAR + network r)"}
COLOURS = dict(zip(LABELS, ("tab:gray", "tab:red", "tab:orange", "tab:blue", "tab:green", "tab:purple", "tab:brown")))


# %% [markdown]
# ## The model and the discrete ELBO ([chapter, sections 1-2](../docs/discrete_vae.md#1-the-model))
#
# The KL to the uniform prior is `kl_divergence`, exact in all six runs; `evaluate` scores every model on hard draws.

# %%
class DiscreteVAE(mg.nn.Module):
    """A VAE whose code is ``n_vars`` categorical variables of ``n_classes`` classes, as one-hot rows."""

    def __init__(self, x_dim=784, hidden=(512, 256), n_vars=20, n_classes=10, dtype=None, device=None):
        self.x_dim, self.n_vars, self.n_classes = x_dim, n_vars, n_classes
        self.encoder = mg.nn.MLP([x_dim, *hidden, n_vars * n_classes], dtype=dtype, device=device)
        self.decoder = mg.nn.MLP([n_vars * n_classes, *reversed(hidden), x_dim], dtype=dtype, device=device)

    def encode(self, x):
        """The logits of q(z | x), shape (..., n_vars, n_classes) (not normalized)."""
        return self.encoder(x).reshape(*x.shape[:-1], self.n_vars, self.n_classes)

    def log_likelihood(self, x, z):
        """log p(x | z) summed over pixels, for codes z of shape (..., n_vars, n_classes): one-hot or relaxed."""
        logits = self.decoder(z.reshape(-1, self.n_vars * self.n_classes)).reshape(*z.shape[:-2], self.x_dim)
        return Bernoulli(logits=logits, validate_args=False).log_prob(x).sum(-1)   # one product for all draws

    def kl_to_prior(self, log_q):
        """KL(q(z | x) || uniform prior), summed over the variables: kl_divergence of two Categoricals."""
        uniform = Categorical(logits=mg.zeros_like(log_q), validate_args=False)
        return kl_divergence(Categorical(logits=log_q, validate_args=False), uniform).sum(-1)

    def one_hot(self, index):   # class indices (..., n_vars) as one-hot codes (..., n_vars, n_classes)
        return one_hot(index, self.n_classes, self.parameters()[0].dtype)


@mg.no_grad()
def evaluate(model, images, draws=4, tau=None, seed=EVAL_SEED, batch_size=500, device="cpu"):
    """The mean discrete ELBO of ``images``, ``draws`` hard draws z ~ q(z | x) each, the same noise for every model;
    with ``tau``, the Gumbel-softmax objective instead (one relaxed draw each: what it trains on, not a bound)."""
    mg.random.seed(seed)
    total = 0.0
    for x in mg.data.BatchIterator(images, batch_size=batch_size, device=device):
        if tau is not None:
            total += estimate(model, x, model.encode(x), "gumbel-softmax", tau).objective.sum().item()
            continue
        log_q = model.encode(x).log_softmax(-1)
        z = model.one_hot(Categorical(logits=log_q, validate_args=False).sample((draws,)))
        total += (model.log_likelihood(x, z).mean(0) - model.kl_to_prior(log_q)).sum().item()
    return total / len(images)


# %% [markdown]
# ## Six estimators of the gradient ([chapter, section 3](../docs/discrete_vae.md#3-six-gradient-estimators))
#
# `estimate` takes the encoder's logits (a leaf in the study and the tests); its `objective` has the ELBO estimate as
# value and the estimator's gradient. The score-function estimators only *read* their baseline (`mg.estimators`);
# `train` updates it after the step, and tunes REBAR's and RELAX's `Control` by the gradient of the estimate's square.
# Every model starts from the same weights and sees the same digits in the same order.

# %%
Estimate = NamedTuple("Estimate", [("objective", mg.Tensor), ("signal", mg.Tensor)])   # (batch,) or (), (draws, batch)


class Control(mg.nn.Module):
    """RELAX's control eta f(softmax(z / tau)) + r(softmax(z / tau)), r an MLP (Grathwohl et al. 2018, section 3.3)."""

    def __init__(self, model, network=False, hidden=100):   # the papers' start: tau = 0.5, eta = 1
        kind = {"dtype": model.parameters()[0].dtype, "device": model.parameters()[0].device}
        self.log_temperature, self.eta = (mg.nn.Parameter(mg.tensor(v, **kind)) for v in (math.log(0.5), 1.0))
        self.r = mg.nn.MLP([model.n_vars * model.n_classes, hidden, 1], **kind) if network else None

    def forward(self, z, f):   # z: (draws, batch, N, K) -> (draws, batch); REBAR's is mg.estimators.rebar's own
        y = (z / self.log_temperature.exp()).softmax(-1)
        return self.eta * f(y) + self.r(y.reshape(*y.shape[:-2], -1)).reshape(y.shape[:-2])


def estimate(model, x, logits, estimator, temperature=1.0, k=4, baseline=None):
    """By name: "reinforce", "reinforce-nvil" (one draw, ``baseline`` read, never updated, here), "rloo" (k draws),
    DiCE's; "gumbel-softmax", "straight-through": pathwise; "rebar", "relax" (``baseline``: their Control)."""
    log_q = logits.log_softmax(-1)
    if estimator in ("gumbel-softmax", "straight-through"):
        relaxed = RelaxedOneHotCategorical(temperature, logits=log_q, hard=estimator == "straight-through",
                                           validate_args=False)
        f = model.log_likelihood(x, relaxed.rsample())
        return Estimate(f - model.kl_to_prior(log_q), f.detach()[None])
    if estimator in ("rebar", "relax"):   # one draw b, the relaxed z and z~ given b; f of one-hot or relaxed codes
        c, q, f = baseline, Categorical(logits=log_q, validate_args=False), lambda y: model.log_likelihood(x, y)
        s = (estimators.rebar(f, q, temperature=c.log_temperature.exp(), eta=c.eta) if estimator == "rebar"
             else estimators.relax(f, q, lambda z: c(z, f)))
        return Estimate(s - model.kl_to_prior(log_q).sum(), None)
    draws, baseline = {"reinforce": (1, None), "reinforce-nvil": (1, baseline), "rloo": (k, LeaveOneOutBaseline())}[
        estimator]
    q = Categorical(logits=log_q, validate_args=False)
    z = q.sample((draws,))                                # (draws, batch, N) class indices: no graph
    f = model.log_likelihood(x, model.one_hot(z))         # (draws, batch): its gradient reaches the decoder
    b = 0.0 if baseline is None else baseline.read(f.detach(), x)
    objective = dice_surrogate(f, q.log_prob(z).sum(-1), b).mean(0)   # value f, gradient grad f + (f - b) grad log q
    return Estimate(objective - model.kl_to_prior(log_q), f.detach())


def temperature(step, args):
    """Jang et al.'s schedule: tau = max(tau_min, tau_start * exp(-rate * step))."""
    return max(args.tau_min, args.tau_start * math.exp(-args.rate * step))


def parse_args(argv):
    parser = common.parser("discrete_vae", __doc__)
    parser.add_argument("--estimators", nargs="+", choices=(*ESTIMATORS, "reinforce"), default=list(ESTIMATORS))
    for flag, default, text in (("--epochs", 20, None), ("--n-vars", 20, "categorical variables in the code"),
                                ("--n-classes", 10, "classes per variable"), ("--k", 4, "draws per image for RLOO"),
                                ("--tau-start", 1.0, None), ("--tau-min", 0.5, None), ("--batch-size", 100, None),
                                ("--lr", 1e-3, "Adam's step, for the model and for REBAR's and RELAX's control"),
                                ("--eval-draws", 4, "hard draws per test digit for the discrete ELBO"),
                                ("--study-digits", 8, "test digits"), ("--study-repeats", 500, "estimates per digit"),
                                ("--study-reference", 16000, "draws per digit of the study's RLOO reference")):
        parser.add_argument(flag, type=type(default), default=default, help=text)
    parser.add_argument("--hidden", type=int, nargs="+", default=[512, 256], help="encoder widths (decoder mirrors)")
    parser.add_argument("--anneal-rate", type=float, default=None, help="r of the schedule; None: tau_min halfway")
    parser.add_argument("--study-temperatures", type=float, nargs="+", default=[0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 2.0])
    parser.add_argument("--no-study", action="store_true", help="skip the gradient study (and gradients.png)")
    parser.add_argument("--data", default=None, help="folder of the official MNIST IDX files; None: embedded")
    parser.add_argument("--train-size", type=int, default=None, help="use only the first N training digits")
    parser.add_argument("--test-size", type=int, default=None, help="use only the first N test digits")
    parser.add_argument("--no-pictures", action="store_true", help="write metrics.json only")
    args = parser.parse_args(argv)
    args.labels = {name: text.replace("k draws", f"k={args.k}") for name, text in LABELS.items()}
    return args


def train(estimator, args, train_images, test_images):
    """Train one model with one estimator; return it, its baseline and its curve (one point per epoch)."""
    mg.random.seed(args.seed)   # the same initial weights for every estimator
    model = DiscreteVAE(784, args.hidden, args.n_vars, args.n_classes, device=args.device)
    nvil = estimator == "reinforce-nvil"   # NVIL's b(x) = c + net(x), net 784-100-1, c a running mean (decay 0.9)
    baseline = NVILBaseline(mg.nn.MLP([784, 100, 1], device=args.device), decay=0.9) if nvil else None
    optimizer = mg.optim.Adam(model.parameters() + (baseline.net.parameters() if baseline else []), lr=args.lr)
    tuner = None
    if estimator in ("rebar", "relax"):   # the control, and Adam on its parameters (tau, eta; RELAX's r)
        baseline = Control(model, network=estimator == "relax")
        tuner = mg.optim.Adam(tuned := baseline.parameters(), lr=args.lr)
    tau = temperature(0, args)
    curve = {"step": [0], "seconds": [0.0], "temperature": [tau], "test_elbo": []}
    step, seconds = 0, 0.0
    bar = common.progress(total=args.epochs * math.ceil(len(train_images) / args.batch_size), args=args, desc=estimator)
    for epoch in range(args.epochs + 1):   # the discrete ELBO on the test digits before each epoch and at the end
        curve["test_elbo"].append(evaluate(model, test_images, args.eval_draws, device=args.device))
        if estimator == "gumbel-softmax":   # and the relaxed objective, at the last step's tau (what it optimizes)
            curve.setdefault("test_relaxed_elbo", []).append(evaluate(model, test_images, tau=tau, device=args.device))
        if epoch == args.epochs:
            break
        rng = mg.backend.host_generator([args.seed, epoch])    # the same digits, in the same order, for all
        mg.random.seed(int(rng.integers(2 ** 31)))              # the draws of z
        x_epoch, tick = mg.data.binarize(train_images, rng), time.perf_counter()
        for x in mg.data.BatchIterator(x_epoch, batch_size=args.batch_size, shuffle=True, rng=rng, device=args.device):
            tau = temperature(step, args)
            optimizer.zero_grad()
            est = estimate(model, x, logits := model.encode(x), estimator, tau, args.k, baseline)
            loss = -est.objective.sum() / len(x)
            if nvil:    # after the read: NVIL's regression loss, and its running mean updated
                loss = loss + baseline.update(est.signal, x)
            loss.backward(retain_graph=tuner is not None)
            if tuner:   # REBAR, RELAX: d mean(g^2) / d control, g the logits' estimate, taken again
                for p, d in zip(tuned, estimators.variance_gradient(loss, logits, tuned)[1]):   # on the tape
                    p.grad = d
                tuner.step()
            optimizer.step()
            step += 1
            bar.update(1)
        seconds += time.perf_counter() - tick
        now = {"tau": baseline.log_temperature.exp().item(), "eta": baseline.eta.item()} if tuner else {}
        for key, value in {"step": step, "seconds": seconds, "temperature": temperature(step, args), **now}.items():
            curve.setdefault(key, []).append(value)
    bar.close()
    return model, baseline, curve


# %% [markdown]
# ## The gradient study ([chapter, section 6](../docs/discrete_vae.md#6-bias-and-variance-measured)): at one set of
# weights, bias$^2$ and variance of each gradient for the encoder's logits, relative to $\lVert g^* \rVert^2$

# %%
def logit_gradients(model, x, estimator, repeats, **options):
    """(repeats, D, N, K) independent estimates of d ELBO(x_d) / d logits(x_d), in one backward pass: the logits,
    repeated, are a leaf, and row r of the objective depends on row r's draws only."""
    logits = model.encode(x).detach()
    leaf = mg.tensor(logits.xp.tile(logits.data, (repeats, 1, 1)), requires_grad=True)
    estimate(model, mg.tensor(x.xp.tile(x.data, (repeats, 1))), leaf, estimator, **options).objective.sum().backward()
    model.zero_grad()                                           # the decoder's gradients are not wanted here
    return leaf.grad.numpy().reshape(repeats, *logits.shape)


def gradient_study(model, helpers, x, args, estimators, reference=None):
    """Relative bias^2 and variance of each estimator's logit gradient against ``reference`` (or RLOO's);
    ``helpers``: estimator -> its baseline or control (NVIL's; REBAR's and RELAX's, as tuned in training)."""
    mg.random.seed(STUDY_SEED)
    noise = 0.0
    if reference is None:   # the mean of m independent RLOO estimates, each with `chunk` draws per digit
        chunk = max(2, min(500, args.study_reference))
        m = max(2, math.ceil(args.study_reference / chunk))
        estimates = numpy.stack([logit_gradients(model, x, "rloo", 1, k=chunk)[0] for _ in range(m)])
        reference = estimates.mean(0)
        noise = float(((estimates - reference) ** 2).sum()) / (m - 1) / m   # the variance of that mean
    scale = float((reference ** 2).sum())
    result = {"reference_noise": noise / scale, "estimators": {}}
    for name in estimators:
        rows = {key: [] for key in ("temperature", "bias2", "bias2_noise", "variance")}
        for tau in args.study_temperatures if name in ("gumbel-softmax", "straight-through") else [None]:
            samples = logit_gradients(model, x, name, args.study_repeats, temperature=tau or 1.0, k=args.k,
                                      baseline=(helpers or {}).get(name))
            bias2, variance = bias_and_variance(samples, reference, noise)
            for key, value in zip(rows, (tau, bias2, variance / args.study_repeats + noise / scale, variance)):
                rows[key].append(value)   # bias2_noise: what was subtracted from bias2
        result["estimators"][name] = rows
    return result


# %% [markdown]
# ## Pictures (`elbo.png`, `temperature.png`, `gradients.png`, `reconstructions.png`), the tables, and `main`,
# which trains one model per estimator and studies the gradients at the NVIL model's weights

# %%
def finish(fig, axes, args, name, title, ncol=4):
    """One legend under the panels (each label once), the run's title; save."""
    handles = {}
    for ax in axes:
        ax.grid(alpha=0.3, which="both")
        ax.title.set_fontsize(9)
        handles.update(zip(*reversed(ax.get_legend_handles_labels())))
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=ncol, fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    common.save_figure(fig, args, name)


def draw_curves(curves, test_size, args, plt, run):
    start = next(iter(curves.values()))["test_elbo"][0]   # the same for every model (a test checks it)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    for name, curve in curves.items():   # from the first epoch on: the untrained start is far below
        for ax, x in zip(axes, (curve["step"], curve["seconds"])):
            ax.plot(x[1:], curve["test_elbo"][1:], "o-", markersize=3, color=COLOURS[name], label=args.labels[name])
    axes[0].set(xlabel="training step (batch of digits)", xlim=(0, None),
                ylabel=f"discrete test ELBO (nats per digit, {args.eval_draws} hard draws; higher is better)",
                title=f"against steps (at step 0, untrained, every model scores {start:.1f})")
    axes[1].set(xlabel="training time (s, evaluation excluded)", xlim=(0, None), title="against wall time")
    finish(fig, axes, args, "elbo.png", f"Discrete ELBO on {test_size} test digits, one model per "
           f"gradient estimator, evaluated after every epoch\n{run}")


def draw_temperature(curve, args, plt, run):
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    steps = numpy.arange(curve["step"][-1] + 1)   # every step's temperature
    axes[0].plot(steps, [temperature(s, args) for s in steps], color="k")
    axes[0].set(xlabel="training step", ylabel="temperature tau", ylim=(0, 1.1 * args.tau_start), title="annealing")
    axes[1].plot(curve["step"][1:], curve["test_relaxed_elbo"][1:], "s--", markersize=3, color="tab:blue",
                 label="relaxed objective: soft codes at the current tau (what it trains on)")
    axes[1].plot(curve["step"][1:], curve["test_elbo"][1:], "o-", markersize=3, color="k",
                 label="discrete ELBO: hard one-hot codes (what it is scored on)")
    axes[1].set(xlabel="training step", ylabel="nats per test digit (higher is better)", xlim=(0, None),
                title="the Gumbel-softmax model, scored two ways on the test digits after every epoch")
    finish(fig, axes, args, "temperature.png", f"Temperature, and the relaxed objective's gap to the ELBO\n{run}", 1)


def draw_study(study, args, plt, run):
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.6), sharex=True)
    relaxed = {n: rows for n, rows in study["estimators"].items() if rows["temperature"][0] is not None}
    for name, rows in study["estimators"].items():
        colour, text = COLOURS[name], args.labels[name]
        if name not in relaxed:   # an unbiased estimator: one number, drawn across the panel
            axes[1].axhline(rows["variance"][0], color=colour, linestyle=":", label=text)
            continue
        tau, bias2, noise = (numpy.array(rows[k]) for k in ("temperature", "bias2", "bias2_noise"))
        shown, resolved = bias2 > 0, bias2 > noise     # resolved: larger than the noise subtracted from it
        axes[0].plot(tau[shown], bias2[shown], "-", color=colour, alpha=0.5)
        axes[0].scatter(tau[shown], bias2[shown], c=numpy.where(resolved[shown], colour, "white"), edgecolors=colour,
                        label=text)
        axes[1].plot(tau, rows["variance"], "o-", color=colour, label=text)
    temperatures = sorted({t for rows in relaxed.values() for t in rows["temperature"]})
    any_positive = any(b > 0 for rows in relaxed.values() for b in rows["bias2"])   # a log axis needs one
    for ax, log in zip(axes, (any_positive, True)):
        ax.set(xscale="log", yscale="log" if log else "linear", xlabel="temperature tau",
               xlim=(temperatures[0] / 1.3, temperatures[-1] * 1.3))
        ax.set_xticks(temperatures, [f"{t:g}" for t in temperatures])   # the temperatures measured, plainly
        ax.minorticks_off()
        ax.axvspan(args.tau_min, args.tau_start, color="0.9", zorder=0, label="tau range used in training")
    axes[0].set(ylabel="bias^2 / |true gradient|^2", title="bias^2 of the relaxed estimators (of REINFORCE and "
                "RLOO: 0)\nwhite: smaller than the measurement noise; missing: measured <= 0")
    axes[1].set(ylabel="variance of one estimate / |true gradient|^2",
                title="variance (dotted: the unbiased estimators, which have no tau)")
    finish(fig, axes, args, "gradients.png", f"Gradient of the discrete ELBO with respect to the encoder's logits, "
           f"{args.study_digits} test digits, weights of the trained REINFORCE + NVIL model,\n{args.study_repeats} "
           f"estimates each, reference: RLOO with {args.study_reference} draws per digit\n{run}")


def draw_reconstructions(models, x, args, plt, run):
    images, labels = [x], ["test digits"]
    with mg.no_grad():
        for name, model in models.items():   # decode the most probable code, argmax q(z | x)
            mode = model.one_hot(mg.tensor(model.encode(mg.tensor(x, device=args.device)).data.argmax(-1)))
            images.append(mg.sigmoid(model.decoder(mode.reshape(len(x), -1))).numpy())
            labels.append(args.labels[name])
    fig, ax = plt.subplots(figsize=(8, 1.0 * len(labels) + 1.2))
    ax.imshow(common.image_grid(numpy.concatenate(images), len(labels), len(x)), cmap="gray", vmin=0, vmax=1)
    ax.set(xticks=[], yticks=[28 * i + 13.5 for i in range(len(labels))], yticklabels=labels)
    ax.tick_params(labelsize=8)
    ax.spines[:].set_visible(False)
    ax.set_title(f"Test digits and each model's pixel probabilities decoded from the one-hot argmax q(z | x)\n{run}",
                 fontsize=7)
    common.save_figure(fig, args, "reconstructions.png")


def main(argv=None):
    args = parse_args(argv)
    plt = common.start(args, pictures=not args.no_pictures)
    began = time.perf_counter()
    data = mg.data.load_mnist(args.data)   # test digits binarized once, with a fixed seed
    train_images, test_images = data.train_images[:args.train_size], data.test_images[:args.test_size]
    steps = args.epochs * math.ceil(len(train_images) / args.batch_size)
    halfway = math.log(args.tau_start / args.tau_min) / max(1, steps // 2) if args.tau_min < args.tau_start else 0
    args.rate = halfway if args.anneal_rate is None else args.anneal_rate   # by default reach tau_min halfway
    config = {**{k: v for k, v in vars(args).items() if k not in ("no_progress", "no_pictures", "out", "labels")},
              "train_size": len(train_images), "test_size": len(test_images),
              "data": args.data or "embedded mnist10k (minigrad/data/ATTRIBUTION.md)"}
    models, baselines, curves = {}, {}, {}
    for name in args.estimators:
        models[name], baselines[name], curves[name] = train(name, args, train_images, test_images)
    study = None if args.no_study or "reinforce-nvil" not in models else gradient_study(   # at the NVIL weights
        models["reinforce-nvil"], baselines, mg.tensor(test_images[:args.study_digits], device=args.device), args,
        ["reinforce", *ESTIMATORS[:4], *(n for n in ESTIMATORS[4:] if n in models)])   # REBAR, RELAX if trained
    metrics = {"estimators": {name: {"label": args.labels[name], "final_test_elbo": c["test_elbo"][-1],
                                     "seconds": c["seconds"][-1], "curve": c} for name, c in curves.items()},
               "gradient_study": study, "seconds": time.perf_counter() - began, "config": config}
    common.write_json(args, "metrics.json", metrics)   # the chapter's tables: results.md, gradients.md (the study)
    rows = [(args.labels[n], f"{c['test_elbo'][-1]:.2f}", f"{c['seconds'][-1]:.0f} s",
             f"{1000 * c['seconds'][-1] / max(1, c['step'][-1]):.0f}",
             f"tau {c['tau'][-1]:.3g}, eta {c['eta'][-1]:.3g}" if "eta" in c else "") for n, c in curves.items()]
    print(common.write_table(args, "results.md", ("estimator", "discrete test ELBO", "training time", "ms per step",
                                                  "tuned control at the end"), rows))
    if study is not None:
        print(f"gradient study ({args.study_digits} test digits, REINFORCE + NVIL weights, {args.study_repeats} "
              f"estimates each; / |true gradient|^2, reference noise {study['reference_noise']:.1e}):\n"
              + common.write_table(args, "gradients.md", ("estimator", "temperature", "bias²", "variance of one "
                                   "estimate", "bias² noise subtracted"), [
                  (args.labels[n], "" if tau is None else f"{tau:g}", f"{b:.3g}", f"{v:.3g}", f"{e:.2g}")
                  for n, rows in study["estimators"].items() for tau, b, e, v in zip(*rows.values())]))
    if not args.no_pictures:
        run = common.caption(args, f"VAE 784-{'-'.join(map(str, args.hidden))}-({args.n_vars}x{args.n_classes}); "
                             f"{args.epochs} epochs on {len(train_images)} digits, batch {args.batch_size}, Adam "
                             f"{args.lr:g}; RLOO k={args.k};\ntau = max({args.tau_min:g}, {args.tau_start:g} "
                             f"exp(-{args.rate:.2g} step)) for the relaxations")
        draw_curves(curves, len(test_images), args, plt, run)
        if "gumbel-softmax" in curves:
            draw_temperature(curves["gumbel-softmax"], args, plt, run)
        if study is not None:
            draw_study(study, args, plt, run)
        draw_reconstructions(models, test_images[:10], args, plt, run)
    print(f"total {metrics['seconds']:.0f} s; wrote {args.out}")
    return metrics


# %% [markdown]
# ## Run it: in a notebook, two epochs and a smaller study (about a minute); `ARGS = []` for the defaults

# %%
if NOTEBOOK:
    OUT, ARGS = "demo_out/discrete_vae", ["--epochs", "2", "--study-repeats", "50", "--study-reference", "200"]
    metrics = main([*ARGS, "--no-progress", "--out", OUT])
    common.show(OUT, "elbo.png", "temperature.png", "gradients.png", "reconstructions.png")
elif __name__ == "__main__":
    main()
