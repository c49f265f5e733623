"""The continuous uniform distribution on [low, high)."""
from .. import random
from ..autograd import label
from ..ops import as_tensor, where
from ..tensor import Tensor
from .distribution import Distribution, broadcast_all, check, labelled


class Uniform(Distribution):
    """p(x) = 1 / (high - low) on [low, high), 0 elsewhere; elementwise."""
    has_rsample = True
    support_parameters = ("low", "high")   # [low, high) moves with them: the score-function identity fails there

    def __init__(self, low, high, validate_args=True):
        self.low, self.high = broadcast_all(low, high)
        if validate_args:
            check(self.low.data < self.high.data, "Uniform: low must be less than high (and neither NaN); "
                                                  "pass validate_args=False to skip this check")
        super().__init__(batch_shape=self.low.shape)

    @property
    def parameters(self):
        """``{"low": low, "high": high}``: ``Uniform(**d.parameters)`` rebuilds d."""
        return {"low": self.low, "high": self.high}

    @labelled("z = low + (high - low) * u (rsample)")
    def rsample(self, sample_shape=()):
        """x = low + (high - low) u, u ~ U(0, 1): dx/dlow = 1 - u, dx/dhigh = u."""
        u = random.uniform(size=self.extended_shape(sample_shape), dtype=self.low.dtype, device=self.low.device)
        label(u, "u ~ U(0, 1)")   # mg.viz draws it as a random leaf
        return self.low + (self.high - self.low) * u

    @labelled("log_prob of Uniform")
    def log_prob(self, value):
        """-log(high - low) inside [low, high), -inf outside."""
        x = as_tensor(value, self.low)
        inside = Tensor((x.data >= self.low.data) & (x.data < self.high.data))
        return where(inside, -(self.high - self.low).log(), float("-inf"))

    def entropy(self):
        """log(high - low), in nats, of shape ``batch_shape``."""
        return (self.high - self.low).log()

    @property
    def mean(self):
        """E[x] = (low + high) / 2."""
        return 0.5 * (self.low + self.high)

    @property
    def variance(self):
        """Var[x] = (high - low)^2 / 12."""
        width = self.high - self.low
        return width * width / 12.0
