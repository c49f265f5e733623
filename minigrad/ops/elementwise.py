"""Elementwise functions: each output element depends on the same element of the input.

For y = f(x) elementwise the Jacobian is diagonal, so the vjp is just ``g * f'(x)``,
written with minigrad ops (f'(x) often reuses the output: exp' = exp, tanh' = 1 - tanh^2).
"""
from ..autograd import apply
from ..tensor import Tensor
from .common import as_float, as_tensor, operands
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
            kept_last = ((kept < high.data) | xp.isnan(kept) | (tie & from_x)) + 0.5 * (tie & ~from_x)
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


# ---------------------------------------------------------------- comparisons (no gradient)

def less(a, b):
    a, b = operands(a, b, "less")
    return Tensor(a.data < b.data)


def less_equal(a, b):
    a, b = operands(a, b, "less_equal")
    return Tensor(a.data <= b.data)


def greater(a, b):
    a, b = operands(a, b, "greater")
    return Tensor(a.data > b.data)


def greater_equal(a, b):
    a, b = operands(a, b, "greater_equal")
    return Tensor(a.data >= b.data)


def equal(a, b):
    a, b = operands(a, b, "equal")
    return Tensor(a.data == b.data)


def not_equal(a, b):
    a, b = operands(a, b, "not_equal")
    return Tensor(a.data != b.data)
