"""Exercise 22, reference solution: batch normalization in training mode as one primitive.

Forward, per column c of x (N, C), over the batch axis (Ioffe & Szegedy 2015):

    mu = mean_n x,  sigma = sqrt(mean_n (x - mu)^2 + eps),  xhat = (x - mu) / sigma,  y = gamma xhat + beta

Backward. With g = dL/dy and h = gamma g = dL/dxhat, the chain rule through mu and sigma
collapses to one line, because xhat has mean 0 and mean square (almost) 1 in every column:

    dL/dx = (1/sigma) (h - mean_n h - xhat mean_n (h xhat))
    dL/dgamma = sum_n g xhat,   dL/dbeta = sum_n g

The two subtracted terms are the projection that removes what a shift (mean) and a
rescaling (xhat) of the column would do: y does not change under either, so neither may
the gradient's component along them. The vjps are written with minigrad ops (xhat and
sigma are recomputed from x as tensors), so they can be differentiated again.
"""
from minigrad.autograd import apply


def _normalized(x, eps):
    """(xhat, 1/sigma) as tensors built from x with minigrad ops, for the vjps."""
    centred = x - x.mean(axis=0)
    inv_sigma = ((centred * centred).mean(axis=0) + eps) ** -0.5
    return centred * inv_sigma, inv_sigma


def batch_norm(x, weight, bias, eps=1e-5):
    """gamma (x - mean) / sqrt(var + eps) + beta per column of x (N, C), over the batch: one primitive."""
    xp = x.xp
    centred = x.data - x.data.mean(axis=0)
    inv_sigma = 1.0 / xp.sqrt((centred * centred).mean(axis=0) + eps)
    y = centred * inv_sigma * weight.data + bias.data

    def vjp_x(g, out):
        xhat, inv = _normalized(x, eps)
        h = g * weight                                                        # dL/dxhat
        return inv * (h - h.mean(axis=0) - xhat * (h * xhat).mean(axis=0))

    def vjp_weight(g, out):
        xhat, _ = _normalized(x, eps)
        return (g * xhat).sum(axis=0)

    return apply("batch_norm", y, (x, vjp_x), (weight, vjp_weight), (bias, lambda g, out: g.sum(axis=0)))
