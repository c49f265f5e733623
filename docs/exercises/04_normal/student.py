"""Exercise 04: the Gaussian's reparameterized draw (rsample) and its log-density (log_prob).

Statement: docs/exercises/04_normal.md.  Tests: python -m pytest docs/exercises/04_normal
"""
import math  # noqa: F401  (you will need them)

import minigrad as mg  # noqa: F401


class Normal:
    """Independent Gaussians N(loc, scale^2), elementwise.

    ``loc`` and ``scale`` are tensors of one shape, the batch shape; scale > 0.
    """

    def __init__(self, loc, scale):
        if loc.shape != scale.shape:
            raise ValueError(f"Normal: loc has shape {loc.shape} and scale {scale.shape}; give them one shape")
        self.loc, self.scale = loc, scale

    def rsample(self, sample_shape=()):
        """Draws of shape ``sample_shape + loc.shape`` that are differentiable in loc and scale.

        x = loc + scale * eps, with eps ~ N(0, 1) drawn by ONE call of
        ``mg.random.normal(size=shape, dtype=self.loc.dtype, device=self.loc.device)``.
        ``sample_shape`` is a tuple.
        """
        raise NotImplementedError("exercise 04: Normal.rsample")

    def log_prob(self, value):
        """log p(value) = -(value - loc)^2 / (2 scale^2) - log scale - log sqrt(2 pi), elementwise.

        ``value`` is a tensor whose shape ends in the batch shape (``sample_shape + loc.shape``);
        the result has value's shape and is differentiable in loc, scale and value.
        """
        raise NotImplementedError("exercise 04: Normal.log_prob")
