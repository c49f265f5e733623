# %% [markdown]
# # One VAE, five ways to get the encoder's gradient
#
# The variational autoencoder of Kingma & Welling (2014), "Auto-Encoding Variational Bayes"
# ([arXiv:1312.6114](https://arxiv.org/abs/1312.6114)), trains its encoder through a random draw
# $z \sim q_\phi(z \mid x)$. This demo trains the same VAE five times, changing only how the
# encoder's gradient gets through that draw:
#
# 1. **pathwise** (the reparameterization trick of Kingma & Welling);
# 2. **score function** (REINFORCE, Williams 1992,
#    [doi:10.1007/BF00992696](https://doi.org/10.1007/BF00992696)) with no baseline;
# 3. score function with a **moving-average** baseline;
# 4. score function with a **leave-one-out** baseline over $k$ draws per digit (Kool, van Hoof &
#    Welling 2019, "Buy 4 REINFORCE samples, get a baseline for free!",
#    [openreview r1lgTGL5DE](https://openreview.net/forum?id=r1lgTGL5DE));
# 5. score function with **NVIL**'s learned, input-dependent baseline and variance normalisation
#    (Mnih & Gregor 2014, "Neural Variational Inference and Learning in Belief Networks",
#    [arXiv:1402.0030](https://arxiv.org/abs/1402.0030)).
#
# Everything else is the same: the initial weights, the order of the data, the decoder's gradient,
# the optimizer. It draws the test ELBO against steps and against wall time, then measures *why*
# the curves differ: at fixed checkpoints it takes many independent estimates of the encoder's
# gradient on one fixed batch and reports their total variance and their signal-to-noise ratio.
# The reference for the estimators is Mohamed, Rosca, Figurnov & Mnih (2020), "Monte Carlo Gradient
# Estimation in Machine Learning" ([arXiv:1906.10652](https://arxiv.org/abs/1906.10652));
# `docs/vae_estimators.md` reports a full run.
#
# **Program, module and notebook.** This file is a [Jupytext](https://jupytext.readthedocs.io)
# percent script: `# %%` starts a code cell, `# %% [markdown]` a text cell like this one.
#
# - Program: `python demos/vae_estimators.py` trains the five VAEs (the 784-400-20 model of
#   `demos/vae.py`, 30 epochs each) and writes `metrics.json`, `curves.png`, `variance.png` and `reconstructions.png` to
#   `demo_out/vae_estimators`; `--help` lists the options.
# - Module: importing the file only defines things; `main(argv)` runs the demo on a list of
#   arguments and returns the metrics (the tests do this).
# - Notebook: `jupytext --to notebook demos/vae_estimators.py`, or, with jupytext installed, open
#   the `.py` file in Jupyter (right click, *Open With → Notebook*); run the cells top to bottom.
#
# The next cell sets `NOTEBOOK = __name__ == "__main__" and "ipykernel" in sys.modules`, and
# both halves are needed. A notebook runs as `__main__`, as a program does, but its `sys.argv`
# holds the Jupyter kernel's own arguments (`-f kernel.json`), which `argparse` would reject. A
# module imported from a notebook has `ipykernel` loaded too, but its `__name__` is its own. The
# cells at the end run `main` and show its pictures only when `NOTEBOOK` is true, and the last
# cell reads the command line only when the file runs as a program.

# %%
"""Train one VAE five times, with five estimators of the encoder's gradient, and measure their variance.

    python demos/vae_estimators.py                 # 784-400-20, 30 epochs each, in demo_out/vae_estimators
    python demos/vae_estimators.py --epochs 5      # a quick look
    python demos/vae_estimators.py --estimators pathwise leave-one-out --k 8

The explanation is in the Markdown cells of this file, which opens as a notebook (see the first cell).
"""
import argparse
import json
import os
import sys
import time

import numpy

# Run from a checkout: put the repository on the path. A notebook has no __file__; Jupyter starts
# its kernel in the notebook's folder (demos/).
HERE = os.path.dirname(os.path.abspath(__file__)) if "__file__" in globals() else os.getcwd()
sys.path.insert(0, os.path.join(HERE, ".."))
import minigrad as mg  # noqa: E402
from minigrad.estimators import dice_surrogate, leave_one_out  # noqa: E402

NOTEBOOK = __name__ == "__main__" and "ipykernel" in sys.modules   # in a Jupyter kernel, not imported

EVAL_SEED = 12345       # the test ELBO is estimated with the same draws every time
VARIANCE_SEED = 54321   # the draws of the gradient-variance study


# %% [markdown]
# ## What is estimated, and what is shared
#
# For one digit $x$ the VAE maximizes
#
# $$\mathcal{L}(\theta, \phi; x) = \mathbb{E}_{q_\phi(z \mid x)}\big[f_\theta(z)\big]
# - \mathrm{KL}\big(q_\phi(z \mid x)\,\|\,p(z)\big), \qquad f_\theta(z) = \log p_\theta(x \mid z),$$
#
# with $q_\phi(z \mid x) = \mathcal{N}(\mu_\phi(x), \operatorname{diag}\sigma_\phi(x)^2)$ and
# $p(z) = \mathcal{N}(0, I)$. Three gradients are needed, and in all five runs two of them are
# computed the same way:
#
# - the **decoder's**, $\nabla_\theta \mathcal{L} = \mathbb{E}_q[\nabla_\theta \log p_\theta(x \mid z)]$:
#   the draw does not depend on $\theta$, so it is backpropagation through $\log p_\theta(x \mid z)$
#   at the $z$ drawn, whichever estimator drew it;
# - the **KL's**: in closed form (Kingma & Welling, appendix B), a plain function of $\mu$ and
#   $\sigma$, differentiated exactly;
# - the encoder's gradient of the **reconstruction term**, $\nabla_\phi \mathbb{E}_{q_\phi}[f(z)]$:
#   this is the only thing that differs between the runs.
#
# **Pathwise.** Write $z = \mu_\phi(x) + \sigma_\phi(x) \odot \epsilon$, $\epsilon \sim \mathcal{N}(0, I)$.
# Then $\nabla_\phi \mathbb{E}_q[f(z)] = \mathbb{E}_\epsilon[\nabla_z f(z)\, \partial z / \partial\phi]$:
# `q.rsample()` puts $z$ on the tape and backpropagation does the rest. It uses the *slope* of $f$.
#
# **Score function.** From $\nabla q = q\, \nabla \log q$,
# $\nabla_\phi \mathbb{E}_q[f(z)] = \mathbb{E}_q[f(z)\, \nabla_\phi \log q_\phi(z \mid x)]$: it uses
# only the *value* of $f$, weighted by the score. With $k$ draws $z_i$ and a baseline $b_i$,
#
# $$\hat g = \frac1k \sum_{i=1}^k \big(f(z_i) - b_i\big)\, \nabla_\phi \log q_\phi(z_i \mid x).$$
#
# The score has mean zero, $\mathbb{E}_q[\nabla_\phi \log q] = \nabla_\phi \int q = 0$, so any $b_i$
# that does not depend on $z_i$ leaves $\hat g$ unbiased; a $b_i$ close to $f(z_i)$ makes it less
# noisy. The four score-function runs differ only in $b$:
#
# | run | baseline $b_i$ | draws per digit |
# |---|---|---|
# | `score` | $0$ | 1 |
# | `moving-average` | $c_t$: a running average of $f$ over the previous batches | 1 |
# | `leave-one-out` | $\frac{1}{k-1}\sum_{j \ne i} f(z_j)$: the other draws of the same digit | $k$ (4) |
# | `nvil` | $c_t + b_\psi(x)$: $b_\psi$ a small MLP of the digit, trained to predict $f - c_t$ | 1 |
#
# Here $f$ is large, about $-550$ nats for the untrained model and $-100$ after training; it
# differs by tens of nats from digit to digit (a 1 has fewer pixels to explain than an 8), and by
# a few nats from draw to draw of one digit. A constant baseline removes the first part; only a
# baseline that looks at the digit removes the second; the third is left by every baseline
# $b(x)$ that sees the digit but not the draw: the usual one, $\mathbb{E}_q[f]$, and the
# variance-minimizing one too, which weights $f$ by the squared length of the score,
# $\mathbb{E}_q[f \lVert s\rVert^2] / \mathbb{E}_q[\lVert s\rVert^2]$ (`docs/estimators.md`).
#
# NVIL also divides the encoder's whole gradient by $s_t = \max(1, \sqrt{v_t})$, with $v_t$ a
# running variance of the centred signal: a step size fixed before the draw, which changes the
# length of the expected gradient but not its direction. With Adam, which divides each step by a
# running size of the gradient anyway, a slowly varying $s_t$ changes almost nothing; the variance
# study below measures NVIL's estimate before that division.
#
# The running averages ($c_t$, $v_t$) and the baseline network are updated *after* each step, from
# that step's draws, so $b$ never depends on the draws it is subtracted from. (In Mnih & Gregor's
# algorithm the running averages take in the current batch before they are used; waiting one step
# keeps the estimate exactly unbiased.)

# %%
ESTIMATORS = ("pathwise", "score", "moving-average", "leave-one-out", "nvil")


def estimator_objective(model, x, estimator):
    """(objective, f, centred): the per-digit ELBO estimate to maximize, built so that its gradient is
    the decoder's exact gradient and the estimator's gradient for the encoder; f = log p(x | z) of each
    draw, shape (draws, batch), detached (what the baselines learn from); and the centred learning
    signal f - b that weights the score (None for pathwise).

    The objective's *value* is the same for every estimator: the mean of log p(x | z) over the draws
    minus the analytic KL. DiCE's surrogate (dice_surrogate) keeps that value and adds the score's gradient.
    """
    q = model.encode(x)
    kl = model.kl_to_prior(q)                          # closed form: exact gradient, the same in every run
    if estimator.name == "pathwise":
        z = q.rsample((1,))                            # z = loc + scale * eps: on the tape
        log_px = model.log_likelihood(x, z)            # (1, batch): gradients for decoder and encoder
        return log_px.mean(0) - kl, log_px.detach(), None
    z = q.sample((estimator.draws,))                   # no graph: the encoder gets nothing through z
    log_px = model.log_likelihood(x, z)                # (draws, batch): the decoder's gradient only
    f = log_px.detach()
    b = estimator.baseline(x, f)                       # a constant, independent of the draw it is paired with
    objective = dice_surrogate(log_px, q.log_prob(z).sum(-1), b)   # value log_px; gradient + (f - b) grad log q
    return objective.mean(0) - kl, f, f - b


# %% [markdown]
# Each estimator is a small object: `draws` (how many $z$ per digit), `baseline(x, f)` (what is
# subtracted from $f$: $b_i$ may use the digit, the past and the *other* draws $f_j$, never $f_i$
# itself), `observe(x, f)` (learn from this step's draws, after the step), and `gradient_scale()`
# (NVIL's $1/s_t$). `state()` and `load_state(...)` save and restore what an estimator has
# learned, so that the variance study can freeze it at a checkpoint.

# %%
class Estimator:
    """What every estimator has; the defaults are those of an estimator that learns nothing."""
    name, draws = None, 1

    def observe(self, x, f):
        pass

    def gradient_scale(self):
        return 1.0

    def state(self):
        return {}

    def load_state(self, state):
        pass


class Pathwise(Estimator):
    """The reparameterization trick: estimator_objective backpropagates through z = loc + scale * eps."""
    name = "pathwise"


class NoBaseline(Estimator):
    """Plain REINFORCE: b = 0."""
    name = "score"

    def baseline(self, x, f):
        return 0.0


class MovingAverageBaseline(NoBaseline):
    """b = c_t, a running average of the mean signal of the previous batches (0 before the first step).

    One number for the whole batch: the digits of a shuffled batch change every step, so an
    average kept per position in the batch would mean nothing.
    """
    name = "moving-average"

    def __init__(self, decay=0.8):
        self.decay, self.average = decay, None

    def baseline(self, x, f):
        return 0.0 if self.average is None else self.average

    def observe(self, x, f):
        mean = float(f.mean().item())
        self.average = mean if self.average is None else self.decay * self.average + (1 - self.decay) * mean

    def state(self):
        return {"average": self.average}

    def load_state(self, state):
        self.average = state["average"]


class LeaveOneOutBaseline(NoBaseline):
    """k draws per digit; b_i = the mean signal of the other k - 1 draws of the same digit."""
    name = "leave-one-out"

    def __init__(self, k=4):
        if k < 2:
            raise ValueError(f"leave-one-out needs k >= 2 draws per digit, got {k}")
        self.draws = k

    def baseline(self, x, f):
        return leave_one_out(f)   # (sum_j f_j - f_i) / (k - 1), along the axis of the draws


class NVILBaseline(NoBaseline):
    """NVIL (Mnih & Gregor 2014): b = c_t + b_psi(x), and the encoder's gradient divided by max(1, sqrt(v_t)).

    b_psi is an MLP of the digit (784-100-1, tanh), trained by Adam to minimize (f - c_t - b_psi(x))^2;
    c_t and v_t are running averages of the mean and variance of the signal it leaves, f - b_psi(x).
    """
    name = "nvil"

    def __init__(self, x_dim, hidden=100, lr=3e-3, decay=0.8, dtype=None, device=None):
        self.net = mg.nn.MLP([x_dim, hidden, 1], activation="tanh", dtype=dtype, device=device)
        self.optimizer = mg.optim.Adam(self.net.parameters(), lr=lr)
        self.decay, self.average, self.variance = decay, None, None

    def predict(self, x):
        return self.net(x).reshape(-1)                 # b_psi(x), shape (batch,)

    def baseline(self, x, f):
        with mg.no_grad():
            b = self.predict(x)
        return b if self.average is None else b + self.average

    def gradient_scale(self):
        return 1.0 if self.variance is None else 1.0 / max(1.0, self.variance ** 0.5)

    def observe(self, x, f):
        target = f.mean(0)                             # the signal per digit, (batch,)
        self.optimizer.zero_grad()
        residual = target - self.predict(x)            # f - b_psi(x), on the tape
        centred = residual if self.average is None else residual - self.average
        (centred * centred).mean().backward()          # regress b_psi(x) on f - c_t
        self.optimizer.step()
        r = residual.detach()
        mean, variance = float(r.mean().item()), float(((r - r.mean()) ** 2).mean().item())
        if self.average is None:
            self.average, self.variance = mean, variance
        else:
            self.average = self.decay * self.average + (1 - self.decay) * mean
            self.variance = self.decay * self.variance + (1 - self.decay) * variance

    def state(self):
        return {"net": self.net.state_dict(), "average": self.average, "variance": self.variance}

    def load_state(self, state):
        self.net.load_state_dict(state["net"])
        self.average, self.variance = state["average"], state["variance"]


def make_estimator(name, args, dtype=None, device=None):
    if name == "pathwise":
        return Pathwise()
    if name == "score":
        return NoBaseline()
    if name == "moving-average":
        return MovingAverageBaseline(args.decay)
    if name == "leave-one-out":
        return LeaveOneOutBaseline(args.k)
    return NVILBaseline(784, args.baseline_hidden, args.baseline_lr, args.decay, dtype=dtype, device=device)


def describe(name, args):
    """The estimator's name in the pictures' legends."""
    return {"pathwise": "pathwise (reparameterization)",
            "score": "score function, no baseline",
            "moving-average": f"score, moving-average baseline (decay {args.decay:g})",
            "leave-one-out": f"score, leave-one-out baseline ({args.k} draws per digit)",
            "nvil": f"score, NVIL: learned b(x) (784-{args.baseline_hidden}-1) + normalisation"}[name]


COLORS = {"pathwise": "tab:blue", "score": "tab:red", "moving-average": "tab:orange",
          "leave-one-out": "tab:green", "nvil": "tab:purple"}


# %% [markdown]
# ## The options
#
# The model and schedule are those of `demos/vae.py`: 784-400-20 with ReLU, Bernoulli pixels,
# Adam at $10^{-3}$, batches of 128, 30 epochs of 63 steps; the pathwise run *is* that demo's
# default run, and ends at the same test ELBO (-107.45). The five runs, one of which decodes four draws per
# digit, and the variance study take a few minutes on a 2-core machine (see the docs page for the
# times measured). `--epochs 5` gives a quick look; `--hidden 200 --latent 10` a smaller model.
# On a machine shared with other work, `OMP_NUM_THREADS=1` keeps NumPy's two BLAS threads from
# waiting for each other (see `docs/vae.md`).

# %%
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--estimators", nargs="+", choices=ESTIMATORS, default=list(ESTIMATORS),
                        help="which runs (pathwise is always run: it is the reference of the variance study)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=400, help="hidden width of encoder and decoder")
    parser.add_argument("--latent", type=int, default=20, help="size of the code z")
    parser.add_argument("--k", type=int, default=4, help="draws per digit of the leave-one-out baseline")
    parser.add_argument("--decay", type=float, default=0.8, help="of the running averages (moving average, NVIL)")
    parser.add_argument("--baseline-hidden", type=int, default=100, help="hidden width of NVIL's baseline b(x)")
    parser.add_argument("--baseline-lr", type=float, default=3e-3, help="Adam's learning rate for b(x)")
    parser.add_argument("--checkpoints", type=int, default=5,
                        help="steps at which the gradient variance is measured: 0, then log-spaced up to the end")
    parser.add_argument("--estimates", type=int, default=100, help="independent gradient estimates per checkpoint")
    parser.add_argument("--variance-batch", type=int, default=128, help="size of the fixed batch of test digits")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help=f"one of {mg.devices()}")
    parser.add_argument("--train-size", type=int, default=None, help="use only the first N training digits")
    parser.add_argument("--test-size", type=int, default=None, help="use only the first N test digits")
    parser.add_argument("--out", default=os.path.join("demo_out", "vae_estimators"),
                        help="folder for the pictures and metrics.json")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (without it, one only on a terminal)")
    args = parser.parse_args(argv)
    if "pathwise" not in args.estimators:
        args.estimators = ["pathwise", *args.estimators]
    args.estimators = [e for e in ESTIMATORS if e in args.estimators]   # always in the same order
    if args.estimates < 2:
        parser.error("--estimates must be at least 2 (a variance needs two)")
    return args


# %% [markdown]
# ## Training
#
# One step is the usual one: draw, build the objective, `backward()`, Adam. NVIL then divides the
# encoder's gradient by $s_t$ before the step, and every estimator learns from the step's draws
# after it. The data come as in `demos/vae.py`: each epoch binarizes and shuffles the 8,000
# training digits with a generator seeded by (seed, epoch), so all five runs see the same batches
# in the same order, from the same initial weights. The test ELBO (2,000 test digits, one draw per
# digit, the same draws every time) is measured before training and after every epoch; the clock
# counts training steps only.
#
# The pathwise run also carries a *shadow* copy of the moving-average and NVIL baselines, which
# watch its draws and learn from them without touching its weights, and it saves its weights and
# those baselines at the checkpoints. The variance study uses them.

# %%
def checkpoint_steps(total, count):
    """0, then count - 1 steps spaced by factors of 3 up to the last step (fewer if they coincide)."""
    if count <= 1:
        return [total]
    later = numpy.geomspace(max(total / 3 ** (count - 2), 1), total, count - 1) if total > 0 else []
    return sorted({0, *(int(round(s)) for s in later)})


@mg.no_grad()
def evaluate(model, images, device, batch_size=500):
    """Mean test ELBO with one draw per digit, the same draws every time (EVAL_SEED)."""
    mg.random.seed(EVAL_SEED)
    total = 0.0
    for x in mg.data.BatchIterator(images, batch_size=batch_size, device=device):
        total += model.elbo(x).elbo.sum().item()
    return total / len(images)


def train_step(model, optimizer, estimator, x):
    """One Adam step on -ELBO with this estimator's encoder gradient; returns (mean ELBO estimate, f)."""
    optimizer.zero_grad()
    objective, f, _ = estimator_objective(model, x, estimator)
    (-objective.mean()).backward()
    scale = estimator.gradient_scale()
    if scale != 1.0:                                   # NVIL's variance normalisation: the encoder only
        for p in model.encoder.parameters():
            p.grad = p.grad * scale
    optimizer.step()
    estimator.observe(x, f)
    return objective.mean().item(), f


def new_model(args):
    mg.random.seed(args.seed)   # the same initial weights in every run
    return mg.models.VAE(784, args.hidden, args.latent, device=args.device)


def train(name, args, train_images, test_images, checkpoints, tqdm):
    """Train one VAE with one estimator; returns its history (and, for pathwise, the snapshots)."""
    model = new_model(args)
    optimizer = mg.optim.Adam(model.parameters(), lr=args.lr)
    estimator = make_estimator(name, args, device=args.device)
    shadows = [make_estimator(e, args, device=args.device) for e in ("moving-average", "nvil")
               if e in args.estimators] if name == "pathwise" else []
    snapshots = []

    def snapshot():
        snapshots.append({"step": step, "model": model.state_dict(),
                          "baselines": {s.name: s.state() for s in shadows}})

    step, seconds = 0, 0.0
    history = {"step": [0], "seconds": [0.0], "test_elbo": [evaluate(model, test_images, args.device)]}
    if name == "pathwise" and 0 in checkpoints:
        snapshot()
    steps_per_epoch = -(-len(train_images) // args.batch_size)
    bar = tqdm(total=args.epochs * steps_per_epoch, desc=f"{name:>14}", disable=args.no_progress or None, leave=False)
    for epoch in range(args.epochs):
        rng = mg.backend.host_generator([args.seed, epoch])   # this epoch's binarization and order ...
        mg.random.seed(int(rng.integers(2 ** 31)))            # ... and its draws of z
        x_epoch = mg.data.binarize(train_images, rng)
        for x in mg.data.BatchIterator(x_epoch, batch_size=args.batch_size, shuffle=True, rng=rng,
                                       device=args.device):
            tick = time.perf_counter()
            elbo, f = train_step(model, optimizer, estimator, x)
            seconds += time.perf_counter() - tick
            step += 1
            for shadow in shadows:                             # not timed: not part of this run's cost
                shadow.observe(x, f)
            if name == "pathwise" and step in checkpoints:
                snapshot()
            bar.update()
            bar.set_postfix(elbo=f"{elbo:.1f}")
        history["step"].append(step)
        history["seconds"].append(seconds)
        history["test_elbo"].append(evaluate(model, test_images, args.device))
    bar.close()
    return model, history, snapshots


# %% [markdown]
# ## The gradient variance at the checkpoints
#
# The curves say *that* the runs differ; this says *why*. At each checkpoint of the pathwise run
# (its weights at steps 0, ..., the end), on one fixed batch of 128 test digits, each estimator
# gives $M$ (`--estimates`, 100) independent estimates $\hat g_1, \dots, \hat g_M$ of the encoder's
# gradient of the mean ELBO, each with fresh draws. All five are measured at the *same*
# weights, the weights of the pathwise run, so that the numbers compare estimators and not the
# places their runs reached; the moving-average and NVIL baselines are the shadow copies that
# learned alongside that run. With $\bar g$ the mean of the estimates and $d$ the number of encoder
# parameters,
#
# - the **total variance** $V = \frac{1}{M-1}\sum_m \lVert \hat g_m - \bar g \rVert^2$, the sum
#   over the $d$ parameters of each one's variance: the expected squared distance of one estimate
#   from the true gradient;
# - the **signal-to-noise ratio** $\mathrm{SNR} = \lVert \nabla_\phi \mathcal{L} \rVert / \sqrt{V}$:
#   how long the true gradient is against the noise of one estimate. The true gradient is
#   estimated by the pathwise mean, the least noisy, with its own noise subtracted:
#   $\lVert \nabla \rVert^2 \approx \lVert \bar g_{\text{pathwise}} \rVert^2 - V_{\text{pathwise}} / M$.
#   Below 1, an estimate is mostly noise, and a step follows the noise.
#
# Two more numbers are printed and kept in `metrics.json`. `centred_signal_ms`, the mean of
# $(f - b)^2$ over the draws, is what a baseline is for: the score term is $(f - b)$ times the
# score, so the variance of a score-function estimate grows with it. `bias_check` checks that all
# five estimate the same thing: the distance between an estimator's mean and the pathwise mean,
# divided by its standard error $\sqrt{(V + V_{\text{pathwise}})/M}$, should be about 1.

# %%
def gradient_estimates(model, estimator, x, n, bar):
    """Sum and sum of squares (float64, flattened over the encoder's parameters) of n estimates, and the
    mean square of the centred signal f - b (None for pathwise)."""
    params = model.encoder.parameters()
    total = squares = None
    signal = []
    for _ in range(n):
        objective, _, centred = estimator_objective(model, x, estimator)
        if centred is not None:
            signal.append(float((centred * centred).mean().item()))
        grads = mg.autograd.grad(objective.mean(), params)
        g = numpy.concatenate([gi.numpy().astype(numpy.float64).ravel() for gi in grads])
        total = g if total is None else total + g
        squares = g * g if squares is None else squares + g * g
        bar.update()
    return total, squares, (float(numpy.mean(signal)) if signal else None)


def variance_study(args, snapshots, x, tqdm):
    """{estimator: {"total_variance": [...], "snr": [...], "bias_check": [...]}} at each snapshot."""
    model = new_model(args)
    estimators = {name: make_estimator(name, args, device=args.device) for name in args.estimators}
    n = args.estimates
    results = {name: {"total_variance": [], "snr": [], "bias_check": [], "centred_signal_ms": []}
               for name in args.estimators}
    bar = tqdm(total=len(snapshots) * len(estimators) * n, desc="gradient variance", disable=args.no_progress or None,
               leave=False)
    for i, snap in enumerate(snapshots):
        model.load_state_dict(snap["model"])
        means, variances = {}, {}
        for name, estimator in estimators.items():
            if name in snap["baselines"]:
                estimator.load_state(snap["baselines"][name])
            mg.random.seed(VARIANCE_SEED + 1000 * i + ESTIMATORS.index(name))
            total, squares, signal = gradient_estimates(model, estimator, x, n, bar)
            results[name]["centred_signal_ms"].append(signal)
            means[name] = total / n
            variances[name] = float(((squares - total * total / n) / (n - 1)).sum())
        signal = max(float(means["pathwise"] @ means["pathwise"]) - variances["pathwise"] / n, 0.0) ** 0.5
        for name in estimators:
            difference = means[name] - means["pathwise"]
            error = ((variances[name] + variances["pathwise"]) / n) ** 0.5
            results[name]["total_variance"].append(variances[name])
            results[name]["snr"].append(signal / variances[name] ** 0.5)
            results[name]["bias_check"].append(float(numpy.sqrt(difference @ difference)) / error
                                               if name != "pathwise" else None)
    bar.close()
    return results


# %% [markdown]
# ## Pictures
#
# `curves.png`: the test ELBO against the number of steps (left) and against the seconds spent
# training (right), one line per estimator. `variance.png`: the total variance (left) and the SNR
# (right) at the checkpoints, on log scales. `reconstructions.png`: the same test digits
# reconstructed by each of the five trained VAEs. Every title names the run.

# %%
def describe_run(args, train_size, steps):
    return (f"VAE 784-{args.hidden}-{args.latent}, Bernoulli likelihood, analytic KL; "
            f"{args.epochs} epochs ({steps} steps) on {train_size} digits, batch {args.batch_size}, "
            f"Adam lr {args.lr:g}, seed {args.seed}")


def draw_curves(plt, runs, args, run, path):
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.6), sharey=True)
    fig.subplots_adjust(left=0.07, right=0.98, top=0.80, bottom=0.25, wspace=0.06)
    lowest = []
    for name, history in runs.items():
        for ax, x in zip(axes, (history["step"], history["seconds"])):
            ax.plot(x, history["test_elbo"], "o-", markersize=3, color=COLORS[name], label=describe(name, args))
        lowest.append(min(history["test_elbo"][1:] or history["test_elbo"]))
    # the untrained model's ELBO (about -540) would squash the rest: start the axis below the
    # lowest ELBO reached after the first epoch
    values = [v for h in runs.values() for v in h["test_elbo"]]
    bottom = min(lowest)
    top = max(values)
    axes[0].set_ylim(bottom - 0.08 * (top - bottom), top + 0.05 * (top - bottom))
    start = min(h["test_elbo"][0] for h in runs.values())
    off = f"\n(the untrained model's {start:.0f} at step 0 is below the axis)" if start < axes[0].get_ylim()[0] else ""
    axes[0].set_xlabel("training steps (Adam updates)")
    axes[1].set_xlabel("seconds spent training (this machine; evaluation not counted)")
    axes[0].set_ylabel("test ELBO (nats per digit, higher is better)")
    axes[0].set_title(f"test ELBO against steps{off}", fontsize=10)
    axes[1].set_title(f"test ELBO against wall time{off}", fontsize=10)
    for ax in axes:
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=9, bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(f"demos/vae_estimators.py: the same VAE trained with five encoder-gradient estimators\n{run}",
                 fontsize=10)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def draw_variance(plt, variance, steps, args, run, path):
    from matplotlib.lines import Line2D
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.6))
    fig.subplots_adjust(left=0.08, right=0.98, top=0.82, bottom=0.27, wspace=0.24)
    x = numpy.arange(len(steps))   # the checkpoints are spaced by factors of 3: drawn evenly, labelled by step
    for name, result in variance.items():
        axes[0].plot(x, result["total_variance"], "o-", color=COLORS[name], label=describe(name, args))
        axes[1].plot(x, result["snr"], "o-", color=COLORS[name])
    axes[1].axhline(1.0, color="gray", linestyle="--", linewidth=1)
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xticks(x)
        ax.set_xticklabels([str(s) for s in steps])
        ax.set_xlim(-0.3, len(steps) - 0.7)
        ax.set_xlabel("checkpoint: steps taken by the pathwise run")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("total variance of one estimate\n(sum over the encoder's parameters)")
    axes[1].set_ylabel("SNR = |gradient| / sqrt(total variance)")
    axes[0].set_title(f"variance of the encoder's gradient ({args.estimates} estimates on "
                      f"{args.variance_batch} fixed test digits)", fontsize=10)
    axes[1].set_title("signal-to-noise ratio of one estimate", fontsize=10)
    handles, labels = axes[0].get_legend_handles_labels()
    handles.append(Line2D([], [], color="gray", linestyle="--", linewidth=1))
    labels.append("SNR = 1: the noise of one estimate is as long as the gradient")
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=9, bbox_to_anchor=(0.5, 0.0))
    note = ("at step 0 the moving average and NVIL's b(x) have seen no data yet (b = 0): "
            "they coincide with 'no baseline'") if 0 in steps and len(variance) > 2 else ""
    fig.suptitle("demos/vae_estimators.py: all five estimators measured at the same weights, "
                 f"those of the pathwise run\n{run}", fontsize=10)
    if note:
        fig.text(0.5, 0.88, note, ha="center", fontsize=8, style="italic")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def grid(images, size=28):
    """Images (n, size*size) side by side: one (size, n*size) array."""
    return images.reshape(-1, size, size).transpose(1, 0, 2).reshape(size, -1)


def draw_reconstructions(plt, models, runs, x, args, run, path):
    short = {"pathwise": "pathwise", "score": "score, no baseline", "moving-average": "score, moving average",
             "leave-one-out": f"score, leave-one-out (k={args.k})", "nvil": "score, NVIL"}
    rows = [("test digits (binarized)", x)]
    with mg.no_grad():
        for name, model in models.items():
            recon = model.reconstruct(mg.tensor(x, device=args.device)).numpy()
            rows.append((f"{short[name]}\ntest ELBO {runs[name]['test_elbo'][-1]:.1f}", recon))
    height = 0.72 * len(rows) + 0.75
    fig, axes = plt.subplots(len(rows), 1, figsize=(8, height))
    for ax, (label, images) in zip(axes, rows):
        ax.imshow(grid(images), cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle(f"test digits and each model's reconstructions (pixel probabilities at the posterior mean)\n{run}",
                 fontsize=8)
    fig.subplots_adjust(left=0.2, right=0.99, top=1 - 0.6 / height, bottom=0.01, hspace=0.1)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def print_variance_table(variance, steps, args, batch):
    """The numbers behind variance.png, and the two checks that explain and validate them."""
    names = args.estimators
    reference = variance["pathwise"]["total_variance"]
    print(f"\nthe encoder's gradient at the checkpoints of the pathwise run ({args.estimates} estimates on {batch} "
          "test digits)\nvariance ratio = total variance / pathwise's;  SNR = |gradient| / sqrt(total variance)")
    print(f"{'step':>6} " + " ".join(f"{name:>22}" for name in names))
    for i, step in enumerate(steps):
        cells = [f"{variance[n]['total_variance'][i] / reference[i]:8.3g}x SNR {variance[n]['snr'][i]:6.3g}"
                 for n in names]
        print(f"{step:>6} " + " ".join(f"{c:>22}" for c in cells))
    print("pathwise total variance: " + ", ".join(f"{v:.3g}" for v in reference))
    print("mean square of the centred signal (f - b)^2 that weights the score, in nats^2:")
    for n in names[1:]:
        print(f"  {n:>14}: " + ", ".join(f"{v:.3g}" for v in variance[n]["centred_signal_ms"]))
    print("bias check, |mean of the estimates - pathwise mean| / its standard error (about 1 if unbiased):")
    for n in names[1:]:
        print(f"  {n:>14}: " + ", ".join(f"{v:.2f}" for v in variance[n]["bias_check"]))


# %% [markdown]
# ## The demo: `main(argv)`
#
# `main` parses the arguments, loads the data, trains the runs one after another, measures the
# gradient variance at the pathwise run's checkpoints, prints a table, and writes `metrics.json`
# and the pictures.

# %%
def main(argv=None):
    args = parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    began = time.perf_counter()
    os.makedirs(args.out, exist_ok=True)
    data = mg.data.load_mnist()
    train_images = data.train_images[:args.train_size]
    test_images = data.test_images[:args.test_size]
    steps_per_epoch = -(-len(train_images) // args.batch_size)
    total_steps = args.epochs * steps_per_epoch
    checkpoints = checkpoint_steps(total_steps, args.checkpoints)

    runs, models, snapshots = {}, {}, []
    for name in args.estimators:
        model, history, snaps = train(name, args, train_images, test_images, checkpoints, tqdm)
        runs[name], models[name] = history, model
        snapshots += snaps
        print(f"{name:>14}: test ELBO {history['test_elbo'][-1]:8.2f}  "
              f"({history['seconds'][-1]:.1f} s training, {1000 * history['seconds'][-1] / total_steps:.1f} ms/step)",
              flush=True)

    fixed = mg.tensor(data.test_images[:args.variance_batch], device=args.device)   # binarized once
    variance = variance_study(args, snapshots, fixed, tqdm)
    reference = variance["pathwise"]["total_variance"]
    print_variance_table(variance, checkpoints, args, len(fixed))

    config = {k: v for k, v in vars(args).items() if k not in ("out", "no_progress")}
    config.update(train_size=len(train_images), test_size=len(test_images), steps=total_steps,
                  data="embedded mnist10k (minigrad/data/ATTRIBUTION.md)")
    metrics = {"estimators": {}, "checkpoints": checkpoints, "config": config}
    for name in args.estimators:
        metrics["estimators"][name] = {
            "final_test_elbo": runs[name]["test_elbo"][-1],
            "train_seconds": runs[name]["seconds"][-1],
            "history": runs[name],
            "gradient_variance": {"step": checkpoints, **variance[name],
                                  "ratio_to_pathwise": [v / r for v, r in
                                                        zip(variance[name]["total_variance"], reference)]}}
    run = describe_run(args, len(train_images), total_steps)
    draw_curves(plt, runs, args, run, os.path.join(args.out, "curves.png"))
    draw_variance(plt, variance, checkpoints, args, run, os.path.join(args.out, "variance.png"))
    draw_reconstructions(plt, models, runs, data.test_images[:10], args, run,
                         os.path.join(args.out, "reconstructions.png"))
    metrics["seconds"] = time.perf_counter() - began
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    print(f"\nwrote metrics.json, curves.png, variance.png, reconstructions.png to {args.out} "
          f"in {metrics['seconds']:.0f} s")
    return metrics


# %% [markdown]
# ## Run it
#
# In a notebook, the next cell runs `main` with the program's defaults, without the progress bar,
# and writes to `demo_out/vae_estimators`, under the folder the kernel runs in (a few minutes).
# Change `ARGS` to try other settings: `["--epochs", "2"]` for a quick look, `["--k", "8"]` for
# more draws in the leave-one-out baseline. When the file runs as a program or is imported, this
# cell and the three after it do nothing.

# %%
if NOTEBOOK:
    from IPython.display import Image, display

    ARGS = []
    OUT = os.path.join("demo_out", "vae_estimators")
    metrics = main([*ARGS, "--no-progress", "--out", OUT])

# %% [markdown]
# **The curves.** The same model, data and decoder gradient; only the encoder's gradient differs.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "curves.png")))

# %% [markdown]
# **The explanation**: how noisy one estimate of the encoder's gradient is, at the same weights.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "variance.png")))

# %% [markdown]
# **What each encoder learned**: reconstructions of the same test digits.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "reconstructions.png")))

# %%
if __name__ == "__main__" and not NOTEBOOK:
    main(sys.argv[1:])
