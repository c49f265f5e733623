"""Exercise 12: max-pooling and its backward pass (the gradient goes to each window's winner).

Statement: docs/exercises/12_max_pool.md.  Tests: python -m pytest docs/exercises/12_max_pool
"""
import minigrad as mg  # noqa: F401  (you will need it)
from minigrad.autograd import apply  # noqa: F401  (you will need it)


def max_pool2d(x, k):
    """The maximum of each k x k window of the images x (N, C, H, W), windows side by side (stride k), as one
    primitive named "max_pool2d": shape (N, C, H // k, W // k). Rows and columns past the last whole window
    are ignored, as in PyTorch.

    vjp: the cotangent of each window goes to the element that is its maximum; on a tie, to
    the first of the tied elements in reading order (row by row). Every other element gets 0.
    Write the vjp with minigrad ops (mg.where, reshape, mg.pad), not arrays.
    """
    raise NotImplementedError("exercise 12: max_pool2d")
