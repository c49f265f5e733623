"""The logistic distribution: the derivative of the sigmoid, shifted and scaled."""
import math

import numpy

from .. import random
from ..autograd import label
from ..ops import as_tensor, softplus
from .distribution import LocationScale, labelled


def logistic_noise(shape, dtype, device):
    """Standard logistic draws L = log u - log(1 - u), u ~ U(0, 1): the inverse of the CDF sigmoid.

    u is kept inside (tiny, 1 - eps) so that L is finite.
    """
    finfo = numpy.finfo(dtype)
    u = random.uniform(size=shape, dtype=dtype, device=device).clip(float(finfo.tiny), 1.0 - float(finfo.eps))
    return u.log() - (-u).log1p()


class Logistic(LocationScale):
    """p(x) = sigmoid(z) (1 - sigmoid(z)) / scale with z = (x - loc) / scale; CDF sigmoid(z)."""

    @labelled("z = loc + scale * eps (rsample)")
    def rsample(self, sample_shape=()):
        """x = loc + scale L with L ~ Logistic(0, 1)."""
        noise = logistic_noise(self.extended_shape(sample_shape), self.loc.dtype, self.loc.device)
        label(noise, "eps ~ Logistic(0, 1)")   # mg.viz draws it as a random leaf
        return self.loc + self.scale * noise

    @labelled("log_prob of Logistic")
    def log_prob(self, value):
        """log p(x) = -z - 2 softplus(-z) - log scale  (log sigmoid(z) + log sigmoid(-z), stably)."""
        z = (as_tensor(value, self.loc) - self.loc) / self.scale
        return -z - 2.0 * softplus(-z) - self.scale.log()

    def entropy(self):
        """H = log scale + 2."""
        return self.scale.log() + 2.0

    @property
    def variance(self):
        """Var[x] = scale^2 pi^2 / 3."""
        return self.scale * self.scale * (math.pi ** 2 / 3.0)
