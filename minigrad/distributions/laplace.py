"""The Laplace (double exponential) distribution."""
import math

import numpy

from .. import random
from ..autograd import label
from ..ops import as_tensor
from ..tensor import Tensor
from .distribution import LocationScale, labelled


class Laplace(LocationScale):
    """p(x) = exp(-|x - loc| / scale) / (2 scale), elementwise."""

    @labelled("z = loc + scale * eps (rsample)")
    def rsample(self, sample_shape=()):
        """x = loc - scale sign(u) log(1 - |u|), u ~ U(-1, 1): the inverse CDF, so dx/dscale = (x - loc)/scale.

        u is drawn from [eps - 1, 1) so that log(1 - |u|) stays finite.
        """
        xp = self.loc.xp
        eps = float(numpy.finfo(self.loc.dtype).eps)
        u = random.uniform(eps - 1.0, 1.0, size=self.extended_shape(sample_shape),
                           dtype=self.loc.dtype, device=self.loc.device).data
        noise = Tensor(-xp.sign(u) * xp.log1p(-xp.abs(u)))   # standard Laplace draws, no parameters in them
        label(noise, "eps ~ Laplace(0, 1)")   # mg.viz draws it as a random leaf
        return self.loc + self.scale * noise

    @labelled("log_prob of Laplace")
    def log_prob(self, value):
        """log p(x) = -|x - loc| / scale - log(2 scale)."""
        x = as_tensor(value, self.loc)
        return -(x - self.loc).abs() / self.scale - self.scale.log() - math.log(2.0)

    def entropy(self):
        """H = 1 + log(2 scale)."""
        return self.scale.log() + (1.0 + math.log(2.0))

    @property
    def variance(self):
        """Var[x] = 2 scale^2."""
        return 2.0 * self.scale * self.scale
