"""The base class of every distribution, and the helpers they share.

A distribution holds tensors of parameters (``loc``, ``scale``, ``logits`` ...) and
answers three questions about them, with the names and shapes of
``torch.distributions``:

- draw: ``sample(sample_shape)`` without a graph, and, where the distribution can be
  *reparameterized*, ``rsample(sample_shape)`` with one (``has_rsample``);
- score: ``log_prob(value)``, differentiable in the parameters (and in ``value``);
- summarize: ``mean``, ``variance``, ``stddev``, ``entropy()``.

Shapes. A draw has shape ``sample_shape + batch_shape + event_shape``:

- ``batch_shape``: independent distributions side by side (a ``Normal`` with loc of
  shape (3,) is three one-dimensional Gaussians);
- ``event_shape``: the shape of one draw of one distribution ((d,) for a d-dimensional
  ``MultivariateNormal``, () for the elementwise ones);
- ``sample_shape``: how many independent draws you ask for.

``log_prob`` of a value of shape ``sample_shape + batch_shape + event_shape`` has shape
``sample_shape + batch_shape``: the event axes are summed out.
"""
import functools

import numpy

from .. import backend
from ..autograd import label, mark_drawn, no_grad
from ..ops import as_tensor, broadcast_to
from ..tensor import Tensor, tensor

# the public names, those of the API page; labelled and the check_* helpers serve the subclasses
__all__ = ["Distribution", "LocationScale", "broadcast_all"]


class Distribution:
    """The base class: a family of probability distributions with tensors for parameters.

    A subclass sets ``batch_shape`` and ``event_shape`` in its constructor and writes
    ``log_prob``, ``mean``, ``variance``, ``entropy`` and ``parameters``, and ``rsample`` where
    its draws are a differentiable function of parameter-free noise (then ``has_rsample`` is
    True and ``sample`` comes for free). Shapes: a draw is ``sample_shape + batch_shape +
    event_shape``, a log-probability ``sample_shape + batch_shape`` (see the module's text).
    """
    has_rsample = False   # True where rsample() exists: x = g(eps, params), differentiable in params
    support_parameters = ()   # the parameters the support moves with (Uniform's low, high): no score function in them

    def __init__(self, batch_shape=(), event_shape=()):
        self.batch_shape = tuple(batch_shape)
        self.event_shape = tuple(event_shape)

    # ------------------------------------------------------------ drawing
    def rsample(self, sample_shape=()):
        """A reparameterized draw of shape ``sample_shape + batch_shape + event_shape``: x = g(eps, params).

        The noise eps does not depend on the parameters, so x is differentiable in them and
        ``f(x).backward()`` gives the pathwise gradient of E[f(x)]. Raises NotImplementedError
        for a distribution with no such g (``has_rsample`` False).
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no rsample(): its draws cannot be written as a differentiable "
            "function of parameter-free noise. Use sample() with the score-function estimator "
            "(mg.estimators.score_function), or a continuous relaxation (RelaxedBernoulli, "
            "RelaxedOneHotCategorical)")

    def sample(self, sample_shape=()):
        """A draw with no graph behind it: rsample() with recording switched off.

        Distributions that cannot be reparameterized override this.
        """
        with no_grad():
            x = self.rsample(sample_shape)
        return mark_drawn(x, type(self).__name__, [p for p in vars(self).values() if isinstance(p, Tensor)])

    def extended_shape(self, sample_shape=()):
        """sample_shape + batch_shape + event_shape (sample_shape may be an int)."""
        sample_shape = (sample_shape,) if isinstance(sample_shape, (int, numpy.integer)) else tuple(sample_shape)
        return sample_shape + self.batch_shape + self.event_shape

    # ------------------------------------------------------------ scoring and summaries
    def log_prob(self, value):
        """log p(value), of shape ``sample_shape + batch_shape`` (the event axes summed out).

        Differentiable in the parameters (the score function's ingredient) and, for a continuous
        distribution, in ``value``.
        """
        raise NotImplementedError(f"{type(self).__name__}.log_prob is not implemented")

    def entropy(self):
        """The entropy -E[log p(x)], in nats, of shape ``batch_shape``; differentiable in the parameters."""
        raise NotImplementedError(f"{type(self).__name__}.entropy is not implemented")

    @property
    def mean(self):
        """E[x], of shape ``batch_shape + event_shape``."""
        raise NotImplementedError(f"{type(self).__name__}.mean is not implemented")

    @property
    def variance(self):
        """Var[x] = E[(x - mean)^2], elementwise, of shape ``batch_shape + event_shape``."""
        raise NotImplementedError(f"{type(self).__name__}.variance is not implemented")

    @property
    def stddev(self):
        """The standard deviation, sqrt(variance), of shape ``batch_shape + event_shape``."""
        return self.variance.sqrt()

    @property
    def parameters(self):
        """The parameters as keyword arguments of the constructor: ``type(d)(**d.parameters)`` rebuilds d.

        Used by estimators that need per-sample scores (see estimators.optimal_baseline).
        """
        raise NotImplementedError(f"{type(self).__name__}.parameters is not implemented")

    def __repr__(self):
        shapes = ", ".join(f"{name}: {tuple(value.shape)}" if isinstance(value, Tensor) else f"{name}: {value}"
                           for name, value in self.parameters.items())
        return f"{type(self).__name__}({shapes})"

    # ------------------------------------------------------------ helpers for subclasses


def broadcast_all(*values):
    """The parameters as tensors of one (broadcast) shape.

    Numbers become tensors with the dtype and device of the first tensor among
    ``values`` (or the defaults when there is none). Broadcasting goes through
    ``broadcast_to``, so gradients flow back to the original, smaller tensors.
    """
    if all(isinstance(v, Tensor) and v.shape == values[0].shape for v in values):   # nothing to do (the usual case)
        return values
    like = next((v for v in values if isinstance(v, Tensor)), None)
    tensors = []
    for v in values:
        if isinstance(v, Tensor):
            tensors.append(v)
        elif like is not None:
            tensors.append(as_tensor(v, like))
        else:
            tensors.append(tensor(v, dtype=backend.get_default_dtype()))
    shape = numpy.broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t if t.shape == shape else broadcast_to(t, shape) for t in tensors)


def labelled(text):
    """Decorator: the tensor the method returns is labelled ``text`` in pictures of the graph (mg.viz).

    Written above ``rsample`` and ``log_prob`` so that their bodies are the formulas alone
    (``return self.loc + self.scale * eps``); see autograd.label. A label already on the
    result (no_grad's cut mark) is kept.
    """
    def decorate(method):
        @functools.wraps(method)
        def labelled_method(*args, **kwargs):
            return label(method(*args, **kwargs), text)
        return labelled_method
    return decorate


def check(condition, message):
    """Raise ValueError(message) unless every element of the boolean array ``condition`` is true."""
    if not bool(condition.all()):
        raise ValueError(message)


def check_positive(name, x, owner):
    """Raise ValueError naming ``owner`` and the parameter ``name`` unless every element of x is > 0."""
    if not bool((x.data > 0).all()):   # NaN > 0 is False, so NaN fails too
        raise ValueError(f"{owner}: {name} must be positive (and not NaN), got values with minimum "
                         f"{float(x.data.min())}; pass validate_args=False to skip this check")


def check_support(owner, value, inside, support):
    """Raise ValueError unless ``value`` lies in the support of a distribution (``log_prob``'s check).

    ``inside`` is a boolean array, true where the element of ``value`` is in the support;
    ``support`` says in words what is allowed. Without this check an impossible value gets a
    log-probability anyway (a class index 3 out of 3 classes would score log 1 = 0), so the
    message names the distribution, the offending values and the support, as
    ``torch.distributions`` does with ``validate_args``.
    """
    if bool(inside.all()):
        return
    bad = numpy.unique(value.numpy()[~Tensor(inside).numpy()])
    shown = ", ".join(str(v) for v in bad[:5].tolist()) + (", ..." if bad.size > 5 else "")
    raise ValueError(f"{owner}: value must be {support}; got a value of shape {value.shape} with "
                     f"{int((~Tensor(inside).numpy()).sum())} element(s) outside it: {shown}. "
                     "Pass validate_args=False to the constructor to skip this check (log_prob is then "
                     "meaningless outside the support)")


def check_finite(name, x, owner):
    """Raise ValueError naming ``owner`` and the parameter ``name`` unless every element of x is finite."""
    check(x.xp.isfinite(x.data), f"{owner}: {name} must be finite (no NaN or inf); "
                                 "pass validate_args=False to skip this check")


class LocationScale(Distribution):
    """A location-scale family: x = loc + scale * eps, eps from one fixed standard distribution.

    Normal, Laplace and Logistic are such families. What they share is written here: the two
    parameters, broadcast to the batch shape (finite loc, positive scale), and the mean loc. A
    subclass draws its own eps in ``rsample`` and gives its density; since x is loc plus scale
    times a draw that does not depend on them, every such family is reparameterizable.
    """
    has_rsample = True

    def __init__(self, loc, scale, validate_args=True):
        self.loc, self.scale = broadcast_all(loc, scale)
        if validate_args:
            check_finite("loc", self.loc, type(self).__name__)
            check_positive("scale", self.scale, type(self).__name__)
        super().__init__(batch_shape=self.loc.shape)

    @property
    def parameters(self):
        """``{"loc": loc, "scale": scale}``: ``type(d)(**d.parameters)`` rebuilds d."""
        return {"loc": self.loc, "scale": self.scale}

    @property
    def mean(self):
        """E[x] = loc."""
        return self.loc
