"""The d-dimensional Gaussian N(loc, C) with full covariance C = L L^T, L = scale_tril."""
import math

import numpy

from .. import random
from ..autograd import label
from ..linalg import diagonal, solve_triangular
from ..ops import as_tensor, broadcast_to, expand_dims, matmul, squeeze, swapaxes
from ..tensor import Tensor, tensor
from .distribution import Distribution, check, check_finite, labelled

LOG_2PI = math.log(2 * math.pi)


class MultivariateNormal(Distribution):
    """N(loc, L L^T): ``loc`` of shape batch + (d,), ``scale_tril`` (L) of shape batch + (d, d).

    L is lower triangular with a positive diagonal (a Cholesky factor). event_shape is
    (d,); batch_shape is the broadcast of loc's and L's leading axes.
    """
    has_rsample = True

    def __init__(self, loc, scale_tril, validate_args=True):
        if not isinstance(scale_tril, Tensor):
            scale_tril = tensor(scale_tril)
        if not isinstance(loc, Tensor):
            loc = tensor(loc, dtype=scale_tril.dtype, device=scale_tril.device)
        if loc.ndim < 1 or scale_tril.ndim < 2 or scale_tril.shape[-2:] != (loc.shape[-1], loc.shape[-1]):
            raise ValueError(f"MultivariateNormal: loc must have shape (..., d) and scale_tril (..., d, d), "
                             f"got {loc.shape} and {scale_tril.shape}")
        d = loc.shape[-1]
        batch = numpy.broadcast_shapes(loc.shape[:-1], scale_tril.shape[:-2])
        self.loc = loc if loc.shape == batch + (d,) else broadcast_to(loc, batch + (d,))
        self.scale_tril = scale_tril if scale_tril.shape == batch + (d, d) else broadcast_to(scale_tril, batch + (d, d))
        if validate_args:
            L = self.scale_tril.data
            xp = self.scale_tril.xp
            check_finite("loc", self.loc, "MultivariateNormal")
            check(xp.triu(L, 1) == 0, "MultivariateNormal: scale_tril must be lower triangular (zeros above "
                                      "the diagonal); pass validate_args=False to skip this check")
            check(xp.diagonal(L, axis1=-2, axis2=-1) > 0,
                  "MultivariateNormal: scale_tril must have a positive diagonal (and no NaN); "
                  "pass validate_args=False to skip this check")
        super().__init__(batch_shape=batch, event_shape=(d,))

    @property
    def parameters(self):
        """``{"loc": loc, "scale_tril": L}``: ``MultivariateNormal(**d.parameters)`` rebuilds d."""
        return {"loc": self.loc, "scale_tril": self.scale_tril}

    @labelled("z = loc + L eps (rsample)")
    def rsample(self, sample_shape=()):
        """x = loc + L eps with eps ~ N(0, I_d): then Cov(x) = L E[eps eps^T] L^T = L L^T."""
        shape = self.extended_shape(sample_shape) + (1,)   # eps as columns, for L @ eps
        eps = random.normal(size=shape, dtype=self.loc.dtype, device=self.loc.device)
        label(eps, "eps ~ N(0, I)")   # mg.viz draws it as a random leaf
        return self.loc + squeeze(matmul(self.scale_tril, eps), -1)

    @labelled("log_prob of MultivariateNormal")
    def log_prob(self, value):
        """log p(x) = -1/2 (d log 2 pi + |z|^2) - sum_i log L_ii,  where L z = x - loc.

        |z|^2 = (x - loc)^T C^-1 (x - loc) is the squared Mahalanobis distance, and
        1/2 log det C = sum_i log L_ii.
        """
        x = as_tensor(value, self.loc)
        z = squeeze(solve_triangular(self.scale_tril, expand_dims(x - self.loc, -1)), -1)
        d = self.event_shape[0]
        return -0.5 * ((z * z).sum(-1) + d * LOG_2PI) - self._half_log_det()

    def entropy(self):
        """H = d/2 (1 + log 2 pi) + 1/2 log det C."""
        d = self.event_shape[0]
        return self._half_log_det() + 0.5 * d * (1.0 + LOG_2PI)

    def _half_log_det(self):
        """1/2 log det(L L^T) = sum_i log L_ii."""
        return diagonal(self.scale_tril).log().sum(-1)

    @property
    def mean(self):
        """E[x] = loc, of shape ``batch_shape + (d,)``."""
        return self.loc

    @property
    def covariance_matrix(self):
        """C = L L^T, of shape ``batch_shape + (d, d)``, from the Cholesky factor L = scale_tril."""
        return matmul(self.scale_tril, swapaxes(self.scale_tril, -1, -2))

    @property
    def variance(self):
        """The diagonal of C: sum_j L_ij^2."""
        return (self.scale_tril * self.scale_tril).sum(-1)
