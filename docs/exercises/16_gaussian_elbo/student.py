"""Exercise 16: the ELBO of Bayesian logistic regression under a full-covariance Gaussian, by reparameterization.

Statement: docs/exercises/16_gaussian_elbo.md.  Tests: python -m pytest docs/exercises/16_gaussian_elbo
"""
import math  # noqa: F401  (you will need it)

import minigrad as mg  # noqa: F401  (you will need it)


def elbo_estimate(x, y, loc, scale_tril, eps, prior_scale):
    """A Monte Carlo estimate of the ELBO, a scalar tensor differentiable in loc and scale_tril:

        mean over s of [ log p(y | X, w_s) + log N(w_s; 0, prior_scale^2 I) ] + H[q],   w_s = loc + L eps_s

    x: (n, d) inputs; y: (n,) labels 0/1; loc: (d,); scale_tril: (d, d) lower triangular L
    with a nonzero diagonal (q = N(loc, L L^T)); eps: (S, d) standard normal draws (given);
    prior_scale: a positive float. log p(y | X, w) = sum_i y_i a_i - softplus(a_i), a = X w.
    The entropy in closed form: d/2 log(2 pi e) + sum_i log |L_ii|.
    """
    raise NotImplementedError("exercise 16: elbo_estimate")
