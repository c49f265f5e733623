"""The hypothesis strategies shared by the op tests (tests/test_ops_*.py).

They are public, in :mod:`minigrad.testing`, so that users test their own ops with
them; this module re-exports them, so the tests keep ``from strategies import ...``,
and adds ``arrays_and_one_axis``, which the reductions and the shape ops that take a
single axis share. Why the shapes are small and how values keep to an op's domain: see
minigrad/testing.py.
"""
from hypothesis import strategies as st

from minigrad.testing import (
    TOLERANCE,
    arrays,
    arrays_and_axes,
    away_from_zero,
    axes,
    broadcastable_arrays,
    broadcastable_tensors,
    float_dtypes,
    floats,
    grid,
    shapes,
    tensors,
)

__all__ = ["TOLERANCE", "arrays", "arrays_and_axes", "arrays_and_one_axis", "away_from_zero", "axes",
           "broadcastable_arrays", "broadcastable_tensors", "float_dtypes", "floats", "grid", "shapes", "tensors"]


@st.composite
def arrays_and_one_axis(draw, elements=None, min_dims=1, unique=False):
    """An array of at least ``min_dims`` axes (elements default ``floats()``) and one of its axes, maybe
    negative; None for a 0-d array."""
    x = draw(arrays(shapes(min_dims=min_dims), elements, unique=unique))
    return x, draw(st.integers(-x.ndim, x.ndim - 1)) if x.ndim else None
