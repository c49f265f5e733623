"""Ops that move values around without changing them: broadcasting, reshaping, indexing.

Their vjps move cotangents back to where the values came from. The central pair is
``broadcast_to`` and ``sum_to``: broadcasting copies a value to many places, so its
adjoint adds up the cotangents of all the copies. Every op that broadcasts its
operands (``a + b`` with shapes (3, 1) and (4,)) undoes it with ``sum_to``.
"""
import numpy

from .. import backend
from ..autograd import apply
from ..pytorch_names import numpy_axis_names
from ..tensor import Tensor
from .common import as_tensor, check_same_device, normalize_axes


def broadcast_to(x, shape):
    """x repeated along new leading axes and axes of length 1.  vjp: sum_to(g, x.shape)."""
    x = as_tensor(x)
    shape = tuple(shape)
    try:
        data = x.xp.broadcast_to(x.data, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast a tensor of shape {x.shape} to {shape}; "
                         "each axis must match or be 1 (counting from the right)") from None
    return apply("broadcast_to", data, (x, lambda g, out: sum_to(g, x.shape)))


def sum_to(x, shape):
    """Sum x down to ``shape``: the adjoint of broadcast_to.  vjp: broadcast_to(g, x.shape).

    Broadcasting ``shape`` to ``x.shape`` adds leading axes and stretches axes of
    length 1; sum_to sums over exactly those axes.
    """
    if isinstance(x, Tensor) and x._data.shape == shape:   # the common case, first: every binary vjp comes here
        return x
    x = as_tensor(x)
    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    data = x.data.sum(axis=axes, keepdims=True).reshape(shape) if axes else x.data.reshape(shape)
    return apply("sum_to", data, (x, lambda g, out: broadcast_to(g, x.shape)))


def reshape(x, shape):
    """The same values in a new shape (one entry may be -1).  vjp: reshape(g, x.shape)."""
    x = as_tensor(x)
    try:
        data = x.data.reshape(shape)
    except (ValueError, TypeError) as e:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                         f"to {shape}: {e}") from None
    return apply("reshape", data, (x, lambda g, out: reshape(g, x.shape)))


def transpose(x, axes=None):
    """Permute the axes (reverse them when ``axes`` is None).  vjp: the inverse permutation."""
    x = as_tensor(x)
    if axes is not None:
        axes = tuple(axes)
        if len(axes) != x.ndim:
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {x.ndim} axes "
                             f"of a tensor of shape {x.shape}")
        normalize_axes(axes, x.ndim, "transpose")   # each in range, none repeated: a permutation
        axes = tuple(a % x.ndim for a in axes)
        inverse = tuple(int(i) for i in numpy.argsort(axes))
    else:
        inverse = None
    return apply("transpose", x.data.transpose(axes), (x, lambda g, out: transpose(g, inverse)))


def swapaxes(x, axis1, axis2):
    """Exchange two axes (``swapaxes(x, -1, -2)`` transposes a batch of matrices)."""
    x = as_tensor(x)
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, axes)


@numpy_axis_names
def expand_dims(x, axis):
    """Insert an axis of length 1 at ``axis`` (a reshape)."""
    x = as_tensor(x)
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise IndexError(f"expand_dims: axis {axis} is out of range for a tensor with {x.ndim} dimensions "
                         f"(valid: {-x.ndim - 1} to {x.ndim})")
    shape = list(x.shape)
    shape.insert(axis % (x.ndim + 1), 1)
    return reshape(x, tuple(shape))


@numpy_axis_names
def squeeze(x, axis=None):
    """Remove axes of length 1 (all of them, or those in ``axis``) (a reshape)."""
    x = as_tensor(x)
    axes = normalize_axes(axis, x.ndim, "squeeze")
    if axis is not None and any(x.shape[a] != 1 for a in axes):
        raise ValueError(f"squeeze: cannot remove axis {axis} of a tensor of shape {x.shape}: its length is not 1")
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1)))


@numpy_axis_names
def concatenate(tensors, axis=0):
    """Join tensors along an existing axis.  vjp: each input gets its slice of g."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate: need at least one tensor")
    check_same_device(tensors, "concatenate")
    first = tensors[0]
    if any(t.ndim != first.ndim for t in tensors) or first.ndim == 0:
        raise ValueError(f"concatenate: all tensors need the same number (>= 1) of dimensions, got shapes "
                         f"{[t.shape for t in tensors]}")
    (axis,) = normalize_axes(axis, first.ndim, "concatenate")
    if any(t.shape[:axis] + t.shape[axis + 1:] != first.shape[:axis] + first.shape[axis + 1:] for t in tensors):
        raise ValueError(f"concatenate: shapes {[t.shape for t in tensors]} differ outside axis {axis}")
    data = first.xp.concatenate([t.data for t in tensors], axis=axis)
    edges, start = [], 0
    for t in tensors:
        index = (slice(None),) * axis + (slice(start, start + t.shape[axis]),)
        edges.append((t, lambda g, out, index=index: getitem(g, index)))
        start += t.shape[axis]
    return apply("concatenate", data, *edges)


@numpy_axis_names
def stack(tensors, axis=0):
    """Join tensors of one shape along a new axis (concatenate of expand_dims)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: need at least one tensor")
    if any(t.shape != tensors[0].shape for t in tensors):
        raise ValueError(f"stack: all tensors need the same shape, got {[t.shape for t in tensors]}")
    return concatenate([expand_dims(t, axis) for t in tensors], axis=axis)


def index_data(index):
    """Replace tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _is_basic(index):
    """True for NumPy 'basic' indexing (ints, slices, None, ...): it never selects an element twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice, type(None), type(Ellipsis))) and not isinstance(i, bool) for i in parts)


def getitem(x, index):
    """x[index] with NumPy's rules (slices, integer arrays, boolean masks).

    vjp: scatter g back into zeros of x's shape, *adding* where an element was
    selected more than once (x[[0, 0]] uses x[0] twice).
    """
    x = as_tensor(x)
    index = index_data(index)
    try:
        data = x.data[index]
    except IndexError as e:
        raise IndexError(f"getitem: index {index!r} is invalid for a tensor of shape {x.shape}: {e}") from None
    return apply("getitem", data, (x, lambda g, out: scatter_add(g, index, x.shape)))


def scatter_add(values, index, shape):
    """zeros(shape) with ``values`` added at ``index`` (repeats add up).  vjp: getitem(g, index)."""
    out = values.xp.zeros(shape, dtype=values.dtype)
    if _is_basic(index):
        out[index] = values.data
    else:
        backend.device_of(out).scatter_add(out, index, values.data)
    return apply("scatter_add", out, (values, lambda g, out: getitem(g, index)))


def astype(x, dtype):
    """x converted to ``dtype``.  vjp: g converted back to x's dtype."""
    x = as_tensor(x)
    return apply("astype", x.data.astype(dtype), (x, lambda g, out: astype(g, x.dtype)))


def to_device(x, device):
    """x copied to ``device``.  vjp: g copied back to x's device."""
    x = as_tensor(x)
    source = x.device
    return apply("to_device", backend.to_device(x.data, device), (x, lambda g, out: to_device(g, source)))
