"""Exercise 17: conjugate gradient, and Newton's direction from Hessian-vector products (Newton-CG).

Statement: docs/exercises/17_newton_cg.md.  Tests: python -m pytest docs/exercises/17_newton_cg
"""
import minigrad as mg  # noqa: F401  (you will need it)


def conjugate_gradient(matvec, b, max_iterations, tolerance=1e-10):
    """x with A x = b, for a symmetric positive-definite A known only through ``matvec(d) = A d``.

    b: a 1-d tensor. Start from x = 0, stop when |b - A x| <= tolerance |b| or after
    ``max_iterations`` calls of matvec (at most one call per iteration). Returns a tensor of
    b's shape with no graph.
    """
    raise NotImplementedError("exercise 17: conjugate_gradient")


def newton_direction(f, w):
    """Newton's step p, the solution of H p = -g at w, by conjugate_gradient with Hessian-vector products.

    f maps a 1-d tensor w (which requires grad) to a scalar tensor. g = grad f(w) with
    create_graph=True; H v = grad(g . v). At most len(w) products. w.grad must stay None.
    """
    raise NotImplementedError("exercise 17: newton_direction")
