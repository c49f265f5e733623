"""Exercise 06, reference solution: Laplace draws by the inverse CDF, as loc + scale * noise.

The CDF of the standard Laplace is F(t) = 1/2 + 1/2 sign(t) (1 - e^-|t|). Solving F(t) = p
and writing u = 2 p - 1, uniform on (-1, 1):

    t = -sign(u) log(1 - |u|)

The noise t holds no parameter, so x = loc + scale * t is a node of the tape like Normal's
draw: dx/dloc = 1, dx/dscale = t = (x - loc) / scale.
"""
import numpy as np

import minigrad as mg


def rsample(loc, scale, sample_shape=()):
    """x = loc + scale * t, with t = -sign(u) log(1 - |u|) and u uniform on [eps - 1, 1).

    u stops eps (the dtype's machine epsilon) short of -1 and below 1, so 1 - |u| >= eps and
    the log stays finite: the largest |t| is -log(eps), about 16 in float32 and 36 in float64.
    """
    eps = float(np.finfo(loc.dtype).eps)
    u = mg.random.uniform(eps - 1.0, 1.0, size=tuple(sample_shape) + loc.shape, dtype=loc.dtype,
                          device=loc.device).data
    xp = loc.xp
    noise = mg.Tensor(-xp.sign(u) * xp.log1p(-xp.abs(u)))    # arrays: no parameter, nothing to record
    return loc + scale * noise
