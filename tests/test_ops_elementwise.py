"""Elementwise ops: forward equals NumPy, gradients equal finite differences, stability.

Every property is checked over hypothesis-drawn shapes (0-d to 3-d) and values in the
op's domain, on every device. NumPy always runs on the host copy of the input
(``x.numpy()``), so the reference never sees a device array.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg

from strategies import TOLERANCE, arrays, away_from_zero, broadcastable_arrays, float_dtypes, floats, grid, shapes


def tensor(array, device, requires_grad=True):
    return mg.tensor(array, requires_grad=requires_grad, device=device)


# op, its NumPy reference, and values in its domain (away from kinks and singularities)
UNARY = [
    pytest.param(mg.neg, np.negative, floats(), id="neg"),
    pytest.param(mg.abs, np.abs, away_from_zero(), id="abs"),
    pytest.param(mg.exp, np.exp, floats(), id="exp"),
    pytest.param(mg.log, np.log, floats(0.1, 10.0), id="log"),
    pytest.param(mg.log1p, np.log1p, floats(-0.9, 3.0), id="log1p"),
    pytest.param(mg.expm1, np.expm1, floats(), id="expm1"),
    pytest.param(mg.sqrt, np.sqrt, floats(0.1, 10.0), id="sqrt"),
    pytest.param(mg.sin, np.sin, floats(-4.0, 4.0), id="sin"),
    pytest.param(mg.cos, np.cos, floats(-4.0, 4.0), id="cos"),
    pytest.param(mg.tanh, np.tanh, floats(), id="tanh"),
    pytest.param(mg.sigmoid, lambda x: 1 / (1 + np.exp(-x)), floats(-6.0, 6.0), id="sigmoid"),
    pytest.param(mg.relu, lambda x: np.maximum(x, 0), away_from_zero(), id="relu"),
    pytest.param(mg.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x), away_from_zero(), id="leaky_relu"),
    pytest.param(lambda x: mg.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), away_from_zero(),
                 id="leaky_relu(0.2)"),
    pytest.param(mg.softplus, lambda x: np.logaddexp(0, x), floats(-6.0, 6.0), id="softplus"),
    pytest.param(mg.log_sigmoid, lambda x: -np.logaddexp(0, -x), floats(-6.0, 6.0), id="log_sigmoid"),
]


@pytest.mark.parametrize("op, reference, domain", UNARY)
@given(data=st.data(), dtype=float_dtypes)
def test_unary_forward_equals_numpy(device, op, reference, domain, dtype, data):
    x = tensor(data.draw(arrays(shapes(), domain)).astype(dtype), device)
    y = op(x)
    assert y.shape == x.shape and y.dtype == x.dtype and y.device == device
    np.testing.assert_allclose(y.numpy(), reference(x.numpy()), **TOLERANCE[y.dtype])


@pytest.mark.parametrize("op, reference, domain", UNARY)
@given(data=st.data())
def test_unary_gradient_equals_finite_differences(device, op, reference, domain, data):
    x = tensor(data.draw(arrays(shapes(), domain)), device)
    assert mg.gradcheck(op, [x])


@pytest.mark.parametrize("op, reference, domain", UNARY)
@given(data=st.data())
def test_unary_second_derivative_equals_finite_differences(device, op, reference, domain, data):
    # for the piecewise-linear ops (neg, abs, relu, leaky_relu) this checks that it is 0
    x = tensor(data.draw(arrays(shapes(), domain)), device)
    assert mg.gradgradcheck(op, [x])


@pytest.mark.parametrize("op, reference, domain", UNARY)
@given(data=st.data())
def test_unary_float32_gradient_has_the_input_shape_dtype_and_device(device, op, reference, domain, data):
    x = tensor(data.draw(arrays(shapes(), domain)).astype(np.float32), device)
    y = op(x)
    (gx,) = mg.autograd.grad(y, x, grad_outputs=mg.ones_like(y))
    assert gx.shape == x.shape and gx.dtype == mg.float32 and gx.device == device


def test_tensor_methods_call_the_ops(device):
    x = tensor(np.array([[0.5, 1.5], [2.0, 0.25]]), device)   # positive, so that log and sqrt apply
    pairs = [(x.exp(), mg.exp(x)), (x.log(), mg.log(x)), (x.log1p(), mg.log1p(x)), (x.expm1(), mg.expm1(x)),
             (x.sqrt(), mg.sqrt(x)), (x.sin(), mg.sin(x)), (x.cos(), mg.cos(x)), (x.tanh(), mg.tanh(x)),
             (x.sigmoid(), mg.sigmoid(x)), (x.relu(), mg.relu(x)), (x.softplus(), mg.softplus(x)),
             (x.abs(), mg.abs(x)), (abs(x), mg.abs(x)), (-x, mg.neg(x)),
             (x.clip(0.4, 1.0), mg.clip(x, 0.4, 1.0)), (x.clamp(max=1.0), mg.clip(x, None, 1.0))]
    for by_method, by_function in pairs:
        np.testing.assert_array_equal(by_method.numpy(), by_function.numpy())


# ---------------------------------------------------------------- stability for large |x|

@pytest.mark.parametrize("op, reference", [
    pytest.param(mg.softplus, lambda x: np.logaddexp(0, x), id="softplus"),
    pytest.param(mg.log_sigmoid, lambda x: -np.logaddexp(0, -x), id="log_sigmoid"),
    pytest.param(mg.sigmoid, lambda x: np.exp(-np.logaddexp(0, -x)), id="sigmoid"),
])
@given(x=arrays(shapes(min_dims=1), floats(-1e4, 1e4)), dtype=float_dtypes)
def test_stable_for_inputs_up_to_1e4_in_float32_and_float64(device, op, reference, x, dtype):
    x = tensor(np.concatenate([x, [-1e4, 1e4]], axis=None).astype(dtype), device)
    y = op(x)
    (gx,) = mg.autograd.grad(y, x, grad_outputs=mg.ones_like(y))
    assert np.isfinite(y.numpy()).all() and np.isfinite(gx.numpy()).all()
    assert y.dtype == gx.dtype == dtype
    # against the exact formulas in float64 (softplus(x) = log(1 + e^x) = logaddexp(0, x))
    np.testing.assert_allclose(y.numpy(), reference(x.numpy().astype(np.float64)), rtol=1e-5, atol=1e-30)


def test_softplus_and_log_sigmoid_at_the_extremes_in_float32(device):
    x = tensor(np.array([-1e4, -100.0, 0.0, 100.0, 1e4], dtype=np.float32), device)
    np.testing.assert_allclose(mg.softplus(x).numpy(), [0.0, 0.0, np.log(2), 100.0, 1e4], rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(mg.log_sigmoid(x).numpy(), [-1e4, -100.0, -np.log(2), 0.0, 0.0], rtol=1e-6,
                               atol=1e-30)
    # d/dx softplus = sigmoid(x), d/dx log_sigmoid = sigmoid(-x): 0 or 1 far from 0
    (g,) = mg.autograd.grad(mg.softplus(x).sum(), x)
    np.testing.assert_allclose(g.numpy(), [0.0, 0.0, 0.5, 1.0, 1.0], atol=1e-30)
    (g,) = mg.autograd.grad(mg.log_sigmoid(x).sum(), x)
    np.testing.assert_allclose(g.numpy(), [1.0, 1.0, 0.5, 0.0, 0.0], atol=1e-30)


# ---------------------------------------------------------------- bernoulli_log_prob

@given(lx=broadcastable_arrays((floats(-6.0, 6.0), floats(0.0, 1.0))), dtype=float_dtypes)
def test_bernoulli_log_prob_forward_equals_the_formula(device, lx, dtype):
    logits, x = (tensor(v.astype(dtype), device) for v in lx)
    y = mg.bernoulli_log_prob(logits, x)
    assert y.dtype == dtype and y.shape == np.broadcast_shapes(logits.shape, x.shape)
    # x log p + (1 - x) log(1 - p), with p = sigmoid(l), in float64
    l64, x64 = logits.numpy().astype(np.float64), x.numpy().astype(np.float64)
    reference = x64 * -np.logaddexp(0, -l64) + (1 - x64) * -np.logaddexp(0, l64)
    np.testing.assert_allclose(y.numpy(), reference, **TOLERANCE[np.dtype(dtype)])


@given(lx=broadcastable_arrays((floats(-6.0, 6.0), floats(0.0, 1.0))))
def test_bernoulli_log_prob_gradients_of_both_orders_equal_finite_differences(device, lx):
    logits, x = (tensor(v, device) for v in lx)
    assert mg.gradcheck(mg.bernoulli_log_prob, [logits, x])
    assert mg.gradgradcheck(mg.bernoulli_log_prob, [logits, x])


@given(lx=broadcastable_arrays((floats(-6.0, 6.0), floats(0.0, 1.0))))
def test_bernoulli_log_prob_vjp_is_differentiable_in_the_cotangent_too(device, lx):
    """The logits' vjp is its own primitive (g (x - sigmoid(l)) in one array): check it in g, l and x."""
    logits, x = (tensor(v, device) for v in lx)
    g = tensor(np.random.default_rng(0).standard_normal(np.broadcast_shapes(logits.shape, x.shape)), device)

    def vjp(g, logits, x):
        return mg.autograd.grad(mg.bernoulli_log_prob(logits, x), [logits], grad_outputs=[g], create_graph=True)[0]
    assert mg.gradcheck(vjp, [g, logits, x])


def test_bernoulli_log_prob_at_extreme_logits_in_float32(device):
    logits = tensor(np.array([-1e4, -100.0, 0.0, 100.0, 1e4], dtype=np.float32), device)
    ones, zeros = mg.ones_like(logits), mg.zeros_like(logits)
    # log p(1) = -softplus(-l), log p(0) = -softplus(l): finite, and 0 where the coin is sure
    np.testing.assert_allclose(mg.bernoulli_log_prob(logits, ones).numpy(), [-1e4, -100.0, -np.log(2), 0.0, 0.0],
                               rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(mg.bernoulli_log_prob(logits, zeros).numpy(), [0.0, 0.0, -np.log(2), -100.0, -1e4],
                               rtol=1e-6, atol=1e-30)
    (g,) = mg.autograd.grad(mg.bernoulli_log_prob(logits, ones).sum(), logits)   # d/dl = 1 - sigmoid(l)
    np.testing.assert_allclose(g.numpy(), [1.0, 1.0, 0.5, 0.0, 0.0], atol=1e-30)


def test_bernoulli_log_prob_refuses_shapes_that_do_not_broadcast(device):
    with pytest.raises(ValueError, match="bernoulli_log_prob: shapes \\(2, 3\\) and \\(4,\\)"):
        mg.bernoulli_log_prob(tensor(np.zeros((2, 3)), device), tensor(np.zeros(4), device))


# ---------------------------------------------------------------- maximum, minimum, clip, where

@pytest.mark.parametrize("op, reference", [(mg.maximum, np.maximum), (mg.minimum, np.minimum)],
                         ids=["maximum", "minimum"])
@given(ab=broadcastable_arrays(), dtype=float_dtypes)
def test_maximum_minimum_forward_equals_numpy(device, op, reference, ab, dtype):
    a, b = (tensor(v.astype(dtype), device) for v in ab)
    y = op(a, b)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.numpy(), reference(a.numpy(), b.numpy()))
    np.testing.assert_array_equal(op(a, 0.5).numpy(), reference(a.numpy(), dtype(0.5)))
    np.testing.assert_array_equal(op(0.5, b).numpy(), reference(dtype(0.5), b.numpy()))


# a lies on the grid k/2 + 1/4 and b on k/2, so a and b never tie
DISTINCT_PAIRS = broadcastable_arrays((grid(step=0.5, offset=0.25), grid(step=0.5)))


@pytest.mark.parametrize("op", [mg.maximum, mg.minimum], ids=["maximum", "minimum"])
@given(ab=DISTINCT_PAIRS)
def test_maximum_minimum_gradients_equal_finite_differences_away_from_ties(device, op, ab):
    a, b = (tensor(v, device) for v in ab)
    assert mg.gradcheck(op, [a, b])
    assert mg.gradgradcheck(op, [a, b])
    assert mg.gradcheck(lambda v: op(v, 0.5), [a])


@pytest.mark.parametrize("op", [mg.maximum, mg.minimum], ids=["maximum", "minimum"])
def test_maximum_minimum_ties_share_the_gradient_equally(device, op):
    a = tensor(np.array([1.0, 2.0, 3.0]), device)
    b = tensor(np.array([[2.0], [5.0]]), device)    # a[1] ties with b[0]
    ga, gb = mg.autograd.grad(op(a, b).sum(), [a, b])
    a_wins = (a.numpy() > b.numpy()) if op is mg.maximum else (a.numpy() < b.numpy())
    share_a = a_wins + 0.5 * (a.numpy() == b.numpy())      # 1 where a wins, 1/2 on a tie
    np.testing.assert_array_equal(ga.numpy(), share_a.sum(axis=0))
    np.testing.assert_array_equal(gb.numpy(), (1 - share_a).sum(axis=1, keepdims=True))


# bounds on the grid k/2 and x on k/2 + 1/4: x never sits on a bound
@given(x=arrays(shapes(), grid(step=0.5, offset=0.25)), low=grid(-2.0, 0.0, 0.5), high=grid(0.0, 2.0, 0.5),
       which=st.sampled_from(["both", "min only", "max only"]))
def test_clip_with_number_bounds(device, x, low, high, which):
    low, high = (None if which == "max only" else low), (None if which == "min only" else high)
    x = tensor(x, device)
    y = mg.clip(x, low, high)
    np.testing.assert_array_equal(y.numpy(), np.clip(x.numpy(), low, high))
    (gx,) = mg.autograd.grad(y.sum(), x)   # 1 inside [low, high], 0 outside
    inside = (x.numpy() >= (-np.inf if low is None else low)) & (x.numpy() <= (np.inf if high is None else high))
    np.testing.assert_array_equal(gx.numpy(), inside)
    assert mg.gradcheck(lambda v: mg.clip(v, low, high), [x])


def test_clip_gradient_is_one_at_the_bounds(device):
    x = tensor(np.array([-2.0, -1.0, 0.0, 1.0, 2.0]), device)
    (gx,) = mg.autograd.grad(mg.clip(x, -1.0, 1.0).sum(), x)
    np.testing.assert_array_equal(gx.numpy(), [0.0, 1.0, 1.0, 1.0, 0.0])


@given(arrays_=broadcastable_arrays((grid(step=0.5, offset=0.25), grid(-2.0, 0.0, 0.5), grid(0.0, 2.0, 0.5))))
def test_clip_with_tensor_bounds_differentiates_the_bounds_too(device, arrays_):
    x, low, high = (tensor(v, device) for v in arrays_)
    y = mg.clip(x, low, high)
    np.testing.assert_array_equal(y.numpy(), np.clip(x.numpy(), low.numpy(), high.numpy()))
    assert mg.gradcheck(mg.clip, [x, low, high])


@given(arrays_=broadcastable_arrays((st.booleans(), floats(), floats()), dtypes=(np.bool_, np.float64, np.float64)),
       dtype=float_dtypes)
def test_where_forward_equals_numpy_and_gradients_go_to_the_chosen_side(device, arrays_, dtype):
    condition = mg.tensor(arrays_[0], device=device)
    a, b = (tensor(v.astype(dtype), device) for v in arrays_[1:])
    y = mg.where(condition, a, b)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.numpy(), np.where(condition.numpy(), a.numpy(), b.numpy()))
    np.testing.assert_array_equal(mg.where(condition, a, 0.0).numpy(), np.where(condition.numpy(), a.numpy(), 0))
    ga, gb = mg.autograd.grad(y, [a, b], grad_outputs=mg.ones_like(y))
    assert ga.shape == a.shape and gb.shape == b.shape and ga.dtype == gb.dtype == dtype
    # every output element comes from a or from b: the gradients add up to the number of outputs
    assert ga.numpy().sum() + gb.numpy().sum() == y.size
    a64, b64 = tensor(arrays_[1], device), tensor(arrays_[2], device)
    assert mg.gradcheck(lambda u, v: mg.where(condition, u, v), [a64, b64])


# ---------------------------------------------------------------- comparisons

COMPARISONS = [
    pytest.param(lambda a, b: a < b, id="<"), pytest.param(lambda a, b: a <= b, id="<="),
    pytest.param(lambda a, b: a > b, id=">"), pytest.param(lambda a, b: a >= b, id=">="),
    pytest.param(lambda a, b: a == b, id="=="), pytest.param(lambda a, b: a != b, id="!="),
]


@pytest.mark.parametrize("compare", COMPARISONS)
@given(ab=broadcastable_arrays((grid(-1.0, 1.0, 0.5), grid(-1.0, 1.0, 0.5))))   # small grid: many equal pairs
def test_comparisons_equal_numpy_and_give_boolean_tensors_without_gradient(device, compare, ab):
    a, b = (tensor(v, device) for v in ab)
    for result, expected in [(compare(a, b), compare(ab[0], ab[1])),
                             (compare(a, 0.5), compare(ab[0], 0.5)), (compare(0.5, b), compare(0.5, ab[1]))]:
        assert result.dtype == mg.bool_ and not result.requires_grad and result.device == device
        np.testing.assert_array_equal(result.numpy(), expected)


def test_comparison_functions_are_the_operators(device):
    a, b = tensor(np.array([1.0, 2.0, 3.0]), device), tensor(np.array([2.0]), device)
    for function, operator in [(mg.less, a < b), (mg.less_equal, a <= b), (mg.greater, a > b),
                               (mg.greater_equal, a >= b), (mg.equal, a == b), (mg.not_equal, a != b)]:
        np.testing.assert_array_equal(function(a, b).numpy(), operator.numpy())
