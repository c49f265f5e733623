"""Reductions along axes (NumPy's ``axis`` and ``keepdims``), the softmax family, and cumsum.

A reduction's vjp sends g back to every element that was reduced, so it first puts
the reduced axes back as length-1 axes and then broadcasts (``_spread``).

In this module sum, max, min, any, all and abs are minigrad's ops, not Python's builtins.
"""
import math

from .. import backend
from ..autograd import apply
from ..pytorch_keywords import refuse_pytorch_keywords
from ..tensor import Tensor
from .elementwise import abs, exp, where
from .operands import as_float, as_tensor, kept_shape, normalize_axes
from .shape import flip, pad, reshape, transpose


def _spread(g, x, axes, scale=1.0):
    """scale * g (the cotangent of a reduction over ``axes``) sent back to every reduced element of x.

    g gets the reduced axes back as length 1 and is broadcast to x's shape (a view, no
    copy). One primitive rather than reshape + broadcast_to (+ a product for ``mean``),
    because every reduction's vjp comes here. Its own vjp is the reduction again: the
    adjoint of copying g to every element is summing them. g is made contiguous first (a
    copy only when it is itself a broadcast view, the cotangent of an earlier reduction; it is
    never larger than the view made from it), so the view is a plain strided one of its buffer.
    """
    kept = g.xp.ascontiguousarray(g.data * scale if scale != 1.0 else g.data).reshape(kept_shape(x.shape, axes))
    return apply("spread", backend.broadcast_to(kept, x.shape),
                 (g, lambda h, out: reshape(sum(h, axes, keepdims=True) * scale, g.shape)))


@refuse_pytorch_keywords
def sum(x, axis=None, keepdims=False):
    """Sum over ``axis``.   d/dx_i = 1 for every summed element, so the vjp spreads g."""
    x = as_tensor(x)
    axes = normalize_axes(axis, x.ndim, "sum")
    return apply("sum", x.data.sum(axis=axes, keepdims=keepdims), (x, lambda g, out: _spread(g, x, axes)))


@refuse_pytorch_keywords
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


@refuse_pytorch_keywords
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


@refuse_pytorch_keywords
def std(x, axis=None, keepdims=False, ddof=0):
    """Standard deviation over ``axis``: sqrt(var), written as |x - mean| / sqrt(count - ddof) (a composite).

    Through the 2-norm, its gradient where all values are equal (std = 0, a kink, where
    d/dx sqrt is infinite) is 0 rather than NaN, as in PyTorch.
    """
    x = as_float(as_tensor(x))
    axes = normalize_axes(axis, x.ndim, "std")
    count = math.prod(x.shape[a] for a in axes)
    factor = 1.0 / math.sqrt(count - ddof) if count > ddof else float("nan")   # as var: NaN without freedom
    return _norm2(x - mean(x, axes, keepdims=True), axes, keepdims) * factor


@refuse_pytorch_keywords
def norm(x, ord=None, axis=None, keepdims=False):
    """The norm of x over ``axis``, as ``numpy.linalg.norm``: by default the 2-norm sqrt(sum x^2).

    Vector norms (one axis, or a 1-D x with axis=None): ``ord`` None or 2 is sqrt(sum x^2),
    1 is sum |x|, inf is max |x|, -inf is min |x|. Over two axes, or a 2-D x with
    axis=None, ord None or "fro" is the Frobenius norm (the 2-norm of the entries); NumPy's
    other matrix norms (1, 2, inf, "nuc": largest column sum, singular values...) are not
    here. With ord None, any axes are allowed (the 2-norm of all their entries).

    The 2-norm's gradient is x / norm, taken as 0 where the norm is 0: there it has a kink
    (as |x| at 0), 0 is a subgradient, and x / 0 would be NaN. PyTorch makes the same choice.
    """
    x = as_float(as_tensor(x))
    axes = normalize_axes(axis, x.ndim, "norm")
    if ord is None:
        return _norm2(x, axes, keepdims)
    if len(axes) == 1:
        if ord == 2:
            return _norm2(x, axes, keepdims)
        if ord == 1:
            return sum(abs(x), axes, keepdims)
        if ord == math.inf:
            return max(abs(x), axes, keepdims)
        if ord == -math.inf:
            return min(abs(x), axes, keepdims)
        raise ValueError(f"norm: vector norm ord={ord!r} is not supported; use None or 2, 1, inf or -inf")
    if len(axes) == 2:
        if ord == "fro":
            return _norm2(x, axes, keepdims)
        raise NotImplementedError(f"norm: the matrix norm ord={ord!r} is not implemented (only None and 'fro', "
                                  "the Frobenius norm); for a vector norm of all the entries, flatten x first")
    raise ValueError(f"norm: ord={ord!r} needs one axis (a vector norm) or two (a matrix norm), got "
                     f"axis={axis!r} for a tensor of shape {x.shape}")


def _norm2(x, axes, keepdims):
    """sqrt(sum x^2) over ``axes``.   d/dx = x / out, and 0 where out = 0 (see norm).

    A primitive because the composite sqrt(sum(x * x)) gives 0 * inf = NaN there. Only the
    vjp's divisor is made safe, where(out == 0, 1, out), and only where out is 0, so second
    derivatives elsewhere go through out as usual.
    """
    kept = x.xp.sqrt((x.data * x.data).sum(axis=axes, keepdims=True))
    data = kept if keepdims else kept.reshape([n for i, n in enumerate(x.shape) if i not in axes])
    return apply("norm", data, (x, lambda g, out: _spread(g / where(out == 0, 1.0, out), x, axes) * x))


@refuse_pytorch_keywords
def prod(x, axis=None, keepdims=False):
    """Product over ``axis``, computed as a tree of products of halves (a composite).

    d/dx_i = the product of the other elements. The familiar out / x_i divides by zero
    wherever an element is 0. Multiplying pairs needs no division: the derivatives are
    those of mul (d(ab)/da = b), exact at zeros and to every order. The reduced axes are
    moved last and flattened into one of length n, which is halved log2(n) times, an odd
    length first padded with a 1. Integer and boolean tensors get NumPy's product (no gradient).
    """
    x = as_tensor(x)
    axes = normalize_axes(axis, x.ndim, "prod")
    if x.dtype.kind not in "fc":
        return Tensor(x.data.prod(axis=axes, keepdims=keepdims))
    kept = [a for a in range(x.ndim) if a not in axes]
    y = transpose(x, kept + list(axes)) if kept + list(axes) != list(range(x.ndim)) else x
    y = reshape(y, [x.shape[a] for a in kept] + [math.prod(x.shape[a] for a in axes)])
    one_more = [(0, 0)] * (y.ndim - 1) + [(0, 1)]   # pad_width: a 1 after the last element
    if y.shape[-1] == 0:   # the product of nothing is 1
        y = pad(y, one_more, constant_values=1)
    while y.shape[-1] > 1:
        if y.shape[-1] % 2:   # an odd length: a 1 at the end changes no product
            y = pad(y, one_more, constant_values=1)
        half = y.shape[-1] // 2
        y = y[..., :half] * y[..., half:]
    return reshape(y, kept_shape(x.shape, axes) if keepdims else [x.shape[a] for a in kept])


@refuse_pytorch_keywords
def max(x, axis=None, keepdims=False, return_indices=False):
    """Largest element over ``axis``.  Ties share the gradient equally (each of k ties gets g/k).

    ``return_indices=True`` returns (values, indices), the indices being ``argmax``'s
    (for one axis, or None: into the flattened x). PyTorch's ``x.max(dim)`` returns that
    pair; NumPy has argmax beside max; this keeps NumPy's max and offers the pair on
    request. The values' gradient is the same either way (PyTorch's goes to the one
    index only).
    """
    x = as_tensor(x)
    values = _extremum("max", x, axis, keepdims)
    return (values, argmax(x, axis, keepdims)) if return_indices else values


@refuse_pytorch_keywords
def min(x, axis=None, keepdims=False, return_indices=False):
    """Smallest element over ``axis``.  Ties share the gradient equally.  ``return_indices``: see max."""
    x = as_tensor(x)
    values = _extremum("min", x, axis, keepdims)
    return (values, argmin(x, axis, keepdims)) if return_indices else values


@refuse_pytorch_keywords
def argmax(x, axis=None, keepdims=False):
    """The index of the largest element along ``axis`` (None: into the flattened x); the first of ties.

    An integer tensor: no gradient.
    """
    return _arg_extremum("argmax", as_tensor(x), axis, keepdims)


@refuse_pytorch_keywords
def argmin(x, axis=None, keepdims=False):
    """The index of the smallest element along ``axis`` (None: into the flattened x); the first of ties."""
    return _arg_extremum("argmin", as_tensor(x), axis, keepdims)


def _arg_extremum(op, x, axis, keepdims):
    if isinstance(axis, (tuple, list)):
        raise TypeError(f"{op}: axis must be an int or None (one axis, as in NumPy), got {axis!r}")
    _refuse_empty_reduction(op, x, normalize_axes(axis, x.ndim, op), axis)
    return Tensor(getattr(x.data, op)(axis=axis, keepdims=keepdims))


def _refuse_empty_reduction(op, x, axes, axis):
    """An extremum over an axis of length 0 does not exist; other axes may be empty (the result is then empty too,
    as in NumPy: the argmax of zeros((2, 0)) along axis 0 is an empty array)."""
    empty = [a for a in axes if x.shape[a] == 0]
    if empty or (axis is None and x.size == 0):
        where = f"axis {empty[0]}" if axis is not None else "the flattened tensor"
        raise ValueError(f"{op}: cannot reduce over {where} of length 0 (shape {x.shape}, axis={axis!r}): "
                         f"there is no {op.removeprefix('arg')}imum of nothing")


def _extremum(op, x, axis, keepdims):
    axes = normalize_axes(axis, x.ndim, op)
    _refuse_empty_reduction(op, x, axes, axis)
    kept = getattr(x.data, op)(axis=axes, keepdims=True)

    def share():   # 1/k at each of the k elements equal to the extremum, 0 elsewhere
        winners = x.data == kept
        return Tensor((winners / winners.sum(axis=axes, keepdims=True)).astype(x.dtype))

    data = kept if keepdims else kept.reshape([n for i, n in enumerate(x.shape) if i not in axes])
    return apply(op, data, (x, lambda g, out: _spread(g, x, axes) * share()))


@refuse_pytorch_keywords
def any(x, axis=None, keepdims=False):
    """Whether any element over ``axis`` is true (nonzero); a boolean tensor, no gradient."""
    x = as_tensor(x)
    return Tensor(x.data.any(axis=normalize_axes(axis, x.ndim, "any"), keepdims=keepdims))


@refuse_pytorch_keywords
def all(x, axis=None, keepdims=False):
    """Whether every element over ``axis`` is true (nonzero); a boolean tensor, no gradient."""
    x = as_tensor(x)
    return Tensor(x.data.all(axis=normalize_axes(axis, x.ndim, "all"), keepdims=keepdims))


@refuse_pytorch_keywords
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


@refuse_pytorch_keywords
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


@refuse_pytorch_keywords
def softmax(x, axis=-1):
    """exp(x_i) / sum_j exp(x_j) along ``axis``, as exp(log_softmax(x)) (a composite)."""
    x = as_tensor(x)
    return exp(log_softmax(x, axis))


@refuse_pytorch_keywords
def cumsum(x, axis=None):
    """Running sums along ``axis`` (None: of the flattened x), as NumPy's cumsum.

    out_k = x_0 + ... + x_k, so x_i reaches every out_k with k >= i:
    d/dx_i = g_i + g_(i+1) + ... , the running sums of g taken from the end: flip, cumsum, flip.
    """
    x = as_tensor(x)
    if axis is None or x.ndim == 0:   # NumPy flattens a 0-d x for axis 0 or -1 too
        normalize_axes(axis, x.ndim, "cumsum")
        return cumsum(reshape(x, (-1,)), 0)
    (axis,) = normalize_axes(axis, x.ndim, "cumsum")
    return apply("cumsum", x.xp.cumsum(x.data, axis=axis),
                 (x, lambda g, out: flip(cumsum(flip(g, axis), axis), axis)))
