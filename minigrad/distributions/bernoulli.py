"""The Bernoulli distribution: a coin that shows 1 with probability p, parameterized by p or by its logit."""
import numpy

from .. import random
from ..autograd import mark_drawn, no_grad
from ..ops import as_tensor, bernoulli_log_prob, log, log1p, sigmoid, softplus
from .distribution import Distribution, broadcast_all, check, check_support, labelled


def logits_from_probs(probs):
    """log(p / (1 - p)), with p kept a machine epsilon away from 0 and 1 so the logit stays finite."""
    eps = float(numpy.finfo(probs.dtype).eps)
    p = probs.clip(eps, 1.0 - eps)
    return log(p) - log1p(-p)


class Bernoulli(Distribution):
    """P(x = 1) = p, P(x = 0) = 1 - p, elementwise.  Give exactly one of ``probs`` and ``logits``.

    Everything is computed from the logits l = log(p / (1 - p)), where the formulas
    stay finite: log p = -softplus(-l) and log(1 - p) = -softplus(l).
    Draws are discrete, so there is no rsample (see RelaxedBernoulli for a relaxation).

    ``validate_args`` (default True) checks the parameters here, and in log_prob that each
    value lies in [0, 1]. Values strictly between 0 and 1 are allowed on purpose: they are
    soft targets, and log_prob is then minus the binary cross-entropy (torch.distributions
    would refuse them, its support being {0, 1}). With False nothing is checked (no pass
    over the values, no device synchronization; the VAE's decoder does this), and a value
    such as 2 or -1 gets x l - softplus(l), a number with no meaning.
    """

    def __init__(self, probs=None, logits=None, validate_args=True):
        if (probs is None) == (logits is None):
            raise ValueError("Bernoulli: give exactly one of probs and logits")
        self._probs = self._logits = None   # the one not given is computed when asked for (below)
        if probs is not None:
            (self._probs,) = broadcast_all(probs)
            if validate_args:
                check((self._probs.data >= 0) & (self._probs.data <= 1),
                      "Bernoulli: probs must lie in [0, 1] (and not be NaN); pass validate_args=False to skip")
            shape = self._probs.shape
        else:
            (self._logits,) = broadcast_all(logits)
            if validate_args:
                check(~self._logits.xp.isnan(self._logits.data), "Bernoulli: logits must not be NaN")
            shape = self._logits.shape
        self._validate_args = validate_args
        super().__init__(batch_shape=shape)

    # The parameter that was not given is computed when asked for, each time: a VAE's
    # log-likelihood needs only the logits, so it never pays for a sigmoid of every pixel.
    # (Not cached: a value first computed under no_grad, by sample(), would carry no graph.)
    @property
    def logits(self):
        """log(p / (1 - p)), the log-odds of a 1, of shape ``batch_shape`` (computed from probs if given those)."""
        return self._logits if self._logits is not None else logits_from_probs(self._probs)

    @property
    def probs(self):
        """p = sigmoid(logits), the probability of a 1, of shape ``batch_shape``."""
        return self._probs if self._probs is not None else sigmoid(self._logits)

    def _impossible(self):
        """(P(x = 1) = 0, P(x = 0) = 0) as boolean arrays, exact: read off the parameter that was
        given (probs 0 or 1, logits -inf or +inf), not off the one computed from it, because
        logits_from_probs keeps the logit finite and sigmoid rounds a logit of 40 to exactly 1."""
        if self._probs is not None:
            return self._probs.data == 0, self._probs.data == 1
        return self._logits.data == -numpy.inf, self._logits.data == numpy.inf

    @property
    def parameters(self):
        """``{"logits": logits}``: ``Bernoulli(**d.parameters)`` rebuilds d."""
        return {"logits": self.logits}

    def sample(self, sample_shape=()):
        """1.0 where a uniform draw u < p, else 0.0 (no graph: nothing here is differentiable)."""
        with no_grad():
            x = random.bernoulli(self.probs, self.extended_shape(sample_shape))
        return mark_drawn(x, "Bernoulli", [self._probs if self._probs is not None else self._logits])

    @labelled("log_prob of Bernoulli")
    def log_prob(self, value):
        """log p(x) = x log p + (1 - x) log(1 - p) = x l - softplus(l).

        Finite for any logit l (no log of a probability that rounded to 0), and it
        accepts x between 0 and 1 too (binary cross-entropy with soft targets).
        """
        x = as_tensor(value, self.logits)
        if self._validate_args:
            check_support("Bernoulli.log_prob", x, (x.data >= 0) & (x.data <= 1),   # False at NaN
                          "in [0, 1] (0 or 1, or a soft target in between)")
        return bernoulli_log_prob(self.logits, x)

    def entropy(self):
        """H = -p log p - (1 - p) log(1 - p) = softplus(l) - p l."""
        return softplus(self.logits) - self.probs * self.logits

    @property
    def mean(self):
        """E[x] = p."""
        return self.probs

    @property
    def variance(self):
        """Var[x] = p (1 - p)."""
        return self.probs * (1.0 - self.probs)
