"""Random tensors, drawn by the generator of the device they are made on.

``mg.random.seed(s)`` seeds every device, so a seeded program draws the same numbers
on every run (on the CPU: NumPy's PCG64 ``default_rng``).

The arguments are NumPy's, in NumPy's order, the parameters of the distribution first
and the shape last (``numpy.random.normal(loc, scale, size)``; PyTorch's
``torch.normal(mean, std, size)`` has the same order):

    mg.random.normal(0.0, 1.0)               # one draw: a 0-d tensor
    mg.random.normal(size=(128, 20))         # 128 x 20 standard normal draws
    mg.random.uniform(-1.0, 1.0, (3, 4))     # U(-1, 1), shape (3, 4); shape=(3, 4) says the same
    mg.random.normal(loc_tensor, 0.1)        # one draw per entry of loc_tensor

``randn``, ``rand`` and ``manual_seed`` are PyTorch's (and NumPy's legacy) names for the
same draws: ``mg.randn(2, 3)`` is ``mg.random.normal(size=(2, 3))``.
"""
import numbers

import numpy

from . import backend
from .ops.creation import _is_integer, shape_from_arguments
from .ops.elementwise import less
from .tensor import Tensor

seed = backend.seed
get_state = backend.get_rng_state
set_state = backend.set_rng_state


def manual_seed(s):
    """PyTorch's name for :func:`seed`: ``mg.manual_seed(0)`` seeds every device."""
    backend.seed(s)


def _draw(method, shape, dtype, device):
    device = device if device is not None else backend.get_default_device()
    dtype = numpy.dtype(dtype) if dtype is not None else backend.get_default_dtype()
    if dtype.kind != "f":
        raise TypeError(f"random: draws need a floating dtype, got {dtype}")
    return Tensor(getattr(backend.rng(device), method)(shape, dtype=dtype))


def _check_parameters(op, names, values):
    """Each parameter a number or a tensor. A tuple or list in first place is a shape written first
    (``normal((2, 3))``), which NumPy would read as one location per entry: refused, naming ``size=``."""
    for name, value in zip(names, values):
        if type(value) in (float, int, Tensor):   # the usual parameters, passed without the checks below
            continue
        if isinstance(value, (tuple, list)):
            raise TypeError(f"mg.random.{op}: {name}={value!r} is a {type(value).__name__}, but the first arguments "
                            f"are the parameters {', '.join(names)} (as in numpy.random.{op}) and the shape comes "
                            f"last: write mg.random.{op}(size={tuple(value)!r}) for draws of that shape, or pass "
                            f"a tensor, mg.tensor({value!r}), for one {name} per draw")
        if not isinstance(value, (Tensor, numbers.Real)) or isinstance(value, bool):
            raise TypeError(f"mg.random.{op}: {name} must be a number or a tensor, got {type(value).__name__}"
                            + ("; wrap an array: mg.tensor(array)" if hasattr(value, "shape") else ""))


def _shape_dtype_device(op, size, shape, params, dtype, device):
    """The shape of the draws (``size`` or ``shape``, else the parameters' broadcast shape, as NumPy),
    and the dtype and device: given, else those of a tensor parameter, else the defaults."""
    if size is not None and shape is not None:
        raise TypeError(f"mg.random.{op}: got size={size!r} and shape={shape!r}, two names for the one shape "
                        "argument (NumPy's and minigrad's); give one")
    size = shape if size is None else size
    tensors = [p for p in params if isinstance(p, Tensor)]
    broadcast = numpy.broadcast_shapes(*(t.shape for t in tensors)) if tensors else ()
    if size is None:
        size = broadcast
    else:
        given = size
        try:
            size = (size,) if _is_integer(size) else tuple(size)
        except TypeError:   # neither an int nor a sequence
            raise _bad_size(op, given, TypeError) from None
        if not all(_is_integer(n) for n in size):
            raise _bad_size(op, given, TypeError)
        if any(n < 0 for n in size):
            raise _bad_size(op, given, ValueError)
        if not tensors:   # numbers broadcast to any size
            return size, dtype, device
        try:
            fits = numpy.broadcast_shapes(size, broadcast) == size
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"mg.random.{op}: parameters of shapes {[t.shape for t in tensors]} do not broadcast "
                             f"to size={size} (as in NumPy, size is the shape of the result)")
    if tensors:
        device = tensors[0].device if device is None else device
        if dtype is None and tensors[0].dtype.kind == "f":
            dtype = tensors[0].dtype
    return size, dtype, device


def _bad_size(op, size, error):
    return error(f"mg.random.{op}: size must be a non-negative int or a tuple of them (the shape of the result, as "
                 f"in NumPy), got {size!r}")


def _is(value, number):
    """Whether ``value`` is the number ``number`` (not a tensor); a float or int, the usual case, is tried first."""
    return (type(value) in (float, int) or isinstance(value, numbers.Real)) and value == number


def normal(loc=0.0, scale=1.0, size=None, *, shape=None, dtype=None, device=None):
    """Draws from N(loc, scale^2), computed as ``loc + scale * eps`` with eps standard normal.

    ``normal(0, 1)`` is one draw (a 0-d tensor); ``size`` (NumPy's and PyTorch's word) or
    ``shape`` (by keyword) gives the shape of the result. ``loc`` and ``scale`` are numbers or
    tensors; tensors broadcast as in NumPy: without ``size`` the result has their broadcast
    shape (one draw per entry), with ``size`` they must broadcast to it. Since the draw is
    ``loc + scale * eps``, gradients reach a ``loc`` or ``scale`` that requires grad (the
    reparameterization trick). dtype and device: given, else a tensor parameter's, else the
    defaults. A tuple or list as ``loc`` is refused with a message naming ``size=``.
    """
    _check_parameters("normal", ("loc", "scale"), (loc, scale))
    size, dtype, device = _shape_dtype_device("normal", size, shape, (loc, scale), dtype, device)
    eps = _draw("standard_normal", size, dtype, device)
    return eps if _is(loc, 0) and _is(scale, 1) else eps * scale + loc


def uniform(low=0.0, high=1.0, size=None, *, shape=None, dtype=None, device=None):
    """Draws from the uniform distribution on [low, high), computed as ``low + (high - low) * u``.

    The arguments as in :func:`normal` (NumPy's ``uniform(low, high, size)``): ``uniform()``
    is one draw from [0, 1), ``uniform(-1, 1, size=(3, 4))`` or
    ``uniform(shape=(3, 4), low=-1, high=1)`` twelve from [-1, 1).
    """
    _check_parameters("uniform", ("low", "high"), (low, high))
    size, dtype, device = _shape_dtype_device("uniform", size, shape, (low, high), dtype, device)
    u = _draw("random", size, dtype, device)
    return u if _is(low, 0) and _is(high, 1) else u * (high - low) + low


def bernoulli(p, size=None, *, shape=None, dtype=None, device=None):
    """1.0 with probability p, else 0.0 (p a number or a tensor of probabilities; no gradient).

    The shape: ``size`` or ``shape``, else p's (one draw per probability).
    """
    _check_parameters("bernoulli", ("p",), (p,))
    size, dtype, device = _shape_dtype_device("bernoulli", size, shape, (p,), dtype, device)
    u = uniform(size=size, dtype=dtype, device=device)
    return less(u, p).astype(u.dtype)


def randn(*shape, dtype=None, device=None, requires_grad=False):
    """Standard normal draws of the given shape: ``mg.randn(2, 3)`` or ``mg.randn((2, 3))``.

    PyTorch's ``torch.randn`` (and NumPy's ``numpy.random.randn``): the same draws as
    ``normal(size=shape)``. ``requires_grad=True`` makes the result a leaf that requires grad.
    """
    size = shape_from_arguments("randn", shape, extra=())[0]
    return normal(size=size, dtype=dtype, device=device).requires_grad_(requires_grad)


def rand(*shape, dtype=None, device=None, requires_grad=False):
    """Draws from [0, 1) of the given shape: ``mg.rand(2, 3)``, PyTorch's ``torch.rand``
    (NumPy's ``numpy.random.rand``); the same draws as ``uniform(size=shape)``."""
    size = shape_from_arguments("rand", shape, extra=())[0]
    return uniform(size=size, dtype=dtype, device=device).requires_grad_(requires_grad)
