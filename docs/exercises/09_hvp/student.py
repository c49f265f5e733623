"""Exercise 09: Hessian-vector products by differentiating a gradient (double backward), and a Hessian from them.

Statement: docs/exercises/09_hvp.md.  Tests: python -m pytest docs/exercises/09_hvp
"""
import minigrad as mg  # noqa: F401  (you will need it)


def hvp(f, x, v):
    """H v, where H is the Hessian of the scalar function f at x: a tensor of x's shape.

    f maps a tensor of x's shape to a scalar tensor; x requires grad; v has x's shape.
    Use mg.autograd.grad twice (never .backward(): x.grad must stay untouched).
    """
    raise NotImplementedError("exercise 09: hvp")


def hessian(f, x):
    """The (n, n) Hessian of f at a 1-d x of length n, one hvp per column: H e_j."""
    raise NotImplementedError("exercise 09: hessian")
