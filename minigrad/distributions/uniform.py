"""The continuous uniform distribution on [low, high)."""
from .. import random
from ..ops import as_tensor, where
from ..tensor import Tensor
from .distribution import Distribution, broadcast_all, check, noted


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
        return {"low": self.low, "high": self.high}

    def rsample(self, sample_shape=()):
        """x = low + (high - low) u, u ~ U(0, 1): dx/dlow = 1 - u, dx/dhigh = u."""
        u = random.uniform(size=self.extended_shape(sample_shape), dtype=self.low.dtype, device=self.low.device)
        noted(u, "u ~ U(0, 1)")                                                # labels for mg.viz
        return noted(self.low + (self.high - self.low) * u, "z = low + (high - low) * u (rsample)")

    def log_prob(self, value):
        """-log(high - low) inside [low, high), -inf outside."""
        x = as_tensor(value, self.low)
        inside = Tensor((x.data >= self.low.data) & (x.data < self.high.data))
        return noted(where(inside, -(self.high - self.low).log(), float("-inf")), "log_prob of Uniform")

    def entropy(self):
        return (self.high - self.low).log()

    @property
    def mean(self):
        return 0.5 * (self.low + self.high)

    @property
    def variance(self):
        width = self.high - self.low
        return width * width / 12.0
