"""Exercise 02: sum_to, the adjoint of broadcasting, in NumPy; then the vjp of a broadcasting product.

Statement: docs/exercises/02_sum_to.md.  Tests: python -m pytest docs/exercises/02_sum_to
"""
import numpy as np  # noqa: F401  (you will need it)


def sum_to(a, shape):
    """Sum the NumPy array ``a`` down to ``shape``: the adjoint of ``np.broadcast_to(x, a.shape)``.

    ``shape`` broadcasts to ``a.shape``: compared from the right, each of its axes is
    either equal to a's or 1, and ``a`` may have extra leading axes. Sum over the leading
    axes and over every axis where ``shape`` has a 1 and ``a`` does not. The result has
    exactly ``shape`` (a 0-d result for ``shape == ()``) and a's dtype.
    """
    raise NotImplementedError("exercise 02: sum_to")


def mul_vjp(g, a, b):
    """(dL/da, dL/db) for out = a * b with NumPy broadcasting, given g = dL/d out (all NumPy arrays).

    d out / da = b and d out / db = a, elementwise; each cotangent then has to be brought
    back to its input's shape with your sum_to.
    """
    raise NotImplementedError("exercise 02: mul_vjp")
