"""The categorical distribution over {0, ..., K-1}, parameterized by probabilities or logits."""
import numpy

from .. import random
from ..autograd import mark_drawn, no_grad
from ..ops import log, log_softmax, softmax, where
from ..tensor import Tensor
from .distribution import Distribution, broadcast_all, check, check_support, labelled


def gumbel_noise(shape, dtype, device):
    """Standard Gumbel draws g = -log(-log u), u ~ U(0, 1).

    The Gumbel-max trick: argmax_k (log pi_k + g_k) is a draw from Categorical(pi)
    (Gumbel 1954; Maddison et al. 2014). u is kept inside (tiny, 1 - eps) so g is finite.
    """
    finfo = numpy.finfo(dtype)
    u = random.uniform(size=shape, dtype=dtype, device=device).clip(float(finfo.tiny), 1.0 - float(finfo.eps))
    return -(-u.log()).log()


def one_hot(index, k, dtype):
    """A tensor of shape index.shape + (k,): 1 at position index[...] along the last axis, else 0."""
    return Tensor(_one_hot_mask(index, k).astype(dtype))


def _one_hot_mask(index, k):
    """The boolean array index[..., None] == arange(k): true at position index[...] along a new last axis."""
    return index.data[..., None] == index.xp.arange(k)


class Categorical(Distribution):
    """P(x = k) = pi_k for k in {0, ..., K-1}; the last axis of probs/logits holds the K classes.

    Give exactly one of ``probs`` (non-negative, normalized here to sum to 1) and
    ``logits`` (any reals or -inf: pi = softmax(logits)). Everything is computed from the
    normalized log-probabilities ``logits - logsumexp(logits)``, which are -inf exactly
    where a probability is exactly 0: so log_prob of an impossible class is -inf, and
    kl_divergence can tell "zero" from "small". Draws are integers (int64) of shape
    sample_shape + batch_shape; there is no rsample (see RelaxedOneHotCategorical).

    ``validate_args`` (default True) checks the parameters here, and in log_prob that each
    value is a class index in {0, ..., K-1}. With False nothing is checked (no pass over the
    values, no device synchronization): an index outside 0..K-1, or a non-integer, then
    matches no class and scores log 1 = 0, a meaningless number.
    """

    def __init__(self, probs=None, logits=None, validate_args=True):
        if (probs is None) == (logits is None):
            raise ValueError("Categorical: give exactly one of probs and logits")
        given = probs if probs is not None else logits
        (given,) = broadcast_all(given)
        if given.ndim < 1:
            raise ValueError(f"Categorical: probs/logits need a last axis of classes, got shape {given.shape}")
        if probs is not None:
            if validate_args:
                check(given.data >= 0, "Categorical: probs must be non-negative (and not NaN); "
                                       "pass validate_args=False to skip this check")
                check(given.data.sum(-1) > 0, "Categorical: probs must not be all zero")
            # log 0 = -inf, written with where: the log itself is taken of the probabilities clipped
            # to tiny (~1e-308), so that neither its value nor its vjp g / p meets a zero
            tiny = float(numpy.finfo(given.dtype).tiny)
            self.logits = where(Tensor(given.data > 0), log_softmax(log(given.clip(tiny)), -1), float("-inf"))
        else:
            if validate_args:
                check(~given.xp.isnan(given.data), "Categorical: logits must not be NaN")
            self.logits = log_softmax(given, -1)
        self.probs = softmax(self.logits, -1)
        self._validate_args = validate_args
        super().__init__(batch_shape=self.logits.shape[:-1])

    @property
    def num_classes(self):
        """K, the number of classes: the length of the last axis of logits."""
        return self.logits.shape[-1]

    @property
    def parameters(self):
        """``{"logits": logits}``: ``Categorical(**d.parameters)`` rebuilds d."""
        return {"logits": self.logits}

    def sample(self, sample_shape=()):
        """argmax_k (log pi_k + g_k) with Gumbel noise g (the Gumbel-max trick); int64, no graph."""
        with no_grad():
            shape = self.extended_shape(sample_shape) + (self.num_classes,)
            g = gumbel_noise(shape, self.logits.dtype, self.logits.device)
            x = Tensor((self.logits + g).data.argmax(axis=-1).astype(numpy.int64))
        return mark_drawn(x, "Categorical", [self.logits])

    @labelled("log_prob of Categorical")
    def log_prob(self, value):
        """log pi_x, picked out of the log-probabilities by a one-hot mask of x.

        Picked with where, not by multiplying with the one-hot vector: 0 * (-inf), for a class
        of probability 0 that x is not, would make the sum NaN.
        """
        x = value if isinstance(value, Tensor) else Tensor(self.logits.xp.asarray(value))
        if self._validate_args:
            self._check_classes(x)
        return where(Tensor(_one_hot_mask(x, self.num_classes)), self.logits, 0.0).sum(-1)

    def _check_classes(self, x):
        """ValueError unless every element of x is an integer in {0, ..., K-1} (floats such as 2.0 count)."""
        k, data = self.num_classes, x.data
        if data.dtype.kind not in "biuf":
            raise TypeError(f"Categorical.log_prob: value must hold class indices (integers), got dtype {data.dtype}")
        inside = (data >= 0) & (data <= k - 1)          # False at NaN
        if data.dtype.kind == "f":
            inside &= x.xp.floor(data) == data
        check_support("Categorical.log_prob", x, inside,
                      f"an integer class index in {{0, ..., {k - 1}}} ({k} classes)")

    def entropy(self):
        """H = -sum_k pi_k log pi_k."""
        finite = self.logits.clip(float(numpy.finfo(self.logits.dtype).min))   # 0 * -inf would be NaN
        return -(self.probs * finite).sum(-1)
