# %% [markdown]
# # The semi-supervised VAE (M2) on MNIST with 100 labels
#
# This demo trains model M2 of Kingma, Rezende, Mohamed & Welling (2014), "Semi-Supervised
# Learning with Deep Generative Models" ([arXiv:1406.5298](https://arxiv.org/abs/1406.5298)),
# as K. Fan's slides in the course reading present it (*Variational Inference via Stochastic
# Backpropagation*, 2016, the slide *Semi-supervised VAE*): a VAE whose generative model has two
# latent variables, the digit's class $y$ and its style $z$, and whose inference model has a classifier
# $q(y \mid x)$. Only 100 of the 8,000 training digits keep their label (10 of each class); the
# other 7,900 are used without it. The demo reports the test error of the classifier $q(y \mid x)$
# and, as control, the test error of the same classifier trained on the 100 labelled digits
# alone, for a few seeds; then it draws the "analogies" of the paper's figure 1: the style $z$ of
# a test digit, drawn as every class $y$. `docs/ssvae.md` explains the maths and reports a run.
#
# **Program, module and notebook.** This file is a [Jupytext](https://jupytext.readthedocs.io)
# percent script: `# %%` starts a code cell, `# %% [markdown]` a text cell like this one.
#
# - Program: `python demos/ssvae.py` trains three seeds (about 4 minutes on an idle 2-core machine,
#   longer on a shared one) and writes `metrics.json`, `error.png` and `analogies.png` to
#   `demo_out/ssvae`; `--help` lists the options (`--seeds 0 --epochs 5` for a quick look).
# - Module: importing the file only defines things; `main(argv)` runs the demo on a list of
#   arguments and returns the metrics (the tests do this).
# - Notebook: `jupytext --to notebook demos/ssvae.py`, or open the `.py` file in Jupyter with
#   jupytext installed (right click, *Open With → Notebook*); run the cells top to bottom.
#
# As in `demos/vae.py`, `NOTEBOOK` is true only inside a Jupyter kernel running this file: the
# cells at the end then run `main` and show its pictures; the last cell reads the command line
# only when the file runs as a program.

# %%
"""Train the semi-supervised VAE M2 (Kingma et al. 2014) on MNIST with 100 labels; compare its classifier
with the same classifier trained on the labelled digits alone, and draw analogies.

    python demos/ssvae.py                          # seeds 0 1 2, in demo_out/ssvae (about 4 minutes, 2 idle cores)
    python demos/ssvae.py --seeds 0 --epochs 5     # a quick look

The explanation is in the Markdown cells of this file, which opens as a notebook (see the first cell).
"""
import argparse
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

NOTEBOOK = __name__ == "__main__" and "ipykernel" in sys.modules   # in a Jupyter kernel, not imported

EVAL_SEED = 12345        # the test bound is estimated with the same draws in every run
CLASSES = 10
PAPER_M2_ERROR = 11.97   # % test error of M2 with 100 labels, 50,000 training digits (Kingma et al., table 1)
PAPER_M2_SD = 1.71
PAPER_NN_ERROR = 25.80   # % test error of their neural-network baseline on the 100 labels alone (table 1)


# %% [markdown]
# ## The model
#
# The generative model (the slides' "Generative Model"; the slides call the image $\mathbf{y}$
# and the style $\mathbf{x}$, we keep the paper's letters: image $x$, class $y$, style $z$):
#
# $$p(y) = \mathrm{Cat}(y;\, \pi), \quad \pi_k = \tfrac{1}{10}; \qquad p(z) = \mathcal{N}(0, I);
# \qquad p_\theta(x \mid y, z) = \prod_j \mathrm{Bernoulli}\big(x_j;\, \mathrm{sigmoid}(\ell_j(y, z))\big),$$
#
# with the logits $\ell(y, z)$ from an MLP that reads $z$ and the one-hot vector of $y$. The
# inference model has two parts (the slides' "Recognition Model"):
#
# $$q_\phi(z \mid x, y) = \mathcal{N}\big(\mu_\phi(x, y),\, \operatorname{diag} \sigma^2_\phi(x)\big),
# \qquad q_\phi(y \mid x) = \mathrm{Cat}\big(y;\, \pi_\phi(x)\big).$$
#
# The mean of $z$ depends on the image and the class, its variance on the image only, as in the
# paper's equation (4) and the slides' $\mathbf{D}_\phi(\mathbf{y})$. $q(y \mid x)$ is an ordinary
# classifier (784-H-10, softmax): after training it is the one we test.
#
# **Bounds.** For a labelled digit, $(x, y)$ are both observed and only $z$ is latent; the usual
# ELBO is
#
# $$\log p(x, y) \ge \mathcal{L}(x, y) = \mathbb{E}_{q(z \mid x, y)}[\log p_\theta(x \mid y, z)]
# + \log p(y) - \mathrm{KL}\big(q(z \mid x, y) \,\|\, p(z)\big).$$
#
# For an unlabelled digit, $y$ is latent too, with $q(y, z \mid x) = q(y \mid x)\, q(z \mid x, y)$.
# $y$ takes only ten values, so the expectation over it is a sum, not a draw:
#
# $$\log p(x) \ge \mathcal{U}(x) = \sum_{y} q(y \mid x)\, \mathcal{L}(x, y) + \mathcal{H}\big(q(y \mid x)\big).$$
#
# **The classification term.** In $\mathcal{L}$ the classifier does not appear, so labelled digits
# would never teach it; the paper adds the log-likelihood of the labels under $q(y \mid x)$,
# weighted by $\alpha$. The objective to maximize (the paper's equation (9), written as a gain,
# not a loss) is
#
# $$\mathcal{J}^\alpha = \sum_{(x, y) \text{ labelled}} \mathcal{L}(x, y)
# + \sum_{x \text{ unlabelled}} \mathcal{U}(x)
# + \alpha\, \mathbb{E}_{(x, y) \text{ labelled}}\big[\log q_\phi(y \mid x)\big],
# \qquad \alpha = 0.1\, N,$$
#
# in the paper, with $N$ the number of training digits, labelled and not (8,000 here). The
# expectation is an average over the labelled digits, so each label's log-probability weighs
# $\alpha / N_l = 0.1 \cdot 8000 / 100 = 8$ times as much as its $\mathcal{L}$; Kingma's code
# ([nips14-ssl](https://github.com/dpkingma/nips14-ssl), `learn_yz_x_ss.py`) weights it exactly so.
# Divided by $N$, $\mathcal{J}^\alpha / N$ is a number of nats per digit; one minibatch of
# $b_l$ labelled and $b_u$ unlabelled digits estimates it without bias as
#
# $$\frac{1}{N}\Big(\frac{N_l}{b_l} \sum_{\text{batch}_l} \mathcal{L}
# + \frac{N_u}{b_u} \sum_{\text{batch}_u} \mathcal{U}
# + \frac{\alpha}{b_l} \sum_{\text{batch}_l} \log q(y \mid x)\Big).$$
#
# Every $\mathcal{L}(x, y)$ uses one draw $z = \mu + \sigma \odot \epsilon$ (the reparameterization
# trick) and the KL in closed form (Kingma & Welling 2014, appendix B,
# [arXiv:1312.6114](https://arxiv.org/abs/1312.6114)). In $\mathcal{U}$ the gradient reaches the
# classifier through the weights $q(y \mid x)$ and the entropy, because the sum over $y$ is
# computed, not drawn: no score-function estimator is needed for the discrete $y$. The gradient
# is unbiased, not exact, since each $\mathcal{L}(x, y)$ still rests on one draw of $z$.

# %%
class Bounds(NamedTuple):
    """The unlabelled bound of each digit and what it is made of."""
    bound: mg.Tensor       # U(x), shape (batch,)
    elbo: mg.Tensor        # L(x, y) for every class y, shape (batch, classes): one draw of z each
    probs: mg.Tensor       # q(y | x), shape (batch, classes)
    entropy: mg.Tensor     # H(q(y | x)), shape (batch,)


class M2(mg.nn.Module):
    """Kingma et al.'s M2: p(y) p(z) p(x | y, z), with q(y | x) and q(z | x, y) = N(loc(x, y), diag scale(x)^2).

    Every network has one hidden layer of ``hidden`` units. An MLP that reads the concatenation
    [x, one_hot(y)] computes x @ W_x + one_hot(y) @ W_y + b in its first layer; it is written so
    here, because the part that reads x, the expensive one, is then computed once per image and
    shared by the ten classes of an unlabelled digit (its variance head reads it alone).
    """

    def __init__(self, x_dim=784, hidden=500, latent=50, classes=CLASSES, activation="softplus",
                 dtype=None, device=None):
        Linear = mg.nn.Linear
        self.x_dim, self.hidden, self.latent, self.classes = x_dim, hidden, latent, classes
        self.act = mg.nn.ACTIVATIONS[activation]()
        # q(y | x): a classifier giving logits
        self.classifier = mg.nn.MLP([x_dim, hidden, classes], activation, dtype=dtype, device=device)
        # q(z | x, y): first layer x @ W_x + one_hot(y) @ W_y + b, then heads for loc (from x and y)
        # and the log-variance (from x alone)
        self.enc_x = Linear(x_dim, hidden, dtype=dtype, device=device)
        self.enc_y = Linear(classes, hidden, bias=False, dtype=dtype, device=device)
        self.enc_loc = Linear(hidden, latent, dtype=dtype, device=device)
        self.enc_log_var = Linear(hidden, latent, dtype=dtype, device=device)
        # p(x | y, z): first layer z @ W_z + one_hot(y) @ W_y + b, then one logit per pixel
        self.dec_z = Linear(latent, hidden, dtype=dtype, device=device)
        self.dec_y = Linear(classes, hidden, bias=False, dtype=dtype, device=device)
        self.dec_out = Linear(hidden, x_dim, dtype=dtype, device=device)

    # ------------------------------------------------------------ the distributions
    def classify(self, x):
        """q(y | x) for images x of shape (batch, x_dim)."""
        return mg.distributions.Categorical(logits=self.classifier(x), validate_args=False)

    def one_hot(self, y, like):
        """Class indices y (an integer array or tensor, any shape) as one-hot rows of like's dtype and device."""
        y = y.numpy() if isinstance(y, mg.Tensor) else numpy.asarray(y)
        return mg.tensor(numpy.eye(self.classes)[y], dtype=like.dtype, device=like.device)

    def encode(self, x, y_hot, x_part=None):
        """q(z | x, y) for images x (batch, x_dim) and one-hot classes y_hot (..., batch, classes).

        ``x_part`` is x @ W_x + b when the caller has it already (the ten classes of one image share it).
        """
        x_part = self.enc_x(x) if x_part is None else x_part
        loc = self.enc_loc(self.act(x_part + self.enc_y(y_hot)))      # (..., batch, latent)
        log_var = self.enc_log_var(self.act(x_part))                   # (batch, latent): from x alone
        return mg.distributions.Normal(loc, mg.exp(0.5 * log_var), validate_args=False)

    def decode(self, y_hot, z):
        """p(x | y, z): one coin per pixel, for codes z and one-hot classes y_hot of matching batch shape."""
        logits = self.dec_out(self.act(self.dec_z(z) + self.dec_y(y_hot)))
        return mg.distributions.Bernoulli(logits=logits, validate_args=False)

    def log_prior_y(self):
        """log p(y) = log 1/10 for every class (a uniform prior, as in the paper)."""
        return -math.log(self.classes)

    # ------------------------------------------------------------ the two bounds
    def labelled_bound(self, x, y_hot, x_part=None):
        """L(x, y) = log p(x | y, z) + log p(y) - KL(q(z | x, y) || p(z)), with one draw z ~ q(z | x, y).

        x (batch, x_dim); y_hot (..., batch, classes), one-hot. Returns shape (..., batch).
        """
        q = self.encode(x, y_hot, x_part)
        z = q.rsample()                                   # loc + scale * eps: the pathwise gradient
        log_px = self.decode(y_hot, z).log_prob(x).sum(-1)
        kl = mg.ops.kl_to_standard_normal(q.loc, q.scale).sum(-1)   # Kingma & Welling 2014, appendix B
        return log_px + self.log_prior_y() - kl

    def unlabelled_bound(self, x):
        """U(x) = sum_y q(y | x) L(x, y) + H(q(y | x)), the sum over the ten classes done exactly.

        The ten L(x, y) are computed in one pass: one_hot of every class has shape (classes, 1, classes)
        and broadcasts against the batch, giving L of shape (classes, batch).
        """
        q_y = self.classify(x)
        every_class = mg.eye(self.classes, dtype=x.dtype, device=x.device).reshape(self.classes, 1, self.classes)
        elbo = self.labelled_bound(x, every_class, x_part=self.enc_x(x)).T    # (batch, classes)
        entropy = q_y.entropy()
        return Bounds((q_y.probs * elbo).sum(-1) + entropy, elbo, q_y.probs, entropy)

    # ------------------------------------------------------------ a tighter estimate, for checks
    @mg.no_grad()
    def log_marginal(self, x, k=100):
        """An importance-sampled estimate of log p(x) = log sum_y p(y) p(x | y), with k draws z ~ q(z | x, y)
        for each class: log sum_y p(y) (1/k) sum_i p(x | y, z_i) p(z_i) / q(z_i | x, y). Its expectation is
        a lower bound too (Burda et al. 2016), above U(x) and rising towards log p(x) as k grows."""
        every_class = mg.eye(self.classes, dtype=x.dtype, device=x.device).reshape(self.classes, 1, self.classes)
        q = self.encode(x, every_class, self.enc_x(x))                   # loc (classes, batch, latent)
        z = q.sample((k,))                                                # (k, classes, batch, latent)
        prior = mg.distributions.Normal(0.0, 1.0, validate_args=False)
        log_w = (self.decode(every_class, z).log_prob(x).sum(-1) + prior.log_prob(z).sum(-1)
                 - q.log_prob(z).sum(-1))                                 # (k, classes, batch)
        log_px_given_y = mg.logsumexp(log_w, axis=0) - math.log(k)        # (classes, batch)
        return mg.logsumexp(log_px_given_y + self.log_prior_y(), axis=0)


def objective(model, x_l, y_l, x_u, n_labelled, n_unlabelled, alpha):
    """J^alpha / N estimated from one labelled batch (x_l, y_l) and one unlabelled batch x_u: to maximize.

    N = n_labelled + n_unlabelled; returns (objective, mean L, mean U, mean log q(y | x) of the labels).
    """
    n = n_labelled + n_unlabelled
    elbo_l = model.labelled_bound(x_l, model.one_hot(y_l, x_l)).mean()
    log_q = model.classify(x_l).log_prob(y_l).mean()
    bound_u = model.unlabelled_bound(x_u).bound.mean()
    return (n_labelled * elbo_l + n_unlabelled * bound_u + alpha * log_q) / n, elbo_l, bound_u, log_q


# %% [markdown]
# ## The options
#
# The paper trains on 50,000 digits with one hidden layer of 500 softplus units in every network
# and a 50-dimensional $z$; the authors' code runs 3,000 epochs (the paper gives no count). A
# step costs ten decoder passes per unlabelled digit, one per class, so the default here keeps
# the 50-dimensional $z$ and softplus but takes one hidden layer of 256 units and 20 epochs:
# about 75 s per seed on an idle 2-core machine. Each step takes 50 unlabelled digits and all
# 100 labelled ones (so every term of $\mathcal{J}^\alpha$ gets a gradient at every step), and
# makes one Adam step at learning rate $3 \times 10^{-3}$ on $-\mathcal{J}^\alpha / N$.
#
# **The weight $\alpha$.** With $\alpha = c N$, the classification term of $\mathcal{J}^\alpha / N$
# is $c$ times the mean log-likelihood of the labels. The paper's $c = 0.1$ leaves the labels a
# small voice at the start, and the unlabelled term then moves the classifier towards the young
# decoder's own split of the digits, which is not the ten classes; over 20 epochs the labels do
# not win (about 54% test error, against 26% for the labels alone). The default
# is therefore $c = 10$ (`--alpha-factor 10`: $\alpha = 10 N$, a hundred times the paper's);
# `--alpha-factor 0.1` runs the paper's weight. `docs/ssvae.md` reports both.

# %%
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="one run per seed: it picks the labelled digits, the initial weights and the draws")
    parser.add_argument("--epochs", type=int, default=20, help="passes over the unlabelled digits")
    parser.add_argument("--labels-per-class", type=int, default=10, help="labelled digits of each class")
    parser.add_argument("--hidden", type=int, default=256, help="hidden units of every network")
    parser.add_argument("--latent", type=int, default=50, help="size of the style z")
    parser.add_argument("--activation", default="softplus", choices=sorted(mg.nn.ACTIVATIONS))
    parser.add_argument("--alpha-factor", type=float, default=10.0,
                        help="alpha = ALPHA_FACTOR * N, the weight of the classification term (the paper: 0.1)")
    parser.add_argument("--batch-size", type=int, default=50, help="unlabelled digits per step")
    parser.add_argument("--labelled-batch", type=int, default=100, help="labelled digits per step")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--device", default="cpu", help=f"one of {mg.devices()}")
    parser.add_argument("--out", default=os.path.join("demo_out", "ssvae"), help="folder for pictures and metrics")
    parser.add_argument("--data", default=None,
                        help="folder of the official MNIST IDX files (default: %(default)s, i.e. the embedded digits)")
    parser.add_argument("--train-size", type=int, default=None, help="use only the first N training digits")
    parser.add_argument("--test-size", type=int, default=None, help="use only the first N test digits")
    parser.add_argument("--iwae-k", type=int, default=20, help="draws per class for the final estimate of log p(x)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (without it, one only on a terminal)")
    parser.add_argument("--no-pictures", action="store_true", help="write metrics.json only")
    return parser.parse_args(argv)


# %% [markdown]
# ## The 100 labels
#
# The labelled digits are drawn once per seed, `labels_per_class` of each class, from the
# training digits (Kingma's code does the same: an equal number per class); every other training
# digit is unlabelled. The labels of the unlabelled digits are never read.

# %%
def choose_labelled(labels, per_class, seed, classes=CLASSES):
    """Indices of ``per_class`` training digits of each class, drawn by ``seed``; sorted."""
    rng = mg.backend.host_generator([seed, 0])   # its own stream: the labels do not move when training changes
    chosen = []
    for c in range(classes):
        of_class = numpy.flatnonzero(labels == c)
        if len(of_class) < per_class:
            raise ValueError(f"choose_labelled: only {len(of_class)} training digits of class {c}, "
                             f"{per_class} asked for")
        chosen.append(rng.choice(of_class, per_class, replace=False))
    return numpy.sort(numpy.concatenate(chosen))


# %% [markdown]
# ## Training and evaluation
#
# One run (one seed) trains M2 and, beside it, the control: a second copy of the classifier
# $q(y \mid x)$, with the same initial weights, trained by Adam on the cross-entropy of the same
# labelled batches, step for step. Only the loss differs: the control sees the 100 labelled digits,
# M2 also the 7,900 unlabelled ones. All digits are binarized afresh every epoch (a pixel is 1 with
# probability its grey level), as in `demos/vae.py`; the test digits are binarized once. After
# every epoch both classifiers predict $\arg\max_y q(y \mid x)$ for the 2,000 test digits, and the
# demo prints their test errors with the epoch's mean of $\mathcal{J}^\alpha / N$ and of
# $\mathcal{U}$ on the training batches (nats per digit).

# %%
def test_error(classifier, images, labels, device, batch_size=1000):
    """Per cent of test digits whose most probable class under the classifier (logits) is wrong."""
    wrong = 0
    with mg.no_grad():
        for x, y in mg.data.BatchIterator(images, labels, batch_size=batch_size, device=device):
            wrong += int((classifier(x).numpy().argmax(-1) != y.numpy()).sum())
    return 100.0 * wrong / len(images)


@mg.no_grad()
def test_bounds(model, images, device, k, batch_size=100):
    """Mean unlabelled bound U(x) and mean log p(x) estimate (k draws per class) over the test digits, nats."""
    mg.random.seed(EVAL_SEED)
    bound = log_px = 0.0
    for x in mg.data.BatchIterator(images, batch_size=batch_size, device=device):
        bound += model.unlabelled_bound(x).bound.sum().item()
        log_px += model.log_marginal(x, k).sum().item()
    return bound / len(images), log_px / len(images)


def train_one_seed(seed, data, args, tqdm):
    """Train M2 and the supervised-only control for one seed; return the model, the labelled indices, the history."""
    labelled = choose_labelled(data.train_labels, args.labels_per_class, seed)
    unlabelled = numpy.setdiff1d(numpy.arange(len(data.train_images)), labelled)
    x_l_grey, y_l = data.train_images[labelled], data.train_labels[labelled]
    x_u_grey = data.train_images[unlabelled]
    n_l, n_u = len(labelled), len(unlabelled)
    alpha = args.alpha_factor * (n_l + n_u)

    mg.random.seed(seed)   # the initial weights
    model = M2(784, args.hidden, args.latent, CLASSES, args.activation, device=args.device)
    control = mg.nn.MLP([784, args.hidden, CLASSES], args.activation, device=args.device)
    control.load_state_dict(model.classifier.state_dict())     # the same classifier, the same start
    optimizer = mg.optim.Adam(model.parameters(), lr=args.lr)
    control_optimizer = mg.optim.Adam(control.parameters(), lr=args.lr)

    history = {"objective": [], "labelled_elbo": [], "unlabelled_bound": [], "label_log_q": [],
               "m2_test_error": [], "supervised_test_error": [], "control_train_loss": [], "seconds": []}
    for epoch in range(args.epochs):
        tick = time.perf_counter()
        rng = mg.backend.host_generator([seed, epoch + 1])   # this epoch's binarization and order ...
        mg.random.seed(int(rng.integers(2 ** 31)))             # ... and its draws of z
        x_u = mg.data.binarize(x_u_grey, rng)
        x_l = mg.data.binarize(x_l_grey, rng)
        unlabelled_batches = mg.data.BatchIterator(x_u, batch_size=args.batch_size, shuffle=True, rng=rng,
                                                   device=args.device)
        labelled_batches = _cycle(mg.data.BatchIterator(x_l, y_l, batch_size=args.labelled_batch, shuffle=True,
                                                        rng=rng, device=args.device))
        sums = numpy.zeros(5)
        bar = tqdm(unlabelled_batches, desc=f"seed {seed} epoch {epoch + 1}/{args.epochs}", leave=False,
                   disable=args.no_progress or None)
        for step, xb_u in enumerate(bar, start=1):
            xb_l, yb_l = next(labelled_batches)
            optimizer.zero_grad()
            gain, elbo_l, bound_u, log_q = objective(model, xb_l, yb_l, xb_u, n_l, n_u, alpha)
            (-gain).backward()
            optimizer.step()

            control_optimizer.zero_grad()
            loss = mg.nn.functional.cross_entropy(control(xb_l), yb_l)
            loss.backward()
            control_optimizer.step()

            sums += [gain.item(), elbo_l.item(), bound_u.item(), log_q.item(), loss.item()]
            bar.set_postfix(objective=f"{sums[0] / step:.2f}")
        means = sums / len(unlabelled_batches)
        for name, value in zip(("objective", "labelled_elbo", "unlabelled_bound", "label_log_q",
                                "control_train_loss"), means):
            history[name].append(float(value))
        history["seconds"].append(time.perf_counter() - tick)
        history["m2_test_error"].append(test_error(model.classifier, data.test_images, data.test_labels, args.device))
        history["supervised_test_error"].append(test_error(control, data.test_images, data.test_labels, args.device))
        print(f"seed {seed}  epoch {epoch + 1:3d}  J/N {means[0]:8.2f}  U {means[2]:8.2f}  "
              f"test error: M2 {history['m2_test_error'][-1]:5.2f}%  "
              f"labelled only {history['supervised_test_error'][-1]:5.2f}%  ({history['seconds'][-1]:.1f} s)",
              flush=True)
    return model, labelled, history


def _cycle(loader):
    """Batches of ``loader`` without end, a new order every pass."""
    while True:
        yield from loader


# %% [markdown]
# ## Pictures
#
# `error.png`: the test error of both classifiers after every epoch, one line per seed, beside the
# paper's numbers. `analogies.png` (the paper's figure 1): on the left, the posterior mean of $z$
# of a test digit under $q(z \mid x, y)$, with $y$ its true label, decoded as each of the ten
# classes; on the right, codes $z \sim p(z)$ decoded the same way. If $z$ has learned the style
# and $y$ the class, each row keeps one slant and stroke width across the ten digits.

# %%
def describe_run(args, n_labelled, n_unlabelled, n_test):
    """The settings every picture carries, so that two runs cannot be mistaken for each other."""
    return (f"M2 with 784-{args.hidden}-{args.latent} networks ({args.activation}), Bernoulli likelihood, "
            f"alpha = {args.alpha_factor:g} N; {n_labelled} labelled + {n_unlabelled} unlabelled training digits\n"
            f"{args.epochs} epochs, batches of {args.batch_size} unlabelled + {args.labelled_batch} labelled, "
            f"Adam lr {args.lr:g}; test error on {n_test} test digits")


def grid(images, rows, cols, size=28):
    """Images (rows * cols, size * size) tiled into one (rows * size, cols * size) array."""
    return images.reshape(rows, cols, size, size).transpose(0, 2, 1, 3).reshape(rows * size, cols * size)


def draw_error(histories, seeds, run, path, plt):
    from matplotlib.ticker import MaxNLocator
    fig, ax = plt.subplots(figsize=(8, 5.8))
    epochs = numpy.arange(1, len(histories[0]["m2_test_error"]) + 1)

    def last(key):   # the final error of each seed, in the order of the seeds
        return "seed " + ", ".join(f"{seed}: {h[key][-1]:.2f}%" for seed, h in zip(seeds, histories))
    for i, history in enumerate(histories):
        ax.plot(epochs, history["m2_test_error"], "o-", color="C0", markersize=3, alpha=0.8,
                label=f"M2: q(y | x) trained on the labelled and the unlabelled digits (last epoch, "
                      f"{last('m2_test_error')})" if i == 0 else None)
        ax.plot(epochs, history["supervised_test_error"], "s--", color="C1", markersize=3, alpha=0.8,
                label=f"the same classifier trained on the labelled digits alone (last epoch, "
                      f"{last('supervised_test_error')})" if i == 0 else None)
    ax.axhline(PAPER_M2_ERROR, color="C0", linestyle=":", linewidth=1,
               label=f"paper, M2 with 100 labels: {PAPER_M2_ERROR}% (50,000 training digits, 3,000 epochs)")
    ax.axhline(PAPER_NN_ERROR, color="C1", linestyle=":", linewidth=1,
               label=f"paper, a neural network on the 100 labels alone: {PAPER_NN_ERROR}%")
    ax.set_xlabel("epoch (passes over the unlabelled digits)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("test error (%), lower is better")
    ax.set_ylim(0, None)
    ax.set_title(f"Test error after every epoch: {len(seeds)} seed{'s' * (len(seeds) > 1)} "
                 f"({', '.join(map(str, seeds))}), one line each\n{run}", fontsize=8)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=1, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def draw_analogies(model, data, seed, run, path, plt, device, rows=CLASSES):
    """Left: the style of test digits (the first of each class), decoded as every class. Right: styles from p(z)."""
    picks = [int(numpy.flatnonzero(data.test_labels == c)[0]) for c in range(CLASSES) if (data.test_labels == c).any()]
    picks = picks[:rows]
    rows = len(picks)
    x = mg.tensor(data.test_images[picks], device=device)
    every_class = numpy.tile(numpy.arange(CLASSES), rows)           # 0..9, 0..9, ...: row by row
    with mg.no_grad():
        z_test = model.encode(x, model.one_hot(data.test_labels[picks], x)).loc.numpy()
        mg.random.seed(EVAL_SEED + 1)
        z_prior = mg.random.normal(size=(rows, model.latent), device=device).numpy()
        panels = []
        for z in (z_test, z_prior):
            z_rows = mg.tensor(numpy.repeat(z, CLASSES, axis=0), device=device)
            panels.append(model.decode(model.one_hot(every_class, x), z_rows).mean.numpy())
    gap = numpy.full((rows * 28, 6), 0.5)
    left = numpy.concatenate([grid(data.test_images[picks], rows, 1), gap, grid(panels[0], rows, CLASSES)], axis=1)
    fig, axes = plt.subplots(1, 2, figsize=(12, 6.6), gridspec_kw={"width_ratios": [11 * 28 + 6, 10 * 28]})
    axes[0].imshow(left, cmap="gray", vmin=0, vmax=1)
    axes[0].set_xticks([14] + [28 + 6 + 14 + 28 * c for c in range(CLASSES)],
                       ["test\ndigit"] + [str(c) for c in range(CLASSES)], fontsize=8)
    axes[0].set_xlabel("class y given to the decoder (left of the gap: the test digit itself)")
    axes[0].set_ylabel("z = mean of q(z | x, y) for the test digit x on the left")
    axes[0].set_title("analogies: the style z of a test digit, drawn as every class", fontsize=9)
    axes[1].imshow(grid(panels[1], rows, CLASSES), cmap="gray", vmin=0, vmax=1)
    axes[1].set_xticks([14 + 28 * c for c in range(CLASSES)], [str(c) for c in range(CLASSES)], fontsize=8)
    axes[1].set_xlabel("class y given to the decoder")
    axes[1].set_ylabel("z drawn from the prior N(0, I), one per row")
    axes[1].set_title("styles drawn from the prior, drawn as every class", fontsize=9)
    for ax in axes:
        ax.set_yticks([])
    fig.suptitle(f"Decoder means p(x | y, z) (pixel probabilities) of the M2 trained with seed {seed}\n{run}",
                 fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=75, bbox_inches="tight")
    plt.close(fig)


# %% [markdown]
# ## The demo: `main(argv)`
#
# `main` loads the data, trains one M2 and one control per seed, prints the test errors after every
# epoch, and ends with the mean and standard deviation over the seeds, `metrics.json` and the
# pictures (those of the first seed's model).

# %%
def main(argv=None):
    args = parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    os.makedirs(args.out, exist_ok=True)
    data = mg.data.load_mnist(args.data)   # grey training digits; test digits binarized once
    data = data._replace(train_images=data.train_images[:args.train_size],
                         train_labels=data.train_labels[:args.train_size],
                         test_images=data.test_images[:args.test_size], test_labels=data.test_labels[:args.test_size])
    began = time.perf_counter()
    runs, models = [], []
    for seed in args.seeds:
        model, labelled, history = train_one_seed(seed, data, args, tqdm)
        bound, log_px = test_bounds(model, data.test_images, args.device, args.iwae_k)
        runs.append({"seed": seed, "m2_test_error": history["m2_test_error"][-1],
                     "supervised_test_error": history["supervised_test_error"][-1],
                     "test_unlabelled_bound": bound, f"test_log_px_iwae_{args.iwae_k}": log_px,
                     "labelled_indices": labelled.tolist(), "history": history})
        models.append(model)
        print(f"seed {seed}: test error M2 {runs[-1]['m2_test_error']:.2f}%, labelled only "
              f"{runs[-1]['supervised_test_error']:.2f}%; test bound U {bound:.2f}, "
              f"log p(x) >= {log_px:.2f} nats (IWAE, {args.iwae_k} draws per class)", flush=True)

    def summary(key):
        values = numpy.array([run[key] for run in runs])
        return {"mean": float(values.mean()), "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                "per_seed": values.tolist()}
    n_labelled = args.labels_per_class * CLASSES
    metrics = {"m2_test_error": summary("m2_test_error"), "supervised_test_error": summary("supervised_test_error"),
               "seconds": time.perf_counter() - began, "seeds": args.seeds,
               "alpha": args.alpha_factor * len(data.train_images),
               "config": {k: v for k, v in vars(args).items() if k not in ("out", "no_progress", "no_pictures")}
               | {"train_size": len(data.train_images), "test_size": len(data.test_images),
                  "labelled": n_labelled, "unlabelled": len(data.train_images) - n_labelled,
                  "data": args.data or "embedded mnist10k (minigrad/data/ATTRIBUTION.md)"},
               "runs": runs}
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    m2, sup = metrics["m2_test_error"], metrics["supervised_test_error"]
    print(f"test error over {len(runs)} seed(s) ({args.epochs} epochs, {n_labelled} labels): "
          f"M2 {m2['mean']:.2f}% +- {m2['sd']:.2f}, labelled only {sup['mean']:.2f}% +- {sup['sd']:.2f} "
          f"(paper, 50,000 digits: M2 {PAPER_M2_ERROR}% +- {PAPER_M2_SD}); {metrics['seconds']:.0f} s in all")
    if not args.no_pictures:
        run = describe_run(args, n_labelled, len(data.train_images) - n_labelled, len(data.test_images))
        draw_error([r["history"] for r in runs], args.seeds, run, os.path.join(args.out, "error.png"), plt)
        draw_analogies(models[0], data, args.seeds[0], run, os.path.join(args.out, "analogies.png"), plt, args.device)
    return metrics


# %% [markdown]
# ## Run it
#
# In a notebook, the next cell runs `main` with one seed and 10 epochs (about 30 s on an idle
# 2-core machine), without the progress bar, and writes to `demo_out/ssvae` under the folder the
# kernel runs in. `ARGS = []` runs the program's defaults (three seeds of 20 epochs, about 4 minutes).
# When the file runs as a program or is imported, this cell and the two after it do nothing.

# %%
if NOTEBOOK:
    from IPython.display import Image, display

    ARGS = ["--seeds", "0", "--epochs", "10"]
    OUT = os.path.join("demo_out", "ssvae")
    metrics = main([*ARGS, "--no-progress", "--out", OUT])

# %% [markdown]
# **The test error** of M2's classifier and of the same classifier trained on the labels alone.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "error.png")))

# %% [markdown]
# **Analogies**: each row keeps one style $z$; each column asks the decoder for one class $y$.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "analogies.png")))

# %%
if __name__ == "__main__" and not NOTEBOOK:
    main(sys.argv[1:])
