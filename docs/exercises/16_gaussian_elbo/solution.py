"""Exercise 16, reference solution: the ELBO of Bayesian logistic regression under a full-covariance Gaussian q.

    ELBO(mu, L) = E_q[log p(y | X, w) + log p(w)] + H[q],   q = N(mu, L L^T)

The expectation by reparameterization (w = mu + L eps, eps ~ N(0, I)), the entropy in closed
form: H[N(mu, C)] = d/2 log(2 pi e) + 1/2 log det C = d/2 log(2 pi e) + sum_i log |L_ii|.
"""
import math

import minigrad as mg


def elbo_estimate(x, y, loc, scale_tril, eps, prior_scale):
    d = loc.shape[0]
    w = loc + eps @ scale_tril.T                                       # (S, d): one weight vector per draw
    a = w @ x.T                                                        # (S, n): the logits
    log_likelihood = (y * a - a.softplus()).sum(axis=1)               # log sigmoid(a)^y (1 - sigmoid(a))^(1 - y)
    log_prior = -0.5 * d * math.log(2 * math.pi * prior_scale ** 2) - (w * w).sum(axis=1) / (2 * prior_scale ** 2)
    entropy = 0.5 * d * math.log(2 * math.pi * math.e) + mg.linalg.diagonal(scale_tril).abs().log().sum()
    return (log_likelihood + log_prior).mean() + entropy
