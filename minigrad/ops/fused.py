"""Fused primitives: a composite of plain primitives done as one, for speed, each beside that composite.

A VAE training step runs these on every batch. As composites they record several nodes
on large arrays, and the Python cost of each recorded node adds up; as one primitive they
record one and keep fewer arrays for backward. Each is the same function as the composite
written under it (``tests/test_ops_fused.py`` checks value, gradient and second derivative
against it), and its vjp is written with minigrad ops, so derivatives of every order work.
What each buys is measured in ``demos/benchmark/README.md``.
"""
import math

from ..autograd import apply
from .arithmetic import matmul
from .elementwise import log, softplus, softplus_array
from .operands import as_float, operands
from .shape import reshape, sum_to, transpose

# ---------------------------------------------------------------- a dense layer: x @ weight.T + bias

def linear(x, weight, bias=None):
    """x @ weight.T + bias, the affine map of a dense layer, as one op (PyTorch's addmm).

    weight is (out_features, in_features), PyTorch's layout: row j holds the coefficients
    of output j. With g the cotangent of the output,

        d/dx = g weight,  d/dweight = g^T x (the rows of all batch axes together),
        d/dbias = g summed over the batch axes.

    The bias is added into the fresh product.
    """
    x, weight = operands(x, weight, "linear", broadcast=False)
    if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: x of shape {x.shape} and weight of shape {weight.shape} do not contract: "
                         "weight must be (out_features, in_features) and x (..., in_features)")
    data = x.data @ weight.data.T    # a transposed view: BLAS reads it as it is, nothing is copied
    edges = [(x, lambda g, out: g @ weight),
             (weight, lambda g, out: _weight_vjp(g, x, weight))]
    if bias is not None:
        _, bias = operands(x, bias, "linear", broadcast=False)
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"linear: bias has shape {bias.shape}, expected (out_features,) = ({weight.shape[0]},) "
                             f"for a weight of shape {weight.shape}")
        if bias.dtype == data.dtype:
            data += bias.data          # in place: data is the fresh product, nobody else holds it
        else:
            data = data + bias.data
        edges.append((bias, lambda g, out: sum_to(g, bias.shape)))
    return apply("linear", data, *edges)


def _weight_vjp(g, x, weight):
    """g^T x: (out, rows) @ (rows, in), every row of every batch axis one more example."""
    if x.ndim == 1:
        return reshape(g, (-1, 1)) @ reshape(x, (1, -1))
    if x.ndim > 2:   # rows counted, not -1: that fails with 0 features
        rows = math.prod(x.shape[:-1])
        x, g = reshape(x, (rows, weight.shape[1])), reshape(g, (rows, weight.shape[0]))
    return _transposed_product(g, x)


def _transposed_product(g, x):
    """g^T x for matrices g (rows, out) and x (rows, in), as one op: the weights' gradient of a dense layer.

    It is ``transpose(g) @ x`` (BLAS reads the transposed view as it is) recorded as one node
    instead of two, since every dense layer runs it in every backward pass. With h the
    cotangent of the (out, in) result:   d/dg = x h^T,   d/dx = g h.
    """
    return apply("transposed_product", g.data.T @ x.data,
                 (g, lambda h, out: x @ transpose(h)),
                 (x, lambda h, out: g @ h))


def linear_composite(x, weight, bias=None):
    """What ``linear`` fuses: a transpose, a matmul and a broadcast add."""
    y = matmul(x, transpose(weight))
    return y if bias is None else y + bias


# ---------------------------------------------------------------- the log-probability of a coin

def bernoulli_log_prob(logits, x):
    """x l - softplus(l): the log-probability of x under a coin with logit l, elementwise.

    With p = sigmoid(l): log p = l - softplus(l) and log(1 - p) = -softplus(l), so
    x log p + (1 - x) log(1 - p) = x l - softplus(l), finite for any l. x may be 0/1 or a
    soft target in [0, 1]; the negative is PyTorch's binary_cross_entropy_with_logits.

        d/dl = x - sigmoid(l),   d/dx = l

    Fused because a VAE scores every pixel with it: no intermediate array is kept, and the
    logits' cotangent is one primitive too (``_bernoulli_dlogits``).
    """
    logits, x = operands(logits, x, "bernoulli_log_prob")
    logits = as_float(logits)
    softplus_l = softplus_array(logits.xp, logits.data)
    data = x.data * logits.data
    data -= softplus_l   # in place: data is the fresh product, of a float dtype at least as wide
    return apply("bernoulli_log_prob", data,
                 (logits, lambda g, out: sum_to(_bernoulli_dlogits(g, logits, x, softplus_l), logits.shape)),
                 (x, lambda g, out: sum_to(g * logits, x.shape)))


def _bernoulli_dlogits(g, logits, x, softplus_l):
    """g (x - sigmoid(l)), the cotangent bernoulli_log_prob sends its logits, computed in one new array.

    r = l - softplus(l); r = exp(r) = sigmoid(l); r = x - r; r *= g. Its own vjps, for
    second derivatives, with s = sigmoid(l):  d/dg = x - s,  d/dl = -g s (1 - s),  d/dx = g.
    """
    xp = g.xp
    r = xp.empty(g.shape, g.dtype)   # the shape and dtype of bernoulli_log_prob's output
    xp.subtract(logits.data, softplus_l, out=r)
    xp.exp(r, out=r)
    xp.subtract(x.data, r, out=r)
    r *= g.data

    def d_logits(h, out):
        s = _sigmoid_given(logits, softplus_l)
        return sum_to(-h * g * s * (1.0 - s), logits.shape)
    return apply("bernoulli_dlogits", r,
                 (g, lambda h, out: sum_to(h * (x - _sigmoid_given(logits, softplus_l)), g.shape)),
                 (logits, d_logits),
                 (x, lambda h, out: sum_to(h * g, x.shape)))


def _sigmoid_given(x, softplus_x):
    """sigmoid(x) = exp(x - softplus(x)) when softplus(x) is already at hand (an array).

    Its vjp is sigmoid's own, out (1 - out), so derivatives of every order stay exact.
    """
    return apply("sigmoid", x.xp.exp(x.data - softplus_x), (x, lambda g, out: g * out * (1.0 - out)))


def bernoulli_log_prob_composite(logits, x):
    """What ``bernoulli_log_prob`` fuses: x l - softplus(l) in three ops."""
    return x * logits - softplus(logits)


# ---------------------------------------------------------------- the KL term of a VAE

def kl_to_standard_normal(loc, scale):
    """KL(N(loc, scale^2) || N(0, 1)) = 1/2 (scale^2 + loc^2 - 1) - log scale, elementwise.

    The Normal-Normal KL of ``distributions/kl.py`` with the second Gaussian standard
    (Kingma & Welling 2014, appendix B): a VAE takes it of every latent of every example.

        d/dloc = loc,   d/dscale = scale - 1/scale
    """
    l, s = loc.data, scale.data
    return apply("kl_to_standard_normal", 0.5 * (s * s + l * l - 1.0) - loc.xp.log(s),
                 (loc, lambda g, out: g * loc),
                 (scale, lambda g, out: _kl_dscale(g, scale)))


def _kl_dscale(g, scale):
    """g (scale - 1/scale), the cotangent kl_to_standard_normal sends its scale, as one op.

    Its own vjps, for second derivatives:  d/dg = scale - 1/scale,  d/dscale = g (1 + 1/scale^2).
    """
    s = scale.data
    return apply("kl_dscale", g.data * (s - 1.0 / s),
                 (g, lambda h, out: h * (scale - 1.0 / scale)),
                 (scale, lambda h, out: h * g * (1.0 + 1.0 / (scale * scale))))


def kl_to_standard_normal_composite(loc, scale):
    """What ``kl_to_standard_normal`` fuses: the formula in seven ops."""
    return 0.5 * (scale * scale + loc * loc - 1.0) - log(scale)
