"""What every op needs before it computes: tensor operands on one device, and axes."""
import numpy

from .. import backend
from ..tensor import Tensor, tensor


def as_tensor(value, like=None):
    """``value`` as a tensor: itself if it is one, else a constant made from it (a number, list or array).

    So ``mg.exp(2.0)`` works as ``numpy.exp(2.0)`` does, and a wrong type gets tensor()'s
    clear TypeError instead of an AttributeError from deep inside an op. Beside a tensor
    ``like`` (the other operand of a binary op, a distribution's parameter) a number or
    list goes to like's device, and a Python number takes like's dtype: as in PyTorch and
    NumPy 2 a scalar does not change the dtype (``x * 2.0`` stays float32), except that a
    float beside an integer tensor takes the default float (``operands`` then converts the
    integer tensor too). An array keeps its own dtype and device.
    """
    if isinstance(value, Tensor):
        return value
    if like is None:
        return tensor(value)
    if isinstance(value, (bool, int, float)):
        dtype = like._data.dtype
        if isinstance(value, float) and dtype.kind in "biu":
            dtype = backend.get_default_dtype()
        elif isinstance(value, int) and not isinstance(value, bool) and dtype.kind == "b":
            dtype = numpy.dtype(numpy.int64)
        return Tensor(backend.device_of(like._data).xp.asarray(value, dtype=dtype))
    if isinstance(value, (list, tuple)):
        return tensor(value, device=like.device)
    return tensor(value)   # an array: it stays on its own device, and operands() checks


def as_float(x):
    """x, with integers and booleans turned into the default float dtype: for ops whose result is a
    float whatever the input (exp, division, mean)."""
    return x.astype(backend.get_default_dtype()) if x._data.dtype.kind in "biu" else x


def operands(a, b, op, broadcast=True):
    """Both operands of a binary op as tensors on one device, their shapes checked to broadcast.

    A number on either side becomes a constant beside the tensor on the other (as_tensor);
    an integer tensor beside a Python float becomes the default float (PyTorch: int64 * 0.5
    is float32; NumPy would give float64). ``broadcast=False`` for ops that check their own
    shapes (matmul contracts, it does not broadcast elementwise).
    """
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError(f"{op}: expected at least one Tensor, got {type(a).__name__} and {type(b).__name__}")
        b = _as_float_beside(a, b)
        a = as_tensor(a, b)
    elif not isinstance(b, Tensor):
        a = _as_float_beside(b, a)
        b = as_tensor(b, a)
    if type(a._data) is not type(b._data):
        check_same_device((a, b), op)
    shape_a, shape_b = a._data.shape, b._data.shape
    if broadcast and shape_a != shape_b and shape_a and shape_b and not _broadcastable(shape_a, shape_b):
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} do not broadcast; counting from the right, "
                         "each pair of axis lengths must be equal or contain a 1")
    return a, b


def _as_float_beside(value, t):
    if isinstance(value, float) and t._data.dtype.kind in "biu":
        return t.astype(backend.get_default_dtype())
    return t


def _broadcastable(shape_a, shape_b):
    for m, n in zip(reversed(shape_a), reversed(shape_b)):
        if m != n and m != 1 and n != 1:
            return False
    return True


def check_same_device(tensors, op):
    """Raise ValueError naming ``op`` and the devices unless every tensor is on one device."""
    names = [t.device for t in tensors]
    if len(set(names)) > 1:
        raise ValueError(f"{op}: the operands are on different devices ({', '.join(names)}); "
                         "move them to one device first with .to(device)")


def normalize_axes(axis, ndim, op):
    """``axis`` (None, an int or a tuple of ints, negatives allowed) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:   # the usual case, one axis in range: none of the checks below
        return (axis % ndim,)
    if ndim == 0:   # NumPy (and PyTorch) accept axis 0 or -1 of a 0-d tensor, once: nothing to reduce
        normalize_axes(axis, 1, op)
        return ()
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    result = []
    for a in axes:
        if not isinstance(a, (int, numpy.integer)) or isinstance(a, bool):
            raise TypeError(f"{op}: axis must be an int, a tuple of ints or None, got {axis!r}")
        if not -ndim <= a < ndim:
            raise IndexError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions "
                             f"(valid: {-ndim} to {ndim - 1})")
        result.append(int(a) % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(result))


def kept_shape(shape, axes):
    """``shape`` with the reduced ``axes`` kept as 1 (the keepdims=True shape)."""
    kept = list(shape)
    for a in axes:
        kept[a] = 1
    return tuple(kept)
