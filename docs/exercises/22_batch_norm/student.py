"""Exercise 22: batch normalization's forward pass in training mode, and its backward pass as one vjp.

Statement: docs/exercises/22_batch_norm.md.  Tests: python -m pytest docs/exercises/22_batch_norm
"""
from minigrad.autograd import apply  # noqa: F401  (you will need it)


def batch_norm(x, weight, bias, eps=1e-5):
    """gamma * (x - mean) / sqrt(var + eps) + beta for each column of x, over the batch, as one primitive.

    x: (N, C) float tensor, N >= 2; weight (gamma) and bias (beta): (C,) tensors. mean and var
    (biased: divided by N) are taken over axis 0, the batch, as in training mode.
    Compute the output array from ``x.data``, ``weight.data`` and ``bias.data`` with ``x.xp``,
    then record it with three edges, ``apply("batch_norm", data, (x, vjp_x), (weight, vjp_w),
    (bias, vjp_b))``. Write each vjp with minigrad ops (recompute xhat and 1/sigma from the
    tensor x), never with raw arrays, so that it can be differentiated again:

        dL/dx = (1/sigma) (h - mean(h) - xhat * mean(h * xhat)),   h = gamma * g
        dL/dgamma = sum(g * xhat),   dL/dbeta = sum(g)           (means and sums over axis 0)

    Do not call mg.nn.functional.batch_norm or mg.nn.BatchNorm1d.
    """
    raise NotImplementedError("exercise 22: batch_norm")
