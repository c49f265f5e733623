"""Random tensors, drawn by the generator of the device they are made on.

``mg.random.seed(s)`` seeds every device, so a seeded program draws the same numbers
on every run (on the CPU: NumPy's PCG64 ``default_rng``).
"""
import numpy

from . import backend
from .ops.elementwise import less
from .tensor import Tensor

seed = backend.seed
get_state = backend.get_rng_state
set_state = backend.set_rng_state


def _draw(method, shape, dtype, device):
    device = device if device is not None else backend.get_default_device()
    dtype = numpy.dtype(dtype) if dtype is not None else backend.get_default_dtype()
    if dtype.kind != "f":
        raise TypeError(f"random: draws need a floating dtype, got {dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Tensor(getattr(backend.rng(device), method)(shape, dtype=dtype))


def normal(shape=(), loc=0.0, scale=1.0, dtype=None, device=None):
    """Draws from N(loc, scale^2): loc + scale * standard normal."""
    eps = _draw("standard_normal", shape, dtype, device)
    return eps if (loc, scale) == (0.0, 1.0) else eps * scale + loc


def uniform(shape=(), low=0.0, high=1.0, dtype=None, device=None):
    """Draws from the uniform distribution on [low, high)."""
    u = _draw("random", shape, dtype, device)
    return u if (low, high) == (0.0, 1.0) else u * (high - low) + low


def bernoulli(p, shape=None, dtype=None, device=None):
    """1.0 with probability p, else 0.0 (p a number or a tensor of probabilities; no gradient)."""
    if isinstance(p, Tensor):
        shape = p.shape if shape is None else shape
        device = p.device if device is None else device
        dtype = p.dtype if dtype is None else dtype
    u = uniform(() if shape is None else shape, dtype=dtype, device=device)
    return less(u, p).astype(u.dtype)
