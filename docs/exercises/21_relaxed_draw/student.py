"""Exercise 21: REBAR's conditional relaxed draw z~ given the discrete draw b, for a Bernoulli.

Statement: docs/exercises/21_relaxed_draw.md.  Tests: python -m pytest docs/exercises/21_relaxed_draw
"""


def conditional_logistic(logits, b, v):
    """z~ = l + log u' - log(1 - u'), u' uniform on the part of (0, 1) that gives the draw b.

    logits: a tensor l (any shape); b: 0.0/1.0 draws of Bernoulli(sigmoid(l)) of l's shape; v:
    uniform noise in (0, 1) of l's shape (given, so the draw is reproducible). z~ > 0 exactly
    where b = 1, and z~ is differentiable in the logits.
    """
    raise NotImplementedError("exercise 21: conditional_logistic")
