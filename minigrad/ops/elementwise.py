"""Elementwise functions: each output element depends on the same element of the input.

For y = f(x) elementwise the Jacobian is diagonal, so the vjp is just ``g * f'(x)``,
written with minigrad ops (f'(x) often reuses the output: exp' = exp, tanh' = 1 - tanh^2).

Functions that are piecewise constant (sign, floor, ceil, round) and tests (isnan,
comparisons) have no useful derivative: they return constants, never recorded. The
comparisons still go through ``apply`` (with no vjp: a boolean result is never
recorded) so that the tape's labelling hook sees them: a step (x > 0) of a sample()
draw keeps the draw's mark for backward's error message.
"""
import math

import numpy

from .. import backend
from ..autograd import apply
from ..tensor import Tensor
from .operands import as_float, as_tensor, operands
from .shape import sum_to


def _constant(x, array):
    """An array computed from x's values, used as a constant factor in a vjp (no gradient)."""
    return Tensor(array.astype(x.dtype, copy=False))


def exp(x):
    """e^x.   d/dx = e^x = out."""
    x = as_float(as_tensor(x))
    return apply("exp", x.xp.exp(x.data), (x, lambda g, out: g * out))


def log(x):
    """Natural log.   d/dx = 1/x."""
    x = as_float(as_tensor(x))
    return apply("log", x.xp.log(x.data), (x, lambda g, out: g / x))


def log1p(x):
    """log(1 + x), accurate for small x.   d/dx = 1/(1 + x)."""
    x = as_float(as_tensor(x))
    return apply("log1p", x.xp.log1p(x.data), (x, lambda g, out: g / (x + 1.0)))


def expm1(x):
    """e^x - 1, accurate for small x.   d/dx = e^x = out + 1."""
    x = as_float(as_tensor(x))
    return apply("expm1", x.xp.expm1(x.data), (x, lambda g, out: g * (out + 1.0)))


def sqrt(x):
    """Square root.   d/dx = 1/(2 sqrt x) = 0.5/out."""
    x = as_float(as_tensor(x))
    return apply("sqrt", x.xp.sqrt(x.data), (x, lambda g, out: g * 0.5 / out))


def sin(x):
    """sin x.   d/dx = cos x."""
    x = as_float(as_tensor(x))
    return apply("sin", x.xp.sin(x.data), (x, lambda g, out: g * cos(x)))


def cos(x):
    """cos x.   d/dx = -sin x."""
    x = as_float(as_tensor(x))
    return apply("cos", x.xp.cos(x.data), (x, lambda g, out: -g * sin(x)))


def tanh(x):
    """Hyperbolic tangent.   d/dx = 1 - tanh^2 x = 1 - out^2."""
    x = as_float(as_tensor(x))
    return apply("tanh", x.xp.tanh(x.data), (x, lambda g, out: g * (1.0 - out * out)))


def square(x):
    """x^2.   d/dx = 2x.  (A primitive: x * x would record the product of two uses of x.)"""
    x = as_tensor(x)
    return apply("square", x.xp.square(x.data), (x, lambda g, out: g * (2.0 * x)))


def erf(x):
    """The error function, 2/sqrt(pi) times the integral of e^(-t^2) from 0 to x.   d/dx = 2/sqrt(pi) e^(-x^2).

    NumPy has no erf, so on the CPU it is :func:`erf_array`'s rational approximation,
    within a few units in the last place of float64 (math.erf element by element would be
    a Python loop, and could not run on a GPU); CuPy has its own (see ``backend``).
    """
    x = as_float(as_tensor(x))
    native = backend.device_of(x.data).erf
    data = native(x.data) if native is not None else erf_array(x.xp, x.data)
    return apply("erf", data, (x, lambda g, out: g * exp(-x * x) * _TWO_OVER_SQRT_PI))


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969)
# 631-638, as in his Fortran CALERF (netlib specfun): numerator and denominator coefficients,
# highest power first, for three intervals of |x|.
_ERF_NEAR_0 = ((0.185777706184603153, 3.16112374387056560, 113.864154151050156, 377.485237685302021,
                3209.37758913846947),
               (1.0, 23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062))
_ERFC_MIDDLE = ((2.15311535474403846e-8, 0.564188496988670089, 8.88314979438837594, 66.1191906371416295,
                 298.635138197400131, 881.952221241769090, 1712.04761263407058, 2051.07837782607147,
                 1230.33935479799725),
                (1.0, 15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019,
                 3290.79923573345963, 4362.61909014324716, 3439.36767414372164, 1230.33935480374942))
_ERFC_TAIL = ((0.0163153871373020978, 0.305326634961232344, 0.360344899949804439, 0.125781726111229246,
               0.0160837851487422766, 6.58749161529837803e-4),
              (1.0, 2.56852019228982242, 1.87295284992346047, 0.527905102951428412, 0.0605183413124413191,
               0.00233520497626869185))


def erf_array(xp, a):
    """erf of the array ``a`` with the array module ``xp``, computed in float64 (Cody's approximations).

        |x| <= 0.46875:       erf(x) = x P(x^2) / Q(x^2)
        0.46875 < |x| <= 4:   erfc(|x|) = e^(-x^2) P(|x|) / Q(|x|)
        |x| > 4:              erfc(|x|) = e^(-x^2) / |x| (1/sqrt(pi) - z P(z) / Q(z)),  z = 1/x^2

    and erf(x) = sign(x) (1 - erfc(|x|)) in the outer intervals. Each formula is evaluated
    on every element, its argument clipped to its interval (so nothing overflows), and
    ``where`` keeps the right one. Checked against SciPy to 1e-15 (tests/test_ops_elementwise.py).
    """
    x = a.astype(numpy.float64)
    y = xp.abs(x)
    near_0 = x * _rational(_ERF_NEAR_0, xp.minimum(y, 0.46875) ** 2)
    middle = xp.clip(y, 0.46875, 4.0)
    erfc_middle = xp.exp(-middle * middle) * _rational(_ERFC_MIDDLE, middle)
    tail = xp.clip(y, 4.0, 30.0)   # erfc(6) < 1e-17 already: erf is 1 in float64
    z = 1.0 / (tail * tail)
    erfc_tail = xp.exp(-tail * tail) / tail * (1.0 / math.sqrt(math.pi) - z * _rational(_ERFC_TAIL, z))
    erfc = xp.where(y <= 4.0, erfc_middle, erfc_tail)
    return xp.where(y <= 0.46875, near_0, xp.copysign(1.0 - erfc, x)).astype(a.dtype)


def _rational(coefficients, t):
    """P(t) / Q(t) by Horner's rule; ``coefficients`` = (P's, Q's), highest power first."""
    numerator, denominator = (_polynomial(c, t) for c in coefficients)
    return numerator / denominator


def _polynomial(coefficients, t):
    result = coefficients[0] * t + coefficients[1]
    for c in coefficients[2:]:
        result *= t
        result += c
    return result


def abs(x):
    """|x|.   d/dx = sign(x) (0 at 0)."""
    x = as_tensor(x)
    return apply("abs", x.xp.abs(x.data), (x, lambda g, out: g * _constant(x, x.xp.sign(x.data))))


def sigmoid(x):
    """1 / (1 + e^-x).   d/dx = sigmoid(x) (1 - sigmoid(x)) = out (1 - out).

    e^-x overflows for x below about -88 in float32 (-709 in float64), so x is first
    limited to -80 (-700): the result there is below 2e-35 either way, and no warning
    is raised. (logaddexp would be exact but is ten times slower in NumPy.)
    """
    x = as_float(as_tensor(x))
    xp = x.xp
    floor = -80.0 if x.dtype.itemsize <= 4 else -700.0
    return apply("sigmoid", 1.0 / (1.0 + xp.exp(-xp.maximum(x.data, floor))),
                 (x, lambda g, out: g * out * (1.0 - out)))


def softplus(x):
    """log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|): finite for any x.

    A primitive rather than log1p(exp(x)) because e^x overflows for x > 88 in float32.
    d/dx = sigmoid(x) = e^x / (1 + e^x) = exp(x - softplus(x)) = exp(x - out): the exponent
    is <= 0, so it never overflows, and reusing out makes the vjp three array passes
    instead of sigmoid's five.
    """
    x = as_float(as_tensor(x))
    return apply("softplus", softplus_array(x.xp, x.data), (x, lambda g, out: g * exp(x - out)))


def softplus_array(xp, a):
    """max(a, 0) + log1p(e^-|a|) on an array: softplus's forward, shared with bernoulli_log_prob."""
    return xp.maximum(a, 0) + xp.log1p(xp.exp(-xp.abs(a)))


def log_sigmoid(x):
    """log sigmoid(x) = -softplus(-x) (a composite, stable because softplus is)."""
    x = as_tensor(x)
    return -softplus(-x)


def relu(x):
    """max(x, 0).   d/dx = 1 where x > 0, else 0."""
    x = as_tensor(x)
    return apply("relu", x.xp.maximum(x.data, 0), (x, lambda g, out: g * Tensor(x.data > 0)))   # bool mask: no cast


def leaky_relu(x, negative_slope=0.01):
    """x where x > 0, else negative_slope * x.   d/dx = 1 or negative_slope."""
    x = as_tensor(x)
    xp = x.xp
    positive = x.data > 0
    return apply("leaky_relu", xp.where(positive, x.data, x.data * negative_slope),
                 (x, lambda g, out: g * _constant(x, xp.where(positive, 1.0, negative_slope))))


def elu(x, alpha=1.0):
    """x where x > 0, else alpha (e^x - 1).   d/dx = 1 where x > 0, else alpha e^x = out + alpha.

    A primitive: as the composite where(x > 0, x, alpha * expm1(x)), e^x of a large x
    would overflow in the branch not taken, and its gradient there, 0 * inf, is NaN.
    """
    x = as_float(as_tensor(x))
    xp = x.xp
    positive = x.data > 0
    data = xp.where(positive, x.data, alpha * xp.expm1(xp.minimum(x.data, 0)))
    return apply("elu", data, (x, lambda g, out: g * where(Tensor(positive), 1.0, out + alpha)))


def silu(x):
    """x sigmoid(x), also called swish (a composite)."""
    x = as_tensor(x)
    return x * sigmoid(x)


def gelu(x, approximate="none"):
    """x Phi(x) = x/2 (1 + erf(x / sqrt 2)), Phi the standard normal CDF (Hendrycks & Gimpel 2016; a composite).

    ``approximate="tanh"`` is their cheaper x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    The names are PyTorch's (``torch.nn.functional.gelu``), whose default is the exact form too.
    """
    x = as_tensor(x)
    if approximate == "none":
        return 0.5 * x * (1.0 + erf(x * (1.0 / math.sqrt(2.0))))
    if approximate == "tanh":
        return 0.5 * x * (1.0 + tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def maximum(a, b):
    """Elementwise max.  The gradient goes to the operand whose value the output is (see _select)."""
    a, b = operands(a, b, "maximum")
    return _select("maximum", a, b, a.xp.maximum, lambda: a.data > b.data)


def minimum(a, b):
    """Elementwise min.  The gradient goes to the operand whose value the output is (see _select)."""
    a, b = operands(a, b, "minimum")
    return _select("minimum", a, b, a.xp.minimum, lambda: a.data < b.data)


def _select(op, a, b, pick, a_wins):
    """Shared by maximum/minimum: g goes to the operand the output was taken from.

    Where a wins, a gets g; where b wins, b gets it. On a tie (a == b) the output is both
    at once and the function has a kink: each gets g/2, as in PyTorch, so the two shares
    still add up to g. A NaN operand makes the output NaN (NumPy propagates it), so the
    output is the NaN operand's value and that operand gets g (both NaN: g/2 each).
    PyTorch sends g to both there, counting it twice; minigrad keeps the total at g.
    """
    data = pick(a.data, b.data)

    def weight_a(g):
        xp = a.xp
        a_nan, b_nan = xp.isnan(a.data), xp.isnan(b.data)
        wins = (a_wins() | (a_nan & ~b_nan)) + 0.5 * ((a.data == b.data) | (a_nan & b_nan))
        return _constant(g, wins)

    return apply(op, data,
                 (a, lambda g, out: sum_to(g * weight_a(g), a.shape)),
                 (b, lambda g, out: sum_to(g * (1.0 - weight_a(g)), b.shape)))


def clip(x, min=None, max=None):
    """x limited to [min, max]: maximum(x, min), then minimum(., max).  Either bound may be None.

    The gradient goes to whichever operand the result is, with one convention: the bounds
    are limits, not rivals, so x gets all of g on the whole closed interval
    min <= x <= max (ends included, as in PyTorch and as for number bounds). Ties between
    the bounds themselves (min == max, x below) share g as maximum/minimum do; where the
    bounds cross (min > max) the result is max, which gets g; a NaN (in x or a bound) is
    the result and gets g. The shares add up to g everywhere. Tensor bounds get
    gradients; numbers are constants.
    """
    x = as_tensor(x)
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    low = high = None
    if min is not None:
        x, low = operands(x, min, "clip")
    if max is not None:
        x, high = operands(x, max, "clip")
    xp = x.xp
    try:
        kept = x.data if low is None else xp.maximum(x.data, low.data)   # x or the lower bound
        data = kept if high is None else xp.minimum(kept, high.data)
    except ValueError:
        raise ValueError(f"clip: shapes {x.shape}, {None if low is None else low.shape} and "
                         f"{None if high is None else high.shape} do not broadcast") from None

    def shares():   # the weights of x, min and max at each element, adding up to 1
        x_first = 1.0 if low is None else ((x.data >= low.data) | xp.isnan(x.data)) * 1.0
        if high is None:
            kept_last = 1.0
        else:
            tie = kept == high.data
            from_x = x_first == 1.0
            kept_last = ((kept < high.data) | xp.isnan(kept) | (tie & from_x)) + 0.5 * (tie & xp.logical_not(from_x))
        return x_first * kept_last, (1.0 - x_first) * kept_last, 1.0 - kept_last

    def share(g, i):
        return _constant(g, xp.broadcast_to(xp.asarray(shares()[i]), data.shape))

    edges = [(x, lambda g, out: sum_to(g * share(g, 0), x.shape))]
    if low is not None:
        edges.append((low, lambda g, out: sum_to(g * share(g, 1), low.shape)))
    if high is not None:
        edges.append((high, lambda g, out: sum_to(g * share(g, 2), high.shape)))
    return apply("clip", data, *edges)


def where(condition, a, b):
    """a where condition is true, else b.  a gets g where the condition holds, b the rest."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        a, b = operands(a, b, "where")
    else:
        raise TypeError("where: at least one of a and b must be a Tensor")
    cond = condition.data if isinstance(condition, Tensor) else as_tensor(condition, a).data
    if cond.dtype.kind != "b":
        raise TypeError(f"where: the condition must be boolean, got dtype {cond.dtype}")
    try:
        data = a.xp.where(cond, a.data, b.data)
    except ValueError:
        raise ValueError(f"where: shapes {cond.shape}, {a.shape} and {b.shape} do not broadcast") from None
    c = Tensor(cond)
    return apply("where", data,
                 (a, lambda g, out: sum_to(where(c, g, 0.0), a.shape)),
                 (b, lambda g, out: sum_to(where(c, 0.0, g), b.shape)))


# ---------------------------------------------------------------- piecewise constant (no gradient)
# Their derivative is 0 wherever it exists (and undefined at the jumps), so they return constants
# and record nothing: a result never requires grad. PyTorch instead records them with a zero
# gradient, so there sign(x).sum().backward() runs and gives zeros, where here it says that no
# graph leads to the result. Either way nothing flows back through them; a straight-through
# estimator says so explicitly: x + (round(x) - x).detach().
# Integers (and booleans, for floor and ceil) are their own floor, ceiling and rounding: returned
# unchanged in their dtype, as NumPy 2 does, on every backend (CuPy's floor would make floats).

def sign(x):
    """-1, 0 or 1 as x is negative, zero or positive (NaN stays NaN); a constant."""
    x = as_tensor(x)
    return Tensor(x.xp.sign(x.data))


def floor(x):
    """The largest integer <= x, in x's dtype; a constant."""
    x = as_tensor(x)
    return Tensor(x.data.copy() if x.dtype.kind in "biu" else x.xp.floor(x.data))


def ceil(x):
    """The smallest integer >= x, in x's dtype; a constant."""
    x = as_tensor(x)
    return Tensor(x.data.copy() if x.dtype.kind in "biu" else x.xp.ceil(x.data))


def round(x, decimals=0):
    """x rounded to ``decimals`` decimals, halves to even as in NumPy (round(2.5) = 2); a constant."""
    x = as_tensor(x)
    whole = x.dtype.kind in "iu" and decimals >= 0
    return Tensor(x.data.copy() if whole else x.xp.round(x.data, decimals))


# ---------------------------------------------------------------- tests and comparisons (boolean, no gradient)

def isnan(x):
    """True where x is NaN: a boolean tensor of x's shape, with no gradient."""
    x = as_tensor(x)
    return Tensor(x.xp.isnan(x.data))


def isinf(x):
    """True where x is +inf or -inf: a boolean tensor of x's shape, with no gradient."""
    x = as_tensor(x)
    return Tensor(x.xp.isinf(x.data))


def isfinite(x):
    """True where x is neither infinite nor NaN."""
    x = as_tensor(x)
    return Tensor(x.xp.isfinite(x.data))


def less(a, b):
    """a < b elementwise, broadcast: a boolean tensor, with no gradient (a step has derivative 0)."""
    a, b = operands(a, b, "less")
    return apply("less", a.data < b.data, (a, None), (b, None))


def less_equal(a, b):
    """a <= b elementwise, broadcast: a boolean tensor, with no gradient (a step has derivative 0)."""
    a, b = operands(a, b, "less_equal")
    return apply("less_equal", a.data <= b.data, (a, None), (b, None))


def greater(a, b):
    """a > b elementwise, broadcast: a boolean tensor, with no gradient (a step has derivative 0)."""
    a, b = operands(a, b, "greater")
    return apply("greater", a.data > b.data, (a, None), (b, None))


def greater_equal(a, b):
    """a >= b elementwise, broadcast: a boolean tensor, with no gradient (a step has derivative 0)."""
    a, b = operands(a, b, "greater_equal")
    return apply("greater_equal", a.data >= b.data, (a, None), (b, None))


def equal(a, b):
    """a == b elementwise, broadcast: a boolean tensor, with no gradient (a step has derivative 0)."""
    a, b = operands(a, b, "equal")
    return apply("equal", a.data == b.data, (a, None), (b, None))


def not_equal(a, b):
    """a != b elementwise, broadcast: a boolean tensor, with no gradient (a step has derivative 0)."""
    a, b = operands(a, b, "not_equal")
    return apply("not_equal", a.data != b.data, (a, None), (b, None))
