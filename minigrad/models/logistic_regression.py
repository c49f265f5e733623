"""Bayesian logistic regression, and two answers a variational fit of it is checked against.

The model. Weights w in R^d with the prior p(w) = N(0, s^2 I); labels y_i in {0, 1} with
p(y_i | x_i, w) = Bernoulli(sigmoid(x_i . w)), so log p(y_i | x_i, w) = y_i a_i - softplus(a_i)
with the logit a_i = x_i . w. The posterior p(w | y) has no closed form: it is the test bed of
doubly stochastic variational inference (Titsias & Lázaro-Gredilla 2014) and of Gaussian
backpropagation (Fan et al. 2015), and ``demos/bayes_logreg.py`` fits Gaussians to it.

Two answers need no tape and no sampling, in float64 NumPy:

- ``elbo(mean, covariance)``: under a Gaussian q = N(mu, C), each logit is one-dimensional
  Gaussian, a_i ~ N(x_i . mu, x_i^T C x_i), so the expected log-likelihood is a sum of N
  one-dimensional integrals, done by Gauss-Hermite quadrature (80 nodes: about 10 digits); the
  prior's expectation and the entropy are closed forms (Opper & Archambeau 2009 build the
  variational Gaussian on this projection).
- ``laplace()``: the MAP by Newton's method on the concave log joint, and the Laplace Gaussian
  N(w_MAP, (X^T diag(p(1 - p)) X + I / s^2)^-1), the inverse of minus the Hessian there.
"""
import math

import numpy

from .. import ops
from ..tensor import tensor

HERMITE_NODES, HERMITE_WEIGHTS = numpy.polynomial.hermite_e.hermegauss(80)   # for E[g(t)], t ~ N(0, 1)
HERMITE_WEIGHTS = HERMITE_WEIGHTS / HERMITE_WEIGHTS.sum()


def _sigmoid(a):
    """1 / (1 + e^-a) in NumPy, written with tanh so that no exp overflows."""
    return 0.5 * (1.0 + numpy.tanh(0.5 * a))


class BayesianLogisticRegression:
    """p(w) = N(0, prior_scale^2 I), p(y_i | x_i, w) = Bernoulli(sigmoid(x_i . w)).

    ``features`` (N, d) and ``labels`` (N,) of 0s and 1s are kept as float64 NumPy arrays; put a
    column of ones among the features for an intercept.
    """

    def __init__(self, features, labels, prior_scale=1.0):
        x, y = numpy.asarray(features, dtype=numpy.float64), numpy.asarray(labels, dtype=numpy.float64)
        if x.ndim != 2 or y.shape != (x.shape[0],):
            raise ValueError(f"BayesianLogisticRegression: features must be (N, d) and labels (N,), "
                             f"got {x.shape} and {y.shape}")
        if not numpy.isin(y, (0.0, 1.0)).all():
            raise ValueError("BayesianLogisticRegression: labels must be 0 or 1")
        if not prior_scale > 0:
            raise ValueError(f"BayesianLogisticRegression: prior_scale must be positive, got {prior_scale}")
        self.features, self.labels, self.prior_scale = x, y, float(prior_scale)
        self._tensors = {}   # the data as tensors, one copy per (dtype, device) asked for by log_joint

    def log_joint(self, w):
        """f(w) = log p(y | w) + log p(w) for a Tensor w of shape (..., d): shape (...), one value per weight vector.

        On the tape, so that one call scores a batch of draws and a backward reaches w.
        """
        key = (w.dtype, w.device)
        if key not in self._tensors:
            self._tensors[key] = tuple(tensor(a, dtype=w.dtype, device=w.device) for a in (self.features, self.labels))
        x, y = self._tensors[key]
        s2 = self.prior_scale**2
        log_likelihood = ops.bernoulli_log_prob(ops.matmul(w, x.T), y).sum(-1)   # sum_i y_i a_i - softplus(a_i)
        log_prior = -0.5 * (w * w).sum(-1) / s2 - 0.5 * w.shape[-1] * math.log(2 * math.pi * s2)
        return log_likelihood + log_prior

    def elbo(self, mean, covariance):
        """The ELBO of q = N(mean, covariance), exactly (to quadrature accuracy), as a float:

            E_q[log p(y | w)] - d/2 log(2 pi s^2) - (|mean|^2 + tr C) / (2 s^2) + d/2 (1 + log 2 pi) + 1/2 log det C.
        """
        mean, covariance = numpy.asarray(mean, dtype=numpy.float64), numpy.asarray(covariance, dtype=numpy.float64)
        d, s2 = len(mean), self.prior_scale**2
        softplus = lambda a: numpy.logaddexp(0.0, a)
        expected_log_likelihood = (self.labels * (self.features @ mean)
                                   - gaussian_logit_expectation(softplus, mean, covariance, self.features)).sum()
        expected_log_prior = -0.5 * d * math.log(2 * math.pi * s2) - (mean @ mean + numpy.trace(covariance)) / (2 * s2)
        entropy = 0.5 * d * (1 + math.log(2 * math.pi)) + 0.5 * numpy.linalg.slogdet(covariance)[1]
        return float(expected_log_likelihood + expected_log_prior + entropy)

    def predictive(self, mean, covariance, features):
        """p(y = 1 | x, data) = E_q[sigmoid(x . w)] under q = N(mean, covariance), for each row x of ``features``."""
        return gaussian_logit_expectation(_sigmoid, mean, covariance, numpy.asarray(features, dtype=numpy.float64))

    def scores(self, features, labels, mean, covariance=None):
        """(accuracy, mean log-likelihood per case) on held-out cases of p(y = 1 | x, data) = E_q[sigmoid(x . w)].

        With ``covariance=None`` the weights ``mean`` are plugged in: p = sigmoid(x . mean). A case
        counts as right when p > 1/2 and y = 1 or p <= 1/2 and y = 0; p is clipped to [1e-300, 1 - 1e-16]
        so that one confident mistake costs a large, finite log-likelihood.
        """
        x, y = numpy.asarray(features, dtype=numpy.float64), numpy.asarray(labels, dtype=numpy.float64)
        p = _sigmoid(x @ mean) if covariance is None else self.predictive(mean, covariance, x)
        p = numpy.clip(p, 1e-300, 1.0 - 1e-16)
        return float(numpy.mean((p > 0.5) == (y == 1))), float(numpy.mean(numpy.where(y == 1, numpy.log(p),
                                                                                      numpy.log1p(-p))))

    def laplace(self, tol=1e-10, max_steps=100):
        """(MAP, covariance, Newton steps): Newton's method on f(w) from w = 0, then (-Hessian of f at the MAP)^-1.

        f is concave, so Newton's method converges (in about 10 steps on standardized features);
        it stops when no coordinate moves by more than ``tol``.
        """
        x, y, s2 = self.features, self.labels, self.prior_scale**2
        precision = lambda p: (x.T * (p * (1 - p))) @ x + numpy.eye(x.shape[1]) / s2   # -Hessian of f
        w, steps = numpy.zeros(x.shape[1]), 0
        while steps < max_steps:
            steps += 1
            p = _sigmoid(x @ w)
            change = numpy.linalg.solve(precision(p), x.T @ (y - p) - w / s2)
            w = w + change
            if numpy.abs(change).max() < tol:
                break
        return w, numpy.linalg.inv(precision(_sigmoid(x @ w))), steps


def gaussian_logit_expectation(g, mean, covariance, features):
    """E[g(a_i)] for each logit a_i = x_i . w with w ~ N(mean, covariance), by Gauss-Hermite quadrature.

    a_i ~ N(x_i . mean, x_i^T C x_i), so each is a one-dimensional integral; ``g`` maps NumPy
    arrays elementwise. Shape (N,) for features (N, d).
    """
    m, v = features @ mean, numpy.einsum("ij,jk,ik->i", features, covariance, features)
    return g(m[:, None] + numpy.sqrt(v)[:, None] * HERMITE_NODES) @ HERMITE_WEIGHTS
