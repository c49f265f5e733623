"""Exercise 15: the Gumbel-softmax draw, and its straight-through variant.

Statement: docs/exercises/15_gumbel_softmax.md.  Tests: python -m pytest docs/exercises/15_gumbel_softmax
"""
from minigrad.autograd import apply  # noqa: F401  (you will need it)


def gumbel_softmax(logits, temperature, u):
    """softmax((logits + g) / temperature) over the last axis, with g = -log(-log u) Gumbel(0, 1) noise.

    logits: (..., K) tensor; temperature: a positive float; u: uniform noise in (0, 1) of
    logits' shape (given, so the draw is reproducible). Differentiable in the logits.
    """
    raise NotImplementedError("exercise 15: gumbel_softmax")


def straight_through(y):
    """The one-hot vector of argmax(y) over the last axis, exactly 0 and 1, with y's gradient: one primitive
    named "straight_through" whose vjp passes g to y unchanged.
    """
    raise NotImplementedError("exercise 15: straight_through")
