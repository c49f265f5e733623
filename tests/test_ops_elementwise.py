"""Elementwise ops: forward equals NumPy, gradients equal finite differences, stability.

Every property is checked over hypothesis-drawn shapes (0-d to 3-d) and values in the
op's domain, on every device. NumPy always runs on the host copy of the input
(``x.numpy()``), so the reference never sees a device array. The activations a classifier
adds (erf, gelu, silu, elu, square) are checked with ``mg.testing.check_op`` against SciPy
where NumPy has no reference; sign, floor, ceil, round and isnan, isinf, isfinite have no
gradient and are never recorded. Ties and NaNs have tests of their own: who gets the
gradient where maximum, minimum or clip cannot tell its operands apart.
"""
import math

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.testing as mgt

from strategies import (
    TOLERANCE,
    arrays,
    away_from_zero,
    broadcastable_arrays,
    float_dtypes,
    floats,
    grid,
    shapes,
    tensors,
)


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


# ---------------------------------------------------------------- erf, gelu, silu, elu, square

def numpy_gelu(x):
    return x * scipy.special.ndtr(x)   # x Phi(x), Phi the standard normal CDF


def numpy_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def numpy_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


# op, its reference, and values where the op is smooth (elu has a kink in its second derivative at 0)
SMOOTH_UNARY = [
    pytest.param(mg.square, np.square, floats(), id="square"),
    pytest.param(mg.erf, scipy.special.erf, floats(), id="erf"),
    pytest.param(mg.gelu, numpy_gelu, floats(-4.0, 4.0), id="gelu"),
    pytest.param(lambda x: mg.gelu(x, approximate="tanh"), numpy_gelu_tanh, floats(-4.0, 4.0),
                 id="gelu(tanh)"),
    pytest.param(mg.silu, lambda x: x * scipy.special.expit(x), floats(-6.0, 6.0), id="silu"),
    pytest.param(mg.elu, numpy_elu, away_from_zero(), id="elu"),
    pytest.param(lambda x: mg.elu(x, 0.5), lambda x: numpy_elu(x, 0.5), away_from_zero(), id="elu(0.5)"),
]


@pytest.mark.parametrize("op, reference, domain", SMOOTH_UNARY)
@given(data=st.data())
def test_unary_forward_gradient_and_second_derivative(device, op, reference, domain, data):
    x = data.draw(tensors(elements=domain, dtype=float_dtypes, device=device))
    mgt.check_op(op, reference, x)


@given(x=arrays(shapes(min_dims=1, max_side=5), floats(-50.0, 50.0)))
def test_erf_equals_scipy_to_1e_15_in_float64(device, x):
    x = np.concatenate([x.ravel(), [0.0, -0.0, 0.46875, -0.46875, 4.0, -4.0, 5.9, 6.0, 27.0, 1e-300, -1e-12]])
    y = mg.erf(tensor(x, device, requires_grad=False)).numpy()
    np.testing.assert_allclose(y, scipy.special.erf(x), rtol=1e-15, atol=1e-300)


def test_erf_over_a_fine_grid_and_at_the_limits(device):
    # the three intervals of Cody's approximation meet at |x| = 0.46875 and 4; beyond 6, erf is 1 in float64
    x = np.concatenate([np.linspace(-8.0, 8.0, 20001), np.geomspace(1e-300, 1.0, 2001)])
    y = mg.erf(tensor(x, device, requires_grad=False)).numpy()
    np.testing.assert_allclose(y, scipy.special.erf(x), rtol=1e-15, atol=0.0)
    special = mg.erf(tensor(np.array([np.inf, -np.inf, np.nan, -0.0]), device, requires_grad=False)).numpy()
    np.testing.assert_array_equal(special[:2], [1.0, -1.0])
    assert np.isnan(special[2]) and special[3] == 0.0 and np.signbit(special[3])


def test_erf_of_float32_and_of_integers(device):
    x = tensor(np.array([-1.5, 0.0, 0.3, 2.0], np.float32), device)
    assert mg.erf(x).dtype == mg.float32
    np.testing.assert_allclose(mg.erf(x).numpy(), scipy.special.erf(x.numpy()), rtol=1e-7)
    n = mg.tensor(np.array([0, 1, -2]), device=device)
    assert mg.erf(n).dtype == mg.get_default_dtype()   # as exp: integers give the default float


def test_gelu_is_x_times_the_normal_cdf_and_refuses_unknown_approximations(device):
    x = tensor(np.linspace(-5.0, 5.0, 11), device)
    # 1 + erf(x / sqrt 2) cancels for x << 0 (in PyTorch's formula too): accurate to 1e-16 absolutely there
    np.testing.assert_allclose(mg.gelu(x).numpy(), numpy_gelu(x.numpy()), rtol=1e-14, atol=1e-15)
    # d/dx x Phi(x) = Phi(x) + x phi(x)
    (gx,) = mg.autograd.grad(mg.gelu(x).sum(), x)
    expected = scipy.special.ndtr(x.numpy()) + x.numpy() * np.exp(-x.numpy() ** 2 / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(gx.numpy(), expected, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="approximate"):
        mg.gelu(x, approximate="fast")


def test_elu_is_finite_with_finite_gradients_for_large_inputs(device):
    # as a composite where(x > 0, x, expm1(x)), e^1e4 = inf in the branch not taken would make the gradient NaN
    x = tensor(np.array([-1e4, -100.0, -1.0, 0.0, 1.0, 100.0, 1e4], np.float32), device)
    y = mg.elu(x)
    (gx,) = mg.autograd.grad(y.sum(), x)
    np.testing.assert_allclose(y.numpy(), [-1.0, -1.0, math.expm1(-1.0), 0.0, 1.0, 100.0, 1e4], rtol=1e-6)
    np.testing.assert_allclose(gx.numpy(), [0.0, 0.0, math.exp(-1.0), 1.0, 1.0, 1.0, 1.0], rtol=1e-6, atol=1e-30)


# ---------------------------------------------------------------- no gradient: sign floor ceil round, tests

PIECEWISE_CONSTANT = [
    pytest.param(mg.sign, np.sign, id="sign"),
    pytest.param(mg.floor, np.floor, id="floor"),
    pytest.param(mg.ceil, np.ceil, id="ceil"),
    pytest.param(mg.round, np.round, id="round"),
    pytest.param(lambda x: mg.round(x, 2), lambda a: np.round(a, 2), id="round(2)"),
]


@pytest.mark.parametrize("op, reference", PIECEWISE_CONSTANT)
@given(x=arrays(elements=floats(-5.0, 5.0) | grid(-3.0, 3.0, 0.5)), dtype=float_dtypes)
def test_piecewise_constant_ops_equal_numpy_and_are_constants(device, op, reference, x, dtype):
    x = tensor(x.astype(dtype), device)   # requires grad, yet the result is a constant
    y = op(x)
    assert y.dtype == dtype and y.shape == x.shape and y.device == device
    np.testing.assert_array_equal(y.numpy(), reference(x.numpy()))
    assert not y.requires_grad and y.is_leaf   # never recorded: the derivative is 0 wherever it exists


def test_round_takes_halves_to_even_and_integers_stay_integers(device):
    x = tensor(np.array([0.5, 1.5, 2.5, -0.5, -1.5, 1.25]), device)
    np.testing.assert_array_equal(x.round().numpy(), [0.0, 2.0, 2.0, -0.0, -2.0, 1.0])
    np.testing.assert_array_equal(x.round(1).numpy(), [0.5, 1.5, 2.5, -0.5, -1.5, 1.2])
    n = mg.tensor(np.array([-3, 0, 4], np.int32), device=device)
    for op in (mg.sign, mg.floor, mg.ceil, mg.round):   # integers keep their dtype (CuPy's floor makes floats)
        assert op(n).dtype == mg.int32
        np.testing.assert_array_equal(op(n).numpy(), np.sign(n.numpy()) if op is mg.sign else n.numpy())
    np.testing.assert_array_equal(mg.round(mg.tensor(np.array([14, 15, 25]), device=device), -1).numpy(),
                                  [10, 20, 20])


def test_a_straight_through_estimator_passes_the_gradient_of_round(device):
    x = tensor(np.array([0.2, 1.7, -2.4]), device)
    y = x + (x.round() - x).detach()   # forward: round(x); backward: as if the identity
    np.testing.assert_array_equal(y.numpy(), [0.0, 2.0, -2.0])
    (gx,) = mg.autograd.grad((y * y).sum(), x)
    np.testing.assert_array_equal(gx.numpy(), 2 * y.numpy())
    with pytest.raises(RuntimeError, match="does not require grad"):
        x.sign().sum().backward()   # PyTorch would give zeros; here no graph leads to a constant


@given(x=arrays(elements=st.sampled_from([0.0, -1.5, 2.0, np.inf, -np.inf, np.nan])), dtype=float_dtypes)
def test_isnan_isinf_isfinite_equal_numpy(device, x, dtype):
    x = tensor(x.astype(dtype), device, requires_grad=False)
    for op, method, reference in [(mg.isnan, x.isnan, np.isnan), (mg.isinf, x.isinf, np.isinf),
                                  (mg.isfinite, x.isfinite, np.isfinite)]:
        assert op(x).dtype == mg.bool_ and not op(x).requires_grad
        np.testing.assert_array_equal(op(x).numpy(), reference(x.numpy()))
        np.testing.assert_array_equal(method().numpy(), reference(x.numpy()))


def test_elementwise_methods_call_the_ops(device):
    x = tensor(np.array([[-1.5, 0.25], [2.5, -0.75]]), device)
    pairs = [(x.square(), mg.square(x)), (x.erf(), mg.erf(x)), (x.sign(), mg.sign(x)), (x.floor(), mg.floor(x)),
             (x.ceil(), mg.ceil(x)), (x.round(), mg.round(x)), (x.round(1), mg.round(x, 1))]
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


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_stable_ops_are_finite_with_finite_gradients_up_to_1e4(device, dtype):
    # the sigmoid family here, and the softmax family of tests/test_ops_reductions.py, at one list of values
    values = [-1e4, -1e3, -88.0, -20.0, 0.0, 20.0, 88.0, 1e3, 1e4]
    for name, f in [("softplus", mg.softplus), ("log_sigmoid", mg.log_sigmoid), ("sigmoid", mg.sigmoid),
                    ("logsumexp", lambda v: mg.logsumexp(v, axis=0)),
                    ("log_softmax", lambda v: mg.log_softmax(v, axis=0)),
                    ("softmax", lambda v: mg.softmax(v, axis=0))]:
        x = mg.tensor(values, dtype=dtype, requires_grad=True, device=device)
        y = f(x)
        y.sum().backward()
        assert np.isfinite(y.numpy()).all(), name
        assert np.isfinite(x.grad.numpy()).all(), name


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


def test_clip_with_a_tensor_bound_sends_the_whole_gradient_to_x_at_the_bound(device):
    x = tensor(np.array([0.0, 1.0, -1.0, 2.0, 0.5]), device)
    low, high = tensor(np.zeros(5), device), tensor(np.ones(5), device)
    gx, gl, gh = mg.autograd.grad(mg.clip(x, low, high).sum(), [x, low, high])
    np.testing.assert_array_equal(gx.numpy(), [1.0, 1.0, 0.0, 0.0, 1.0])   # ends included, as for numbers
    np.testing.assert_array_equal(gl.numpy(), [0.0, 0.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(gh.numpy(), [0.0, 0.0, 0.0, 1.0, 0.0])
    (g_numbers,) = mg.autograd.grad(mg.clip(x, 0.0, 1.0).sum(), [x])
    np.testing.assert_array_equal(g_numbers.numpy(), gx.numpy())


@given(x=arrays(shapes(), floats()), low=floats(), width=floats(-1.0, 3.0))
def test_clip_shares_add_up_to_the_cotangent(device, x, low, width):
    # whoever the result is taken from gets g: the three shares always sum to g (here 1)
    x, low, high = tensor(x, device), tensor(np.array(low), device), tensor(np.array(low + width), device)
    gx, gl, gh = mg.autograd.grad(mg.clip(x, low, high).sum(), [x, low, high])
    assert gx.numpy().sum() + gl.numpy() + gh.numpy() == pytest.approx(x.size)


def test_clip_keeps_the_gradient_at_a_nan(device):
    x = tensor(np.array([float("nan")]), device)
    (gx,) = mg.autograd.grad(mg.clip(x, 0.0, 1.0).sum(), [x])
    assert gx.numpy()[0] == 1.0


@pytest.mark.parametrize("op", [mg.maximum, mg.minimum], ids=["maximum", "minimum"])
def test_maximum_minimum_send_the_gradient_to_the_nan_operand(device, op):
    nan = float("nan")
    a = tensor(np.array([nan, 1.0, nan]), device)
    b = tensor(np.array([1.0, nan, nan]), device)
    ga, gb = mg.autograd.grad(op(a, b).sum(), [a, b])
    np.testing.assert_array_equal(ga.numpy(), [1.0, 0.0, 0.5])
    np.testing.assert_array_equal(gb.numpy(), [0.0, 1.0, 0.5])


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
