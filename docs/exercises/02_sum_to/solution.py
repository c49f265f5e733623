"""Exercise 02, reference solution: sum_to and the vjp of a broadcasting product, in NumPy."""
import numpy as np


def sum_to(a, shape):
    """Sum the NumPy array ``a`` down to ``shape``: the adjoint of ``np.broadcast_to(x, a.shape)``.

    Broadcasting ``shape`` to ``a.shape`` adds ``lead`` new axes on the left and stretches
    axes of length 1; each element of x was copied to every position along those axes, so
    its cotangent is the sum over them.
    """
    shape = tuple(shape)
    lead = a.ndim - len(shape)
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and a.shape[lead + i] != 1)
    return np.asarray(a.sum(axis=tuple(range(lead)) + stretched, keepdims=True).reshape(shape), dtype=a.dtype)


def mul_vjp(g, a, b):
    """(dL/da, dL/db) for out = a * b: g * b summed to a's shape, g * a summed to b's."""
    return sum_to(g * b, a.shape), sum_to(g * a, b.shape)
