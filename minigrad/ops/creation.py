"""New tensors from shapes: zeros, ones, full, arange, eye (all leaves)."""
import numpy

from .. import backend
from ..tensor import Tensor, check_differentiable_dtype


def _new(make, dtype, device, requires_grad, op):
    device = backend.get_device(device if device is not None else backend.get_default_device())
    try:
        dtype = numpy.dtype(dtype) if dtype is not None else backend.get_default_dtype()
    except TypeError:
        raise TypeError(f"{op}: {dtype!r} is not a dtype; give the dtype and the device by keyword: "
                        f"mg.{op}(..., dtype=mg.float32, device='cpu')") from None
    data = make(device.xp, dtype)
    if requires_grad:
        check_differentiable_dtype(data.dtype, op)
    return Tensor(data, requires_grad=requires_grad)


def _shape(shape):
    return (shape,) if isinstance(shape, (int, numpy.integer)) else tuple(shape)


def _is_integer(value):
    return isinstance(value, (int, numpy.integer)) and not isinstance(value, bool)


def shape_from_arguments(op, args, extra):
    """The shape at the start of ``args``, a creation function's positional arguments, and the
    arguments named in ``extra`` that follow it, as a dict.

    The shape is written as NumPy writes it, one tuple or list (``zeros((2, 3))``) or one
    integer (``zeros(3)``), or as PyTorch does, one integer per axis (``zeros(2, 3)``). NumPy
    would read that second integer as a dtype and fail, so accepting it gives no call a second
    meaning. After the shape come NumPy's positional dtype (``zeros((2, 3), mg.float64)``) and
    whatever else ``extra`` names, in order.
    """
    usage = f"write mg.{op}((2, 3)) or mg.{op}(2, 3)"
    if not args:
        raise TypeError(f"{op}: missing the shape: {usage}")
    if isinstance(args[0], (tuple, list)):
        shape, rest = tuple(args[0]), args[1:]
        if not all(_is_integer(d) for d in shape):
            raise TypeError(f"{op}: the shape is made of integers, got {args[0]!r}: {usage}")
    else:
        n = 0
        while n < len(args) and _is_integer(args[n]):
            n += 1
        if n == 0:
            raise TypeError(f"{op}: the shape is a tuple of integers or one integer per axis, got {args[0]!r}: "
                            f"{usage}")
        shape, rest = tuple(args[:n]), args[n:]
    if rest and isinstance(rest[0], float):
        raise TypeError(f"{op}: the shape is made of integers, got {rest[0]!r} after {shape}")
    if len(rest) > len(extra):
        raise TypeError(f"{op}: read the shape {shape}, then {', '.join(map(repr, rest))}: too many positional "
                        f"arguments; give the others by keyword: mg.{op}({shape}, dtype=..., device=...)")
    return shape, dict(zip(extra, rest))


def _options(op, args, dtype, device, requires_grad):
    """The shape, dtype, device and requires_grad of zeros(*args, ...) and ones(*args, ...)."""
    shape, given = shape_from_arguments(op, args, extra=("dtype", "device", "requires_grad"))
    keywords = {"dtype": dtype, "device": device, "requires_grad": requires_grad}
    for name, value in given.items():
        if keywords[name] not in (None, False):
            raise TypeError(f"{op}: got {name} twice, after the shape and as {name}={keywords[name]!r}")
        keywords[name] = value
    return shape, keywords["dtype"], keywords["device"], keywords["requires_grad"]


def zeros(*shape, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros: ``mg.zeros((2, 3))`` as NumPy or ``mg.zeros(2, 3)`` as PyTorch.

    dtype (the default dtype unless given), device and requires_grad by keyword; NumPy's
    positional dtype after a tuple, ``mg.zeros((2, 3), mg.float64)``, is read too.
    """
    shape, dtype, device, requires_grad = _options("zeros", shape, dtype, device, requires_grad)
    return _new(lambda xp, dt: xp.zeros(shape, dt), dtype, device, requires_grad, "zeros")


def ones(*shape, dtype=None, device=None, requires_grad=False):
    """A tensor of ones: ``mg.ones((2, 3))`` or ``mg.ones(2, 3)``; the arguments as in :func:`zeros`."""
    shape, dtype, device, requires_grad = _options("ones", shape, dtype, device, requires_grad)
    return _new(lambda xp, dt: xp.ones(shape, dt), dtype, device, requires_grad, "ones")


def full(shape, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of ``shape`` (an int or a tuple) with every value ``fill_value``, as ``numpy.full``.

    The dtype follows the value where none is given: bool for True/False, int64 for an int, the
    default floating dtype for a float.
    """
    if dtype is None and isinstance(fill_value, (bool, int)):
        dtype = numpy.bool_ if isinstance(fill_value, bool) else numpy.int64
    return _new(lambda xp, dt: xp.full(_shape(shape), fill_value, dt), dtype, device, requires_grad, "full")


def zeros_like(x, dtype=None, device=None, requires_grad=False):
    """Zeros of x's shape, with x's dtype and device unless given (a new leaf: no graph to x)."""
    return zeros(x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def ones_like(x, dtype=None, device=None, requires_grad=False):
    """Ones of x's shape, with x's dtype and device unless given (a new leaf: no graph to x)."""
    return ones(x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False):
    """``fill_value`` in x's shape, with x's dtype and device unless given (a new leaf: no graph to x)."""
    return full(x.shape, fill_value, dtype or x.dtype, device or x.device, requires_grad)


def arange(start, stop=None, step=1, dtype=None, device=None, requires_grad=False):
    """Evenly spaced values in [start, stop); integers unless a float is involved (as in NumPy)."""
    if stop is None:
        start, stop = 0, start
    if dtype is None and all(isinstance(v, (int, numpy.integer)) for v in (start, stop, step)):
        dtype = numpy.int64
    return _new(lambda xp, dt: xp.arange(start, stop, step, dtype=dt), dtype, device, requires_grad, "arange")


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """The n x m identity matrix (m = n by default)."""
    return _new(lambda xp, dt: xp.eye(n, m, dtype=dt), dtype, device, requires_grad, "eye")
