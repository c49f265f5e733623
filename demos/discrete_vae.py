# %% [markdown]
# # A VAE with discrete latents: four ways past a draw that has no reparameterization
#
# A Gaussian code is a smooth function of its noise, $z = \mu + \sigma \epsilon$, so the VAE of
# `demos/vae.py` backpropagates through the draw. A categorical code is not: the Gumbel-max draw
# $z = \operatorname{onehot}(\arg\max_k(\log \pi_k + g_k))$ is a step function of the logits,
# whose derivative is zero wherever it exists. This demo trains the same VAE with categorical
# latents four ways and scores all four on one number, the **discrete ELBO** (hard draws, no
# relaxation), so that they can be compared:
#
# | name | encoder gradient | unbiased? |
# |---|---|---|
# | `reinforce-nvil` | score function (REINFORCE), one draw, a learned baseline (NVIL) | yes |
# | `rloo` | score function, $k$ draws, each centred by the others' mean (RLOO) | yes |
# | `gumbel-softmax` | pathwise, through a softmax at temperature $\tau$ (annealed) | no |
# | `straight-through` | hard one-hot forward, the softmax's gradient backward | no |
#
# The papers: NVIL, Mnih & Gregor 2014, [arXiv:1402.0030](https://arxiv.org/abs/1402.0030); RLOO,
# Kool, van Hoof & Welling 2019, [OpenReview r1lgTGL5DE](https://openreview.net/forum?id=r1lgTGL5DE);
# VIMCO, Mnih & Rezende 2016, [arXiv:1602.06725](https://arxiv.org/abs/1602.06725); the
# Gumbel-softmax, Jang, Gu & Poole 2017, [arXiv:1611.01144](https://arxiv.org/abs/1611.01144), and
# the same relaxation as the Concrete distribution, Maddison, Mnih & Teh 2017,
# [arXiv:1611.00712](https://arxiv.org/abs/1611.00712); straight-through Gumbel-softmax, Jang et
# al. 2017 (section 2.2), after the straight-through estimator of Bengio, Léonard & Courville
# 2013, [arXiv:1308.3432](https://arxiv.org/abs/1308.3432).
#
# At the end it measures, on one batch of test digits and one set of weights, the bias and the
# variance of each estimator's gradient, and how the relaxations' bias and variance move with
# $\tau$. `docs/discrete_vae.md` reports a run and discusses it.
#
# **Program, module and notebook.** This file is a [Jupytext](https://jupytext.readthedocs.io)
# percent script: `# %%` starts a code cell, `# %% [markdown]` a text cell like this one.
#
# - Program: `OMP_NUM_THREADS=1 python demos/discrete_vae.py` trains the four models for 20
#   epochs each (7 to 8 minutes on a 2-core machine shared with other work, 2.2 minutes of it
#   computing; one BLAS thread is faster there, see `docs/vae.md`) and writes `metrics.json`,
#   `elbo.png`, `temperature.png`, `gradients.png` and `reconstructions.png` to
#   `demo_out/discrete_vae`. `--help` lists the options; `--estimators rloo gumbel-softmax`
#   trains a subset.
# - Module: importing the file only defines things; `main(argv)` runs the demo on a list of
#   arguments and returns the metrics (the tests do this).
# - Notebook: `jupytext --to notebook demos/discrete_vae.py`, or, with jupytext installed, open
#   the `.py` file in Jupyter (right click, *Open With → Notebook*); run the cells top to bottom.
#
# `NOTEBOOK` is true only inside a Jupyter kernel running this file as `__main__` (see
# `demos/vae.py` for why both halves of the test are needed): the cells at the end run `main`
# and show its pictures only then, and the last cell reads the command line only when the file
# runs as a program.

# %%
"""Train a VAE with categorical latents by four gradient estimators and compare them on the discrete ELBO.

    OMP_NUM_THREADS=1 python demos/discrete_vae.py                  # the four estimators, 20 epochs each
    python demos/discrete_vae.py --epochs 2 --estimators rloo gumbel-softmax   # a quick look at two

The explanation is in the Markdown cells of this file, which opens as a notebook (see the first cell).
"""
import argparse
import itertools
import json
import math
import os
import sys
import time
from typing import NamedTuple

import numpy

# Run from a checkout: put the repository on the path. A notebook has no __file__; Jupyter starts
# its kernel in the notebook's folder (demos/).
HERE = os.path.dirname(os.path.abspath(__file__)) if "__file__" in globals() else os.getcwd()
sys.path.insert(0, os.path.join(HERE, ".."))
import minigrad as mg  # noqa: E402
from minigrad.distributions import Bernoulli, Categorical, RelaxedOneHotCategorical  # noqa: E402
from minigrad.distributions.categorical import one_hot  # noqa: E402
from minigrad.estimators import LearnedBaseline, dice_surrogate, leave_one_out  # noqa: E402

NOTEBOOK = __name__ == "__main__" and "ipykernel" in sys.modules   # in a Jupyter kernel, not imported

EVAL_SEED = 12345     # the test ELBO of every model, after every epoch, uses the same draws
STUDY_SEED = 54321    # and the gradient study its own

ESTIMATORS = ("reinforce-nvil", "rloo", "gumbel-softmax", "straight-through")
LABELS = {"reinforce": "REINFORCE, no baseline", "reinforce-nvil": "REINFORCE + NVIL baseline",
          "rloo": "RLOO (k draws)", "gumbel-softmax": "Gumbel-softmax (relaxed)",
          "straight-through": "straight-through Gumbel"}
COLOURS = {"reinforce": "tab:gray", "reinforce-nvil": "tab:red", "rloo": "tab:orange",
           "gumbel-softmax": "tab:blue", "straight-through": "tab:green"}


# %% [markdown]
# ## The model and the discrete ELBO
#
# The code is $N = 20$ categorical variables of $K = 10$ classes each, the setting of Jang et al.
# (2017, section 4.2), written as one-hot vectors: $z \in \{0, 1\}^{N \times K}$, one 1 per row.
# Categorical rather than binary latents because the categorical case is the general one (a
# binary latent is $K = 2$, and `RelaxedBernoulli` is the same relaxation), because the
# Gumbel-softmax was introduced on it, and because $10^{20}$ codes is a space no enumeration can
# cover, so an estimator is needed. The prior is uniform, $p(z_j = k) = 1/K$. The decoder
# (an MLP 200-256-512-784, ReLU) reads the 200 one-hot entries and gives one Bernoulli logit per
# pixel, $p_\theta(x \mid z)$; the encoder (784-512-256-200) gives logits $\ell_{jk}(x)$ and
# $q_\phi(z \mid x) = \prod_j \mathrm{Categorical}(z_j;\ \pi_j = \mathrm{softmax}(\ell_j))$.
#
# The bound is the ELBO of `demos/vae.py` with a categorical KL, which has a closed form:
#
# $$\mathcal{L}(x) = \mathbb{E}_{q_\phi(z \mid x)}\big[\log p_\theta(x \mid z)\big]
#   - \sum_{j=1}^{N} \sum_{k=1}^{K} \pi_{jk} \log (K \pi_{jk}).$$
#
# The KL term and its gradient are exact in all four estimators; they differ only in how they
# estimate the gradient of the first term, $\nabla \mathbb{E}_q[f(z)]$ with
# $f(z) = \log p_\theta(x \mid z)$. The decoder's gradient $\mathbb{E}_q[\nabla_\theta f(z)]$
# is a plain Monte Carlo average over the draws. The encoder's is the hard part.

# %%
class DiscreteVAE(mg.nn.Module):
    """A VAE whose code is ``n_vars`` categorical variables of ``n_classes`` classes, as one-hot rows."""

    def __init__(self, x_dim=784, hidden=(512, 256), n_vars=20, n_classes=10, dtype=None, device=None):
        hidden = [hidden] if isinstance(hidden, int) else list(hidden)
        self.x_dim, self.n_vars, self.n_classes = x_dim, n_vars, n_classes
        code = n_vars * n_classes
        self.encoder = mg.nn.MLP([x_dim, *hidden, code], dtype=dtype, device=device)
        self.decoder = mg.nn.MLP([code, *reversed(hidden), x_dim], dtype=dtype, device=device)

    def encode(self, x):
        """The logits of q(z | x), shape (..., n_vars, n_classes) (not normalized)."""
        out = self.encoder(x)
        return out.reshape(*out.shape[:-1], self.n_vars, self.n_classes)

    def log_likelihood(self, x, z):
        """log p(x | z) summed over pixels, for codes z of shape (..., n_vars, n_classes): one-hot or relaxed."""
        batch = z.shape[:-2]
        logits = self.decoder(z.reshape(-1, self.n_vars * self.n_classes))   # one product for all draws
        return Bernoulli(logits=logits.reshape(*batch, self.x_dim), validate_args=False).log_prob(x).sum(-1)

    def one_hot(self, index):
        """Class indices (..., n_vars) as one-hot codes (..., n_vars, n_classes) in the model's dtype."""
        return one_hot(index, self.n_classes, self.parameters()[0].dtype)


def kl_to_uniform(log_q):
    """KL(q || uniform) = sum_jk pi_jk log(K pi_jk) for normalized log-probabilities (..., n_vars, K)."""
    return (log_q.exp() * (log_q + math.log(log_q.shape[-1]))).sum(-1).sum(-1)


@mg.no_grad()
def discrete_elbo(model, images, draws=4, seed=EVAL_SEED, batch_size=500, device="cpu"):
    """The mean discrete ELBO of ``images``: hard one-hot draws z ~ q(z | x), ``draws`` per image.

    No temperature, no relaxation: every model is scored on the bound of the discrete model,
    with the same draws of the noise (``seed``), whatever estimator trained it.
    """
    mg.random.seed(seed)
    total = 0.0
    for x in mg.data.BatchIterator(images, batch_size=batch_size, device=device):
        log_q = model.encode(x).log_softmax(-1)
        z = model.one_hot(Categorical(logits=log_q, validate_args=False).sample((draws,)))
        total += (model.log_likelihood(x, z).mean(0) - kl_to_uniform(log_q)).sum().item()
    return total / len(images)


def exact_elbo(model, x, logits):
    """The ELBO of each row of x computed exactly, by summing over all K**N codes (tiny models only).

    E_q[f(z)] = sum_z q(z | x) f(z): with 2 variables of 3 classes that is 9 terms. Differentiable,
    so its gradient is the exact gradient that the estimators estimate (the tests use it).
    """
    n, k = model.n_vars, model.n_classes
    if k ** n > 4096:
        raise ValueError(f"exact_elbo: {k}**{n} codes are too many to enumerate")
    every_code = numpy.array(list(itertools.product(range(k), repeat=n)))            # (K**N, N) class indices
    codes = model.one_hot(mg.tensor(every_code, device=logits.device))                 # (K**N, N, K)
    log_q = logits.log_softmax(-1)                                   # (batch, N, K)
    log_q_codes = (codes[:, None] * log_q[None]).sum(-1).sum(-1)     # (K**N, batch): log q(z | x) of every code
    log_px = model.log_likelihood(x, codes[:, None])                 # (K**N, batch)
    return (log_q_codes.exp() * log_px).sum(0) - kl_to_uniform(log_q)


# %% [markdown]
# ## Four estimators of the gradient
#
# Each function below takes the encoder's logits (so that the gradient study and the tests can
# make them a leaf) and returns an `Estimate`: `objective`, one number per image whose value is
# that image's ELBO estimate and whose gradient is the estimator's; `baseline_loss`, to train a
# learned baseline (or `None`); and the learning signal `f`, for the baseline's running mean.
#
# **REINFORCE with the NVIL baseline.** From $\nabla q = q \nabla \log q$,
# $\nabla_\phi \mathbb{E}_q[f] = \mathbb{E}_q[(f(z) - b)\, \nabla_\phi \log q_\phi(z \mid x)]$
# for any $b$ that does not depend on $z$, because $\mathbb{E}_q[\nabla \log q] = 0$. One draw of
# the whole code gives one estimate. Its variance grows with $(f - b)^2$, and $f$ is about
# $-200$ nats for a digit, so $b$ must follow it closely: NVIL (Mnih & Gregor 2014, section 3)
# uses $b(x) = c + b_\psi(x)$, a running mean $c$ of $f$ ("centering") plus a small MLP
# (784-100-1) trained by least squares on $(f - c - b_\psi(x))^2$ in the same backward pass
# (`mg.estimators.LearnedBaseline`). The learning signal here is $\log p_\theta(x \mid z)$ alone,
# not NVIL's $\log p(x, z) - \log q(z \mid x)$: the KL is exact, so its gradient needs no estimate.
#
# **RLOO.** With $k$ draws $z_1 \dots z_k$ of the code, each draw's baseline is the mean of the
# other draws' $f$, which is independent of it:
# $\frac{1}{k}\sum_i \big(f(z_i) - \frac{1}{k-1}\sum_{j \ne i} f(z_j)\big) \nabla_\phi \log q(z_i \mid x)$
# (`mg.estimators.leave_one_out`). Unbiased for the ELBO's gradient, and no extra network. VIMCO
# (Mnih & Rezende 2016, [arXiv:1602.06725](https://arxiv.org/abs/1602.06725)) builds analogous
# leave-one-out baselines for the *multi-sample* bound $\log \frac{1}{k} \sum_i w_i$ (draw $i$'s
# baseline replaces $w_i$ by the geometric mean of the other weights); training on
# that bound would give a model tuned for another objective, so, to compare estimators of one
# gradient, this demo uses RLOO on the ELBO. Its $k$ draws cost $k$ decoder passes per step.
#
# **Gumbel-softmax.** Replace the one-hot draw by the relaxed draw
# $y = \operatorname{softmax}((\log \pi + g) / \tau)$, $g \sim \mathrm{Gumbel}(0, 1)$, feed $y$
# to the decoder, and backpropagate through it: the pathwise gradient of a *different*
# objective, $\mathbb{E}_g[\log p_\theta(x \mid y)] - \mathrm{KL}$, whose decoder is evaluated at
# points of the simplex that the discrete model never visits. Its bias vanishes as
# $\tau \to 0$, where $y$ becomes one-hot, but the softmax's derivative grows like $1/\tau$ near
# the edges between classes, and so does the variance. Jang et al. anneal
# $\tau_t = \max(\tau_{\min}, \tau_0 e^{-r t})$ by step $t$: here $\tau_0 = 1$, $\tau_{\min} = 0.5$,
# with the rate $r$ set so that $\tau$ reaches $0.5$ halfway through training.
#
# **Straight-through Gumbel.** The forward pass uses the exact one-hot draw
# $\operatorname{onehot}(\arg\max y)$, so the value is the discrete ELBO; the backward pass
# pretends the draw was $y$ (`straight_through(hard, soft)`, `RelaxedOneHotCategorical(hard=True)`).
# The decoder's gradient is now unbiased, the encoder's is biased at every $\tau > 0$, for two
# reasons: it uses the decoder's slope at the hard code as if the decoder were linear between
# codes, and even for a linear decoder the soft draw's mean Jacobian is not that of $\pi$ (for
# two classes at logits $(0, 0)$ and $\tau = 1$: $1/6$ against $1/4$; `docs/discrete_vae.md`).

# %%
class Estimate(NamedTuple):
    """What one estimator returns for a batch of images (each tensor of shape (batch,) unless said)."""
    objective: mg.Tensor        # value: the ELBO estimate; gradient: the estimator's
    baseline_loss: object       # a scalar to train a learned baseline, or None
    signal: mg.Tensor           # the learning signal f = log p(x | z), detached, shape (draws, batch)


class NVILBaseline(mg.nn.Module):
    """b(x) = c + net(x) (Mnih & Gregor 2014): a running mean c of the signal plus an MLP fitted to the rest.

    ``c`` is updated only after a step has used it (``update``), so it never depends on the draw it is
    subtracted from; ``net`` sees the image, never the code. Either way the estimator stays unbiased.
    """

    def __init__(self, x_dim=784, hidden=100, decay=0.9, dtype=None, device=None):
        self.net = mg.nn.MLP([x_dim, hidden, 1], dtype=dtype, device=device)
        self.decay, self.centre = decay, 0.0

    def forward(self, x, signal):
        """(b detached, squared-error loss) for signals of shape (batch,)."""
        net, centre = self.net, self.centre
        return LearnedBaseline(lambda context: centre + net(context).reshape(-1), context=x)(signal)

    def update(self, signal):
        self.centre = self.decay * self.centre + (1.0 - self.decay) * signal.mean().item()


def reinforce(model, x, logits, baseline=None):
    """The score-function estimator with one draw of the code, and a baseline b(x) (or none)."""
    log_q = logits.log_softmax(-1)
    q = Categorical(logits=log_q, validate_args=False)
    z = q.sample()                                        # (batch, N) class indices: no graph
    f = model.log_likelihood(x, model.one_hot(z))         # (batch,): its gradient reaches the decoder
    signal = f.detach()
    b, baseline_loss = (0.0, None) if baseline is None else baseline(x, signal)
    objective = dice_surrogate(f, q.log_prob(z).sum(-1), b)   # value f, gradient grad f + (f - b) grad log q
    return Estimate(objective - kl_to_uniform(log_q), baseline_loss, signal[None])


def rloo(model, x, logits, k=4):
    """The score-function estimator with k draws, each centred by the mean of the other k - 1."""
    log_q = logits.log_softmax(-1)
    q = Categorical(logits=log_q, validate_args=False)
    z = q.sample((k,))                                    # (k, batch, N)
    f = model.log_likelihood(x, model.one_hot(z))         # (k, batch)
    signal = f.detach()
    objective = dice_surrogate(f, q.log_prob(z).sum(-1), leave_one_out(signal)).mean(0) - kl_to_uniform(log_q)
    return Estimate(objective, None, signal)


def gumbel(model, x, logits, temperature, hard=False):
    """Pathwise through a relaxed draw: Gumbel-softmax, or straight-through with ``hard``."""
    log_q = logits.log_softmax(-1)
    y = RelaxedOneHotCategorical(temperature, logits=log_q, hard=hard, validate_args=False).rsample()
    f = model.log_likelihood(x, y)
    return Estimate(f - kl_to_uniform(log_q), None, f.detach()[None])


def estimate(model, x, logits, estimator, temperature=1.0, k=4, baseline=None):
    """Dispatch by name: "reinforce", "reinforce-nvil", "rloo", "gumbel-softmax" or "straight-through"."""
    if estimator == "reinforce":
        return reinforce(model, x, logits)
    if estimator == "reinforce-nvil":
        return reinforce(model, x, logits, baseline)
    if estimator == "rloo":
        return rloo(model, x, logits, k)
    if estimator in ("gumbel-softmax", "straight-through"):
        return gumbel(model, x, logits, temperature, hard=estimator == "straight-through")
    raise ValueError(f"estimate: unknown estimator {estimator!r}")


def temperature(step, start=1.0, minimum=0.5, rate=1e-3):
    """Jang et al.'s schedule: tau = max(minimum, start * exp(-rate * step))."""
    return max(minimum, start * math.exp(-rate * step))


# %% [markdown]
# ## Options, training and evaluation
#
# Every model starts from the same weights (seed), sees the same binarized digits in the same
# order (one generator per epoch, as in `demos/vae.py`), and is scored after every epoch on the
# same test digits with the same noise (`EVAL_SEED`): before the first step, all four
# curves therefore start at the same number. The time axis counts training only, not
# evaluation. Batches of 100, as in Jang et al.; Adam at $10^{-3}$.

# %%
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--estimators", nargs="+", choices=(*ESTIMATORS, "reinforce"), default=list(ESTIMATORS))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--hidden", type=int, nargs="+", default=[512, 256], help="encoder widths (decoder mirrors)")
    parser.add_argument("--n-vars", type=int, default=20, help="categorical variables in the code")
    parser.add_argument("--n-classes", type=int, default=10, help="classes per variable")
    parser.add_argument("--k", type=int, default=4, help="draws per image for RLOO")
    parser.add_argument("--tau-start", type=float, default=1.0)
    parser.add_argument("--tau-min", type=float, default=0.5)
    parser.add_argument("--anneal-rate", type=float, default=None,
                        help="r in tau = max(tau_min, tau_start exp(-r step)) "
                             "(default: %(default)s, i.e. reach tau_min halfway)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--eval-draws", type=int, default=4, help="hard draws per test digit for the discrete ELBO")
    parser.add_argument("--study-digits", type=int, default=8, help="test digits in the gradient study")
    parser.add_argument("--study-repeats", type=int, default=500, help="estimates per digit in the gradient study")
    parser.add_argument("--study-reference", type=int, default=16000,
                        help="draws per digit for the study's reference gradient (RLOO)")
    parser.add_argument("--study-temperatures", type=float, nargs="+", default=[0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 2.0])
    parser.add_argument("--no-study", action="store_true", help="skip the gradient study (and gradients.png)")
    parser.add_argument("--device", default="cpu", help=f"one of {mg.devices()}")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join("demo_out", "discrete_vae"), help="folder for pictures, metrics")
    parser.add_argument("--data", default=None,
                        help="folder of the official MNIST IDX files (default: %(default)s, i.e. the embedded digits)")
    parser.add_argument("--train-size", type=int, default=None, help="use only the first N training digits")
    parser.add_argument("--test-size", type=int, default=None, help="use only the first N test digits")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (without it, one only on a terminal)")
    parser.add_argument("--no-pictures", action="store_true", help="write metrics.json only")
    return parser.parse_args(argv)


def build(args, estimator):
    """A fresh model (the same initial weights for every estimator), its baseline (NVIL only) and Adam."""
    mg.random.seed(args.seed)
    model = DiscreteVAE(784, args.hidden, args.n_vars, args.n_classes, device=args.device)
    baseline = NVILBaseline(784, device=args.device) if estimator == "reinforce-nvil" else None
    parameters = model.parameters() + (baseline.parameters() if baseline is not None else [])
    return model, baseline, mg.optim.Adam(parameters, lr=args.lr)


def train(estimator, args, train_images, test_images, tqdm):
    """Train one model with one estimator; return it, its baseline and its curve (one point per epoch)."""
    model, baseline, optimizer = build(args, estimator)
    steps_per_epoch = math.ceil(len(train_images) / args.batch_size)
    curve = {"step": [0], "seconds": [0.0], "temperature": [temperature(0, args.tau_start, args.tau_min, args.rate)],
             "test_elbo": [discrete_elbo(model, test_images, args.eval_draws, device=args.device)],
             "train_objective": [None]}
    if estimator == "gumbel-softmax":   # the number it optimizes, on the test digits, beside the discrete one
        curve["test_relaxed_elbo"] = [relaxed_elbo(model, test_images, curve["temperature"][0], args.device)]
    step, seconds = 0, 0.0
    bar = tqdm(total=args.epochs * steps_per_epoch, desc=f"{estimator:>16}", disable=args.no_progress or None)
    for epoch in range(args.epochs):
        rng = mg.backend.host_generator([args.seed, epoch])    # the same digits, in the same order, for all
        mg.random.seed(int(rng.integers(2 ** 31)))              # the draws of z
        x_epoch = mg.data.binarize(train_images, rng)
        total, count = 0.0, 0
        tick = time.perf_counter()
        for x in mg.data.BatchIterator(x_epoch, batch_size=args.batch_size, shuffle=True, rng=rng,
                                       device=args.device):
            tau = temperature(step, args.tau_start, args.tau_min, args.rate)
            optimizer.zero_grad()
            est = estimate(model, x, model.encode(x), estimator, tau, args.k, baseline)
            loss = -est.objective.mean()
            if est.baseline_loss is not None:
                loss = loss + est.baseline_loss
            loss.backward()
            optimizer.step()
            if baseline is not None:
                baseline.update(est.signal)
            total += est.objective.mean().item()
            count += 1
            step += 1
            bar.update(1)
        seconds += time.perf_counter() - tick
        curve["step"].append(step)
        curve["seconds"].append(seconds)
        curve["temperature"].append(temperature(step, args.tau_start, args.tau_min, args.rate))
        curve["train_objective"].append(total / count)
        curve["test_elbo"].append(discrete_elbo(model, test_images, args.eval_draws, device=args.device))
        if estimator == "gumbel-softmax":
            curve["test_relaxed_elbo"].append(relaxed_elbo(model, test_images, tau, args.device))
        bar.set_postfix(test_elbo=f"{curve['test_elbo'][-1]:.2f}")
    bar.close()
    return model, baseline, curve


@mg.no_grad()
def relaxed_elbo(model, images, tau, device, seed=EVAL_SEED, batch_size=500):
    """The Gumbel-softmax objective at temperature tau on ``images`` (one relaxed draw each): not a discrete bound."""
    mg.random.seed(seed)
    total = 0.0
    for x in mg.data.BatchIterator(images, batch_size=batch_size, device=device):
        total += gumbel(model, x, model.encode(x), tau).objective.sum().item()
    return total / len(images)


# %% [markdown]
# ## The gradient study: bias and variance, measured
#
# Training curves mix two effects: how noisy a gradient is and how wrong it is on average. To
# separate them, take one set of weights and a few test digits $x_d$, and compare each
# estimator's gradient of $\mathcal{L}(x_d)$ with respect to the encoder's logits $\ell(x_d)$ (200
# numbers per digit; the gradient for the encoder's weights is this one times a Jacobian that
# all estimators share) with a reference $g^*_d$. The reference is RLOO with many draws
# (`--study-reference`, 16,000 per digit, in chunks of 500): unbiased, with little noise left, and
# that noise measured from the spread of the chunks. Each estimator gives $R$ independent
# estimates $g_{d,r}$ (`--study-repeats`), all in one backward pass: the logits are repeated $R$
# times as a leaf tensor, and row $r$'s gradient depends on row $r$'s draw only. Then
#
# $$\text{variance} = \frac{\sum_d \frac{1}{R-1}\sum_r \lVert g_{d,r} - \bar g_d \rVert^2}
#   {\sum_d \lVert g^*_d \rVert^2},
# \qquad
# \text{bias}^2 = \frac{\sum_d \lVert \bar g_d - g^*_d \rVert^2
#   - \text{(noise of } \bar g_d \text{ and of } g^*_d)}{\sum_d \lVert g^*_d \rVert^2},$$
#
# both relative to the size of the true gradient. An unbiased estimator's bias$^2$ comes out as
# noise around 0. The two terms add up to the mean squared error of one step's gradient.

# %%
def logit_gradients(model, x, estimator, repeats, **options):
    """``repeats`` independent estimates of d ELBO(x_d) / d logits(x_d) for each row x_d: (repeats, D, N, K).

    One backward pass: the logits, repeated, are a leaf; row r of the objective depends on row r's draws only.
    """
    with mg.no_grad():
        logits = model.encode(x)
    leaf = mg.tensor(logits.xp.tile(logits.data, (repeats, 1, 1)), requires_grad=True)
    x_repeated = mg.tensor(x.xp.tile(x.data, (repeats, 1)))
    estimate(model, x_repeated, leaf, estimator, **options).objective.sum().backward()
    model.zero_grad()                                           # the decoder's gradients are not wanted here
    return leaf.grad.numpy().reshape(repeats, *logits.shape)


def bias_and_variance(samples, reference, reference_noise=0.0):
    """(bias^2, variance) of estimates (R, D, ...) against reference (D, ...), relative to |reference|^2.

    The squared distance of the sample mean from the reference counts the mean's own noise
    (variance / R) and the reference's (``reference_noise``, in the same units): both are subtracted.
    """
    r = samples.shape[0]
    mean = samples.mean(0)
    scale = float((reference ** 2).sum())
    variance = float(((samples - mean) ** 2).sum()) / (r - 1)
    bias2 = float(((mean - reference) ** 2).sum()) - variance / r - reference_noise
    return bias2 / scale, variance / scale


def gradient_study(model, baseline, x, args, estimators, reference=None, progress=None):
    """Bias^2 and variance (relative) of each estimator's logit gradient; relaxed ones at each temperature.

    ``reference``: the exact gradient (D, N, K) if known (tiny models); otherwise RLOO with
    args.study_reference draws per digit, in chunks whose spread gives the reference's own noise.
    """
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
        temperatures = args.study_temperatures if name in ("gumbel-softmax", "straight-through") else [None]
        rows = {"temperature": [], "bias2": [], "bias2_noise": [], "variance": []}
        for tau in temperatures:
            samples = logit_gradients(model, x, name, args.study_repeats, temperature=tau or 1.0, k=args.k,
                                      baseline=baseline)
            bias2, variance = bias_and_variance(samples, reference, noise)
            rows["temperature"].append(tau)
            rows["bias2"].append(bias2)
            rows["variance"].append(variance)
            rows["bias2_noise"].append(variance / args.study_repeats + noise / scale)   # what was subtracted
            if progress is not None:
                progress.update(1)
        result["estimators"][name] = rows
    return result


# %% [markdown]
# ## Pictures
#
# Every title says what was run, so pictures of two runs cannot be mistaken for each other.

# %%
def describe_run(args, train_size):
    return (f"VAE 784-{'-'.join(map(str, args.hidden))}-({args.n_vars}x{args.n_classes} categorical), "
            f"Bernoulli pixels; {args.epochs} epochs on {train_size} digits, batch {args.batch_size}, "
            f"Adam lr {args.lr:g}, seed {args.seed};\nRLOO k={args.k}; tau = max({args.tau_min:g}, "
            f"{args.tau_start:g} exp(-{args.rate:.2g} step)) for Gumbel-softmax and straight-through")


def label(name, args):
    return LABELS[name].replace("k draws", f"k={args.k}")


def grid_row(images, size=28):
    """Images (n, size*size) side by side: one (size, n*size) array."""
    return images.reshape(-1, size, size).transpose(1, 0, 2).reshape(size, -1)


def draw_pictures(results, study, test_images, args, plt, train_size):
    """All four pictures; each function below draws one (all but the last from numbers in metrics.json)."""
    run = describe_run(args, train_size)
    curves = {name: r["curve"] for name, r in results.items()}
    draw_curves(curves, len(test_images), args, plt, run)
    if "gumbel-softmax" in curves:
        draw_temperature(curves["gumbel-softmax"], args, plt, run)
    if study is not None:
        draw_study(study, args, plt, run)
    draw_reconstructions({name: r["model"] for name, r in results.items()}, test_images[:10], args, plt, run)


def draw_curves(curves, test_size, args, plt, run):
    names = list(curves)
    start = curves[names[0]]["test_elbo"][0]   # the same for every model (a test checks it)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    for name, curve in curves.items():   # from the first epoch on: the untrained start is far below
        for ax, x in zip(axes, (curve["step"], curve["seconds"])):
            ax.plot(x[1:], curve["test_elbo"][1:], "o-", markersize=3, color=COLOURS[name], label=label(name, args))
    axes[0].set_xlabel("training step (batch of digits)")
    axes[1].set_xlabel("training time (s, evaluation excluded; RLOO decodes k codes per digit)")
    axes[0].set_ylabel(f"discrete test ELBO (nats per digit, {args.eval_draws} hard draws; higher is better)")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.set_xlim(left=0)
    axes[0].set_title(f"against steps (at step 0, untrained, every model scores {start:.1f})", fontsize=10)
    axes[1].set_title("against wall time", fontsize=10)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=len(names), fontsize=9, frameon=False)
    fig.suptitle(f"Discrete ELBO on {test_size} test digits, one model per gradient estimator, "
                 f"evaluated after every epoch\n{run}", fontsize=9)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(os.path.join(args.out, "elbo.png"), dpi=100)
    plt.close(fig)


def draw_temperature(curve, args, plt, run):
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    steps = numpy.arange(curve["step"][-1] + 1)
    axes[0].plot(steps, [temperature(s, args.tau_start, args.tau_min, args.rate) for s in steps], color="k")
    axes[0].set_xlabel("training step")
    axes[0].set_ylabel("temperature tau")
    axes[0].set_ylim(0, args.tau_start * 1.1)
    axes[0].set_title("the annealing schedule (Gumbel-softmax and straight-through)", fontsize=9)
    axes[1].plot(curve["step"][1:], curve["test_relaxed_elbo"][1:], "s--", markersize=3,
                 color=COLOURS["gumbel-softmax"],
                 label="relaxed objective: soft codes at the current tau (what it trains on)")
    axes[1].plot(curve["step"][1:], curve["test_elbo"][1:], "o-", markersize=3, color="k",
                 label="discrete ELBO: hard one-hot codes (what it is scored on)")
    axes[1].set_xlabel("training step")
    axes[1].set_ylabel("nats per test digit (higher is better)")
    axes[1].set_xlim(left=0)
    fig.legend(*axes[1].get_legend_handles_labels(), loc="lower right", ncol=1, fontsize=8, frameon=False)
    axes[1].set_title("the Gumbel-softmax model, scored two ways on the test digits after every epoch", fontsize=9)
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle(f"Temperature, and the gap between the relaxed and the discrete bound\n{run}", fontsize=9)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(os.path.join(args.out, "temperature.png"), dpi=100)
    plt.close(fig)


def draw_study(study, args, plt, run):
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.6), sharex=True)
    for name, rows in study["estimators"].items():
        if rows["temperature"][0] is None:   # an unbiased estimator: one number, drawn across the panel
            axes[1].axhline(rows["variance"][0], color=COLOURS[name], linestyle=":", label=label(name, args))
            continue
        tau, bias2, noise = (numpy.array(rows[k]) for k in ("temperature", "bias2", "bias2_noise"))
        resolved = bias2 > noise          # larger than the noise that was subtracted from it
        unresolved = (bias2 > 0) & ~resolved
        axes[0].plot(tau[bias2 > 0], bias2[bias2 > 0], "-", color=COLOURS[name], alpha=0.5)
        axes[0].plot(tau[resolved], bias2[resolved], "o", color=COLOURS[name], label=label(name, args))
        axes[0].plot(tau[unresolved], bias2[unresolved], "o", mfc="none", color=COLOURS[name],
                     label=f"{label(name, args)}, below the noise")
        axes[1].plot(tau, rows["variance"], "o-", color=COLOURS[name], label=label(name, args))
    temperatures = sorted(t for rows in study["estimators"].values() for t in rows["temperature"] if t is not None)
    positive = any(b > 0 for rows in study["estimators"].values() if rows["temperature"][0] is not None
                   for b in rows["bias2"])
    for ax in axes:
        ax.set_xscale("log")
        if ax is axes[1] or positive:   # a log axis needs one positive value (a short run may have none)
            ax.set_yscale("log")
        ax.xaxis.set_major_locator(FixedLocator(temperatures))          # tick the temperatures measured,
        ax.xaxis.set_major_formatter(lambda value, _: f"{value:g}")     # written as plain numbers
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(temperatures[0] / 1.3, temperatures[-1] * 1.3)
        ax.set_xlabel("temperature tau")
        ax.axvspan(args.tau_min, args.tau_start, color="0.9", zorder=0, label="tau range used in training")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("bias^2 / |true gradient|^2")
    axes[1].set_ylabel("variance of one estimate / |true gradient|^2")
    axes[0].set_title("bias^2 of the relaxed estimators (of REINFORCE and RLOO: 0)\n"
                      "hollow: smaller than the measurement noise; missing: measured <= 0", fontsize=9)
    axes[1].set_title("variance (dotted: the unbiased estimators, which have no tau)", fontsize=9)
    if not positive:
        axes[0].text(0.5, 0.5, "every bias^2 measured <= 0:\nnone resolved from the noise", ha="center",
                     va="center", transform=axes[0].transAxes, fontsize=9)
    handles = {}
    for ax in axes:   # one legend for both panels, under them
        for handle, text in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(text, handle)
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle(f"Gradient of the discrete ELBO with respect to the encoder's logits, {args.study_digits} test "
                 f"digits, weights of the trained REINFORCE + NVIL model,\n{args.study_repeats} estimates each, "
                 f"reference: RLOO with {args.study_reference} draws per digit\n{run}", fontsize=8)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(os.path.join(args.out, "gradients.png"), dpi=100)
    plt.close(fig)


def draw_reconstructions(models, x, args, plt, run):
    rows, labels = [grid_row(x)], ["test digits"]
    for name, model in models.items():
        with mg.no_grad():
            xt = mg.tensor(x, device=args.device)
            mode = model.one_hot(mg.tensor(model.encode(xt).data.argmax(-1)))   # the most probable code
            rows.append(grid_row(mg.sigmoid(model.decoder(mode.reshape(len(x), -1))).numpy()))
        labels.append(label(name, args))
    fig, ax = plt.subplots(figsize=(8, 1.0 * len(rows) + 1.2))
    ax.imshow(numpy.concatenate(rows), cmap="gray", vmin=0, vmax=1)
    ax.set_yticks([28 * i + 13.5 for i in range(len(rows))], labels, fontsize=8)
    ax.set_xticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title("Test digits and each model's reconstruction: pixel probabilities decoded from the\n"
                 f"most probable code argmax q(z | x) (a hard one-hot code)\n{run}", fontsize=7)
    fig.savefig(os.path.join(args.out, "reconstructions.png"), dpi=100, bbox_inches="tight")
    plt.close(fig)


# %% [markdown]
# ## The demo: `main(argv)`
#
# `main` loads the digits, trains one model per estimator, prints each one's final discrete
# ELBO and time, runs the gradient study on the weights of the REINFORCE + NVIL model (the
# only model that comes with a baseline trained for it; every estimator is measured at those
# same weights), and writes `metrics.json` and the pictures.

# %%
def main(argv=None):
    args = parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    os.makedirs(args.out, exist_ok=True)
    began = time.perf_counter()
    data = mg.data.load_mnist(args.data)   # test digits binarized once, with a fixed seed
    train_images = data.train_images[:args.train_size]
    test_images = data.test_images[:args.test_size]
    steps = args.epochs * math.ceil(len(train_images) / args.batch_size)
    args.rate = args.anneal_rate
    if args.rate is None:   # reach tau_min halfway through training
        args.rate = math.log(args.tau_start / args.tau_min) / max(1, steps // 2) if args.tau_min < args.tau_start else 0
    config = {k: v for k, v in vars(args).items() if k not in ("no_progress", "no_pictures", "out")}
    config.update(train_size=len(train_images), test_size=len(test_images),
                  data=args.data or "embedded mnist10k (minigrad/data/ATTRIBUTION.md)")

    results = {}
    for name in args.estimators:
        model, baseline, curve = train(name, args, train_images, test_images, tqdm)
        results[name] = {"model": model, "baseline": baseline, "curve": curve}
        steps_done, seconds = curve["step"][-1], curve["seconds"][-1]
        print(f"{label(name, args):>27}: discrete test ELBO {curve['test_elbo'][-1]:8.2f} after {steps_done} steps, "
              f"{seconds:6.1f} s training ({1000 * seconds / max(1, steps_done):.1f} ms per step)", flush=True)

    study = None
    if not args.no_study and "reinforce-nvil" in results:
        x = mg.tensor(test_images[:args.study_digits], device=args.device)
        model, baseline = results["reinforce-nvil"]["model"], results["reinforce-nvil"]["baseline"]
        studied = ["reinforce", "reinforce-nvil", "rloo", "gumbel-softmax", "straight-through"]
        count = len(studied) + 2 * (len(args.study_temperatures) - 1)
        with tqdm(total=count, desc="gradient study", disable=args.no_progress or None) as bar:
            study = gradient_study(model, baseline, x, args, studied, progress=bar)
        print(f"gradient study ({args.study_digits} test digits, weights of the REINFORCE + NVIL model, "
              f"{args.study_repeats} estimates each; relative to |true gradient|^2, reference noise "
              f"{study['reference_noise']:.1e}):")
        for name, rows in study["estimators"].items():
            for tau, bias2, noise, variance in zip(*(rows[k] for k in ("temperature", "bias2", "bias2_noise",
                                                                         "variance"))):
                where = f" at tau {tau:g}" if tau is not None else ""
                print(f"  {label(name, args) + where:>38}: bias^2 {bias2:9.3g} (noise subtracted {noise:8.2g})"
                      f"  variance {variance:9.3g}")

    metrics = {"estimators": {name: {"label": label(name, args), "final_test_elbo": r["curve"]["test_elbo"][-1],
                                     "seconds": r["curve"]["seconds"][-1], "curve": r["curve"]}
                              for name, r in results.items()},
               "gradient_study": study, "seconds": time.perf_counter() - began, "config": config}
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    if not args.no_pictures:
        draw_pictures(results, study, test_images, args, plt, len(train_images))
    print(f"total {metrics['seconds']:.0f} s; wrote {args.out}")
    return metrics


# %% [markdown]
# ## Run it
#
# In a notebook, the next cell runs `main` with two epochs per estimator and a smaller gradient
# study, about a minute on a 2-core machine, and writes to `demo_out/discrete_vae`. Set
# `ARGS = []` for the program's defaults (20 epochs each, several minutes). When the file runs
# as a program or is imported, this cell and the ones after it do nothing.

# %%
if NOTEBOOK:
    from IPython.display import Image, display

    ARGS = ["--epochs", "2", "--study-repeats", "50", "--study-reference", "200"]
    OUT = os.path.join("demo_out", "discrete_vae")
    metrics = main([*ARGS, "--no-progress", "--out", OUT])

# %% [markdown]
# **The discrete test ELBO of the four models**, against training steps and against training
# time. RLOO takes $k$ decoder passes per step, which the right panel charges it for.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "elbo.png")))

# %% [markdown]
# **The temperature**, and what the Gumbel-softmax model's own objective says against its
# discrete ELBO: the gap is the relaxation's bias, in the value of the bound.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "temperature.png")))

# %% [markdown]
# **Bias and variance of each gradient**, at the same weights, and how the relaxed estimators
# trade one for the other as $\tau$ moves.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "gradients.png")))

# %% [markdown]
# **Reconstructions**: each model decodes the most probable code of each test digit.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "reconstructions.png")))

# %%
if __name__ == "__main__" and not NOTEBOOK:
    main(sys.argv[1:])
