"""New tensors from shapes: zeros, ones, full, arange, eye (all leaves)."""
import numpy

from .. import backend
from ..tensor import Tensor, _check_differentiable_dtype


def _new(make, dtype, device, requires_grad, op):
    device = backend.get_device(device if device is not None else backend.get_default_device())
    data = make(device.xp, numpy.dtype(dtype) if dtype is not None else backend.get_default_dtype())
    if requires_grad:
        _check_differentiable_dtype(data.dtype, op)
    return Tensor(data, requires_grad=requires_grad)


def _shape(shape):
    return (shape,) if isinstance(shape, (int, numpy.integer)) else tuple(shape)


def zeros(shape, dtype=None, device=None, requires_grad=False):
    return _new(lambda xp, dt: xp.zeros(_shape(shape), dt), dtype, device, requires_grad, "zeros")


def ones(shape, dtype=None, device=None, requires_grad=False):
    return _new(lambda xp, dt: xp.ones(_shape(shape), dt), dtype, device, requires_grad, "ones")


def full(shape, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None and isinstance(fill_value, (bool, int)):
        dtype = numpy.bool_ if isinstance(fill_value, bool) else numpy.int64
    return _new(lambda xp, dt: xp.full(_shape(shape), fill_value, dt), dtype, device, requires_grad, "full")


def zeros_like(x, dtype=None, device=None, requires_grad=False):
    return zeros(x.shape, dtype or x.dtype, device or x.device, requires_grad)


def ones_like(x, dtype=None, device=None, requires_grad=False):
    return ones(x.shape, dtype or x.dtype, device or x.device, requires_grad)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False):
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
