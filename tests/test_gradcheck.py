"""gradcheck and gradgradcheck catch wrong vjps, and say where: the input, the element and both values, as
plain numbers; gradgradcheck varies the cotangent too, so it sees a wrong vjp of the vjp of a linear op."""
import re

import pytest

import minigrad as mg
from minigrad.autograd import apply
from minigrad.gradcheck import GradcheckError


def test_gradcheck_reports_the_input_element_and_both_values(device):
    x = mg.tensor([0.5, 1.0, 2.0], requires_grad=True, dtype=mg.float64, device=device)

    def wrong_exp(v):
        # exp with a vjp that is off by a factor 2 at the last element
        return mg.autograd.apply("wrong_exp", v.xp.exp(v.data),
                                 (v, lambda g, out: g * out * mg.tensor([1.0, 1.0, 2.0], dtype=g.dtype,
                                                                        device=g.device)))
    with pytest.raises(mg.GradcheckError, match=r"input 0.*index \(2,\).*analytic.*numeric"):
        mg.gradcheck(wrong_exp, [x])


def test_a_wrong_gradient_is_reported_with_plain_numbers():
    """f(x) = x * stop_gradient(x) has the value x^2 but the vjp g * x: half the true derivative 2x.
    The report must name the element and print both values as numbers a reader can compare
    (under NumPy 2, repr of a NumPy scalar reads "np.float64(0.76...)")."""
    x = mg.tensor([0.5, -1.25, 2.0], dtype=mg.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as caught:
        mg.gradcheck(lambda x: x * x.detach(), (x,))
    message = str(caught.value)
    assert "np.float64" not in message and "float64(" not in message
    assert "input 0 (shape (3,))" in message and "at 3 of 3 elements" in message
    analytic = float(re.search(r"analytic (-?[0-9.e+-]+),", message).group(1))
    numeric = float(re.search(r"numeric (-?[0-9.e+-]+) ", message).group(1))
    assert numeric == pytest.approx(2 * analytic, rel=1e-6)   # the true derivative is twice the reported one


# ---------------------------------------------------------------- gradgradcheck varies the cotangent too

def mean_whose_vjp_has_a_wrong_vjp(x):
    """The mean of all elements, with the right vjp, g -> g / n at every element, for every g; but the op
    that spreads g back has as its own vjp h -> sum(h), without the 1 / n (what a wrong `mean` once did).
    Only the second-order path through the cotangent can see it: mean is linear, d/dx of its vjp is 0."""
    n = x.data.size

    def spread(g):
        return apply("spread", x.xp.broadcast_to(g.data / n, x.shape), (g, lambda h, out: mg.sum(h)))   # bug: / n

    return apply("mean", x.data.mean(), (x, lambda g, out: spread(g)))


def mean_whose_vjp_ignores_the_graph_of_g(x):
    """The right values again, but the vjp builds g / n from g's array: the result is a constant in g."""
    return apply("mean", x.data.mean(), (x, lambda g, out: mg.tensor(x.xp.broadcast_to(g.data / x.data.size,
                                                                                       x.shape))))


@pytest.mark.parametrize("broken", [mean_whose_vjp_has_a_wrong_vjp, mean_whose_vjp_ignores_the_graph_of_g])
def test_gradgradcheck_varies_the_cotangent_and_catches_a_wrong_vjp_of_a_linear_op(broken):
    x = mg.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], requires_grad=True)
    assert mg.gradcheck(broken, [x])                        # first order: right
    assert mg.gradgradcheck(lambda v: mg.mean(v), [x])      # the real mean passes the second-order check
    with pytest.raises(GradcheckError, match=r"cotangent of output 0 \(shape \(\)\)"):
        mg.gradgradcheck(broken, [x])


def test_gradgradcheck_checks_a_vjp_that_depends_on_both_the_input_and_the_cotangent():
    # sin: vjp g cos(x); d/dx is -g sin(x) (Hessian path), d/dg is cos(x) (cotangent path): both must be right
    x = mg.tensor([0.3, -1.2], requires_grad=True)
    assert mg.gradgradcheck(mg.sin, [x])

    def sin_with_a_wrong_cotangent_path(v):   # vjp right in value, but d/dg of it is 2 cos(x)
        return apply("sin", v.xp.sin(v.data), (v, lambda g, out: (g + g - g.detach()) * mg.cos(v)))

    assert mg.gradcheck(sin_with_a_wrong_cotangent_path, [x])
    with pytest.raises(GradcheckError, match="cotangent of output 0"):
        mg.gradgradcheck(sin_with_a_wrong_cotangent_path, [x])
