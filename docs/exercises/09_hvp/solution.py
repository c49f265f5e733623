"""Exercise 09, reference solution: H v as the gradient of <grad f(x), v>.

    H v = grad_x ( grad_x f(x) . v )

because d/dx_i sum_j (df/dx_j) v_j = sum_j (d^2 f / dx_i dx_j) v_j. The first gradient is
computed with create_graph=True, so it is itself a tensor on the tape (minigrad's vjps
are written with minigrad ops); the second differentiates it. The cost is about two
backward passes, whatever the size of x, and H is never formed.

The library has these operators with PyTorch's signatures, in mg.autograd.functional:
``vhp(f, x, v)`` is this very route (it returns ``(f(x), v^T H)``, which is H v since H is
symmetric), ``hvp`` reaches H v by forward over reverse (the double-vjp trick), and
``hessian(f, x)`` is the Jacobian of the gradient. The tests check this file against them.
"""
import minigrad as mg


def hvp(f, x, v):
    """H v = grad (grad f(x) . v), by two calls of mg.autograd.grad."""
    (g,) = mg.autograd.grad(f(x), x, create_graph=True)
    # materialize_grads: where grad f does not depend on x (f linear), H v is 0, not an error
    (hv,) = mg.autograd.grad((g * v).sum(), x, materialize_grads=True)
    return hv


def hessian(f, x):
    """Column j is H e_j (H is symmetric, so these are its rows too)."""
    basis = mg.eye(x.shape[0], dtype=x.dtype, device=x.device)
    return mg.stack([hvp(f, x, basis[j]) for j in range(x.shape[0])], axis=1)
