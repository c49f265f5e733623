"""Exercise 04, reference solution: Normal.rsample by the reparameterization trick, and Normal.log_prob."""
import math

import minigrad as mg

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class Normal:
    """Independent Gaussians N(loc, scale^2), elementwise.

    ``loc`` and ``scale`` are tensors of one shape, the batch shape; scale > 0.
    """

    def __init__(self, loc, scale):
        if loc.shape != scale.shape:
            raise ValueError(f"Normal: loc has shape {loc.shape} and scale {scale.shape}; give them one shape")
        self.loc, self.scale = loc, scale

    def rsample(self, sample_shape=()):
        """x = loc + scale * eps with eps ~ N(0, 1): dx/dloc = 1, dx/dscale = eps (Kingma & Welling 2014, 2.4).

        The noise carries no parameter, so the draw is an ordinary node of the tape.
        """
        eps = mg.random.normal(size=tuple(sample_shape) + self.loc.shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + self.scale * eps

    def log_prob(self, value):
        """log p(x) = -z^2 / 2 - log scale - log sqrt(2 pi), with z = (x - loc) / scale."""
        z = (value - self.loc) / self.scale
        return -0.5 * z * z - self.scale.log() - LOG_SQRT_2PI
