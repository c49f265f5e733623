"""Hypothesis strategies shared by the op tests (tests/test_ops_*.py).

Shapes are kept small on purpose: ``mg.gradcheck`` runs two forward passes per input
element, and ``mg.gradgradcheck`` two backward passes. Three axes of length up to 3
(27 elements) already cover 0-d, 1-d and n-d tensors and every broadcasting pattern.

Values are drawn inside each op's domain. Where an op has a kink (abs at 0, max where
two elements tie) finite differences are meaningless, so the values keep away from it:
``away_from_zero`` for abs and relu, and ``grid`` for max/min, whose distinct values
lie at least one step apart.
"""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# Forward results are compared with NumPy to these tolerances, by dtype.
TOLERANCE = {np.dtype(np.float32): dict(rtol=1e-5, atol=1e-6),
             np.dtype(np.float64): dict(rtol=1e-10, atol=1e-12)}

float_dtypes = st.sampled_from([np.float32, np.float64])


def shapes(min_dims=0, max_dims=3, max_side=3):
    """Array shapes from 0-d up to ``max_dims`` axes, each of length 1 to ``max_side``."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def floats(low=-3.0, high=3.0):
    """Finite floats in [low, high]."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def away_from_zero(low=0.1, high=3.0):
    """Floats with low <= |x| <= high, for ops with a kink at 0."""
    return floats(low, high) | floats(-high, -low)


def grid(low=-3.0, high=3.0, step=0.25, offset=0.0):
    """Values k * step + offset in [low, high]: two different draws are at least ``step`` apart."""
    return st.integers(int(np.ceil(low / step)), int(np.floor(high / step))).map(lambda k: k * step + offset)


def arrays(shape=shapes(), elements=floats(), dtype=np.float64, unique=False):
    """NumPy arrays of ``shape`` (a tuple or a strategy for one) with the given elements."""
    return hnp.arrays(dtype, shape, elements=elements, unique=unique)


@st.composite
def broadcastable_arrays(draw, elements=(floats(), floats()), dtypes=None, max_dims=3, max_side=3):
    """One array per entry of ``elements`` (float64 unless ``dtypes`` says), with mutually broadcastable shapes."""
    drawn = draw(hnp.mutually_broadcastable_shapes(num_shapes=len(elements), min_dims=0, max_dims=max_dims,
                                                   max_side=max_side))
    dtypes = dtypes or [np.float64] * len(elements)
    return tuple(draw(arrays(shape, values, dtype))
                 for shape, values, dtype in zip(drawn.input_shapes, elements, dtypes))


def axes(ndim):
    """NumPy's ``axis`` argument for a tensor of ``ndim`` axes: None, an int or a tuple, negatives included."""
    one_axis = st.integers(-ndim, ndim - 1)
    some_axes = st.lists(one_axis, max_size=ndim, unique_by=lambda a: a % ndim).map(tuple)
    return st.none() | one_axis | some_axes if ndim else st.none() | st.just(())


@st.composite
def arrays_and_axes(draw, elements=floats(), unique=False, max_dims=3, max_side=3):
    """An array, an ``axis`` argument that fits it, and ``keepdims``."""
    x = draw(arrays(shapes(max_dims=max_dims, max_side=max_side), elements, unique=unique))
    return x, draw(axes(x.ndim)), draw(st.booleans())
