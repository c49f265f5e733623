"""The Gaussian N(loc, scale^2), elementwise: the distribution of the reparameterization trick."""
import math

from .. import random
from ..autograd import label
from ..ops import as_tensor
from .distribution import LocationScale, labelled

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class Normal(LocationScale):
    """Independent Gaussians N(loc, scale^2); batch_shape is the broadcast shape of loc and scale.

    density  p(x) = exp(-(x - loc)^2 / (2 scale^2)) / (scale sqrt(2 pi))
    """

    @labelled("z = loc + scale * eps (rsample)")
    def rsample(self, sample_shape=()):
        """x = loc + scale * eps with eps ~ N(0, 1): the reparameterization trick.

        The noise eps does not depend on the parameters, so x is a differentiable
        function of them: dx/dloc = 1, dx/dscale = eps, and backpropagation through
        x gives the pathwise gradient (Kingma & Welling 2014, section 2.4).
        """
        eps = random.normal(size=self.extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        label(eps, "eps ~ N(0, 1)")   # mg.viz draws it as a random leaf
        return self.loc + self.scale * eps

    @labelled("log_prob of Normal")
    def log_prob(self, value):
        """log p(x) = -(x - loc)^2 / (2 scale^2) - log scale - log sqrt(2 pi)."""
        x = as_tensor(value, self.loc)
        z = (x - self.loc) / self.scale
        return -0.5 * z * z - self.scale.log() - LOG_SQRT_2PI

    def entropy(self):
        """H = 1/2 + log sqrt(2 pi) + log scale = 1/2 log(2 pi e scale^2)."""
        return self.scale.log() + (0.5 + LOG_SQRT_2PI)

    @property
    def stddev(self):
        """The standard deviation, scale."""
        return self.scale

    @property
    def variance(self):
        """Var[x] = scale^2."""
        return self.scale * self.scale
