"""The little linear algebra a full-covariance Gaussian needs: triangles, diagonals, triangular solves.

``MultivariateNormal`` keeps its covariance as C = L L^T with L lower triangular (the
Cholesky factor, ``scale_tril``). Then

    draw:         x = loc + L eps                     (a matmul)
    Mahalanobis:  (x - loc)^T C^-1 (x - loc) = |z|^2  where L z = x - loc  (a triangular solve)
    log det C  =  2 sum_i log L_ii                    (the diagonal)

Each function works on the last two axes and treats leading axes as a batch. Each is a
primitive with its vjp written in minigrad ops, so second derivatives work too. They live
here with the other primitives; the public namespace is ``mg.linalg``, as ``numpy.linalg``.
"""
import numpy

from ..autograd import apply
from .arithmetic import matmul
from .creation import eye
from .shape import expand_dims, sum_to, swapaxes

__all__ = ["tril", "triu", "diagonal", "solve_triangular"]


def tril(x, k=0):
    """The lower triangle of x (entries on and below diagonal k; the rest set to 0).

    Linear, and its own adjoint: vjp = tril(g, k).
    """
    return apply("tril", x.xp.tril(x.data, k), (x, lambda g, out: tril(g, k)))


def triu(x, k=0):
    """The upper triangle of x (entries on and above diagonal k).  vjp = triu(g, k)."""
    return apply("triu", x.xp.triu(x.data, k), (x, lambda g, out: triu(g, k)))


def diagonal(x):
    """The diagonal of each matrix: shape (..., n, n) -> (..., n).

    vjp: put g back on a diagonal, g[..., i] at [..., i, i] and zeros elsewhere, which is
    g[..., None] * I (the broadcast product with the identity).
    """
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"diagonal: expected square matrices (..., n, n), got shape {x.shape}")
    data = x.xp.diagonal(x.data, axis1=-2, axis2=-1).copy()   # NumPy's diagonal is a read-only view
    identity = eye(x.shape[-1], dtype=x.dtype, device=x.device)
    return apply("diagonal", data, (x, lambda g, out: expand_dims(g, -1) * identity))


def solve_triangular(a, b, lower=True):
    """x with a @ x = b, for triangular a of shape (..., n, n) and b of shape (..., n, k).

    Only the triangle named by ``lower`` is read; the rest of a is ignored (and gets no
    gradient). Batch axes broadcast, as in matmul.

    Forward: substitution, one row at a time (a loop of n steps, each vectorized over the
    batch and the k right-hand sides). NumPy has no triangular solver (SciPy's
    solve_triangular is not a dependency here), and xp.linalg.solve would run a general
    LU factorization that also reads the zeros above the diagonal; substitution costs
    O(n^2) per right-hand side, reads only the triangle, and is the same code on every backend.

    Backward, from x = a^-1 b:
        g_b = a^-T g            (another triangular solve, with the transposed triangle)
        g_a = -g_b x^T          (kept on the triangle that was read)
    """
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"solve_triangular: a must be square matrices (..., n, n), got shape {a.shape}")
    if b.ndim < 2 or b.shape[-2] != a.shape[-1]:
        raise ValueError(f"solve_triangular: b must have shape (..., {a.shape[-1]}, k) to match a of shape "
                         f"{a.shape}, got {b.shape} (use b[..., None] for a vector)")
    batch = numpy.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    xp = a.xp
    x_data = _substitute(xp, xp.broadcast_to(a.data, batch + a.shape[-2:]),
                         xp.broadcast_to(b.data, batch + b.shape[-2:]), lower)
    triangle = tril if lower else triu

    solved = {}

    def a_inverse_transposed(g):   # a^-T g, needed by both vjps: solve it once per cotangent
        if solved.get("g") is not g:
            solved.update(g=g, result=solve_triangular(swapaxes(a, -1, -2), g, lower=not lower))
        return solved["result"]

    def vjp_b(g, x):
        return sum_to(a_inverse_transposed(g), b.shape)

    def vjp_a(g, x):
        return sum_to(triangle(-matmul(a_inverse_transposed(g), swapaxes(x, -1, -2))), a.shape)

    return apply("solve_triangular", x_data, (a, vjp_a), (b, vjp_b))


def _substitute(xp, a, b, lower):
    """Forward (lower) or back (upper) substitution on arrays: x_i = (b_i - sum_j a_ij x_j) / a_ii."""
    n = a.shape[-1]
    x = xp.zeros(b.shape, dtype=numpy.result_type(a.dtype, b.dtype))
    for i in (range(n) if lower else range(n - 1, -1, -1)):
        known = slice(0, i) if lower else slice(i + 1, n)       # the x_j already solved for
        row = a[..., i:i + 1, known]                             # (..., 1, number known)
        x[..., i, :] = (b[..., i, :] - (row @ x[..., known, :])[..., 0, :]) / a[..., i, i:i + 1]
    return x
