"""Reductions along axes (NumPy's ``axis`` and ``keepdims``) and the softmax family.

A reduction's vjp sends g back to every element that was reduced, so it first puts
the reduced axes back as length-1 axes and then broadcasts (``_spread``).
"""
from ..autograd import apply
from ..pytorch_names import numpy_axis_names
from ..tensor import Tensor
from .common import as_float, as_tensor, kept_shape, normalize_axes
from .elementwise import exp
from .shape import reshape


def _spread(g, x, axes, scale=1.0):
    """scale * g (the cotangent of a reduction over ``axes``) sent back to every reduced element of x.

    g gets the reduced axes back as length 1 and is broadcast to x's shape (a view, no
    copy). One primitive rather than reshape + broadcast_to (+ a product for ``mean``),
    because every reduction's vjp comes here. Its own vjp is the reduction again: the
    adjoint of copying g to every element is summing them.
    """
    kept = (g.data * scale if scale != 1.0 else g.data).reshape(kept_shape(x.shape, axes))
    return apply("spread", x.xp.broadcast_to(kept, x.shape),
                 (g, lambda h, out: reshape(sum(h, axes, keepdims=True) * scale, g.shape)))


@numpy_axis_names
def sum(x, axis=None, keepdims=False):
    """Sum over ``axis``.   d/dx_i = 1 for every summed element, so the vjp spreads g."""
    x = as_tensor(x)
    axes = normalize_axes(axis, x.ndim, "sum")
    return apply("sum", x.data.sum(axis=axes, keepdims=keepdims), (x, lambda g, out: _spread(g, x, axes)))


@numpy_axis_names
def mean(x, axis=None, keepdims=False):
    """Average over ``axis``.   d/dx_i = 1/count for every averaged element: the vjp spreads g / count.

    A primitive rather than sum(x) / count: one recorded op instead of two.
    """
    x = as_tensor(x)
    axes = normalize_axes(axis, x.ndim, "mean")
    count = 1
    for a in axes:
        count *= x.shape[a]
    x = as_float(x)
    scale = 1.0 / count if count else float("nan")   # the mean of nothing is NaN
    data = x.data.sum(axis=axes, keepdims=keepdims) * scale
    return apply("mean", data, (x, lambda g, out: _spread(g, x, axes, scale)))


@numpy_axis_names
def var(x, axis=None, keepdims=False, ddof=0):
    """Variance over ``axis``: mean squared deviation, divided by (count - ddof) (a composite)."""
    x = as_tensor(x)
    axes = normalize_axes(axis, x.ndim, "var")
    count = 1
    for a in axes:
        count *= x.shape[a]
    deviation = x - mean(x, axes, keepdims=True)
    factor = 1.0 / (count - ddof) if count > ddof else float("nan")   # no degrees of freedom left: NaN
    return sum(deviation * deviation, axes, keepdims) * factor


@numpy_axis_names
def max(x, axis=None, keepdims=False):
    """Largest element over ``axis``.  Ties share the gradient equally (each of k ties gets g/k)."""
    x = as_tensor(x)
    return _extremum("max", x, axis, keepdims)


@numpy_axis_names
def min(x, axis=None, keepdims=False):
    """Smallest element over ``axis``.  Ties share the gradient equally."""
    x = as_tensor(x)
    return _extremum("min", x, axis, keepdims)


def _extremum(op, x, axis, keepdims):
    axes = normalize_axes(axis, x.ndim, op)
    if any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"{op}: cannot reduce over an axis of length 0 (shape {x.shape}, axis {axis}): "
                         f"there is no {op}imum of nothing")
    kept = getattr(x.data, op)(axis=axes, keepdims=True)

    def share():   # 1/k at each of the k elements equal to the extremum, 0 elsewhere
        winners = x.data == kept
        return Tensor((winners / winners.sum(axis=axes, keepdims=True)).astype(x.dtype))

    data = kept if keepdims else kept.reshape([n for i, n in enumerate(x.shape) if i not in axes])
    return apply(op, data, (x, lambda g, out: _spread(g, x, axes) * share()))


@numpy_axis_names
def logsumexp(x, axis=None, keepdims=False):
    """log sum exp(x) over ``axis``, computed as m + log sum exp(x - m) with m = max x (no overflow).

    A primitive for that stability.  d/dx = exp(x - logsumexp(x)) = softmax(x).
    """
    x = as_tensor(x)
    axes = normalize_axes(axis, x.ndim, "logsumexp")
    xp = x.xp
    m = x.data.max(axis=axes, keepdims=True) if x.size else xp.zeros(kept_shape(x.shape, axes), x.dtype)
    m = xp.where(xp.isfinite(m), m, 0)   # all -inf (or an inf) along an axis: leave it to exp/log
    kept = xp.log(xp.exp(x.data - m).sum(axis=axes, keepdims=True)) + m
    data = kept if keepdims else kept.reshape([n for i, n in enumerate(x.shape) if i not in axes])
    return apply("logsumexp", data,
                 (x, lambda g, out: _spread(g, x, axes) * exp(x - _spread(out, x, axes))))


@numpy_axis_names
def log_softmax(x, axis=-1):
    """log softmax(x) = x - logsumexp(x) along ``axis`` (a composite).

    Computed as z - logsumexp(z) with z = x - max(x): the shift cancels, and without it
    float32 would round logsumexp(x) at the scale of |x| (softmax of [1e4, 1e4] came out
    0.49989). The max is a constant here; its gradient would cancel too.
    """
    x = as_tensor(x)
    axes = normalize_axes(axis, x.ndim, "log_softmax")
    z = x - Tensor(x.data.max(axis=axes, keepdims=True)) if x.size else x
    return z - logsumexp(z, axes, keepdims=True)


@numpy_axis_names
def softmax(x, axis=-1):
    """exp(x_i) / sum_j exp(x_j) along ``axis``, as exp(log_softmax(x)) (a composite)."""
    x = as_tensor(x)
    return exp(log_softmax(x, axis))
