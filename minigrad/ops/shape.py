"""Ops that move values around without changing them: broadcasting, reshaping, indexing.

Their vjps move cotangents back to where the values came from. The central pair is
``broadcast_to`` and ``sum_to``: broadcasting copies a value to many places, so its
adjoint adds up the cotangents of all the copies. Every op that broadcasts its
operands (``a + b`` with shapes (3, 1) and (4,)) undoes it with ``sum_to``.
"""
import numpy

from .. import backend
from ..autograd import apply
from ..pytorch_keywords import refuse_pytorch_keywords
from ..tensor import Tensor
from .operands import as_tensor, check_same_device, normalize_axes


def broadcast_to(x, shape):
    """x repeated along new leading axes and axes of length 1.  vjp: sum_to(g, x.shape)."""
    x = as_tensor(x)
    shape = tuple(shape)
    try:
        data = backend.broadcast_to(x.data, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast a tensor of shape {x.shape} to {shape}; "
                         "each axis must match or be 1 (counting from the right)") from None
    return apply("broadcast_to", data, (x, lambda g, out: sum_to(g, x.shape)))


def sum_to(x, shape):
    """Sum x down to ``shape``: the adjoint of broadcast_to.  vjp: broadcast_to(g, x.shape).

    Broadcasting ``shape`` to ``x.shape`` adds leading axes and stretches axes of
    length 1; sum_to sums over exactly those axes. A leading axis of length 1 holds a single
    copy, so it is dropped by the reshape, with nothing to add.
    """
    if isinstance(x, Tensor) and x._data.shape == shape:   # the common case, first: every binary vjp comes here
        return x
    x = as_tensor(x)
    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = (tuple(i for i in range(lead) if x.shape[i] != 1)
            + tuple(lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1))
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


@refuse_pytorch_keywords
def expand_dims(x, axis):
    """Insert an axis of length 1 at ``axis`` (a reshape)."""
    x = as_tensor(x)
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise IndexError(f"expand_dims: axis {axis} is out of range for a tensor with {x.ndim} dimensions "
                         f"(valid: {-x.ndim - 1} to {x.ndim})")
    shape = list(x.shape)
    shape.insert(axis % (x.ndim + 1), 1)
    return reshape(x, tuple(shape))


@refuse_pytorch_keywords
def squeeze(x, axis=None):
    """Remove axes of length 1 (all of them, or those in ``axis``) (a reshape)."""
    x = as_tensor(x)
    axes = normalize_axes(axis, x.ndim, "squeeze")
    if axis is not None and any(x.shape[a] != 1 for a in axes):
        raise ValueError(f"squeeze: cannot remove axis {axis} of a tensor of shape {x.shape}: its length is not 1")
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1)))


@refuse_pytorch_keywords
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


@refuse_pytorch_keywords
def cat(tensors, axis=0):
    """PyTorch's name for :func:`concatenate`, the same op; the axis keeps NumPy's word, ``axis`` (``dim=`` is
    refused with a message naming it)."""
    return concatenate(tensors, axis)


@refuse_pytorch_keywords
def stack(tensors, axis=0):
    """Join tensors of one shape along a new axis (concatenate of expand_dims)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: need at least one tensor")
    if any(t.shape != tensors[0].shape for t in tensors):
        raise ValueError(f"stack: all tensors need the same shape, got {[t.shape for t in tensors]}")
    return concatenate([expand_dims(t, axis) for t in tensors], axis=axis)


@refuse_pytorch_keywords
def split(x, indices_or_sections, axis=0):
    """x cut along ``axis`` into a list of tensors, as ``numpy.split``: each piece is a slice (getitem).

    An int k cuts into k equal pieces (the axis length must divide by k); a list of
    indices gives the cut points ([2, 5] -> x[:2], x[2:5], x[5:]). PyTorch's
    ``torch.split(x, n)`` means pieces of length n, and a list there gives lengths.
    Each piece's vjp scatters g back into zeros of x's shape; backward adds them up.
    """
    x = as_tensor(x)
    if x.ndim == 0:
        raise ValueError("split: a 0-d tensor has no axis to split")
    (axis,) = normalize_axes(axis, x.ndim, "split")
    n = x.shape[axis]
    if isinstance(indices_or_sections, (int, numpy.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or n % sections:
            raise ValueError(f"split: axis {axis} of length {n} does not divide into {sections} equal pieces; "
                             "give the cut points as a list instead (numpy.split's meaning)")
        cuts = [n // sections * i for i in range(1, sections)]
    else:
        cuts = [int(i) for i in indices_or_sections]
    bounds = [0] + cuts + [n]
    return [getitem(x, (slice(None),) * axis + (slice(start, stop),)) for start, stop in zip(bounds, bounds[1:])]


@refuse_pytorch_keywords
def flip(x, axis=None):
    """x with the order of its elements reversed along ``axis`` (None: every axis).  vjp: flip(g, axis)."""
    x = as_tensor(x)
    axes = normalize_axes(axis, x.ndim, "flip")
    index = tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(x.ndim))
    return apply("flip", x.data[index], (x, lambda g, out: flip(g, axes)))


@refuse_pytorch_keywords
def take_along_axis(x, indices, axis=-1):
    """Pick values of x along ``axis`` at ``indices``, as ``numpy.take_along_axis`` (a getitem).

    ``indices`` (integers, x's number of axes) says which element of each line along
    ``axis`` to take; on the other axes it broadcasts against x. axis=None takes from the
    flattened x with 1-D indices. ``out[i, j] = x[i, indices[i, j]]`` for axis 1 of a
    matrix: the log-probability of each example's label is
    ``take_along_axis(log_p, labels[:, None], 1)``. It is x[a, indices] with a the aranges
    of the other axes, so its vjp is getitem's: g added back where each value came from.
    PyTorch's ``x.gather(axis, indices)`` is the same with indices not broadcast.
    """
    x = as_tensor(x)
    if isinstance(indices, Tensor):
        check_same_device((x, indices), "take_along_axis")
        indices = indices.data
    else:
        indices = backend.to_device(numpy.asarray(indices), x.device)
    if indices.dtype.kind not in "iu":
        raise IndexError(f"take_along_axis: indices must be integers, got dtype {indices.dtype}")
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    if indices.ndim != x.ndim:
        raise ValueError(f"take_along_axis: indices have {indices.ndim} axes and x (shape {x.shape}) has "
                         f"{x.ndim}; they must have as many (use indices[:, None] for one per row)")
    (axis,) = normalize_axes(axis, x.ndim, "take_along_axis")
    index = tuple(indices if a == axis else x.xp.arange(n).reshape((1,) * a + (n,) + (1,) * (x.ndim - a - 1))
                  for a, n in enumerate(x.shape))
    return getitem(x, index)


@refuse_pytorch_keywords
def gather(x, axis, indices):
    """PyTorch's ``x.gather(dim, index)``: take_along_axis over the part of x that ``indices`` covers.

    ``out[i, j] = x[i, indices[i, j]]`` for axis 1, over the indices' own shape. PyTorch
    does not broadcast them: on each axis but ``axis`` they may be shorter than x, and only
    x's leading part is read. It is the Tensor method of that name; minigrad's function is
    NumPy's take_along_axis.
    """
    x = as_tensor(x)
    shape = tuple(indices.shape) if hasattr(indices, "shape") else numpy.shape(indices)
    if x.ndim == 0 or len(shape) != x.ndim:
        raise ValueError(f"gather: indices of shape {shape} do not fit x of shape {x.shape}: they need x's axes")
    (axis,) = normalize_axes(axis, x.ndim, "gather")
    if any(m > n for a, (m, n) in enumerate(zip(shape, x.shape)) if a != axis):
        raise ValueError(f"gather: indices of shape {shape} are longer than x of shape {x.shape} on an axis "
                         f"other than {axis}")
    return take_along_axis(getitem(x, tuple(slice(None) if a == axis else slice(m) for a, m in enumerate(shape))),
                           indices, axis)


def pad(x, pad_width, mode="constant", constant_values=0):
    """x with values added before and after each axis, as ``numpy.pad``.

    ``pad_width`` is NumPy's: ((before_0, after_0), (before_1, after_1), ...) for every
    axis, or one (before, after) or one int for all of them. ``mode`` "constant" fills
    with the number ``constant_values``: x sits in the middle of the result, and the vjp is
    that slice of g. "edge", "reflect", "symmetric" and "wrap" repeat values of x, as
    NumPy's modes of those names (PyTorch calls two of them "replicate" and "circular"):
    each is an index into x along each axis, so the vjp adds g back where it came from.
    PyTorch's form, a flat tuple from the last axis backwards, is ``mg.nn.functional.pad``.
    """
    x = as_tensor(x)
    widths = numpy.asarray(pad_width)
    if widths.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must be integers, got {pad_width!r}")
    try:
        widths = numpy.broadcast_to(widths, (x.ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a tensor of {x.ndim} dimensions: give "
                         "((before, after),) per axis, one (before, after), or one int") from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width {pad_width!r} has a negative width")
    widths = [(int(before), int(after)) for before, after in widths]
    if mode == "constant":
        data = x.xp.full([b + n + a for n, (b, a) in zip(x.shape, widths)], constant_values, dtype=x.dtype)
        inner = tuple(slice(b, b + n) for n, (b, _) in zip(x.shape, widths))
        data[inner] = x.data
        return apply("pad", data, (x, lambda g, out: getitem(g, inner)))
    if mode not in ("edge", "reflect", "symmetric", "wrap"):
        hint = {"replicate": " (NumPy's name: 'edge')", "circular": " (NumPy's name: 'wrap')"}.get(mode, "")
        raise ValueError(f"pad: mode {mode!r} is not supported{hint}; use 'constant', 'edge', 'reflect', "
                         "'symmetric' or 'wrap'")
    if constant_values != 0:
        raise ValueError(f"pad: constant_values is for mode 'constant', not {mode!r}")
    for axis, (n, (before, after)) in enumerate(zip(x.shape, widths)):
        if before or after:   # where each position of the padded axis takes its value from: NumPy pads the aranges
            source = backend.to_device(numpy.pad(numpy.arange(n), (before, after), mode=mode), x.device)
            x = getitem(x, (slice(None),) * axis + (source,))
    return x


def copy(x):
    """A copy of x in a new array (PyTorch: ``x.clone()``).  vjp: g, unchanged."""
    x = as_tensor(x)
    return apply("copy", x.data.copy(), (x, lambda g, out: g))


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
