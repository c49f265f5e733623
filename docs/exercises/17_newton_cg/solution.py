"""Exercise 17, reference solution: conjugate gradient, and Newton's direction from Hessian-vector products.

CG (Nocedal & Wright, algorithm 5.2) solves A x = b for a symmetric positive-definite A with
one product A d per iteration and nothing else of A; in exact arithmetic it ends after n
iterations at most. Newton's direction solves H p = -g, with H d = grad(grad f . d) from the
gradient's own graph (create_graph=True): H is never formed.
"""
import minigrad as mg


def conjugate_gradient(matvec, b, max_iterations, tolerance=1e-10):
    x = mg.zeros_like(b)
    r = b.detach()                 # residual b - A x, with x = 0
    d = r
    rr = (r * r).sum().item()
    for _ in range(max_iterations):
        if rr ** 0.5 <= tolerance * (b * b).sum().item() ** 0.5:
            break
        ad = matvec(d).detach()
        alpha = rr / (d * ad).sum().item()
        x = x + alpha * d
        r = r - alpha * ad
        rr_new = (r * r).sum().item()
        d = r + (rr_new / rr) * d
        rr = rr_new
    return x


def newton_direction(f, w):
    (g,) = mg.autograd.grad(f(w), w, create_graph=True)

    def hvp(v):
        (hv,) = mg.autograd.grad((g * v).sum(), w, retain_graph=True, materialize_grads=True)
        return hv

    return conjugate_gradient(hvp, -g.detach(), max_iterations=w.shape[0])
