"""Arithmetic: + - * / ** @ on tensors of mutually broadcastable shapes and with Python numbers.

Each binary op broadcasts, so its vjps must sum the cotangent back to each operand's
shape (``sum_to``); drawing the operand shapes with hypothesis's
``mutually_broadcastable_shapes`` exercises every way that can go wrong.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

from strategies import TOLERANCE, arrays, away_from_zero, broadcastable_arrays, float_dtypes, floats, shapes


def tensor(array, device, requires_grad=True):
    return mg.tensor(array, requires_grad=requires_grad, device=device)


# op, NumPy reference, values of a, values of b (b away from 0 for /, a > 0 for a tensor exponent)
BINARY = [
    pytest.param(lambda a, b: a + b, np.add, floats(), floats(), id="+"),
    pytest.param(lambda a, b: a - b, np.subtract, floats(), floats(), id="-"),
    pytest.param(lambda a, b: a * b, np.multiply, floats(), floats(), id="*"),
    pytest.param(lambda a, b: a / b, np.divide, floats(), away_from_zero(0.5), id="/"),
    pytest.param(lambda a, b: a ** b, np.power, floats(0.1, 3.0), floats(-2.0, 2.0), id="**"),
]


@pytest.mark.parametrize("op, reference, a_values, b_values", BINARY)
@given(data=st.data(), dtype=float_dtypes)
def test_binary_forward_equals_numpy(device, op, reference, a_values, b_values, dtype, data):
    a, b = (tensor(v.astype(dtype), device) for v in data.draw(broadcastable_arrays((a_values, b_values))))
    y = op(a, b)
    assert y.shape == np.broadcast_shapes(a.shape, b.shape) and y.dtype == dtype and y.device == device
    np.testing.assert_allclose(y.numpy(), reference(a.numpy(), b.numpy()), **TOLERANCE[y.dtype])


@pytest.mark.parametrize("op, reference, a_values, b_values", BINARY)
@given(data=st.data())
def test_binary_gradients_equal_finite_differences(device, op, reference, a_values, b_values, data):
    a, b = (tensor(v, device) for v in data.draw(broadcastable_arrays((a_values, b_values))))
    assert mg.gradcheck(op, [a, b])


@pytest.mark.parametrize("op, reference, a_values, b_values", BINARY)
@given(data=st.data())
def test_binary_second_derivatives_equal_finite_differences(device, op, reference, a_values, b_values, data):
    a, b = (tensor(v, device) for v in data.draw(broadcastable_arrays((a_values, b_values))))
    assert mg.gradgradcheck(op, [a, b])


@pytest.mark.parametrize("op, reference, a_values, b_values", BINARY)
@given(data=st.data())
def test_binary_float32_gradients_have_the_operand_shapes_and_dtype(device, op, reference, a_values, b_values,
                                                                    data):
    a, b = (tensor(v.astype(np.float32), device) for v in data.draw(broadcastable_arrays((a_values, b_values))))
    y = op(a, b)
    ga, gb = mg.autograd.grad(y, [a, b], grad_outputs=mg.ones_like(y))
    assert ga.shape == a.shape and gb.shape == b.shape
    assert ga.dtype == gb.dtype == mg.float32 and ga.device == gb.device == device


def test_a_tensor_used_as_both_operands_gets_both_contributions(device):
    x = tensor(np.array([1.0, -2.0, 3.0]), device)
    for y, expected in [(x + x, [2.0, 2.0, 2.0]), (x - x, [0.0, 0.0, 0.0]), (x * x, [2.0, -4.0, 6.0]),
                        (x / x, [0.0, 0.0, 0.0])]:
        (gx,) = mg.autograd.grad(y.sum(), x)
        np.testing.assert_allclose(gx.numpy(), expected, atol=1e-15)


def test_mixed_precision_gradients_have_each_input_dtype(device):
    a = tensor(np.ones(2, np.float32), device)
    b = tensor(np.ones(2, np.float64), device)
    ga, gb = mg.autograd.grad((a * b).sum(), [a, b])
    assert ga.dtype == mg.float32 and gb.dtype == mg.float64


# ---------------------------------------------------------------- Python numbers on either side

# Each expression runs twice: on a tensor and on its NumPy host copy. x > 0.1 throughout.
WITH_NUMBERS = [
    pytest.param(lambda x: x + 2.5, id="x+2.5"), pytest.param(lambda x: 2.5 + x, id="2.5+x"),
    pytest.param(lambda x: x - 2.5, id="x-2.5"), pytest.param(lambda x: 2.5 - x, id="2.5-x"),
    pytest.param(lambda x: x * 3, id="x*3"), pytest.param(lambda x: -1.5 * x, id="-1.5*x"),
    pytest.param(lambda x: x / 4.0, id="x/4.0"), pytest.param(lambda x: 2 / x, id="2/x"),
    pytest.param(lambda x: x ** 2, id="x**2"), pytest.param(lambda x: x ** 3, id="x**3"),
    pytest.param(lambda x: x ** 0.5, id="x**0.5"), pytest.param(lambda x: x ** -1.5, id="x**-1.5"),
    pytest.param(lambda x: 2.0 ** x, id="2.0**x"), pytest.param(lambda x: 0.5 ** x, id="0.5**x"),
]


@pytest.mark.parametrize("expression", WITH_NUMBERS)
@given(x=arrays(shapes(), floats(0.1, 3.0)), dtype=float_dtypes)
def test_python_numbers_on_either_side_keep_the_dtype_and_equal_numpy(device, expression, x, dtype):
    x = tensor(x.astype(dtype), device)
    y = expression(x)
    assert y.dtype == dtype and y.shape == x.shape   # a Python number does not change the dtype
    np.testing.assert_allclose(y.numpy(), expression(x.numpy()), **TOLERANCE[y.dtype])
    (gx,) = mg.autograd.grad(y, x, grad_outputs=mg.ones_like(y))
    assert gx.dtype == dtype and gx.shape == x.shape


@pytest.mark.parametrize("expression", WITH_NUMBERS)
@given(x=arrays(shapes(), floats(0.1, 3.0)))
def test_python_numbers_on_either_side_first_and_second_derivatives(device, expression, x):
    x = tensor(x, device)
    assert mg.gradcheck(expression, [x])
    assert mg.gradgradcheck(expression, [x])


@given(x=arrays(shapes(), floats()))
def test_integer_powers_of_negative_numbers(device, x):
    # d/dx x^n = n x^(n-1) needs no logarithm, so any sign works
    x = tensor(x, device)
    for n in (2, 3):
        np.testing.assert_allclose((x ** n).numpy(), x.numpy() ** n)
        assert mg.gradcheck(lambda v, n=n: v ** n, [x])
        assert mg.gradgradcheck(lambda v, n=n: v ** n, [x])


def test_exponent_zero_has_zero_gradient_even_at_a_zero_base(device):
    # d/da a^b = b a^(b-1) is 0 where b = 0; the formula alone would give 0 * inf = nan at a = 0
    x = tensor(np.array([0.0, 2.0, -3.0]), device)
    (gx,) = mg.autograd.grad((x ** 0).sum(), x)
    np.testing.assert_array_equal(gx.numpy(), [0.0, 0.0, 0.0])
    a = tensor(np.zeros(3), device)
    b = tensor(np.array([0.0, 1.0, 2.0]), device, requires_grad=False)
    (ga,) = mg.autograd.grad((a ** b).sum(), a)
    np.testing.assert_array_equal(ga.numpy(), [0.0, 1.0, 0.0])


def test_tensor_exponent_at_a_zero_base_has_zero_gradient(device):
    # d/db a^b = a^b log a, taken as 0 at a = 0 (as in PyTorch) instead of 0 * -inf = nan
    a = tensor(np.array([0.0, 2.0]), device)
    b = tensor(np.array([2.0, 3.0]), device)
    ga, gb = mg.autograd.grad((a ** b).sum(), [a, b])
    np.testing.assert_allclose(ga.numpy(), [0.0, 12.0])
    np.testing.assert_allclose(gb.numpy(), [0.0, 8.0 * np.log(2.0)])


def test_pow_exponent_gradient_at_a_zero_base_takes_the_limits(device):
    a = tensor(np.array([0.0, 0.0, 0.0, 2.0]), device)
    b = tensor(np.array([-1.0, 0.0, 2.0, 3.0]), device)
    with np.errstate(divide="ignore"):
        ga, gb = mg.autograd.grad((a ** b).sum(), [a, b])
    np.testing.assert_array_equal(gb.numpy()[:3], [-np.inf, 0.0, 0.0])   # a^b log a as a -> 0+
    assert gb.numpy()[3] == pytest.approx(8 * np.log(2.0))
    np.testing.assert_array_equal(ga.numpy(), [-np.inf, 0.0, 0.0, 12.0])


@given(a=floats(0.2, 3.0), b=floats(-2.0, 2.0))
def test_pow_second_derivatives_away_from_zero(device, a, b):
    a, b = tensor(np.array(a), device), tensor(np.array(b), device)
    assert mg.gradgradcheck(lambda u, v: u ** v, [a, b])


# ---------------------------------------------------------------- matmul

@st.composite
def matmul_operands(draw):
    """a and b with a @ b defined: 1-D vectors, matrices, and batches whose batch axes broadcast."""
    m, n, k = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=2))
    a_shape = draw(st.sampled_from([(n,), (m, n), batch.input_shapes[0] + (m, n)]))
    b_shape = draw(st.sampled_from([(n,), (n, k), batch.input_shapes[1] + (n, k)]))
    return draw(arrays(a_shape)), draw(arrays(b_shape))


@given(ab=matmul_operands(), dtype=float_dtypes)
def test_matmul_forward_equals_numpy(device, ab, dtype):
    a, b = (tensor(v.astype(dtype), device) for v in ab)
    y = a @ b
    assert y.dtype == dtype and y.device == device
    np.testing.assert_allclose(y.numpy(), np.matmul(a.numpy(), b.numpy()), **TOLERANCE[y.dtype])
    np.testing.assert_array_equal(mg.matmul(a, b).numpy(), y.numpy())


@given(ab=matmul_operands())
def test_matmul_gradients_equal_finite_differences(device, ab):
    a, b = (tensor(v, device) for v in ab)
    assert mg.gradcheck(mg.matmul, [a, b])


@given(ab=matmul_operands())
def test_matmul_second_derivatives_equal_finite_differences(device, ab):
    a, b = (tensor(v, device) for v in ab)
    assert mg.gradgradcheck(mg.matmul, [a, b])


@given(ab=matmul_operands())
def test_matmul_float32_gradients_have_the_operand_shapes_and_dtype(device, ab):
    a, b = (tensor(v.astype(np.float32), device) for v in ab)
    y = a @ b
    ga, gb = mg.autograd.grad(y, [a, b], grad_outputs=mg.ones_like(y))
    assert ga.shape == a.shape and gb.shape == b.shape and ga.dtype == gb.dtype == mg.float32


@given(m=st.integers(1, 6), n=st.integers(1, 6), k=st.integers(1, 4), b_by_columns=st.booleans(), data=st.data())
def test_matmul_cotangent_of_a_is_g_times_b_transposed_in_either_orientation(device, m, n, k, b_by_columns, data):
    # a wide a with b stored by rows takes (b g^T)^T, any other a g b^T: the same numbers, values and second order
    a = tensor(data.draw(arrays((m, n))), device, requires_grad=True)
    b_values = data.draw(arrays((n, k)))
    b = tensor(b_values.T.copy(), device, requires_grad=True).T if b_by_columns else tensor(b_values, device,
                                                                                          requires_grad=True)
    g = tensor(data.draw(arrays((m, k))), device, requires_grad=True)
    (ga,) = mg.autograd.grad(a @ b, [a], grad_outputs=g, create_graph=True)
    np.testing.assert_allclose(ga.numpy(), g.numpy() @ b_values.T, rtol=1e-12, atol=1e-12)
    h = data.draw(arrays((m, n)))
    (gg,) = mg.autograd.grad((ga * tensor(h, device)).sum(), [g])
    np.testing.assert_allclose(gg.numpy(), h @ b_values, rtol=1e-12, atol=1e-12)   # d<g b^T, h>/dg = h b


def test_matmul_of_a_0d_operand_is_refused(device):
    with pytest.raises(ValueError, match="at least one dimension"):
        tensor(np.array(2.0), device) @ tensor(np.ones(3), device)


def test_matmul_with_mismatched_inner_lengths_names_them(device):
    with pytest.raises(ValueError, match="inner lengths 3 and 2"):
        tensor(np.ones((2, 3)), device) @ tensor(np.ones((2, 2)), device)


# ---------------------------------------------------------------- linear (x @ W.T + b as one op)

@st.composite
def linear_operands(draw):
    """x of shape (..., n) (1-D, 2-D or batched), W (k, n) (PyTorch's (out, in)), and b (k,) or no bias."""
    n, k = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    x_shape = draw(st.sampled_from([(n,), (2, n), (2, 1, n)]))
    bias = draw(st.one_of(st.none(), arrays((k,))))
    return draw(arrays(x_shape)), draw(arrays((k, n))), bias


@given(operands=linear_operands())
def test_linear_equals_matmul_with_the_transposed_weight_plus_bias(device, operands):
    x, w, b = operands
    y = mg.linear(tensor(x, device), tensor(w, device), None if b is None else tensor(b, device))
    expected = x @ w.T + (0.0 if b is None else b)
    np.testing.assert_allclose(y.numpy(), expected, **TOLERANCE[y.dtype])


def test_linear_with_a_square_weight_uses_its_rows_as_pytorch_does(device):
    """F.linear(x, W) = x @ W.T: row j of W holds output j's coefficients. A square W hides a wrong layout
    from every shape check, so only the values tell (x @ W here would give [0, 1])."""
    w = np.array([[0.0, 1.0],      # output 0 reads input 1
                  [0.0, 0.0]])     # output 1 reads nothing
    y = mg.linear(tensor(np.array([1.0, 2.0]), device), tensor(w, device))
    np.testing.assert_array_equal(y.numpy(), [2.0, 0.0])
    y = mg.nn.functional.linear(tensor(np.array([[1.0, 2.0]]), device), tensor(w, device))
    np.testing.assert_array_equal(y.numpy(), [[2.0, 0.0]])


@given(operands=linear_operands())
def test_linear_first_and_second_derivatives_equal_finite_differences(device, operands):
    inputs = [tensor(v, device) for v in operands if v is not None]
    assert mg.gradcheck(mg.linear, inputs)
    assert mg.gradgradcheck(mg.linear, inputs)


def test_linear_refuses_shapes_that_do_not_contract(device):
    with pytest.raises(ValueError, match=r"linear: x of shape \(2, 3\) and weight of shape \(4, 5\) do not contract: "
                                         r"weight must be \(out_features, in_features\) and x \(\.\.\., in_features\)"):
        mg.linear(tensor(np.ones((2, 3)), device), tensor(np.ones((4, 5)), device))
    with pytest.raises(ValueError, match=r"linear: x of shape \(2, 4\) and weight of shape \(4, 5\)"):
        mg.linear(tensor(np.ones((2, 4)), device), tensor(np.ones((4, 5)), device))   # the (in, out) layout
    with pytest.raises(ValueError, match=r"bias has shape \(4,\), expected \(out_features,\) = \(5,\)"):
        mg.linear(tensor(np.ones((2, 4)), device), tensor(np.ones((5, 4)), device), tensor(np.ones(4), device))


@pytest.mark.parametrize("in_features, out_features", [(0, 2), (2, 0), (0, 0)])
@pytest.mark.parametrize("batch", [(), (4,), (4, 3)])
def test_linear_with_zero_features_differentiates(device, in_features, out_features, batch):
    x = tensor(np.ones(batch + (in_features,)), device)
    w = tensor(np.ones((out_features, in_features)), device)
    b = tensor(np.ones(out_features), device)
    y = mg.linear(x, w, b)
    assert y.shape == batch + (out_features,)
    gx, gw, gb = mg.autograd.grad(y.sum(), [x, w, b], materialize_grads=True)
    assert gx.shape == x.shape and gw.shape == w.shape and gb.shape == b.shape
    np.testing.assert_array_equal(gb.numpy(), np.full(out_features, float(np.prod(batch))))
