# %% [markdown]
# # Bayesian logistic regression by stochastic backpropagation
#
# A logistic regression has a weight vector $w$; a Bayesian one keeps a distribution over it.
# Given a prior $p(w)$ and labelled cases $(x_i, y_i)$, the posterior
# $p(w \mid y) \propto p(w) \prod_i p(y_i \mid x_i, w)$ has no closed form, so this demo fits a
# Gaussian $q(w)$ to it by maximizing the evidence lower bound (ELBO) with stochastic gradients:
# *doubly stochastic variational inference* (Titsias & Lázaro-Gredilla 2014,
# [PMLR 32](https://proceedings.mlr.press/v32/titsias14.html)), with the Gaussian
# backpropagation of Kingma & Welling (2014, [arXiv:1312.6114](https://arxiv.org/abs/1312.6114))
# and Rezende, Mohamed & Wierstra (2014, [arXiv:1401.4082](https://arxiv.org/abs/1401.4082)):
# draw $w = \mu + R \epsilon$ with $\epsilon \sim \mathcal{N}(0, I)$ and differentiate through
# the draw. The data are the Wisconsin diagnostic breast-cancer cases (569 tumours, 30 features
# each). The demo fits two Gaussian families, one with a diagonal covariance and one with a
# full covariance $C = R R^\top$, each with every gradient estimator of
# `minigrad/estimators.py` that applies, and compares them (Mohamed, Rosca, Figurnov & Mnih
# 2020, [arXiv:1906.10652](https://arxiv.org/abs/1906.10652)). An answer computed without the
# tape checks the result: the ELBO by one-dimensional quadrature, and the Laplace approximation
# at the MAP found by Newton's method. `docs/bayes_logreg.md` reports a full run.
#
# **Program, module and notebook.** This file is a [Jupytext](https://jupytext.readthedocs.io)
# percent script: `# %%` starts a code cell, `# %% [markdown]` a text cell like this one.
#
# - Program: `python demos/bayes_logreg.py` fits 7 posteriors (2,000 Adam steps each) and writes
#   `metrics.json`, `elbo.png`, `gradient_variance.png`, `correlations.png` and `weights.png`
#   to `demo_out/bayes_logreg`, and prints a table; `--help` lists the options.
# - Module: importing the file only defines things; `main(argv)` runs the demo on a list of
#   arguments and returns the metrics (the tests do this).
# - Notebook: `jupytext --to notebook demos/bayes_logreg.py`, or, with jupytext installed, open
#   the `.py` file in Jupyter (right click, *Open With → Notebook*); run the cells top to bottom.
#
# The next cell sets `NOTEBOOK = __name__ == "__main__" and "ipykernel" in sys.modules`, and
# both halves are needed. A notebook runs as `__main__`, as a program does, but its `sys.argv`
# holds the Jupyter kernel's own arguments (`-f kernel.json`), which `argparse` would reject. A
# module imported from a notebook has `ipykernel` loaded too, but its `__name__` is its own. The
# cells at the end run `main` and show its pictures only when `NOTEBOOK` is true, and the last
# cell reads the command line only when the file runs as a program.
# (`%run demos/bayes_logreg.py` inside Jupyter therefore counts as a notebook and ignores its
# arguments; call `main([...])` there instead.)

# %%
"""Bayesian logistic regression on the breast-cancer data, fitted by stochastic backpropagation.

    python demos/bayes_logreg.py                          # 7 fits of 2,000 steps, in demo_out/bayes_logreg
    python demos/bayes_logreg.py --iterations 300 --variance-repeats 20        # a quick look
    python demos/bayes_logreg.py --families full --estimators pathwise score+baseline --lr 0.002 \
        --out demo_out/bayes_logreg_small_lr          # the score function with a 25 times smaller step

The explanation is in the Markdown cells of this file, which opens as a notebook (see the first cell).
"""
import argparse
import csv
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
from minigrad import estimators  # noqa: E402
from minigrad.distributions import MultivariateNormal, Normal  # noqa: E402
from minigrad.linalg import tril  # noqa: E402

NOTEBOOK = __name__ == "__main__" and "ipykernel" in sys.modules   # in a Jupyter kernel, not imported

DATA = os.path.join(os.path.dirname(os.path.abspath(mg.__file__)), "data", "breast_cancer.csv")
SPLIT_SEED = 0        # the train/test split is the same in every run, whatever --seed says
TRAIN_SIZE = 400      # of the 569 cases; the other 169 are the test cases
EVAL_SEED = 12345     # the gradient-variance study draws the same noise for every estimator


# %% [markdown]
# ## The data
#
# `minigrad/data/breast_cancer.csv` holds the Wisconsin diagnostic breast-cancer data of
# Wolberg, Street & Mangasarian (UCI Machine Learning Repository,
# [doi:10.24432/C5DW2B](https://doi.org/10.24432/C5DW2B), CC BY 4.0; see
# `minigrad/data/ATTRIBUTION.md`): one row per tumour, 30 measurements of the cell nuclei in a
# fine-needle aspirate (the mean, standard error and worst value of ten quantities such as radius,
# texture and concavity) and a column `target`, 0 for malignant and 1 for benign (scikit-learn's
# coding). We predict $y = 1$ for **malignant** (212 of the 569), so a positive weight pushes
# towards malignant.
#
# A fixed permutation (seed 0) puts 400 cases in the training set and 169 in the test set. Each
# feature is standardized with the mean and standard deviation of the training cases, and a
# last feature, always 1, is the bias: $w \in \mathbb{R}^{31}$.

# %%
def load_breast_cancer(path=DATA):
    """(features (569, 30) float64, malignant (569,) 0/1 float64, the 30 feature names) from the CSV."""
    with open(path, newline="") as file:
        rows = list(csv.reader(file))
    header, values = rows[0], numpy.array(rows[1:], dtype=numpy.float64)
    if header[-1] != "target" or values.shape[1] != 31:
        raise ValueError(f"{path}: expected 30 feature columns and 'target', got {header}")
    return values[:, :-1], 1.0 - values[:, -1], header[:-1]


def split_and_standardize(features, labels, train_size=TRAIN_SIZE, seed=SPLIT_SEED):
    """A fixed train/test split; features standardized by the training statistics, plus a bias column of 1."""
    order = numpy.random.default_rng(seed).permutation(len(labels))
    train, test = order[:train_size], order[train_size:]
    mean, std = features[train].mean(0), features[train].std(0)
    x = numpy.hstack([(features - mean) / std, numpy.ones((len(labels), 1))])
    return x[train], labels[train], x[test], labels[test]


# %% [markdown]
# ## The model and the ELBO
#
# Prior $p(w) = \mathcal{N}(0, s^2 I)$ with $s = 1$ (`--prior-scale`); likelihood
# $p(y_i \mid x_i, w) = \mathrm{Bernoulli}(y_i;\, \sigma(x_i^\top w))$, whose logarithm is
# $y_i a_i - \operatorname{softplus}(a_i)$ with $a_i = x_i^\top w$ (`mg.bernoulli_log_prob`). For a
# Gaussian $q(w)$ the bound is
#
# $$\log p(y) \;\ge\; \mathcal{L}(q) = \mathbb{E}_{q(w)}\big[\underbrace{\log p(y \mid w) + \log p(w)}_{f(w)}\big]
# + \mathcal{H}[q],$$
#
# with the entropy in closed form, $\mathcal{H}[q] = \tfrac{d}{2}(1 + \log 2\pi) + \sum_j \log R_{jj}$.
# As in Titsias & Lázaro-Gredilla (2014), only the expectation of the log joint $f$ is estimated
# by sampling; its gradient is what the estimators below compare, and the entropy's gradient,
# $\operatorname{diag}(1/R_{jj})$ for $R$, is exact. (Their second "stochastic" is subsampling the
# data; 400 cases are cheap enough to use all of them at every step, so that the only noise here
# is the estimator's.)
#
# `log_joint` takes weights of any shape `(..., d)` and returns `(...)`: one value per weight
# vector, so that one call scores a whole batch of draws.

# %%
def log_joint(w, x, y, prior_scale):
    """f(w) = log p(y | x, w) + log N(w; 0, s^2 I) for weights w of shape (..., d): shape (...)."""
    d = w.shape[-1]
    logits = mg.matmul(w, x.T)                                      # (..., N): a_i = x_i . w
    log_likelihood = mg.bernoulli_log_prob(logits, y).sum(-1)       # sum_i y_i a_i - softplus(a_i)
    log_prior = -0.5 * (w * w).sum(-1) / prior_scale**2 - 0.5 * d * math.log(2 * math.pi * prior_scale**2)
    return log_likelihood + log_prior


# %% [markdown]
# ## Two Gaussian families
#
# **Full covariance.** $q(w) = \mathcal{N}(\mu, R R^\top)$ with $R$ lower triangular and a
# positive diagonal: [`MultivariateNormal(loc, scale_tril=R)`](../docs/api/distributions.md),
# whose `rsample` is $w = \mu + R \epsilon$. The free parameters are $\mu$, the entries of
# $R$ below the diagonal, and $\log R_{jj}$ (so the diagonal stays positive): $31 + 465 + 31 = 527$
# numbers.
#
# **Diagonal covariance** ("mean field"). $q(w) = \prod_j \mathcal{N}(w_j;\, \mu_j, \sigma_j^2)$,
# the same class with $R = \operatorname{diag}(\sigma)$, $\sigma = e^{\log \sigma}$: 62 numbers.
#
# Why `MultivariateNormal` for the diagonal family too, and not `Normal(loc, scale)`? To the
# estimators, a `Normal` with `batch_shape (31,)` is 31 separate one-dimensional
# distributions, each with its own expectation (`minigrad/estimators.py`): its `log_prob` has
# one value per coordinate. Our $f$ couples the coordinates, and the score function needs
# $\log q(w) = \sum_j \log q_j(w_j)$, one number per draw: the `event_shape (31,)` of a
# `MultivariateNormal`. Only the measure-valued estimator, which is written for
# one-dimensional Gaussians, gets the 31 `Normal`s (see the next section).
#
# We start every fit at $\mu = 0$, $\sigma_j = R_{jj} = 0.1$ (`--init-scale`).

# %%
class DiagonalGaussian:
    """q(w) = N(loc, diag(scale^2)), scale = exp(log_scale): parameters loc (d,) and log_scale (d,)."""
    name = "diagonal"

    def __init__(self, d, init_scale, dtype, device):
        self.loc = mg.zeros(d, dtype=dtype, device=device, requires_grad=True)
        self.log_scale = mg.full(d, math.log(init_scale), dtype=dtype, device=device, requires_grad=True)
        self.eye = mg.eye(d, dtype=dtype, device=device)

    def parameters(self):
        return [self.loc, self.log_scale]

    def scale_tril(self):
        return mg.expand_dims(self.log_scale.exp(), -1) * self.eye     # diag(scale): scale_j at [j, j]

    def distribution(self):
        return MultivariateNormal(self.loc, self.scale_tril(), validate_args=False)

    def coordinates(self):
        """The same q as d one-dimensional Normals (batch_shape (d,)), for the measure-valued estimator."""
        return Normal(self.loc, self.log_scale.exp(), validate_args=False)


class FullGaussian:
    """q(w) = N(loc, R R^T), R = tril(lower, -1) + diag(exp(log_diag)): parameters loc, lower (d, d), log_diag."""
    name = "full"

    def __init__(self, d, init_scale, dtype, device):
        self.loc = mg.zeros(d, dtype=dtype, device=device, requires_grad=True)
        self.lower = mg.zeros((d, d), dtype=dtype, device=device, requires_grad=True)   # used below the diagonal
        self.log_diag = mg.full(d, math.log(init_scale), dtype=dtype, device=device, requires_grad=True)
        self.eye = mg.eye(d, dtype=dtype, device=device)

    def parameters(self):
        return [self.loc, self.lower, self.log_diag]

    def scale_tril(self):
        return tril(self.lower, -1) + mg.expand_dims(self.log_diag.exp(), -1) * self.eye

    def distribution(self):
        return MultivariateNormal(self.loc, self.scale_tril(), validate_args=False)


FAMILIES = {"diagonal": DiagonalGaussian, "full": FullGaussian}


def moments(family):
    """(mean, covariance) of q as float64 NumPy arrays."""
    with mg.no_grad():
        r = family.scale_tril().numpy().astype(numpy.float64)
        return family.loc.numpy().astype(numpy.float64), r @ r.T


def flat_gradient(family):
    """The gradients of the free parameters as one vector (the upper triangle of `lower` is not free)."""
    parts = []
    for p in family.parameters():
        g = p.grad.numpy() if p.grad is not None else numpy.zeros(p.shape)
        parts.append(g[numpy.tril_indices(g.shape[0], -1)] if p is getattr(family, "lower", None) else g.ravel())
    return numpy.concatenate(parts).astype(numpy.float64)


# %% [markdown]
# ## Four estimators of the gradient of $\mathbb{E}_q[f]$
#
# Each returns a *surrogate*: a scalar whose `.backward()` leaves the estimate in the
# parameters' `.grad` (`docs/estimators.md`). Every step uses $n$ draws (`--samples`, 16).
#
# - **pathwise** (reparameterization; Kingma & Welling 2014, Rezende et al. 2014): the mean of
#   $f(\mu + R\epsilon_k)$, backpropagated through the draw. In the notation of K. Fan's slides
#   (course reading) and of Fan et al. (2015, arXiv:1509.02866),
#   $\nabla_\mu \mathbb{E}[f] = \mathbb{E}[g]$ and $\nabla_R \mathbb{E}[f] = \mathbb{E}[g\, \epsilon^\top]$
#   with $g = \nabla f(\mu + R\epsilon)$: the tape computes exactly these.
# - **score** (REINFORCE; Williams 1992, [doi:10.1007/BF00992696](https://doi.org/10.1007/BF00992696)):
#   the mean of $f(w_k) \nabla \log q(w_k)$. It only evaluates $f$.
# - **score+baseline**: the mean of $(f(w_k) - b_k) \nabla \log q(w_k)$ with the leave-one-out
#   baseline $b_k$, the mean of $f$ over the other $n - 1$ draws (Kool, van Hoof & Welling 2019).
#   Still unbiased, because $b_k$ does not depend on $w_k$ and $\mathbb{E}[\nabla \log q] = 0$.
# - **measure-valued** (diagonal family only): `estimators.measure_valued` differentiates
#   $\mathbb{E}_{\mathcal{N}(\mu_j, \sigma_j^2)}$ of a function of one coordinate. For a function
#   of all 31 we use that $q$ is a product: with the other coordinates $w_{-j}$ drawn from $q$
#   and held fixed, $\partial_{\mu_j} \mathbb{E}_q[f] = \mathbb{E}_{w_{-j}}\big[\partial_{\mu_j}
#   \mathbb{E}_{w_j}[f(w_j, w_{-j})]\big]$. So coordinate $j$ of the function we hand it is
#   $f$ at a base draw with coordinate $j$ replaced (`one_coordinate_at_a_time`). Each draw then
#   costs $4 \times 31$ evaluations of $f$ instead of 1: the price of an estimator that needs
#   no derivative of $f$, per dimension (Mohamed et al. 2020, section 6).
#
# The entropy's gradient is exact and the same for all four. A family without a
# measure-valued estimator (the full covariance: `measure_valued` is written for `Normal`) is
# simply not run with it.

# %%
ESTIMATORS = ("pathwise", "score", "score+baseline", "measure-valued")
LOG_JOINT_CALLS = {"pathwise": 1, "score": 1, "score+baseline": 1}   # evaluations of f per draw (MVD: 4 d)


def one_coordinate_at_a_time(f, base):
    """g(x)[k, j] = f(base[k] with coordinate j replaced by x[k, j]), for x of shape (n, d).

    Value (k, j) depends on x only through x[k, j]: the one-dimensional functions that the
    measure-valued estimator of each Normal(loc_j, scale_j) differentiates.
    """
    d = base.shape[-1]
    eye = mg.eye(d, dtype=base.dtype, device=base.device)

    def g(x):
        w = mg.expand_dims(base, -2) * (1.0 - eye) + mg.expand_dims(x, -1) * eye   # (n, d, d): row j is base, w_j = x_j
        return f(w)                                                                # (n, d)
    return g


def surrogate(family, estimator, f, n):
    """A scalar whose backward() leaves the chosen estimate of grad E_q[f] + grad H[q] in the parameters."""
    q = family.distribution()
    if estimator == "pathwise":
        expectation = estimators.pathwise(f, q, n)
    elif estimator == "score":
        expectation = estimators.score_function(f, q, n)
    elif estimator == "score+baseline":
        expectation = estimators.score_function(f, q, n, baseline="leave_one_out")
    elif estimator == "measure-valued":
        if not isinstance(family, DiagonalGaussian):
            raise ValueError("measure-valued: written for one-dimensional Normals, so for the diagonal family only")
        base = q.sample((n,))                              # w_{-j}: one draw from q per sample, no graph
        expectation = estimators.measure_valued(one_coordinate_at_a_time(f, base), family.coordinates(), n)
        # (Its value is d times an estimate of E_q[f], one per coordinate; only its gradient is used.)
    else:
        raise ValueError(f"unknown estimator {estimator!r}; use one of {ESTIMATORS}")
    return expectation + q.entropy()


def log_joint_calls(estimator, d):
    return 4 * d if estimator == "measure-valued" else LOG_JOINT_CALLS[estimator]


# %% [markdown]
# ## An answer without the tape: the ELBO by quadrature, and the Laplace approximation
#
# Under a Gaussian $q = \mathcal{N}(\mu, C)$ each logit $a_i = x_i^\top w$ is a one-dimensional
# Gaussian, $\mathcal{N}(x_i^\top \mu,\; x_i^\top C x_i)$, so the expected log-likelihood is a sum of
# 400 one-dimensional integrals, which Gauss–Hermite quadrature computes to about 10 digits;
# the prior term is $-\tfrac{d}{2}\log(2\pi s^2) - (|\mu|^2 + \operatorname{tr} C) / (2 s^2)$. So
# `exact_elbo` gives the ELBO of any Gaussian, without sampling and in plain NumPy: the curves
# below plot it, and the tests compare the tape's Monte Carlo ELBO and gradients with it. The
# same one-dimensional integral gives the posterior predictive
# $p(y^* = 1 \mid x^*, y) \approx \mathbb{E}_q[\sigma(x^{*\top} w)]$.
#
# The **Laplace approximation** is a second Gaussian found without the tape: the MAP $\hat w$ by
# Newton's method on $f$ (concave, so it converges in about 10 steps), and the covariance
# $(-\nabla^2 f(\hat w))^{-1} = (X^\top \operatorname{diag}(p(1-p)) X + I/s^2)^{-1}$. It is not the
# same Gaussian as the best one by the ELBO (the posterior is not exactly Gaussian), but it
# should be close, and it cannot be better by the ELBO: that is the check.

# %%
HERMITE_NODES, HERMITE_WEIGHTS = numpy.polynomial.hermite_e.hermegauss(80)   # for E[g(t)], t ~ N(0, 1)
HERMITE_WEIGHTS = HERMITE_WEIGHTS / HERMITE_WEIGHTS.sum()


def gaussian_expectation(g, mean, variance):
    """E[g(a)] for a ~ N(mean, variance), elementwise over arrays of means and variances (Gauss-Hermite)."""
    a = mean[..., None] + numpy.sqrt(variance)[..., None] * HERMITE_NODES
    return g(a) @ HERMITE_WEIGHTS


def exact_elbo(mean, covariance, x, y, prior_scale):
    """The ELBO of q = N(mean, covariance): the expected log-likelihood by quadrature, the rest in closed form."""
    d = len(mean)
    m, v = x @ mean, numpy.einsum("ij,jk,ik->i", x, covariance, x)
    expected_log_likelihood = (y * m - gaussian_expectation(lambda a: numpy.logaddexp(0.0, a), m, v)).sum()
    expected_log_prior = (-0.5 * d * math.log(2 * math.pi * prior_scale**2)
                          - (mean @ mean + numpy.trace(covariance)) / (2 * prior_scale**2))
    entropy = 0.5 * d * (1 + math.log(2 * math.pi)) + 0.5 * numpy.linalg.slogdet(covariance)[1]
    return float(expected_log_likelihood + expected_log_prior + entropy)


def predictive(mean, covariance, x):
    """p(y = 1 | x, data) = E_q[sigmoid(x . w)] for each row of x."""
    m, v = x @ mean, numpy.einsum("ij,jk,ik->i", x, covariance, x)
    return gaussian_expectation(lambda a: 0.5 * (1.0 + numpy.tanh(0.5 * a)), m, v)   # sigmoid, without overflow


def test_scores(p, y):
    """(accuracy, mean log-likelihood per case) of the predicted probabilities p of y = 1."""
    p = numpy.clip(p, 1e-300, 1.0 - 1e-16)
    log_likelihood = numpy.where(y == 1, numpy.log(p), numpy.log1p(-p))
    return float(numpy.mean((p > 0.5) == (y == 1))), float(numpy.mean(log_likelihood))


def laplace(x, y, prior_scale, tol=1e-10, max_steps=100):
    """(MAP, covariance, Newton steps): Newton's method on f(w), then the inverse of -Hessian at the MAP."""
    d = x.shape[1]
    w, steps = numpy.zeros(d), 0
    while steps < max_steps:
        steps += 1
        p = 0.5 * (1.0 + numpy.tanh(0.5 * (x @ w)))
        gradient = x.T @ (y - p) - w / prior_scale**2
        precision = (x.T * (p * (1 - p))) @ x + numpy.eye(d) / prior_scale**2   # -Hessian of f
        change = numpy.linalg.solve(precision, gradient)
        w = w + change
        if numpy.abs(change).max() < tol:
            break
    p = 0.5 * (1.0 + numpy.tanh(0.5 * (x @ w)))
    precision = (x.T * (p * (1 - p))) @ x + numpy.eye(d) / prior_scale**2
    return w, numpy.linalg.inv(precision), steps


def compare_gaussians(mean, covariance, reference_mean, reference_covariance):
    """How far N(mean, covariance) is from a reference Gaussian: in its standard deviations, correlations, KL."""
    sd, sd_ref = numpy.sqrt(numpy.diag(covariance)), numpy.sqrt(numpy.diag(reference_covariance))
    corr, corr_ref = covariance / numpy.outer(sd, sd), reference_covariance / numpy.outer(sd_ref, sd_ref)
    l_ref = numpy.linalg.cholesky(reference_covariance)
    m = numpy.linalg.solve(l_ref, numpy.linalg.cholesky(covariance))
    z = numpy.linalg.solve(l_ref, mean - reference_mean)
    kl = 0.5 * ((m * m).sum() + z @ z - len(mean) + numpy.linalg.slogdet(reference_covariance)[1]
                - numpy.linalg.slogdet(covariance)[1])
    return {"max_mean_difference_in_sd": float(numpy.abs((mean - reference_mean) / sd_ref).max()),
            "sd_ratio_min": float((sd / sd_ref).min()), "sd_ratio_max": float((sd / sd_ref).max()),
            "max_correlation_difference": float(numpy.abs(corr - corr_ref).max()), "kl": float(kl)}


# %% [markdown]
# ## Fitting, and measuring the variance
#
# `fit` takes `--iterations` Adam steps (Kingma & Ba 2015,
# [arXiv:1412.6980](https://arxiv.org/abs/1412.6980)) on $-\mathcal{L}$, with one learning rate
# for every estimator (`--lr`, 0.05) that follows a cosine schedule down to 0, so that the last
# iterate settles instead of jittering around the optimum by the step size. Every
# `--eval-every` steps it records the exact ELBO of the current $q$.
#
# `gradient_variance` freezes $q$ and draws `--variance-repeats` independent estimates of the
# gradient with one estimator, then sums the variances of its coordinates: the trace of the
# covariance of one estimate made with $n$ draws. It does this at a few points of the pathwise
# fit (`--snapshots`), the same points for every estimator and the same noise seed, so that the
# ratios compare estimators and not places.

# %%
def fit(family, estimator, f, args, snapshots=(), bar=None, evaluate=None):
    """Adam on -ELBO. Returns the history {"iteration", "elbo"}, the parameters at the snapshot steps,
    and the largest |gradient| entry met on the way."""
    optimizer = mg.optim.Adam(family.parameters(), lr=args.lr)
    schedule = mg.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.iterations)
    history = {"iteration": [], "elbo": []}
    frozen, largest = {}, 0.0
    for step in range(args.iterations + 1):
        if step in snapshots:
            frozen[step] = [p.numpy().copy() for p in family.parameters()]
        if evaluate is not None and (step % args.eval_every == 0 or step == args.iterations):
            history["iteration"].append(step)
            history["elbo"].append(evaluate(*moments(family)))
            if bar is not None:
                bar.set_postfix(elbo=f"{history['elbo'][-1]:.1f}", refresh=False)
        if step == args.iterations:
            break
        optimizer.zero_grad()
        (-surrogate(family, estimator, f, args.samples)).backward()
        largest = max([largest] + [float(numpy.abs(p.grad.numpy()).max()) for p in family.parameters()])
        # A score-function gradient of the full covariance can pass 1e154, whose square overflows in
        # Adam's second moment (to inf: that coordinate then stops moving). The largest gradient is
        # recorded and reported instead of NumPy's overflow warning.
        with numpy.errstate(over="ignore"):
            optimizer.step()
        schedule.step()
        if bar is not None:
            bar.update(1)
    return history, frozen, largest


def gradient_variance(family, estimator, f, n, repeats, seed=EVAL_SEED):
    """(trace of the covariance, mean, standard deviation) of `repeats` independent estimates of the ELBO's gradient.

    The mean and standard deviation are per coordinate of the flattened gradient (see flat_gradient).
    """
    mg.random.seed(seed)
    rows = []
    for _ in range(repeats):
        for p in family.parameters():
            p.grad = None
        surrogate(family, estimator, f, n).backward()
        rows.append(flat_gradient(family))
    rows = numpy.array(rows)
    with numpy.errstate(over="ignore", invalid="ignore"):   # estimates past 1e154 square to inf: reported as inf
        variances = rows.var(0, ddof=1)
    return float(variances.sum()), rows.mean(0), numpy.sqrt(variances)


def load_parameters(family, values):
    """Set the parameters of `family` to the arrays `values` (a snapshot taken by `fit`)."""
    for p, v in zip(family.parameters(), values):
        p.data = p.xp.asarray(v, dtype=p.dtype)


# %% [markdown]
# ## Pictures
#
# Every picture's title says what was run (steps, draws per step, learning rate, prior), so
# that pictures of two runs cannot be mistaken for each other.
#
# - `elbo.png`: the exact ELBO of $q$ during each fit; the top row shows the whole range on a
#   symmetric log scale (a fit can fall far below where it started), the bottom row the last
#   few nats on a linear scale. The dashed line is the ELBO of the Laplace Gaussian.
# - `gradient_variance.png`: the total variance of one gradient estimate at the frozen points.
# - `correlations.png`: the correlation matrix of the full-covariance $q$ beside that of the
#   Laplace approximation.
# - `weights.png`: each weight's mean and $\pm 2$ standard deviations under the diagonal and
#   the full-covariance $q$ and under the Laplace approximation.

# %%
COLORS = {"pathwise": "tab:blue", "score": "tab:red", "score+baseline": "tab:orange", "measure-valued": "tab:green"}
LINES = {"pathwise": "-", "score": "-", "score+baseline": "-", "measure-valued": "--"}   # MVD often lies on pathwise


def estimator_label(estimator, d=31):
    """The legend's name of an estimator; the measure-valued one says what it costs."""
    return f"measure-valued ({4 * d} evaluations of f per draw)" if estimator == "measure-valued" else estimator
FAMILY_TITLES = {"diagonal": "diagonal covariance (62 parameters)",
                 "full": "full covariance C = R R^T (527 parameters)"}


def describe_run(args):
    """One line naming the settings, for every picture's title."""
    return (f"{args.iterations} Adam steps (lr {args.lr:g}, cosine to 0), {args.samples} draws of w per step, "
            f"prior N(0, {args.prior_scale:g}^2 I), init scale {args.init_scale:g}, seed {args.seed}")


def negative_log_ticks(low, high):
    """Tick values -c 10^k between low < high < 0, for a symlog axis: c = 1, 2, 3, 5, fewer over a wide range."""
    decades = math.log10(-low) - math.log10(-high)
    factors = (1, 2, 3, 5) if decades <= 1.5 else (1, 2, 5) if decades <= 2.5 else (1, 3)
    ticks = [-c * 10.0**k for k in range(0, 8) for c in factors]
    return sorted(t for t in ticks if low <= t <= high)


def plot_elbo(plt, fits, laplace_elbo, args, path):
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
    families = [fam for fam in args.families if any(key[0] == fam for key in fits)]
    fig, axes = plt.subplots(2, len(families), figsize=(6.2 * len(families), 8.6), squeeze=False)
    fig.subplots_adjust(left=0.09, right=0.98, top=0.86, bottom=0.12, hspace=0.42, wspace=0.22)
    for column, fam in enumerate(families):
        top, bottom = axes[0][column], axes[1][column]
        runs = {est: fits[fam, est] for est in args.estimators if (fam, est) in fits}
        best = max(max(run["history"]["elbo"]) for run in runs.values())
        worst = min(min(run["history"]["elbo"]) for run in runs.values())
        for est, run in runs.items():
            history = run["history"]
            for ax in (top, bottom):
                ax.plot(history["iteration"], history["elbo"], LINES[est], color=COLORS[est], linewidth=1.6)
        for ax in (top, bottom):
            ax.axhline(laplace_elbo, color="black", linestyle=":", linewidth=1.2)
            ax.set_xlabel("Adam step")
            ax.set_ylabel("ELBO of q (nats, exact)")
        # the whole run: ELBOs span several decades below 0, so a log scale of their size (symlog)
        high = 0.7 * max(best, laplace_elbo)
        low = 1.4 * worst
        top.set_yscale("symlog", linthresh=1.0)
        top.set_ylim(low, high)
        top.yaxis.set_major_locator(FixedLocator(negative_log_ticks(low, high)))
        top.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        top.yaxis.set_minor_locator(NullLocator())
        top.set_title(f"{FAMILY_TITLES[fam]}\nthe whole run (log scale of |ELBO|)", fontsize=10)
        # near the best: the last nats, and the Laplace line
        low = best - 12.0
        bottom.set_ylim(low, max(best, laplace_elbo) + 3.0)
        below = [f"{est} ({run['final_elbo']:,.1f})" for est, run in runs.items() if run["final_elbo"] < low]
        bottom.set_title(f"{FAMILY_TITLES[fam]}\nnear the best ELBO (linear scale)"
                         + (f"\nended below this panel: {', '.join(below)}" if below else ""), fontsize=10)
    handles = [Line2D([], [], color=COLORS[e], linestyle=LINES[e], linewidth=1.6, label=estimator_label(e))
               for e in args.estimators]
    handles.append(Line2D([], [], color="black", linestyle=":", linewidth=1.2,
                          label="Laplace approximation at the MAP"))
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles), fontsize=9)
    fig.suptitle(f"demos/bayes_logreg.py: ELBO of q during the fit, breast-cancer data ({args.train_size} cases)\n"
                 f"{describe_run(args)}", fontsize=10)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_variance(plt, variance, args, path):
    from matplotlib.lines import Line2D
    from matplotlib.ticker import NullLocator
    families = list(variance)
    fig, axes = plt.subplots(1, len(families), figsize=(6.2 * len(families), 5.0), squeeze=False)
    fig.subplots_adjust(left=0.09, right=0.98, top=0.80, bottom=0.22, wspace=0.25)
    for ax, fam in zip(axes[0], families):
        steps = variance[fam]["steps"]
        for est, values in variance[fam]["trace"].items():
            ax.plot(steps, values, "o" + LINES[est], color=COLORS[est], markersize=4)
        ax.set_yscale("log")
        ax.set_xscale("symlog", linthresh=10.0)   # step 0 and steps 10...2000 spaced by their logarithm
        ax.set_xlim(-3.0, steps[-1] * 1.6)
        ax.set_xticks(steps)
        ax.set_xticklabels([str(step) for step in steps])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel(f"step of the {variance[fam]['reference']} fit at which q was frozen (log scale, 0 at the left)")
        ax.set_ylabel(f"total variance of one estimate ({args.samples} draws)")
        ax.set_title(f"{FAMILY_TITLES[fam]}", fontsize=10)
    handles = [Line2D([], [], color=COLORS[e], linestyle=LINES[e], marker="o", markersize=4, label=estimator_label(e))
               for e in args.estimators if any(e in variance[fam]["trace"] for fam in families)]
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles), fontsize=9)
    fig.suptitle(f"demos/bayes_logreg.py: variance of the ELBO's gradient estimates, summed over the parameters\n"
                 f"{args.variance_repeats} estimates per point, the same q and noise seed for every estimator; "
                 f"{describe_run(args)}", fontsize=9)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def correlation(covariance):
    sd = numpy.sqrt(numpy.diag(covariance))
    return covariance / numpy.outer(sd, sd)


def plot_correlations(plt, full_covariance, laplace_covariance, names, estimator, args, path):
    fig, axes = plt.subplots(1, 2, figsize=(15.0, 7.9))
    fig.subplots_adjust(left=0.14, right=0.91, top=0.86, bottom=0.25, wspace=0.42)
    labels = list(names) + ["bias"]
    ticks = numpy.arange(len(labels))
    difference = numpy.abs(correlation(full_covariance) - correlation(laplace_covariance)).max()
    for ax, covariance, title in ((axes[0], full_covariance, f"full-covariance q ({estimator} fit)"),
                                  (axes[1], laplace_covariance, "Laplace approximation at the MAP")):
        image = ax.imshow(correlation(covariance), cmap="RdBu_r", vmin=-1.0, vmax=1.0)
        ax.set_xticks(ticks)
        ax.set_xticklabels(labels, rotation=90, fontsize=6.5)
        ax.set_yticks(ticks)
        ax.set_yticklabels(labels, fontsize=6.5)
        ax.set_xlabel("weight")
        ax.set_ylabel("weight")
        ax.set_title(f"correlations of the weights under the\n{title}", fontsize=10)
    fig.colorbar(image, ax=axes, fraction=0.025, pad=0.02, label="correlation")
    fig.suptitle(f"demos/bayes_logreg.py: posterior correlations of the 31 weights (largest difference "
                 f"between the two: {difference:.2f})\n{describe_run(args)}", fontsize=10)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_weights(plt, posteriors, names, args, path):
    """Mean +/- 2 sd of each weight, one row per weight, one marker per posterior."""
    from matplotlib.lines import Line2D
    labels = list(names) + ["bias"]
    rows = numpy.arange(len(labels))
    fig, ax = plt.subplots(figsize=(8.5, 10.5))
    fig.subplots_adjust(left=0.27, right=0.97, top=0.91, bottom=0.11)
    styles = (("tab:purple", "o"), ("tab:blue", "s"), ("gray", "D"))
    offsets = numpy.linspace(-0.25, 0.25, len(posteriors))
    for (mean, covariance), (color, marker), offset in zip(posteriors.values(), styles, offsets):
        sd = numpy.sqrt(numpy.diag(covariance))
        ax.errorbar(mean, rows + offset, xerr=2 * sd, fmt=marker, color=color, markersize=3.5,
                    elinewidth=1.0, capsize=0)
    ax.axvline(0.0, color="black", linewidth=0.6)
    ax.set_yticks(rows)
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("weight (per standard deviation of the feature; positive: towards malignant)")
    ax.set_ylabel("feature")
    handles = [Line2D([], [], color=c, marker=m, markersize=4, label=f"{label}: mean ± 2 sd")
               for label, (c, m) in zip(posteriors, styles)]
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=2, fontsize=8)
    fig.suptitle(f"demos/bayes_logreg.py: the posterior of each weight\n{describe_run(args)}", fontsize=9)
    fig.savefig(path, dpi=100)
    plt.close(fig)


# %% [markdown]
# ## The demo: `main(argv)`
#
# `main` loads and splits the data, finds the Laplace approximation, fits every (family,
# estimator) pair from the same start and seed, measures the gradient variance at the frozen
# points of each family's first fit, and writes `metrics.json`, the pictures and a table.

# %%
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--iterations", type=int, default=2000, help="Adam steps per fit")
    parser.add_argument("--samples", type=int, default=16, help="draws of w per step (n), for every estimator")
    parser.add_argument("--lr", type=float, default=0.05, help="Adam's learning rate, cosine-annealed to 0")
    parser.add_argument("--prior-scale", type=float, default=1.0, help="s in the prior N(0, s^2 I)")
    parser.add_argument("--init-scale", type=float, default=0.1, help="the initial standard deviations of q")
    parser.add_argument("--families", nargs="+", choices=tuple(FAMILIES), default=list(FAMILIES))
    parser.add_argument("--estimators", nargs="+", choices=ESTIMATORS, default=list(ESTIMATORS),
                        help="the first one's fit also gives the points of the variance study")
    parser.add_argument("--eval-every", type=int, default=20, help="steps between two exact ELBOs")
    parser.add_argument("--snapshots", type=int, default=6, help="frozen points of the variance study per family")
    parser.add_argument("--variance-repeats", type=int, default=100, help="gradient estimates per frozen point")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help=f"one of {mg.devices()}")
    parser.add_argument("--out", default=os.path.join("demo_out", "bayes_logreg"),
                        help="folder for pictures and metrics")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (without it, one only on a terminal)")
    parser.add_argument("--no-pictures", action="store_true", help="write metrics.json only")
    args = parser.parse_args(argv)
    if args.samples < 2 and "score+baseline" in args.estimators:
        parser.error("--samples must be at least 2 for score+baseline (the leave-one-out baseline)")
    if not runs_of(args):
        parser.error("the measure-valued estimator is written for the diagonal family only: nothing to run")
    args.train_size = TRAIN_SIZE
    args.test_size = 569 - TRAIN_SIZE
    return args


def snapshot_steps(iterations, count):
    """Step 0, then count - 1 steps spaced evenly on a log scale from 10 (or fewer) up to the last step."""
    if count < 2:
        return [0]
    if iterations == 0:
        return [0]
    later = numpy.geomspace(min(10, iterations), iterations, count - 1) if count > 2 else [iterations]
    return sorted({0, *(int(round(s)) for s in later)})


def runs_of(args):
    return [(fam, est) for fam in args.families for est in args.estimators
            if not (est == "measure-valued" and fam != "diagonal")]


def main(argv=None):
    args = parse_args(argv)
    from tqdm import tqdm

    began = time.perf_counter()
    os.makedirs(args.out, exist_ok=True)
    dtype = mg.float64
    features, labels, names = load_breast_cancer()
    x_train, y_train, x_test, y_test = split_and_standardize(features, labels)
    d = x_train.shape[1]
    x, y = mg.tensor(x_train, dtype=dtype, device=args.device), mg.tensor(y_train, dtype=dtype, device=args.device)

    def f(w):
        return log_joint(w, x, y, args.prior_scale)

    def evaluate(mean, covariance):
        return exact_elbo(mean, covariance, x_train, y_train, args.prior_scale)

    # the answer without the tape: the MAP by Newton's method and the Laplace Gaussian
    w_map, laplace_covariance, newton_steps = laplace(x_train, y_train, args.prior_scale)
    laplace_elbo = evaluate(w_map, laplace_covariance)
    laplace_accuracy, laplace_log_lik = test_scores(predictive(w_map, laplace_covariance, x_test), y_test)
    map_accuracy, map_log_lik = test_scores(0.5 * (1.0 + numpy.tanh(0.5 * (x_test @ w_map))), y_test)

    runs = runs_of(args)
    steps = snapshot_steps(args.iterations, args.snapshots)
    fits, frozen = {}, {}
    bar = tqdm(total=args.iterations * len(runs), desc="fits", disable=args.no_progress or None)
    for fam, est in runs:
        bar.set_description(f"{fam} / {est}")
        mg.random.seed(args.seed)
        family = FAMILIES[fam](d, args.init_scale, dtype, args.device)
        first = fam not in frozen
        tick = time.perf_counter()
        history, snapshots, largest = fit(family, est, f, args, snapshots=steps if first else (), bar=bar,
                                          evaluate=evaluate)
        seconds = time.perf_counter() - tick
        own_variance = gradient_variance(family, est, f, args.samples, args.variance_repeats)[0]
        if first:
            frozen[fam] = (est, snapshots)
        mean, covariance = moments(family)
        accuracy, log_lik = test_scores(predictive(mean, covariance, x_test), y_test)
        fits[fam, est] = {"final_elbo": history["elbo"][-1], "test_accuracy": accuracy,
                          "test_log_likelihood": log_lik, "seconds": seconds,
                          "log_joint_evaluations_per_step": log_joint_calls(est, d) * args.samples,
                          "largest_gradient": largest, "gradient_variance_at_final_q": own_variance,
                          "history": history, "mean": mean, "covariance": covariance}
    bar.close()

    # the variance of one gradient estimate, at the same frozen points for every estimator
    variance = {}
    total = sum(len(snaps) * sum(1 for r in runs if r[0] == fam) for fam, (_, snaps) in frozen.items())
    bar = tqdm(total=total * args.variance_repeats, desc="gradient variance", disable=args.no_progress or None)
    for fam, (reference, snapshots) in frozen.items():
        family = FAMILIES[fam](d, args.init_scale, dtype, args.device)
        study = {"reference": reference, "steps": sorted(snapshots), "trace": {}, "max_abs_z": {}}
        for est in [e for f_, e in runs if f_ == fam]:
            traces = []
            for step in study["steps"]:
                load_parameters(family, snapshots[step])
                trace, mean, sd = gradient_variance(family, est, f, args.samples, args.variance_repeats)
                traces.append(trace)
                means = study.setdefault("means", {}).setdefault(step, {})
                means[est] = (mean, sd)
                bar.update(args.variance_repeats)
            study["trace"][est] = traces
        # unbiasedness: every estimator's mean gradient against the reference's, in standard errors
        for est in study["trace"]:
            if est == reference:
                continue
            z = []
            for step in study["steps"]:
                (m1, s1), (m0, s0) = study["means"][step][est], study["means"][step][reference]
                z.append(numpy.abs(m1 - m0) / numpy.sqrt((s1**2 + s0**2) / args.variance_repeats + 1e-300))
            study["max_abs_z"][est] = float(numpy.max(z))
        del study["means"]
        variance[fam] = study
    bar.close()

    summary = report(args, fits, variance, laplace_elbo, (laplace_accuracy, laplace_log_lik),
                     (map_accuracy, map_log_lik), newton_steps, w_map, laplace_covariance)
    metrics = {
        "config": {k: v for k, v in vars(args).items() if k not in ("no_progress", "no_pictures", "out")},
        "data": {"file": "minigrad/data/breast_cancer.csv (minigrad/data/ATTRIBUTION.md)", "train": len(y_train),
                 "test": len(y_test), "features": d - 1, "malignant_train": int(y_train.sum()),
                 "malignant_test": int(y_test.sum()), "split_seed": SPLIT_SEED},
        "fits": {f"{fam}/{est}": {k: v for k, v in run.items() if k not in ("mean", "covariance")}
                 for (fam, est), run in fits.items()},
        "laplace": {"elbo": laplace_elbo, "newton_steps": newton_steps, "test_accuracy": laplace_accuracy,
                    "test_log_likelihood": laplace_log_lik, "map_plugin_test_accuracy": map_accuracy,
                    "map_plugin_test_log_likelihood": map_log_lik},
        "gradient_variance": variance,
        **summary,
        "seconds": time.perf_counter() - began,
    }
    with open(os.path.join(args.out, "metrics.json"), "w") as file:
        json.dump(strict_json(metrics), file, indent=2)

    if not args.no_pictures:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        plot_elbo(plt, fits, laplace_elbo, args, os.path.join(args.out, "elbo.png"))
        plot_variance(plt, variance, args, os.path.join(args.out, "gradient_variance.png"))
        full = next(((est, run) for (fam, est), run in fits.items() if fam == "full"), None)
        if full is not None:
            plot_correlations(plt, full[1]["covariance"], laplace_covariance, names, full[0], args,
                              os.path.join(args.out, "correlations.png"))
        posteriors = {f"{fam} q ({est})": (run["mean"], run["covariance"]) for (fam, est), run in fits.items()
                      if est == frozen[fam][0]}
        posteriors["Laplace"] = (w_map, laplace_covariance)
        plot_weights(plt, posteriors, names, args, os.path.join(args.out, "weights.png"))
    print(f"wrote metrics.json and the pictures to {args.out} in {metrics['seconds']:.1f} s")
    return metrics


def strict_json(value):
    """value with every non-finite float written as the string "inf", "-inf" or "nan" (JSON has no such numbers)."""
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def report(args, fits, variance, laplace_elbo, laplace_scores, map_scores, newton_steps, w_map, laplace_covariance):
    """Print the table of results; return the numbers it derives (ratios, the comparison with Laplace)."""
    print(f"\nBayesian logistic regression, breast-cancer data: {args.train_size} training cases, "
          f"{args.test_size} test cases, 31 weights")
    print(f"{'family':9} {'estimator':15} {'ELBO':>10} {'test acc':>9} {'test log-lik':>13} "
          f"{'f evals/step':>13} {'seconds':>8}")
    for (fam, est), run in fits.items():
        print(f"{fam:9} {est:15} {run['final_elbo']:10.2f} {run['test_accuracy']:9.4f} "
              f"{run['test_log_likelihood']:13.4f} {run['log_joint_evaluations_per_step']:13d} {run['seconds']:8.1f}")
    print(f"{'Laplace at the MAP':25} {laplace_elbo:10.2f} {laplace_scores[0]:9.4f} {laplace_scores[1]:13.4f}   "
          f"(Newton: {newton_steps} steps)")
    print(f"{'MAP, plugged in':25} {'':>10} {map_scores[0]:9.4f} {map_scores[1]:13.4f}")
    print("(ELBO: exact, by quadrature, of the final q; test log-lik: mean log p(y | x, data) per test case)")

    ratios = {}
    print(f"\nGradient variance: the trace of the covariance of one estimate ({args.samples} draws), "
          f"{args.variance_repeats} estimates per point;\n(ratio to the first estimator's); at two points of "
          f"that estimator's fit, the same for all, and at each fit's own final q")
    for fam, study in variance.items():
        reference = study["trace"][study["reference"]]
        ratios[fam] = {est: [t / r for t, r in zip(traces, reference)] for est, traces in study["trace"].items()}
        first, last = study["steps"][0], study["steps"][-1]
        print(f"  {fam:9} {'':15} {'step ' + str(first):>22} {'step ' + str(last):>22} {'own final q':>12} "
              f"{'largest |grad|':>15}  mean vs {study['reference']}")
        for est, traces in study["trace"].items():
            run = fits[fam, est]
            z = study["max_abs_z"].get(est)
            print(f"  {fam:9} {est:15} {traces[0]:10.3g} ({ratios[fam][est][0]:8.3g} x) "
                  f"{traces[-1]:10.3g} ({ratios[fam][est][-1]:8.3g} x) {run['gradient_variance_at_final_q']:12.3g} "
                  f"{run['largest_gradient']:15.3g}  " + (f"max |z| = {z:.1f}" if z is not None else ""))
    summary = {"variance_ratio_to_reference": ratios}
    full = next(((est, run) for (fam, est), run in fits.items() if fam == "full"), None)
    if full is not None:
        agreement = compare_gaussians(full[1]["mean"], full[1]["covariance"], w_map, laplace_covariance)
        agreement["elbo_minus_laplace_elbo"] = full[1]["final_elbo"] - laplace_elbo
        summary["full_vs_laplace"] = agreement
        precision = numpy.linalg.inv(laplace_covariance)
        agreement["diagonal_loss_if_gaussian"] = float(0.5 * (numpy.log(numpy.diag(precision)).sum()
                                                             - numpy.linalg.slogdet(precision)[1]))
        print(f"\nFull-covariance q ({full[0]}) against the Laplace approximation: means differ by at most "
              f"{agreement['max_mean_difference_in_sd']:.2f} Laplace sd, sd ratios {agreement['sd_ratio_min']:.3f}"
              f"...{agreement['sd_ratio_max']:.3f}, correlations by at most "
              f"{agreement['max_correlation_difference']:.3f}, "
              f"KL(q || Laplace) = {agreement['kl']:.2f} nats; its ELBO minus Laplace's: "
              f"{agreement['elbo_minus_laplace_elbo']:+.2f} nats")
        diagonal = next((run for (fam, est), run in fits.items() if fam == "diagonal" and est == full[0]), None)
        if diagonal is not None:
            print(f"The full q's ELBO minus the diagonal q's ({full[0]} fits): "
                  f"{full[1]['final_elbo'] - diagonal['final_elbo']:+.2f} nats; were the posterior the Laplace "
                  f"Gaussian, the best diagonal q would lose\n"
                  f"1/2 (sum_j log Lambda_jj - log det Lambda) = {agreement['diagonal_loss_if_gaussian']:.2f} nats "
                  f"(Lambda: the Laplace precision)")
    return summary


# %% [markdown]
# ## Run it
#
# In a notebook, the next cell runs `main` with the program's defaults (2 to 3 minutes on a
# shared 2-core machine), without the progress bar, and writes to `demo_out/bayes_logreg`, under
# the folder the kernel runs in. Change
# `ARGS` to try other settings: `["--iterations", "300"]` for a quick look,
# `["--families", "full", "--estimators", "pathwise", "score+baseline", "--lr", "0.002"]` to see
# the score function make progress on the full covariance with a smaller step. When the file runs
# as a program or is imported, this cell and the ones after it do nothing.

# %%
if NOTEBOOK:
    from IPython.display import Image, display

    ARGS = []
    OUT = os.path.join("demo_out", "bayes_logreg")
    metrics = main([*ARGS, "--no-progress", "--out", OUT])

# %% [markdown]
# **The ELBO during the fits.** Pathwise and measure-valued gradients reach the best ELBO of
# each family within a few hundred steps. The score function needs its baseline even for the
# diagonal family, and for the full covariance, at this learning rate, both score-function fits
# end far below where they started.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "elbo.png")))

# %% [markdown]
# **Why: the variance of one gradient estimate**, at the same frozen $q$ for every estimator.
# The score of a Cholesky factor, $\nabla_R \log q(w) = R^{-\top} \epsilon \epsilon^\top -
# \operatorname{diag}(1/R_{jj})$ (lower triangle), contains $R^{-1}$: as soon as the steps make $R$
# badly conditioned (large entries below a small diagonal), the score-function estimates explode,
# while the pathwise one, $\nabla f\, \epsilon^\top$, does not involve $R^{-1}$ at all.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "gradient_variance.png")))

# %% [markdown]
# **What the full covariance buys.** A few pairs of weights are strongly anti-correlated a
# posteriori (features that measure nearly the same thing, such as the mean and the worst
# texture: the data pin down their sum better than either), and many more are weakly so. A
# diagonal $q$ cannot represent any of it; it shrinks the standard deviations instead, and loses
# about 10 nats of ELBO. The full-covariance $q$ and the Laplace approximation, found in
# entirely different ways, agree closely.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "correlations.png")))
    display(Image(os.path.join(OUT, "weights.png")))

# %%
if __name__ == "__main__" and not NOTEBOOK:
    main(sys.argv[1:])
