"""Exercise 01: two new primitives, sinh and cosh, each a forward pass and a vjp.

Statement: docs/exercises/01_new_op.md.  Tests: python -m pytest docs/exercises/01_new_op
"""
from minigrad.autograd import apply  # noqa: F401  (you will need it)


def sinh(x):
    """sinh x = (e^x - e^-x) / 2, elementwise, as one primitive.   d/dx sinh x = cosh x.

    x is a Tensor. Compute the output array from ``x.data`` with ``x.xp`` (NumPy or CuPy),
    then record it: ``apply("sinh", data, (x, vjp))``, where ``vjp(g, out)`` returns
    dL/dx from g = dL/d out. Write the vjp with minigrad ops (here: with ``cosh`` below),
    never with raw arrays, so that it can be differentiated again.
    """
    raise NotImplementedError("exercise 01: sinh")


def cosh(x):
    """cosh x = (e^x + e^-x) / 2, elementwise, as one primitive.   d/dx cosh x = sinh x."""
    raise NotImplementedError("exercise 01: cosh")
