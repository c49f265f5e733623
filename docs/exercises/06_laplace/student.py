"""Exercise 06: reparameterized draws from the Laplace distribution, by the inverse CDF.

Statement: docs/exercises/06_laplace.md.  Tests: python -m pytest docs/exercises/06_laplace
"""
import numpy as np  # noqa: F401  (you will need them)

import minigrad as mg  # noqa: F401


def rsample(loc, scale, sample_shape=()):
    """Draws from Laplace(loc, scale), density exp(-|x - loc| / scale) / (2 scale), differentiable in loc and scale.

    ``loc`` and ``scale`` are tensors of one shape (the batch shape), scale > 0; the result
    has shape ``sample_shape + loc.shape`` (``sample_shape`` a tuple), loc's dtype and device,
    and no infinite or NaN value.

    x = loc + scale * noise, where noise is a standard Laplace draw made from uniform noise
    by the inverse CDF (see the statement) and carries no parameter.
    """
    raise NotImplementedError("exercise 06: rsample")
