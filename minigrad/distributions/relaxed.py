"""Continuous relaxations of discrete draws (Gumbel-softmax / Concrete), and the straight-through trick.

A Bernoulli or categorical draw is a step function of its noise, so its pathwise
derivative is zero almost everywhere. Replacing the step (argmax) by a smooth softmax
at temperature tau gives draws on the simplex that are differentiable in the logits
(Jang, Gu & Poole 2017; Maddison, Mnih & Teh 2017):

    y = softmax((log pi + g) / tau),   g ~ Gumbel(0, 1)

As tau -> 0 the draws approach one-hot vectors distributed as Categorical(pi); larger
tau gives smoother draws and lower-variance, but more biased, gradients.

Straight-through (``hard=True``): the forward value is the one-hot argmax of y, exactly,
while the backward pass uses the gradient of the relaxed y (Bengio et al. 2013).
"""
import math

import numpy

from ..autograd import apply, label
from ..ops import as_tensor, logsumexp, sigmoid, softplus
from ..tensor import Tensor
from .bernoulli import Bernoulli
from .categorical import Categorical, gumbel_noise, one_hot
from .distribution import Distribution, check_positive, labelled
from .logistic import logistic_noise


def straight_through(hard, soft):
    """The values of ``hard`` with the gradient of ``soft``: forward hard exactly, vjp to soft = g.

    A primitive rather than ``soft + (hard - soft).detach()``: that composite is one-hot
    only up to rounding (1 - 0.3 + 0.3 need not be 1), this one returns hard's values bit for bit.
    """
    return apply("straight_through", hard.data.astype(soft.dtype), (soft, lambda g, out: g))


class RelaxedOneHotCategorical(Distribution):
    """Gumbel-softmax draws y = softmax((logits + g) / temperature) on the probability simplex.

    event_shape is (K,). ``hard=True`` makes rsample() return the one-hot argmax with the
    gradient of the soft draw (straight-through); log_prob is always the density of the
    soft draws.
    """
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, hard=False, validate_args=True):
        self._categorical = Categorical(probs=probs, logits=logits, validate_args=validate_args)
        # normalized, log pi, but finite: a zero probability, -inf in Categorical, is kept at
        # log(tiny) ~ -708 here, because (-inf + g) / tau would give d/dtau = 0 * inf = NaN
        log_tiny = math.log(float(numpy.finfo(self._categorical.logits.dtype).tiny))
        self.logits = self._categorical.logits.clip(log_tiny)
        self.temperature = as_tensor(temperature, self.logits)
        if validate_args:
            check_positive("temperature", self.temperature, "RelaxedOneHotCategorical")
        self.hard = hard
        super().__init__(batch_shape=self.logits.shape[:-1], event_shape=self.logits.shape[-1:])

    @property
    def probs(self):
        """The class probabilities softmax(logits), of shape ``batch_shape + (K,)``: the draws approach one-hot
        vectors with these probabilities as tau -> 0."""
        return self._categorical.probs

    @property
    def parameters(self):
        """``{"temperature": tau, "logits": logits, "hard": hard}``: ``type(d)(**d.parameters)`` rebuilds d."""
        return {"temperature": self.temperature, "logits": self.logits, "hard": self.hard}

    def rsample(self, sample_shape=()):
        """y = softmax((logits + g) / tau), g ~ Gumbel(0, 1): a point of the simplex, of shape
        ``sample_shape + batch_shape + (K,)``.

        Differentiable in the logits; with ``hard=True`` the value is the one-hot argmax of y and the
        gradient that of y (straight-through).
        """
        g = gumbel_noise(self.extended_shape(sample_shape), self.logits.dtype, self.logits.device)
        y = ((self.logits + g) / self.temperature).softmax(-1)
        label(g, "g ~ Gumbel(0, 1)"), label(y, "y = softmax((logits + g) / tau) (rsample)")   # for mg.viz
        if not self.hard:
            return y
        index = Tensor(y.data.argmax(axis=-1))
        hard = straight_through(one_hot(index, y.shape[-1], y.dtype), y)
        return label(hard, "one-hot y (straight-through)")

    @labelled("log_prob of RelaxedOneHotCategorical")
    def log_prob(self, value):
        """The Concrete density (Maddison et al. 2017, definition 1), for y in the open simplex:

        log p(y) = log (K-1)! + (K-1) log tau + sum_k (log pi_k - (tau + 1) log y_k)
                   - K logsumexp_k (log pi_k - tau log y_k)
        """
        y = as_tensor(value, self.logits)
        k = self.event_shape[0]
        tau = self.temperature
        log_y = y.log()
        return (math.lgamma(k) + (k - 1) * tau.log() + (self.logits - (tau + 1.0) * log_y).sum(-1)
                - k * logsumexp(self.logits - tau * log_y, -1))


class RelaxedBernoulli(Distribution):
    """Binary Concrete draws y = sigmoid((logit + L) / temperature) in (0, 1), L ~ Logistic(0, 1).

    The two-class case of the Gumbel-softmax (the difference of two Gumbels is
    logistic). ``hard=True``: forward 1.0 where y > 1/2 else 0.0, backward the gradient of y.
    """
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, hard=False, validate_args=True):
        self._bernoulli = Bernoulli(probs=probs, logits=logits, validate_args=validate_args)
        self.logits = self._bernoulli.logits
        self.temperature = as_tensor(temperature, self.logits)
        if validate_args:
            check_positive("temperature", self.temperature, "RelaxedBernoulli")
        self.hard = hard
        super().__init__(batch_shape=self.logits.shape)

    @property
    def probs(self):
        """p = sigmoid(logits), the probability of a 1 that the draws approach as tau -> 0, of shape ``batch_shape``."""
        return self._bernoulli.probs

    @property
    def parameters(self):
        """``{"temperature": tau, "logits": logits, "hard": hard}``: ``type(d)(**d.parameters)`` rebuilds d."""
        return {"temperature": self.temperature, "logits": self.logits, "hard": self.hard}

    def rsample(self, sample_shape=()):
        """y = sigmoid((logits + L) / tau), L ~ Logistic(0, 1): a value in (0, 1), of shape
        ``sample_shape + batch_shape``.

        Differentiable in the logits; with ``hard=True`` the value is 1 where y > 1/2, else 0, and the
        gradient that of y (straight-through).
        """
        noise = logistic_noise(self.extended_shape(sample_shape), self.logits.dtype, self.logits.device)
        y = sigmoid((self.logits + noise) / self.temperature)
        label(noise, "L ~ Logistic(0, 1)"), label(y, "y = sigmoid((logit + L) / tau) (rsample)")   # for mg.viz
        if not self.hard:
            return y
        hard = straight_through(Tensor(y.data > 0.5), y)
        return label(hard, "0/1 y (straight-through)")

    @labelled("log_prob of RelaxedBernoulli")
    def log_prob(self, value):
        """Density of y in (0, 1), by the change of variables y = sigmoid((l + L) / tau):

        L = tau logit(y) - l,  dL/dy = tau / (y (1 - y)),
        log p(y) = log tau - log y - log(1 - y) + log p_Logistic(L),  log p_Logistic(L) = -L - 2 softplus(-L)
        """
        y = as_tensor(value, self.logits)
        tau = self.temperature
        log_y, log_1my = y.log(), (-y).log1p()
        noise = tau * (log_y - log_1my) - self.logits
        return tau.log() - log_y - log_1my - noise - 2.0 * softplus(-noise)
