"""Arithmetic: + - * / ** @ and negation.

Each binary op broadcasts its operands, so each vjp ends with ``sum_to(..., input.shape)``
(the adjoint of broadcasting, see shape.py). Python numbers on either side become
constant tensors of the other operand's dtype (``operands.operands``).
"""
import math

from ..autograd import apply
from ..tensor import Tensor
from .elementwise import log, where
from .operands import as_float, as_tensor, operands
from .shape import reshape, sum_to, swapaxes, transpose


def add(a, b):
    """a + b.   d/da = 1, d/db = 1."""
    a, b = operands(a, b, "add")
    return apply("add", a._data + b._data,
                 (a, lambda g, out: sum_to(g, a.shape)),
                 (b, lambda g, out: sum_to(g, b.shape)))


def sub(a, b):
    """a - b.   d/da = 1, d/db = -1."""
    a, b = operands(a, b, "sub")
    return apply("sub", a._data - b._data,
                 (a, lambda g, out: sum_to(g, a.shape)),
                 (b, lambda g, out: sum_to(-g, b.shape)))


def mul(a, b):
    """a * b.   d/da = b, d/db = a."""
    a, b = operands(a, b, "mul")
    return apply("mul", a._data * b._data,
                 (a, lambda g, out: sum_to(g * b, a.shape)),
                 (b, lambda g, out: sum_to(g * a, b.shape)))


def div(a, b):
    """a / b (true division: integers give the default float).   d/da = 1/b, d/db = -a/b^2 = -out/b."""
    a, b = operands(a, b, "div")
    a, b = as_float(a), as_float(b)   # NumPy would give float64 for int / int; PyTorch gives the default float
    return apply("div", a._data / b._data,
                 (a, lambda g, out: sum_to(g / b, a.shape)),
                 (b, lambda g, out: sum_to(-g * out / b, b.shape)))


def neg(x):
    """-x.   d/dx = -1."""
    x = as_tensor(x)
    return apply("neg", -x._data, (x, lambda g, out: -g))


def pow(a, b):
    """a ** b.   d/da = b a^(b-1),  d/db = a^b log a.

    At a = 0 the formulas meet 0 * inf; the values taken are the limits as a -> 0+
    (PyTorch's choices too): d/da = 0 where b = 0 (a^0 = 1 for every a); d/db = 0 where
    b >= 0 (0^b is 0, or 1, for every nearby b), and -inf where b < 0 (a^b log a -> -inf).
    For a < 0, log a is NaN, and so is d/db: a^b is real there only at integer b.
    """
    a, b = operands(a, b, "pow")
    data = a.data ** b.data
    return apply("pow", data,
                 (a, lambda g, out: sum_to(g * _power_rule(a, b), a.shape)),
                 (b, lambda g, out: sum_to(g * _exponent_rule(a, b, out), b.shape)))


def _power_rule(a, b):
    """b a^(b-1), with the base taken as 1 where a = b = 0: there d/da a^0 = 0, but 0 * 0^-1 = 0 * inf = nan."""
    both_zero = Tensor((a.data == 0) & (b.data == 0))   # a constant mask
    return b * where(both_zero, 1.0, a) ** (b - 1)


def _exponent_rule(a, b, out):
    """a^b log a, with its limits where a = 0: 0 for b >= 0, -inf for b < 0.

    log and a^b are taken of safe values there (1 and 0), so no 0 * inf = nan enters the
    product or its own derivatives; the -inf is added as a constant.
    """
    zero_base = Tensor(a.data == 0)
    limit = out.xp.where(zero_base.data & (b.data < 0), -math.inf, 0.0).astype(out.dtype)
    return where(zero_base, 0.0, out) * log(where(zero_base, 1.0, a)) + Tensor(limit)


def matmul(a, b):
    """Matrix product with NumPy's rules: 1-D operands are vectors, leading axes are batches.

    For 2-D operands  d/da = g b^T,  d/db = a^T g.  A 1-D ``a`` is treated as a row
    (1, n) and a 1-D ``b`` as a column (n, 1); g gets the same axis back, and batch
    axes that were broadcast are summed away.
    """
    a, b = operands(a, b, "matmul", broadcast=False)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least one dimension, got shapes {a.shape} and {b.shape} "
                         "(use * to multiply by a scalar)")
    try:
        data = a.data @ b.data
    except ValueError:
        inner = (a.shape[-1], b.shape[-2] if b.ndim > 1 else b.shape[0])
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not contract (inner lengths {inner[0]} and "
                         f"{inner[1]} must be equal, and batch axes must broadcast)") from None
    return apply("matmul", data,
                 (a, lambda g, out: _matmul_vjp_a(g, a, b)),
                 (b, lambda g, out: _matmul_vjp_b(g, a, b)))


def _as_matrices(g, a, b):
    """Give 1-D operands and the cotangent back the axes matmul removed."""
    a2 = reshape(a, (1, a.shape[0])) if a.ndim == 1 else a
    b2 = reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b
    g_shape = g.shape + ((1,) if b.ndim == 1 else ())
    g_shape = g_shape[:-1] + (1,) + g_shape[-1:] if a.ndim == 1 else g_shape
    return reshape(g, g_shape), a2, b2


def _matmul_vjp_a(g, a, b):
    """g b^T, summed to a's shape: matmul's cotangent for a.

    For matrices where a is wider than tall and b is stored row by row (a convolution's
    weights and its im2col columns), it is computed as (b g^T)^T: the same numbers, but
    OpenBLAS, the BLAS of NumPy's wheels, is 15-35 % faster at that product than at
    g @ (a transposed view of b) (measured in demos/benchmark/README.md, the CNN step).
    """
    if a.ndim == b.ndim == 2:   # the common case, without reshapes
        if a.shape[0] < a.shape[1] and b.data.flags.c_contiguous:
            return transpose(b @ transpose(g))
        return g @ transpose(b)
    g2, a2, b2 = _as_matrices(g, a, b)
    return reshape(sum_to(g2 @ swapaxes(b2, -1, -2), a2.shape), a.shape)


def _matmul_vjp_b(g, a, b):
    if a.ndim == b.ndim == 2:
        return transpose(a) @ g
    g2, a2, b2 = _as_matrices(g, a, b)
    return reshape(sum_to(swapaxes(a2, -1, -2) @ g2, b2.shape), b.shape)
