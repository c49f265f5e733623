"""Exercise 01, reference solution: sinh and cosh as primitives whose vjps call each other.

Each vjp is written with minigrad ops (the other function), so with ``create_graph=True``
the backward pass is recorded too and second derivatives come for free: the vjp of
sinh calls cosh, whose own vjp calls sinh.
"""
from minigrad.autograd import apply


def sinh(x):
    """sinh x = (e^x - e^-x) / 2, elementwise, as one primitive.   d/dx sinh x = cosh x."""
    return apply("sinh", x.xp.sinh(x.data), (x, lambda g, out: g * cosh(x)))


def cosh(x):
    """cosh x = (e^x + e^-x) / 2, elementwise, as one primitive.   d/dx cosh x = sinh x."""
    return apply("cosh", x.xp.cosh(x.data), (x, lambda g, out: g * sinh(x)))
