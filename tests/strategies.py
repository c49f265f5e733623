"""The hypothesis strategies shared by the op tests (tests/test_ops_*.py).

They are public, in :mod:`minigrad.testing`, so that users test their own ops with
them; this module only re-exports them, so the tests keep ``from strategies import ...``.
Why the shapes are small and how values keep to an op's domain: see minigrad/testing.py.
"""
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

__all__ = ["TOLERANCE", "arrays", "arrays_and_axes", "away_from_zero", "axes", "broadcastable_arrays",
           "broadcastable_tensors", "float_dtypes", "floats", "grid", "shapes", "tensors"]
