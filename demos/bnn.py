# %% [markdown]
# # Bayes by Backprop: a network whose weights are distributions
#
# A plain network learns one value per weight. A Bayesian neural network learns a distribution
# over the weights, and its prediction is an average over that distribution: where the data pin
# the function down, the networks drawn from it agree; away from the data they disagree, and the
# prediction says so. This demo trains such a network the way Blundell, Cornebise, Kavukcuoglu &
# Wierstra (2015), "Weight Uncertainty in Neural Networks"
# ([arXiv:1505.05424](https://arxiv.org/abs/1505.05424)), do, by *Bayes by Backprop*: a Gaussian
# for every weight, fitted by maximizing the evidence lower bound with reparameterized gradients
# (variational inference for networks goes back to Graves 2011,
# [Practical Variational Inference for Neural Networks](https://papers.nips.cc/paper/4329-practical-variational-inference-for-neural-networks)).
#
# It does four things:
#
# 1. **Regression with a gap.** A 1-50-50-1 network on one-dimensional data with no points in
#    the middle: the predictive mean and a band of plus or minus two standard deviations, against
#    the single curve of a plain network trained on the same data.
# 2. **Three gradient estimators for the weights.** Plain reparameterization (one draw of the
#    weights per minibatch), the local reparameterization trick of Kingma, Salimans & Welling
#    (2015), [arXiv:1506.02557](https://arxiv.org/abs/1506.02557), and Flipout of Wen, Vicol, Ba,
#    Tran & Grosse (2018), [arXiv:1803.04386](https://arxiv.org/abs/1803.04386): the variance of
#    each one's minibatch gradient at fixed parameters (a table, and a plot against the batch size).
# 3. **Their effect on training**: a digit classifier trained with each of them, from the same
#    start on the same minibatches.
# 4. **What the classifier knows it does not know**: the entropy of its predictions on test
#    digits, on rotated digits and on noise, against a plain network's.
#
# The data of parts 2 to 4 are the 10,000 digits shipped with minigrad (`mg.data.load_mnist`,
# 8,000 for training and 2,000 for testing), **shrunk to 14 x 14 pixels** (each pixel the mean of a
# 2 x 2 block), so that the whole demo runs in a minute or two. `--image-size 28` keeps them whole:
# a first layer four times as large, and a training epoch about twice as long. `docs/bnn.md`
# explains the maths and reports a run.
#
# **Program, module and notebook.** This file is a [Jupytext](https://jupytext.readthedocs.io)
# percent script: `# %%` starts a code cell, `# %% [markdown]` a text cell like this one.
#
# - Program: `python demos/bnn.py` runs all four parts and writes `metrics.json`,
#   `regression.png`, `gradient_variance.png`, `training.png`, `entropy.png`, `ood_inputs.png`
#   and `rotation.png` to `demo_out/bnn`. `--help` lists the options.
# - Module: importing the file only defines things; `main(argv)` runs the demo on a list of
#   arguments and returns the metrics (the tests do this). `BayesianLinear` and `BayesianMLP` can
#   be imported from it.
# - Notebook: `jupytext --to notebook demos/bnn.py`, or, with jupytext installed, open the `.py`
#   file in Jupyter (right click, *Open With → Notebook*); run the cells top to bottom.
#
# The next cell sets `NOTEBOOK = __name__ == "__main__" and "ipykernel" in sys.modules`, and
# both halves are needed. A notebook runs as `__main__`, as a program does, but its `sys.argv`
# holds the Jupyter kernel's own arguments (`-f kernel.json`), which `argparse` would reject. A
# module imported from a notebook has `ipykernel` loaded too, but its `__name__` is its own. The
# cells at the end run `main` and show its pictures only when `NOTEBOOK` is true, and the last
# cell reads the command line only when the file runs as a program.

# %%
"""Bayes by Backprop: Gaussian weights, three gradient estimators, uncertainty on regression and digits.

    python demos/bnn.py                          # everything, in demo_out/bnn
    python demos/bnn.py --image-size 28          # the digits at full size: 784 inputs instead of 196

The explanation is in the Markdown cells of this file, which opens as a notebook (see the first cell).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy

# Run from a checkout: put the repository on the path. A notebook has no __file__; Jupyter starts
# its kernel in the notebook's folder (demos/).
HERE = os.path.dirname(os.path.abspath(__file__)) if "__file__" in globals() else os.getcwd()
sys.path.insert(0, os.path.join(HERE, ".."))
import minigrad as mg  # noqa: E402
from minigrad.distributions import Normal, kl_divergence  # noqa: E402

F = mg.nn.functional

NOTEBOOK = __name__ == "__main__" and "ipykernel" in sys.modules   # in a Jupyter kernel, not imported

# The gradient estimators a layer can train with, and two more used only to measure variance.
ESTIMATORS = ("reparam", "local", "flipout")
REFERENCES = ("per-example", "mean")
LABELS = {"reparam": "plain reparameterization", "local": "local reparameterization", "flipout": "Flipout",
          "per-example": "own weights per example", "mean": "no weight noise (posterior means)"}


# %% [markdown]
# ## The model: a Gaussian for every weight
#
# Every weight $w$ (and every bias) of a layer gets its own Gaussian
# $q(w) = \mathcal{N}(\mu, \sigma^2)$, independent of the others (a *mean-field* posterior). The
# standard deviation is stored through $\rho$ as $\sigma = \operatorname{softplus}(\rho) =
# \log(1 + e^\rho)$, so that any real $\rho$ gives a positive $\sigma$ (Blundell et al., section 3.2).
# The prior is one Gaussian for every weight, $p(w) = \mathcal{N}(0, \sigma_p^2)$; Blundell et al.
# also use a mixture of two Gaussians, whose KL divergence has no closed form. With a Gaussian prior
# the KL divergence of each weight is exact:
#
# $$\mathrm{KL}\big(\mathcal{N}(\mu, \sigma^2)\,\|\,\mathcal{N}(0, \sigma_p^2)\big)
# = \log\frac{\sigma_p}{\sigma} + \frac{\sigma^2 + \mu^2}{2\sigma_p^2} - \frac{1}{2}.$$
#
# The network is trained by maximizing the evidence lower bound on the $N$ training pairs
# $(x_n, y_n)$,
#
# $$\mathcal{L}(\mu, \rho) = \sum_{n=1}^N \mathbb{E}_{q(w)}\big[\log p(y_n \mid x_n, w)\big]
# - \mathrm{KL}\big(q(w)\,\|\,p(w)\big),$$
#
# and the demo minimizes $-\mathcal{L}/N$, estimated on a minibatch $B$ as
# $\frac{1}{|B|}\sum_{n \in B} -\log p(y_n \mid x_n, w) + \mathrm{KL}/N$: the KL is spread evenly
# over the examples. The expectation is estimated by drawing the weights with the
# reparameterization $w = \mu + \sigma\epsilon$, $\epsilon \sim \mathcal{N}(0, 1)$, so the gradient
# flows through the draw into $\mu$ and $\rho$ (`docs/estimators.md`). How the noise is drawn for a
# whole minibatch is the subject of part 2; the layer below offers the three ways:
#
# - **`"reparam"`**, plain reparameterization (Blundell et al.): one $W = \mu + \sigma \odot E$ for
#   the whole minibatch, $y_n = x_n W + b$. Cheap, but every example sees the same weights, so the
#   examples' gradients are correlated and averaging over a larger batch removes less noise.
# - **`"local"`**, the local reparameterization trick (Kingma, Salimans & Welling 2015): for a
#   given input, each pre-activation $y_{nj} = \sum_i x_{ni} w_{ij} + b_j$ is a sum of independent
#   Gaussians, hence Gaussian, with mean $\sum_i x_{ni}\mu_{ij} + \mu_{b_j}$ and variance
#   $\sum_i x_{ni}^2\sigma_{ij}^2 + \sigma_{b_j}^2$. Draw it directly, independently for every
#   example: $y_n = x_n\mu + \mu_b + \sqrt{x_n^2\sigma^2 + \sigma_b^2} \odot \epsilon_n$. Two matrix
#   products, one draw per output instead of per weight, and independent examples.
# - **`"flipout"`** (Wen et al. 2018): draw one perturbation $\Delta W = \sigma \odot E$ (and
#   $\Delta b$) for the batch, and give each example its own version of it by flipping signs:
#   $y_n = x_n\mu + \mu_b + \big((x_n \odot s_n)\,\Delta W + \Delta b\big) \odot r_n$, with random
#   signs $s_n \in \{\pm1\}^{\text{in}}$ and $r_n \in \{\pm1\}^{\text{out}}$. Example $n$ uses the
#   weights $\mu + \Delta W \odot s_n r_n^\top$, and since $\Delta W$ is symmetric about 0 and the
#   signs are independent of it, these weights have exactly the distribution $q$: the estimator is
#   unbiased. Two examples' perturbations are uncorrelated, because $r_n$ and $r_m$ are independent
#   with mean 0. Unlike the local trick it works for any layer whose weights are perturbed
#   symmetrically (convolutions too), at the price of two matrix products.
#
# Two more modes exist only to measure variance in part 2: `"per-example"` draws a whole weight
# matrix for every example (what the local trick is equivalent to, in distribution, at `batch`
# times the cost) and `"mean"` uses no noise at all.

# %%
def softplus_inverse(sigma):
    """rho with softplus(rho) = sigma: log(exp(sigma) - 1)."""
    return math.log(math.expm1(sigma))


def affine(x, weight, bias):
    """x @ weight + bias for a weight stored (in, out), as BayesianLinear keeps it.

    mg.linear (PyTorch's F.linear) takes the weight as (out, in), hence the transpose: a view.
    """
    return mg.linear(x, weight.transpose(), bias)


class BayesianLinear(mg.nn.Module):
    """y = x @ W + b with independent Gaussian weights, W ~ N(weight_loc, softplus(weight_rho)^2), b likewise.

    ``estimator`` says how a forward pass on a batch x of shape (n, in) draws the noise:
    "reparam" (one W for the batch), "local" (the pre-activations, per example), "flipout" (one
    perturbation, sign-flipped per example), or, for measurements only, "per-example" (a W per
    example) and "mean" (W = weight_loc). All give each example's output the same distribution;
    they differ in how examples are correlated, and so in the variance of a minibatch gradient.
    The prior is N(0, prior_scale^2) for every weight and bias; ``kl()`` is KL(q || prior), exact.
    Means start as mg.nn.Linear's weights (U(-1/sqrt(in), 1/sqrt(in))) and zero biases; every
    standard deviation starts at ``init_scale``.
    """

    def __init__(self, in_features, out_features, prior_scale=1.0, init_scale=0.05, estimator="local"):
        bound = 1.0 / math.sqrt(in_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight_loc = mg.nn.Parameter(mg.random.uniform(-bound, bound, (in_features, out_features)))
        self.weight_rho = mg.nn.Parameter(mg.full((in_features, out_features), softplus_inverse(init_scale)))
        self.bias_loc = mg.nn.Parameter(mg.zeros((out_features,)))
        self.bias_rho = mg.nn.Parameter(mg.full((out_features,), softplus_inverse(init_scale)))
        self.prior_scale = prior_scale
        self.estimator = estimator

    def forward(self, x):
        weight_scale, bias_scale = F.softplus(self.weight_rho), F.softplus(self.bias_rho)
        if self.estimator == "reparam":            # one draw of the weights for the whole batch
            weight = self.weight_loc + weight_scale * mg.random.normal(size=weight_scale.shape)
            bias = self.bias_loc + bias_scale * mg.random.normal(size=bias_scale.shape)
            return affine(x, weight, bias)
        mean = affine(x, self.weight_loc, self.bias_loc)
        if self.estimator == "mean":
            return mean
        if self.estimator == "local":              # the pre-activations, drawn per example
            variance = affine(x * x, weight_scale * weight_scale, bias_scale * bias_scale)
            return mean + variance.sqrt() * mg.random.normal(size=mean.shape)
        if self.estimator == "flipout":            # one perturbation, decorrelated by random signs
            delta_weight = weight_scale * mg.random.normal(size=weight_scale.shape)
            delta_bias = bias_scale * mg.random.normal(size=bias_scale.shape)
            s = random_signs(x.shape)
            r = random_signs(mean.shape)
            return mean + affine(x * s, delta_weight, delta_bias) * r
        if self.estimator == "per-example":        # a whole weight matrix per example (n times the draws)
            n = x.shape[0]
            weight = self.weight_loc + weight_scale * mg.random.normal(size=(n, *weight_scale.shape))
            bias = self.bias_loc + bias_scale * mg.random.normal(size=(n, *bias_scale.shape))
            return mg.einsum("ni,nio->no", x, weight) + bias
        raise ValueError(f"BayesianLinear: unknown estimator {self.estimator!r}; "
                         f"one of {ESTIMATORS + REFERENCES}")

    def kl(self):
        """KL(q || p) summed over the weights and biases: log(sp/s) + (s^2 + mu^2)/(2 sp^2) - 1/2 each."""
        total = 0.0
        for loc, rho in ((self.weight_loc, self.weight_rho), (self.bias_loc, self.bias_rho)):
            total = total + kl_divergence(Normal(loc, F.softplus(rho)), Normal(0.0, self.prior_scale)).sum()
        return total

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"prior_scale={self.prior_scale}, estimator={self.estimator!r}")


def random_signs(shape):
    """Independent +1 / -1 with probability 1/2 each (Rademacher), as float tensors."""
    return mg.random.bernoulli(0.5, shape) * 2.0 - 1.0


class BayesianMLP(mg.nn.Module):
    """BayesianLinear layers of the given sizes with ReLU between them; ``kl()`` sums the layers' KLs."""

    def __init__(self, sizes, prior_scale=1.0, init_scale=0.05, estimator="local"):
        self.layers = [BayesianLinear(n_in, n_out, prior_scale, init_scale, estimator)
                       for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.sizes = list(sizes)

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = F.relu(x)
        return x

    def kl(self):
        return sum(layer.kl() for layer in self.layers)

    def set_estimator(self, estimator):
        for layer in self.layers:
            layer.estimator = estimator
        return self


def gaussian_nll(prediction, target, noise):
    """-log N(target; prediction, noise^2) per example: the regression likelihood, with a known noise."""
    return -Normal(prediction, noise).log_prob(target).sum(axis=-1)


def negative_elbo(model, x, y, n_data, noise=None):
    """-ELBO / N estimated on a minibatch: mean negative log-likelihood + KL / N. Returns (loss, nll, kl/N).

    Classification (``noise`` None): y holds class indices and the likelihood is the softmax's.
    Regression: y is real and p(y | x, w) = N(y; f(x, w), noise^2).
    """
    out = model(x)
    nll = F.cross_entropy(out, y) if noise is None else gaussian_nll(out, y, noise).mean()
    kl = model.kl() / n_data
    return nll + kl, nll, kl


# %% [markdown]
# ## The options
#
# Each part has its own few options; the defaults are those of the run reported in `docs/bnn.md`.
# Part 1 trains on all its points at every step; parts 2 to 4 use minibatches of 100 digits. Both
# use Adam (Kingma & Ba 2015, [arXiv:1412.6980](https://arxiv.org/abs/1412.6980)) with learning
# rate 0.01, and every standard deviation starts at 0.05 (`--init-scale`). The prior of the
# classifier is narrower ($\sigma_p = 0.3$) than that of the regression network ($\sigma_p = 1$):
# a weight on one of 196 pixels has no need to be as large as one on a single input.

# %%
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", default=os.path.join("demo_out", "bnn"), help="folder for pictures and metrics")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--estimator", choices=ESTIMATORS, default="local",
                        help="the estimator that trains the networks of parts 1 and 4")
    parser.add_argument("--init-scale", type=float, default=0.05, help="initial standard deviation of every weight")
    regression = parser.add_argument_group("part 1, regression")
    regression.add_argument("--reg-points", type=int, default=200, help="training points, half on each side of the gap")
    regression.add_argument("--reg-hidden", type=int, default=50, help="width of the two hidden layers")
    regression.add_argument("--reg-steps", type=int, default=2000, help="Adam steps on all the points")
    regression.add_argument("--reg-lr", type=float, default=1e-2)
    regression.add_argument("--reg-prior-scale", type=float, default=1.0, help="sigma_p of the prior N(0, sigma_p^2)")
    regression.add_argument("--noise", type=float, default=0.1, help="std of the noise on y (known to the model)")
    digits = parser.add_argument_group("parts 2 to 4, digits")
    digits.add_argument("--image-size", type=int, choices=(14, 28), default=14,
                        help="14: each pixel the mean of a 2 x 2 block; 28: as they are")
    digits.add_argument("--train-size", type=int, default=8000, help="use the first N training digits")
    digits.add_argument("--test-size", type=int, default=2000, help="use the first N test digits")
    digits.add_argument("--hidden", type=int, default=100, help="width of the classifier's hidden layer")
    digits.add_argument("--prior-scale", type=float, default=0.3, help="sigma_p of the classifier's prior")
    digits.add_argument("--epochs", type=int, default=10)
    digits.add_argument("--batch-size", type=int, default=100)
    digits.add_argument("--lr", type=float, default=1e-2)
    digits.add_argument("--variance-repeats", type=int, default=100,
                        help="minibatch gradients drawn per estimator and batch size to measure a variance")
    digits.add_argument("--variance-batch-sizes", type=int, nargs="+", default=[10, 30, 100, 300])
    digits.add_argument("--samples", type=int, default=50,
                        help="weight draws averaged in a prediction (part 1: ten times as many)")
    digits.add_argument("--rotation-digits", type=int, default=500, help="test digits rotated in the angle sweep")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (without it, one only on a terminal)")
    return parser.parse_args(argv)


# %% [markdown]
# ## Part 1: regression with a gap
#
# The points lie on $f(x) = \sin(3x) + x/2$ plus Gaussian noise of standard deviation 0.1, with
# $x$ drawn uniformly from $[-2, -0.6]$ and $[0.6, 2]$: nothing in between, nothing beyond. The
# network is 1-50-50-1 with ReLU, its likelihood $\mathcal{N}(y; f(x, w), 0.1^2)$ with the noise
# known. A plain network of the same shape (`mg.nn.MLP`) is trained on the same points by the
# same steps, minimizing the same negative log-likelihood without the KL.
#
# To predict at $x$ the demo draws $S$ weight vectors (ten times `--samples`: 500) and averages.
# For that it switches the layers to `"reparam"`, which draws one set of weights per pass: every
# pass is then one function of $x$, a curve, and the picture can show a few of them. The
# predictive distribution has mean $\bar f(x) = \frac1S \sum_s f(x, w_s)$ and variance
# $\operatorname{Var}_s f(x, w_s) + 0.1^2$: the spread of the networks (*epistemic*, what the data
# did not settle) plus the noise (*aleatoric*, what no amount of data would remove).

# %%
REGRESSION_GAP = (-0.6, 0.6)        # no training points in between
REGRESSION_DATA = (-2.0, 2.0)       # the points lie in [-2, -0.6] and [0.6, 2]
REGRESSION_PLOT = (-4.0, 4.0)       # predictions are drawn on this interval


def regression_truth(x):
    return numpy.sin(3 * x) + 0.5 * x


def regression_data(n, noise, rng):
    """n points (x, y), half in [-2, -0.6] and half in [0.6, 2], y = f(x) + N(0, noise^2); float32 columns."""
    left = rng.uniform(REGRESSION_DATA[0], REGRESSION_GAP[0], n // 2)
    right = rng.uniform(REGRESSION_GAP[1], REGRESSION_DATA[1], n - n // 2)
    x = numpy.concatenate([left, right])
    y = regression_truth(x) + noise * rng.standard_normal(n)
    return x[:, None].astype(numpy.float32), y[:, None].astype(numpy.float32)


def regression_regions(x):
    """{name: boolean mask} of the grid x: on the data, in the gap, beyond the data."""
    gap = (x > REGRESSION_GAP[0]) & (x < REGRESSION_GAP[1])
    beyond = (x < REGRESSION_DATA[0]) | (x > REGRESSION_DATA[1])
    return {"data": ~gap & ~beyond, "gap": gap, "beyond": beyond}


def train_regression(args, tqdm):
    """Part 1: train the Bayesian and the plain network; return their predictions on a grid and the numbers."""
    rng = mg.backend.host_generator([args.seed, 1])
    x, y = regression_data(args.reg_points, args.noise, rng)
    x_t, y_t = mg.tensor(x), mg.tensor(y)
    sizes = [1, args.reg_hidden, args.reg_hidden, 1]
    mg.random.seed(args.seed)
    bnn = BayesianMLP(sizes, args.reg_prior_scale, args.init_scale, args.estimator)
    plain = mg.nn.MLP(sizes)
    bnn_optimizer = mg.optim.Adam(bnn.parameters(), lr=args.reg_lr)
    plain_optimizer = mg.optim.Adam(plain.parameters(), lr=args.reg_lr)
    history = {"negative_elbo": [], "nll": [], "kl": [], "plain_nll": []}
    bar = tqdm(range(args.reg_steps), desc="part 1: regression", leave=False, disable=args.no_progress or None)
    for _ in bar:
        bnn_optimizer.zero_grad()
        loss, nll, kl = negative_elbo(bnn, x_t, y_t, len(x), noise=args.noise)
        loss.backward()
        bnn_optimizer.step()
        plain_optimizer.zero_grad()
        plain_nll = gaussian_nll(plain(x_t), y_t, args.noise).mean()
        plain_nll.backward()
        plain_optimizer.step()
        for key, value in (("negative_elbo", loss), ("nll", nll), ("kl", kl), ("plain_nll", plain_nll)):
            history[key].append(value.item())
        bar.set_postfix(elbo=f"{-history['negative_elbo'][-1]:.3f}")

    grid = numpy.linspace(*REGRESSION_PLOT, 401, dtype=numpy.float32)[:, None]
    bnn.set_estimator("reparam")        # one weight draw per pass: each pass is a whole curve
    with mg.no_grad():
        draws = numpy.stack([bnn(mg.tensor(grid)).numpy()[:, 0] for _ in range(args.samples * 10)])
        plain_curve = plain(mg.tensor(grid)).numpy()[:, 0]
    mean = draws.mean(0)
    epistemic = draws.std(0)
    predictive = numpy.sqrt(epistemic ** 2 + args.noise ** 2)
    truth = regression_truth(grid[:, 0])
    numbers = {"final_negative_elbo": history["negative_elbo"][-1], "final_nll": history["nll"][-1],
               "final_kl_per_point": history["kl"][-1], "plain_final_nll": history["plain_nll"][-1],
               "regions": {}}
    for name, mask in regression_regions(grid[:, 0]).items():
        numbers["regions"][name] = {
            "mean_epistemic_std": float(epistemic[mask].mean()),
            "mean_predictive_std": float(predictive[mask].mean()),
            "coverage_of_truth": float((numpy.abs(truth[mask] - mean[mask]) <= 2 * predictive[mask]).mean()),
            "bnn_rmse_to_truth": float(numpy.sqrt(((mean[mask] - truth[mask]) ** 2).mean())),
            "plain_rmse_to_truth": float(numpy.sqrt(((plain_curve[mask] - truth[mask]) ** 2).mean()))}
    curves = {"x": x[:, 0], "y": y[:, 0], "grid": grid[:, 0], "mean": mean, "epistemic": epistemic,
              "predictive": predictive, "draws": draws[:5], "plain": plain_curve, "truth": truth}
    return curves, numbers, history


# %% [markdown]
# ## The digits
#
# Grey test images (`load_mnist(binarize_test=False)`), as the training images: a classifier
# tested on binarized digits would be tested on another distribution. With `--image-size 14`
# (the default) each image is shrunk by averaging 2 x 2 blocks of pixels. Two kinds of input the
# classifier never saw stand in for "out of distribution": test digits turned by 90 degrees, and
# images of uniform noise, each pixel independently in $[0, 1]$.

# %%
def shrink(images, size):
    """(n, 784) images as (n, size * size): each pixel the mean of a (28 / size)-wide square."""
    k = 28 // size
    return images.reshape(-1, size, k, size, k).mean(axis=(2, 4)).reshape(len(images), size * size)


def rotate(images, degrees, size):
    """Images (n, size * size) turned counterclockwise by ``degrees`` about their centre (bilinear; black outside)."""
    theta = math.radians(degrees)
    centre = (size - 1) / 2
    rows, cols = numpy.mgrid[0:size, 0:size].astype(numpy.float64) - centre
    # where each output pixel comes from: the inverse rotation of its coordinates (rows point down)
    src_rows = math.cos(theta) * rows + math.sin(theta) * cols + centre
    src_cols = -math.sin(theta) * rows + math.cos(theta) * cols + centre
    r0, c0 = numpy.floor(src_rows).astype(int), numpy.floor(src_cols).astype(int)
    fr, fc = src_rows - r0, src_cols - c0
    square = images.reshape(-1, size, size)
    out = numpy.zeros_like(square)
    for dr, dc, weight in ((0, 0, (1 - fr) * (1 - fc)), (0, 1, (1 - fr) * fc), (1, 0, fr * (1 - fc)), (1, 1, fr * fc)):
        r, c = r0 + dr, c0 + dc
        inside = (r >= 0) & (r < size) & (c >= 0) & (c < size)
        out[:, inside] += weight[inside] * square[:, r[inside], c[inside]]
    return out.reshape(len(images), size * size).astype(images.dtype)


def load_digits(args):
    data = mg.data.load_mnist(binarize_test=False)
    return (shrink(data.train_images[:args.train_size], args.image_size), data.train_labels[:args.train_size],
            shrink(data.test_images[:args.test_size], args.image_size), data.test_labels[:args.test_size])


# %% [markdown]
# ## Part 2: the variance of the minibatch gradient at fixed parameters
#
# A minibatch gradient is noisy for two reasons: which examples were drawn, and which weights. For
# fixed parameters the demo draws `--variance-repeats` minibatches (the same ones for every
# estimator) with fresh noise, computes the gradient of $-\mathcal{L}/N$ each time, and reports,
# for each parameter array, the variance of its entries' gradients averaged over the entries (as
# Kingma, Salimans & Welling do in their table 1). Besides the three estimators it measures two
# references: a weight matrix of its own for every example (`"per-example"`, the independence that
# the local trick gets for free), and the network at its posterior means with no weight noise
# (`"mean"`: only the minibatch's randomness is left, so this is about the least one can hope for;
# it has no $\rho$ gradient from the data).
#
# Why the plain estimator is worse: the minibatch gradient is an average of $|B|$ per-example
# gradients $g_n$, and
#
# $$\operatorname{Var}\Big[\frac{1}{|B|}\sum_{n} g_n\Big] = \frac{1}{|B|}\operatorname{Var}[g_n]
# + \frac{|B| - 1}{|B|}\operatorname{Cov}[g_n, g_m].$$
#
# With one draw of the weights for the batch, the examples share it, the covariance is positive,
# and the second term does not shrink as the batch grows. The local trick draws independent
# noise per example, so the covariance is zero and the variance falls like $1/|B|$. Flipout makes
# the examples' *perturbations* uncorrelated; their gradients, nonlinear in those perturbations
# and in the shared $\Delta W$, keep a small covariance, and the fall is close to $1/|B|$ (an
# empirical finding of Wen et al., measured here too).

# %%
def gradient_moments(model, estimator, images, labels, batch_size, repeats, seed):
    """Mean and variance of every parameter's minibatch gradient of -ELBO/N over ``repeats`` draws.

    The minibatches are drawn from (seed, batch_size), so every estimator sees the same ones, and the
    parameters are left as they were. Returns ({name: mean array}, {name: variance array}, CPU seconds
    per gradient)."""
    model.set_estimator(estimator)
    rng = mg.backend.host_generator([seed, batch_size])
    mg.random.seed(seed + 7)
    sums, squares = {}, {}
    tick = time.process_time()
    for _ in range(repeats):
        index = rng.choice(len(images), size=batch_size, replace=False)
        model.zero_grad()
        loss, _, _ = negative_elbo(model, mg.tensor(images[index]), mg.tensor(labels[index]), len(images))
        loss.backward()
        for name, p in model.named_parameters():
            g = p.grad.numpy().astype(numpy.float64)
            sums[name] = sums.get(name, 0.0) + g
            squares[name] = squares.get(name, 0.0) + g * g
    seconds = (time.process_time() - tick) / repeats      # CPU time: other programs' load does not count
    model.zero_grad()
    means = {name: s / repeats for name, s in sums.items()}
    # E[g^2] - E[g]^2 can come out a hair below 0 where the variance is 0 (the "mean" mode's rho): clip it
    variances = {name: numpy.maximum(squares[name] - repeats * means[name] ** 2, 0.0) / (repeats - 1) for name in sums}
    return means, variances, seconds


def measure_variances(model, images, labels, batch_sizes, repeats, seed, tqdm, no_progress, desc):
    """{estimator: {batch size: {parameter name: mean variance}}} and {estimator: {batch size: CPU seconds
    per gradient}}."""
    table, seconds = {}, {}
    keep = model.layers[0].estimator
    bar = tqdm(total=len(ESTIMATORS + REFERENCES) * len(batch_sizes), desc=desc, leave=False,
               disable=no_progress or None)
    for estimator in ESTIMATORS + REFERENCES:
        table[estimator], seconds[estimator] = {}, {}
        for batch_size in batch_sizes:
            _, variances, sec = gradient_moments(model, estimator, images, labels, batch_size, repeats, seed)
            table[estimator][batch_size] = {name: float(v.mean()) for name, v in variances.items()}
            seconds[estimator][batch_size] = sec
            bar.update()
    bar.close()
    model.set_estimator(keep)
    return table, seconds


# %% [markdown]
# ## Part 3: training with each estimator
#
# The classifier is 196-100-10 with ReLU (784-100-10 at full size). For each estimator the demo
# starts from the same initial parameters and draws the same minibatches, so the curves differ only
# by the estimator. After every epoch it records the mean of the minibatch losses and the test
# error of the predictive mean over `--samples` weight draws,
# $\bar p(y \mid x) = \frac1S\sum_s \operatorname{softmax}(f(x, w_s))_y$. A plain 196-100-10
# network trained on the same minibatches by cross-entropy alone is the reference of part 4.

# %%
def train_classifier(model, images, labels, test_images, test_labels, args, tqdm, desc, seed_offset):
    """Adam on -ELBO/N (or, for a plain mg.nn.MLP, the cross-entropy); returns the per-epoch history."""
    bayesian = isinstance(model, BayesianMLP)
    optimizer = mg.optim.Adam(model.parameters(), lr=args.lr)
    history = {"train_loss": [], "train_nll": [], "train_kl": [], "test_error": [], "test_nll": [], "cpu_seconds": []}
    for epoch in range(args.epochs):
        rng = mg.backend.host_generator([args.seed, epoch])     # the same minibatches for every model
        mg.random.seed(args.seed * 1000 + epoch + seed_offset)
        order = rng.permutation(len(images))
        batches = [order[i:i + args.batch_size] for i in range(0, len(order), args.batch_size)]
        bar = tqdm(batches, desc=f"{desc}, epoch {epoch + 1}/{args.epochs}", leave=False,
                   disable=args.no_progress or None)
        totals = numpy.zeros(3)
        tick = time.process_time()
        for index in bar:
            optimizer.zero_grad()
            x, y = mg.tensor(images[index]), mg.tensor(labels[index])
            if bayesian:
                loss, nll, kl = negative_elbo(model, x, y, len(images))
            else:
                loss = nll = F.cross_entropy(model(x), y)
                kl = mg.tensor(0.0)
            loss.backward()
            optimizer.step()
            totals += [loss.item() * len(index), nll.item() * len(index), kl.item() * len(index)]
            bar.set_postfix(loss=f"{loss.item():.3f}")
        history["cpu_seconds"].append(time.process_time() - tick)     # this program's CPU time, not the wall clock
        for key, total in zip(("train_loss", "train_nll", "train_kl"), totals):
            history[key].append(float(total / len(images)))
        probs = predict(model, test_images, min(args.samples, 10), seed=10_000 + epoch)
        history["test_error"].append(float((probs.argmax(1) != test_labels).mean()))
        history["test_nll"].append(float(-numpy.log(probs[numpy.arange(len(test_labels)), test_labels] + 1e-12).mean()))
    return history


@mg.no_grad()
def predict_draws(model, images, samples, seed, batch_size=1000):
    """Softmax outputs (samples, n, classes): one row per weight draw (a plain network: one row)."""
    mg.random.seed(seed)
    draws = samples if isinstance(model, BayesianMLP) else 1
    out = []
    for _ in range(draws):
        out.append(numpy.concatenate([F.softmax(model(mg.tensor(images[i:i + batch_size])), axis=1).numpy()
                                      for i in range(0, len(images), batch_size)]))
    return numpy.stack(out).astype(numpy.float64)


def predict(model, images, samples, seed):
    """The predictive distribution: the softmax averaged over weight draws, (n, classes)."""
    return predict_draws(model, images, samples, seed).mean(0)


# %% [markdown]
# ## Part 4: knowing what it does not know
#
# For an input $x$, the *predictive entropy* $H[\bar p(\cdot \mid x)] = -\sum_c \bar p_c \log \bar
# p_c$ is at most $\log 10 \approx 2.30$ nats, reached when every class is equally likely. It is high
# when the networks drawn from $q$ agree that the input is ambiguous, and also when each is sure but
# they disagree. The second part alone is the *mutual information* between the prediction and the
# weights, $H[\bar p] - \frac1S\sum_s H[p_s]$ (the expected entropy of each draw subtracted), which
# is 0 for a plain network: it measures what the weights do not know. The demo reports both on test
# digits, rotated digits and noise, and how well each separates the unseen inputs from the test
# digits: the area under the ROC curve, the probability that an unseen input has a higher score than
# a test digit (0.5: no better than chance; 1: always higher).

# %%
def entropy(p, axis=-1):
    """-sum p log p along ``axis``, with 0 log 0 = 0, in nats."""
    return -(p * numpy.log(numpy.where(p > 0, p, 1.0))).sum(axis)


def uncertainty(draws):
    """(predictive entropy, mutual information), each (n,), from softmax draws (samples, n, classes)."""
    total = entropy(draws.mean(0))
    return total, total - entropy(draws).mean(0)


def auroc(inside, outside):
    """P(a score of ``outside`` > a score of ``inside``), ties counted half: the area under the ROC curve."""
    inside, outside = numpy.asarray(inside)[None, :], numpy.asarray(outside)[:, None]
    return float((outside > inside).mean() + 0.5 * (outside == inside).mean())


def out_of_distribution(bnn, plain, test_images, test_labels, args):
    """Entropies of both networks on test digits, rotated digits and noise, and the rotation sweep."""
    rng = mg.backend.host_generator([args.seed, 4])
    size = args.image_size
    inputs = {"test digits": test_images,
              "test digits turned 90 degrees": rotate(test_images, 90, size),
              "uniform noise": rng.random(test_images.shape).astype(numpy.float32)}
    results, scores = {}, {}
    for name, images in inputs.items():
        bnn_draws = predict_draws(bnn, images, args.samples, seed=20_000)
        plain_probs = predict_draws(plain, images, 1, seed=20_000)[0]
        bnn_entropy, bnn_mi = uncertainty(bnn_draws)
        plain_entropy = entropy(plain_probs)
        scores[name] = {"bnn_entropy": bnn_entropy, "bnn_mutual_information": bnn_mi, "plain_entropy": plain_entropy}
        results[name] = {"bnn_mean_entropy": float(bnn_entropy.mean()),
                         "bnn_mean_mutual_information": float(bnn_mi.mean()),
                         "plain_mean_entropy": float(plain_entropy.mean())}
        if name != "uniform noise":
            results[name]["bnn_accuracy"] = float((bnn_draws.mean(0).argmax(1) == test_labels).mean())
            results[name]["plain_accuracy"] = float((plain_probs.argmax(1) == test_labels).mean())
    for name in ("test digits turned 90 degrees", "uniform noise"):
        for score in ("bnn_entropy", "bnn_mutual_information", "plain_entropy"):
            results[name][f"auroc_{score}"] = auroc(scores["test digits"][score], scores[name][score])

    angles = list(range(0, 181, 15))
    digits, labels = test_images[:args.rotation_digits], test_labels[:args.rotation_digits]
    sweep = {"angles": angles, "bnn_entropy": [], "bnn_mutual_information": [], "plain_entropy": [],
             "bnn_accuracy": [], "plain_accuracy": []}
    for angle in angles:
        turned = rotate(digits, angle, size)
        bnn_draws = predict_draws(bnn, turned, args.samples, seed=30_000 + angle)
        plain_probs = predict_draws(plain, turned, 1, seed=0)[0]
        bnn_entropy, bnn_mi = uncertainty(bnn_draws)
        sweep["bnn_entropy"].append(float(bnn_entropy.mean()))
        sweep["bnn_mutual_information"].append(float(bnn_mi.mean()))
        sweep["plain_entropy"].append(float(entropy(plain_probs).mean()))
        sweep["bnn_accuracy"].append(float((bnn_draws.mean(0).argmax(1) == labels).mean()))
        sweep["plain_accuracy"].append(float((plain_probs.argmax(1) == labels).mean()))
    return results, scores, inputs, sweep


# %% [markdown]
# ## Pictures
#
# Every picture's title says what was run, so that pictures of two runs cannot be mistaken for
# each other; legends sit outside the data.

# %%
COLOURS = {"reparam": "tab:red", "local": "tab:blue", "flipout": "tab:green", "per-example": "tab:purple",
           "mean": "grey", "plain": "tab:orange"}
SETS = {"test digits": "tab:blue", "test digits turned 90 degrees": "tab:purple", "uniform noise": "tab:red"}


def describe_classifier(args):
    size = args.image_size
    return (f"Bayesian MLP {size * size}-{args.hidden}-10, prior N(0, {args.prior_scale:g}^2), "
            f"{args.train_size} digits at {size}x{size}, {args.epochs} epochs, batch {args.batch_size}, "
            f"Adam lr {args.lr:g}, seed {args.seed}")


def draw_regression(curves, args, plt, path):
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.4]})
    grid = curves["grid"]
    for ax in (top, bottom):
        ax.axvspan(*REGRESSION_GAP, color="0.92", zorder=0)
    top.fill_between(grid, curves["mean"] - 2 * curves["predictive"], curves["mean"] + 2 * curves["predictive"],
                     color="tab:blue", alpha=0.25, linewidth=0, label="Bayesian: mean ± 2 predictive std")
    for i, draw in enumerate(curves["draws"]):
        top.plot(grid, draw, color="tab:blue", linewidth=0.6, alpha=0.6,
                 label="Bayesian: networks drawn from q(w)" if i == 0 else None)
    top.plot(grid, curves["mean"], color="tab:blue", linewidth=2, label="Bayesian: predictive mean")
    top.plot(grid, curves["plain"], color="tab:orange", linewidth=2, label="plain network")
    top.plot(grid, curves["truth"], "k--", linewidth=1, label="true f(x) = sin(3x) + x/2")
    top.plot(curves["x"], curves["y"], "k.", markersize=3, label=f"{len(curves['x'])} training points")
    spread = curves["y"].max() - curves["y"].min()
    top.set_ylim(curves["y"].min() - 0.6 * spread, curves["y"].max() + 0.6 * spread)
    top.text(0.0, top.get_ylim()[0] + 0.04 * (top.get_ylim()[1] - top.get_ylim()[0]), "no data",
             ha="center", color="0.4")
    top.set_ylabel("y")
    top.set_title(f"Bayes by Backprop (1-{args.reg_hidden}-{args.reg_hidden}-1, ReLU, {LABELS[args.estimator]}) "
                  f"against a plain network\nprior N(0, {args.reg_prior_scale:g}^2), noise std {args.noise:g} known, "
                  f"{args.reg_steps} Adam steps on all points, lr {args.reg_lr:g}, seed {args.seed}", fontsize=9)
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    bottom.semilogy(grid, curves["predictive"], color="tab:blue", label="predictive std")
    bottom.semilogy(grid, curves["epistemic"], color="tab:blue", linestyle=":",
                    label="spread of the networks (std of f(x, w))")
    bottom.axhline(args.noise, color="k", linestyle="--", linewidth=1, label=f"noise std {args.noise:g}")
    bottom.set_xlabel("x (grey: the gap in the training data)")
    bottom.set_ylabel("standard deviation")
    bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    bottom.set_xlim(*REGRESSION_PLOT)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def draw_variance(table, batch_sizes, args, plt, path, when):
    names = {"layers.0.weight_loc": "first layer, d/d mu", "layers.0.weight_rho": "first layer, d/d rho"}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    sizes = numpy.array(batch_sizes, dtype=float)
    for ax, (parameter, title) in zip(axes, names.items()):
        for estimator in ESTIMATORS + REFERENCES:
            if estimator == "mean" and parameter.endswith("rho"):
                continue                  # no weight noise: the data term does not depend on rho
            values = [table[estimator][b][parameter] for b in batch_sizes]
            ax.loglog(sizes, values, marker="o", color=COLOURS[estimator], label=LABELS[estimator],
                      linestyle="--" if estimator in REFERENCES else "-", markersize=4)
        first = table["local"][batch_sizes[0]][parameter]
        ax.loglog(sizes, first * sizes[0] / sizes, color="0.6", linewidth=0.8, linestyle=":",
                  label="slope 1 / batch size")
        ax.set_xlabel("minibatch size")
        ax.set_ylabel("variance of the gradient\n(mean over the layer's entries)")
        ax.set_title(title, fontsize=10)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(f"Variance of the minibatch gradient of -ELBO/N at fixed parameters ({when}), "
                 f"{args.variance_repeats} draws per point\n{describe_classifier(args)}", fontsize=9)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def draw_training(histories, args, plt, path):
    from matplotlib.ticker import MaxNLocator
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.2))
    epochs = numpy.arange(1, args.epochs + 1)
    for estimator in ESTIMATORS:
        h = histories[estimator]
        axes[0].plot(epochs, h["train_loss"], "o-", markersize=3, color=COLOURS[estimator], label=LABELS[estimator])
        axes[1].plot(epochs, h["train_nll"], "o-", markersize=3, color=COLOURS[estimator])
        axes[2].plot(epochs, 100 * numpy.array(h["test_error"]), "o-", markersize=3, color=COLOURS[estimator])
    axes[2].plot(epochs, 100 * numpy.array(histories["plain"]["test_error"]), "o-", markersize=3,
                 color=COLOURS["plain"], label="plain network (cross-entropy only)")
    axes[0].set_yscale("log")
    axes[0].set_ylabel("-ELBO / N (log scale)")
    axes[0].set_title("training loss: NLL + KL / N", fontsize=10)
    axes[1].set_ylabel("negative log-likelihood per digit")
    axes[1].set_title("its data term (NLL)", fontsize=10)
    axes[2].set_ylabel("test error (%)")
    axes[2].set_title(f"test error of the predictive mean\n({min(args.samples, 10)} weight draws)", fontsize=10)
    for ax in axes:
        ax.set_xlabel("epoch (mean over the epoch's minibatches)" if ax is not axes[2] else "epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    handles = [h for ax in (axes[0], axes[2]) for h in ax.get_legend_handles_labels()[0]]
    labels = [lab for ax in (axes[0], axes[2]) for lab in ax.get_legend_handles_labels()[1]]
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8)
    fig.suptitle(f"Training the classifier with each gradient estimator (same start, same minibatches)\n"
                 f"{describe_classifier(args)}", fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def draw_entropy(scores, args, plt, path):
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), sharey=True)
    panels = (("bnn_entropy", f"Bayesian ({LABELS[args.estimator]}): predictive entropy"),
              ("bnn_mutual_information", "Bayesian: mutual information\n(disagreement of the drawn networks)"),
              ("plain_entropy", "plain network: entropy of its softmax"))
    bins = numpy.linspace(0, math.log(10), 31)
    for ax, (score, title) in zip(axes, panels):
        for name, colour in SETS.items():
            values = scores[name][score]
            ax.hist(values, bins=bins, weights=numpy.full(len(values), 100 / len(values)), histtype="step",
                    linewidth=1.5, color=colour, label=f"{name} ({len(values)})")
        ax.axvline(math.log(10), color="k", linestyle=":", linewidth=1)
        ax.set_xlabel("nats (dotted: log 10, all classes equal)")
        ax.set_title(title, fontsize=9)
    axes[0].set_ylabel("% of the inputs")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8)
    fig.suptitle(f"How unsure each network is, on inputs like its training digits and on two kinds it never saw "
                 f"({args.samples} weight draws)\n{describe_classifier(args)}", fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def draw_inputs(inputs, args, plt, path, n=8):
    size = args.image_size
    fig, axes = plt.subplots(3, 1, figsize=(8, 3.6))
    for ax, (name, images) in zip(axes, inputs.items()):
        ax.imshow(numpy.hstack(images[:n].reshape(-1, size, size)), cmap="gray", vmin=0, vmax=1)
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    fig.suptitle(f"The three kinds of input of part 4, at {size} x {size} pixels", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def draw_rotation(sweep, args, plt, path):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    angles = sweep["angles"]
    axes[0].plot(angles, sweep["bnn_entropy"], "o-", markersize=3, color="tab:blue",
                 label="Bayesian: predictive entropy")
    axes[0].plot(angles, sweep["bnn_mutual_information"], "o--", markersize=3, color="tab:blue",
                 label="Bayesian: mutual information")
    axes[0].plot(angles, sweep["plain_entropy"], "o-", markersize=3, color="tab:orange", label="plain network: entropy")
    axes[0].set_ylabel("mean over the digits (nats)")
    axes[0].set_title("uncertainty", fontsize=10)
    axes[1].plot(angles, 100 * numpy.array(sweep["bnn_accuracy"]), "o-", markersize=3, color="tab:blue")
    axes[1].plot(angles, 100 * numpy.array(sweep["plain_accuracy"]), "o-", markersize=3, color="tab:orange")
    axes[1].set_ylabel("accuracy (%)")
    axes[1].set_ylim(0, 100)
    axes[1].set_title("accuracy", fontsize=10)
    for ax in axes:
        ax.set_xlabel("rotation of the test digits (degrees)")
        ax.set_xticks(angles[::2])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8)
    fig.suptitle(f"{args.rotation_digits} test digits turned counterclockwise: as the accuracy falls, does the "
                 f"uncertainty rise? "
                 f"({args.samples} weight draws)\n{describe_classifier(args)}", fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)


# %% [markdown]
# ## The demo: `main(argv)`
#
# `main` runs the four parts in turn, prints their numbers, writes `metrics.json` and draws the
# pictures with matplotlib's file backend (Agg). The variance of part 2 is measured twice: at the
# initial parameters and at those the `--estimator` classifier reached after training.

# %%
def print_variance_table(table, seconds, batch_size, when):
    columns = ("layers.0.weight_loc", "layers.0.weight_rho", "layers.1.weight_loc", "layers.1.weight_rho")
    print(f"\nvariance of the minibatch gradient, batch {batch_size}, {when} (mean over each array's entries)")
    print(f"{'estimator':35s}" + "".join(f"{c.replace('layers.', 'L').replace('weight_', ''):>12s}" for c in columns)
          + f"{'CPU ms/gradient':>17s}")
    for estimator, rows in table.items():
        row = rows[batch_size]
        cells = "".join(f"{'-':>12s}" if estimator == "mean" and c.endswith("rho") else f"{row[c]:12.3g}"
                        for c in columns)
        print(f"{LABELS[estimator]:35s}{cells}{1000 * seconds[estimator][batch_size]:17.1f}")


def print_variance_by_batch_size(table, batch_sizes):
    print("\nthe same, first layer, by minibatch size (1 / batch size predicts a fall of "
          f"{batch_sizes[-1] / batch_sizes[0]:g}x from the first to the last)")
    for column in ("layers.0.weight_loc", "layers.0.weight_rho"):
        print(f"{'d/d ' + column.split('_')[-1].replace('loc', 'mu'):35s}"
              + "".join(f"{'batch ' + str(b):>12s}" for b in batch_sizes) + f"{'fall':>8s}")
        for estimator, rows in table.items():
            if estimator == "mean" and column.endswith("rho"):
                continue
            values = [rows[b][column] for b in batch_sizes]
            print(f"{LABELS[estimator]:35s}" + "".join(f"{v:12.3g}" for v in values)
                  + f"{values[0] / values[-1]:7.1f}x")


def main(argv=None):
    args = parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    os.makedirs(args.out, exist_ok=True)
    began = time.perf_counter()
    metrics = {"config": vars(args).copy()}

    # Part 1
    tick = time.perf_counter()
    curves, numbers, reg_history = train_regression(args, tqdm)
    metrics["regression"] = numbers
    metrics["regression"]["seconds"] = time.perf_counter() - tick
    print(f"part 1, regression: -ELBO/N {numbers['final_negative_elbo']:.3f} (NLL {numbers['final_nll']:.3f} "
          f"+ KL/N {numbers['final_kl_per_point']:.3f}); plain network NLL {numbers['plain_final_nll']:.3f}  "
          f"({metrics['regression']['seconds']:.0f} s)")
    print(f"{'region':8s}{'spread of nets':>16s}{'predictive std':>16s}{'truth in band':>15s}"
          f"{'RMSE Bayes':>12s}{'RMSE plain':>12s}")
    for name, r in numbers["regions"].items():
        print(f"{name:8s}{r['mean_epistemic_std']:16.3f}{r['mean_predictive_std']:16.3f}"
              f"{100 * r['coverage_of_truth']:14.0f}%{r['bnn_rmse_to_truth']:12.3f}{r['plain_rmse_to_truth']:12.3f}")

    # Parts 2 and 3
    images, labels, test_images, test_labels = load_digits(args)
    sizes = [args.image_size ** 2, args.hidden, 10]
    mg.random.seed(args.seed)
    model = BayesianMLP(sizes, args.prior_scale, args.init_scale)
    initial = model.state_dict()
    tick = time.perf_counter()
    variance_at_start, start_seconds = measure_variances(model, images, labels, [args.batch_size],
                                                         args.variance_repeats, args.seed, tqdm, args.no_progress,
                                                         "part 2: variance at the start")
    histories = {}
    for i, estimator in enumerate(ESTIMATORS):
        model.load_state_dict(initial)
        model.set_estimator(estimator)
        histories[estimator] = train_classifier(model, images, labels, test_images, test_labels, args, tqdm,
                                                f"part 3: {estimator}", seed_offset=i)
        if estimator == args.estimator:
            trained = model.state_dict()
        h = histories[estimator]
        print(f"part 3, {LABELS[estimator]:25s}: final -ELBO/N {h['train_loss'][-1]:.3f} (NLL {h['train_nll'][-1]:.3f}"
              f" + KL/N {h['train_kl'][-1]:.3f}), test error {100 * h['test_error'][-1]:.2f}%, "
              f"test NLL {h['test_nll'][-1]:.3f}, {numpy.mean(h['cpu_seconds']):.1f} CPU s per epoch")
    mg.random.seed(args.seed)
    plain = mg.nn.MLP(sizes)
    histories["plain"] = train_classifier(plain, images, labels, test_images, test_labels, args, tqdm,
                                          "part 3: plain", seed_offset=len(ESTIMATORS))
    h = histories["plain"]
    print(f"part 3, {'plain network':25s}: final NLL {h['train_nll'][-1]:.3f}, test error "
          f"{100 * h['test_error'][-1]:.2f}%, test NLL {h['test_nll'][-1]:.3f}")
    metrics["training"] = histories

    model.load_state_dict(trained)
    variance_trained, seconds = measure_variances(model, images, labels, args.variance_batch_sizes,
                                                  args.variance_repeats, args.seed, tqdm, args.no_progress,
                                                  "part 2: variance after training")
    metrics["variance"] = {"at_start": variance_at_start, "after_training": variance_trained,
                           "cpu_seconds_per_gradient": {"at_start": start_seconds, "after_training": seconds},
                           "repeats": args.variance_repeats,
                           "seconds": time.perf_counter() - tick}
    print_variance_table(variance_at_start, start_seconds, args.batch_size, "at the initial parameters")
    shown = args.batch_size if args.batch_size in args.variance_batch_sizes else args.variance_batch_sizes[-1]
    print_variance_table(variance_trained, seconds, shown,
                         f"after {args.epochs} epochs with {LABELS[args.estimator]}")
    if len(args.variance_batch_sizes) > 1:
        print_variance_by_batch_size(variance_trained, args.variance_batch_sizes)

    # Part 4
    model.set_estimator(args.estimator)
    tick = time.perf_counter()
    results, scores, inputs, sweep = out_of_distribution(model, plain, test_images, test_labels, args)
    metrics["out_of_distribution"] = {"sets": results, "rotation_sweep": sweep, "seconds": time.perf_counter() - tick}
    print(f"\npart 4, uncertainty in nats ({args.samples} weight draws). B: the Bayesian network, MI: mutual "
          f"information,\nAUROC: the probability that the score of an input of the set beats that of a test digit")
    print(f"{'inputs':31s}{'accuracy B / plain':>19s}{'entropy B':>11s}{'MI B':>7s}{'entropy plain':>15s}"
          f"{'AUROC: entropy B':>18s}{'MI B':>7s}{'entropy plain':>15s}")
    for name, r in results.items():
        accuracy = (f"{100 * r['bnn_accuracy']:.1f}% / {100 * r['plain_accuracy']:.1f}%"
                    if "bnn_accuracy" in r else "-")
        aurocs = (f"{r['auroc_bnn_entropy']:18.3f}{r['auroc_bnn_mutual_information']:7.3f}"
                  f"{r['auroc_plain_entropy']:15.3f}" if "auroc_bnn_entropy" in r else "")
        print(f"{name:31s}{accuracy:>19s}{r['bnn_mean_entropy']:11.3f}{r['bnn_mean_mutual_information']:7.3f}"
              f"{r['plain_mean_entropy']:15.3f}{aurocs}")

    metrics["seconds"] = time.perf_counter() - began
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    draw_regression(curves, args, plt, os.path.join(args.out, "regression.png"))
    trained_with = f"after {args.epochs} epochs with {LABELS[args.estimator]}"
    draw_variance(variance_trained, args.variance_batch_sizes, args, plt,
                  os.path.join(args.out, "gradient_variance.png"), trained_with)
    draw_training(histories, args, plt, os.path.join(args.out, "training.png"))
    draw_entropy(scores, args, plt, os.path.join(args.out, "entropy.png"))
    draw_inputs(inputs, args, plt, os.path.join(args.out, "ood_inputs.png"))
    draw_rotation(sweep, args, plt, os.path.join(args.out, "rotation.png"))
    print(f"\nwrote metrics.json and 6 pictures to {args.out} in {time.perf_counter() - began:.0f} s")
    return metrics


# %% [markdown]
# ## Run it
#
# In a notebook, the next cell runs `main` with the program's defaults, without the progress bar,
# and writes to `demo_out/bnn`, under the folder the kernel runs in. Change `ARGS` for other
# settings: `["--epochs", "3", "--reg-steps", "500"]` for a quick look, `["--estimator", "flipout"]`
# to train the networks of parts 1 and 4 with Flipout. When the file runs as a program or is
# imported, this cell and the ones after it do nothing.

# %%
if NOTEBOOK:
    from IPython.display import Image, display

    ARGS = []
    OUT = os.path.join("demo_out", "bnn")
    metrics = main([*ARGS, "--no-progress", "--out", OUT])

# %% [markdown]
# **Part 1.** The predictive band against the plain network's curve, and below it the standard
# deviations themselves, on a log scale.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "regression.png")))

# %% [markdown]
# **Parts 2 and 3.** The variance of each estimator's gradient as the minibatch grows, and the
# training curves.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "gradient_variance.png")))
    display(Image(os.path.join(OUT, "training.png")))

# %% [markdown]
# **Part 4.** The inputs, the entropies, and the sweep over rotations.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "ood_inputs.png")))
    display(Image(os.path.join(OUT, "entropy.png")))
    display(Image(os.path.join(OUT, "rotation.png")))

# %%
if __name__ == "__main__" and not NOTEBOOK:
    main(sys.argv[1:])
