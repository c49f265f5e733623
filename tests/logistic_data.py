"""Synthetic data for the Bayesian logistic regression tests (the model's and its demo's)."""
import numpy


def synthetic(n, seed):
    """Two correlated standard-normal features and a bias; labels from a logistic model with weights (1.5, -1, 0.5)."""
    rng = numpy.random.default_rng(seed)
    z = rng.standard_normal((n, 2))
    z[:, 1] = 0.6 * z[:, 0] + 0.8 * z[:, 1]
    x = numpy.hstack([z, numpy.ones((n, 1))])
    y = (rng.random(n) < 1.0 / (1.0 + numpy.exp(-(x @ numpy.array([1.5, -1.0, 0.5]))))).astype(numpy.float64)
    return x, y
