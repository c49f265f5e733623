"""Reductions (sum mean var max min logsumexp) and the softmax family.

``axis`` is drawn as NumPy allows it: None, an int, a tuple of ints, negatives
included, with and without ``keepdims``. A reduction's vjp must put the reduced axes
back before broadcasting, so the gradient checks run over all of those.
"""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg

from strategies import TOLERANCE, arrays, arrays_and_axes, float_dtypes, floats, grid, shapes


def tensor(array, device, requires_grad=True):
    return mg.tensor(array, requires_grad=requires_grad, device=device)


def numpy_logsumexp(x, axis=None, keepdims=False):
    """The reference: log sum exp(x), shifted by the max m so that exp cannot overflow."""
    m = np.max(x, axis=axis, keepdims=True)
    result = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return result if keepdims else np.squeeze(result, axis=axis)


SMOOTH = [
    pytest.param(mg.sum, np.sum, id="sum"),
    pytest.param(mg.mean, np.mean, id="mean"),
    pytest.param(mg.var, np.var, id="var"),
    pytest.param(mg.logsumexp, numpy_logsumexp, id="logsumexp"),
]


@pytest.mark.parametrize("op, reference", SMOOTH)
@given(x_axis_keepdims=arrays_and_axes(), dtype=float_dtypes)
def test_reduction_forward_equals_numpy(device, op, reference, x_axis_keepdims, dtype):
    x, axis, keepdims = x_axis_keepdims
    x = tensor(x.astype(dtype), device)
    y = op(x, axis=axis, keepdims=keepdims)
    expected = reference(x.numpy(), axis=axis, keepdims=keepdims)
    assert y.shape == np.shape(expected) and y.dtype == dtype and y.device == device
    np.testing.assert_allclose(y.numpy(), expected, **TOLERANCE[y.dtype])


@pytest.mark.parametrize("op, reference", SMOOTH)
@given(x_axis_keepdims=arrays_and_axes())
def test_reduction_gradient_equals_finite_differences(device, op, reference, x_axis_keepdims):
    x, axis, keepdims = x_axis_keepdims
    assert mg.gradcheck(lambda v: op(v, axis=axis, keepdims=keepdims), [tensor(x, device)])


@pytest.mark.parametrize("op, reference", SMOOTH)
@given(x_axis_keepdims=arrays_and_axes())
def test_reduction_second_derivative_equals_finite_differences(device, op, reference, x_axis_keepdims):
    x, axis, keepdims = x_axis_keepdims
    assert mg.gradgradcheck(lambda v: op(v, axis=axis, keepdims=keepdims), [tensor(x, device)])


@pytest.mark.parametrize("op", [mg.sum, mg.mean, mg.var, mg.logsumexp, mg.max, mg.min],
                         ids=["sum", "mean", "var", "logsumexp", "max", "min"])
@given(x_axis_keepdims=arrays_and_axes())
def test_reduction_float32_gradient_has_the_input_shape_and_dtype(device, op, x_axis_keepdims):
    x, axis, keepdims = x_axis_keepdims
    x = tensor(x.astype(np.float32), device)
    y = op(x, axis=axis, keepdims=keepdims)
    (gx,) = mg.autograd.grad(y, x, grad_outputs=mg.ones_like(y))
    assert gx.shape == x.shape and gx.dtype == mg.float32 and gx.device == device


@given(x=arrays(shapes(min_dims=1)), ddof=st.integers(0, 1))
def test_var_with_ddof_equals_numpy(device, x, ddof):
    assume(x.shape[-1] > ddof)
    x = tensor(x, device)
    np.testing.assert_allclose(x.var(axis=-1, ddof=ddof).numpy(), np.var(x.numpy(), axis=-1, ddof=ddof),
                               **TOLERANCE[x.dtype])
    assert mg.gradcheck(lambda v: v.var(axis=-1, ddof=ddof), [x])


# ---------------------------------------------------------------- max and min

@pytest.mark.parametrize("op, reference", [(mg.max, np.max), (mg.min, np.min)], ids=["max", "min"])
@given(x_axis_keepdims=arrays_and_axes(), dtype=float_dtypes)
def test_max_min_forward_equals_numpy(device, op, reference, x_axis_keepdims, dtype):
    x, axis, keepdims = x_axis_keepdims
    x = tensor(x.astype(dtype), device)
    y = op(x, axis=axis, keepdims=keepdims)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.numpy(), reference(x.numpy(), axis=axis, keepdims=keepdims))


# distinct values on the grid k/4: no two elements tie, so max and min are differentiable
@pytest.mark.parametrize("op", [mg.max, mg.min], ids=["max", "min"])
@given(x_axis_keepdims=arrays_and_axes(grid(-10.0, 10.0), unique=True))
def test_max_min_gradients_equal_finite_differences_for_distinct_values(device, op, x_axis_keepdims):
    x, axis, keepdims = x_axis_keepdims
    x = tensor(x, device)
    assert mg.gradcheck(lambda v: op(v, axis=axis, keepdims=keepdims), [x])
    assert mg.gradgradcheck(lambda v: op(v, axis=axis, keepdims=keepdims), [x])


# values on the small grid {-1, -1/2, ..., 1}: many ties
@pytest.mark.parametrize("op, reference", [(mg.max, np.max), (mg.min, np.min)], ids=["max", "min"])
@given(x_axis_keepdims=arrays_and_axes(grid(-1.0, 1.0, 0.5)))
def test_max_min_ties_share_the_gradient_equally(device, op, reference, x_axis_keepdims):
    x, axis, keepdims = x_axis_keepdims
    x = tensor(x, device)
    (gx,) = mg.autograd.grad(op(x, axis=axis).sum(), x)
    # each of the k elements equal to the extremum of their group gets 1/k, the others 0
    winners = x.numpy() == reference(x.numpy(), axis=axis, keepdims=True)
    np.testing.assert_allclose(gx.numpy(), winners / winners.sum(axis=axis, keepdims=True))


def test_max_min_ties_example(device):
    x = tensor(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]), device)
    (gx,) = mg.autograd.grad(x.max(axis=1).sum(), x)
    np.testing.assert_allclose(gx.numpy(), [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    (gx,) = mg.autograd.grad(x.min(), x)   # a single minimum takes all
    np.testing.assert_allclose(gx.numpy(), [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    (gx,) = mg.autograd.grad(x.max(), x)   # the two 3s share
    np.testing.assert_allclose(gx.numpy(), [[0.0, 0.5, 0.5], [0.0, 0.0, 0.0]])


# ---------------------------------------------------------------- softmax, log_softmax, logsumexp

def numpy_log_softmax(x, axis):
    return x - numpy_logsumexp(x, axis=axis, keepdims=True)


@st.composite
def arrays_and_one_axis(draw, elements=None):
    x = draw(arrays(shapes(min_dims=1), floats() if elements is None else elements))
    return x, draw(st.integers(-x.ndim, x.ndim - 1))


@given(x_axis=arrays_and_one_axis(), dtype=float_dtypes)
def test_softmax_and_log_softmax_forward_equal_numpy(device, x_axis, dtype):
    x, axis = x_axis
    x = tensor(x.astype(dtype), device)
    expected = numpy_log_softmax(x.numpy(), axis)
    assert mg.softmax(x, axis).dtype == mg.log_softmax(x, axis).dtype == dtype
    np.testing.assert_allclose(mg.log_softmax(x, axis).numpy(), expected, **TOLERANCE[x.dtype])
    np.testing.assert_allclose(mg.softmax(x, axis).numpy(), np.exp(expected), **TOLERANCE[x.dtype])
    np.testing.assert_allclose(mg.softmax(x, axis).numpy().sum(axis=axis), 1.0, rtol=1e-5)


@pytest.mark.parametrize("op", [mg.softmax, mg.log_softmax], ids=["softmax", "log_softmax"])
@given(x_axis=arrays_and_one_axis())
def test_softmax_and_log_softmax_first_and_second_derivatives(device, op, x_axis):
    x, axis = x_axis
    x = tensor(x, device)
    assert mg.gradcheck(lambda v: op(v, axis), [x])
    assert mg.gradgradcheck(lambda v: op(v, axis), [x])


@given(x_axis=arrays_and_one_axis(floats(-1e4, 1e4)), shift=st.sampled_from([0.0, 1e4, -1e4]),
       dtype=float_dtypes)
def test_softmax_family_is_stable_for_large_inputs(device, x_axis, shift, dtype):
    # e^x overflows float32 above 88; computed as x - max, nothing overflows
    x, axis = x_axis
    x = tensor((x + shift).astype(dtype), device)
    lse = mg.logsumexp(x, axis=axis)
    log_p = mg.log_softmax(x, axis)
    p = mg.softmax(x, axis)
    (gx,) = mg.autograd.grad(log_p.sum() + lse.sum() + p.sum(), x)
    for result in (lse, log_p, p, gx):
        assert np.isfinite(result.numpy()).all() and result.dtype == dtype
    x64 = x.numpy().astype(np.float64)
    np.testing.assert_allclose(lse.numpy(), numpy_logsumexp(x64, axis=axis), rtol=1e-6)
    np.testing.assert_allclose(p.numpy(), np.exp(numpy_log_softmax(x64, axis)), rtol=1e-4, atol=1e-6)


def test_logsumexp_of_huge_equal_values(device):
    x = tensor(np.full(3, 1e4, dtype=np.float32), device)
    np.testing.assert_allclose(mg.logsumexp(x).numpy(), 1e4 + np.log(3), rtol=1e-6)
    np.testing.assert_allclose(mg.softmax(x).numpy(), [1 / 3] * 3, rtol=1e-6)
    np.testing.assert_allclose(mg.log_softmax(x).numpy(), [-np.log(3)] * 3, rtol=1e-6)


# ---------------------------------------------------------------- methods

def test_reduction_methods_call_the_ops(device):
    x = tensor(np.arange(24.0).reshape(2, 3, 4) / 7.0, device)
    pairs = [(x.sum(), mg.sum(x)), (x.sum(axis=1), mg.sum(x, 1)),
             (x.sum(axis=(0, -1), keepdims=True), mg.sum(x, (0, 2), True)),
             (x.mean(axis=-1), mg.mean(x, 2)), (x.var(axis=0, ddof=1), mg.var(x, 0, ddof=1)),
             (x.max(axis=1), mg.max(x, 1)), (x.min(keepdims=True), mg.min(x, None, True)),
             (x.logsumexp(axis=2), mg.logsumexp(x, 2)),
             (x.softmax(axis=0), mg.softmax(x, 0)), (x.log_softmax(), mg.log_softmax(x, -1))]
    for by_method, by_function in pairs:
        np.testing.assert_array_equal(by_method.numpy(), by_function.numpy())


def test_reducing_over_an_axis_that_does_not_exist_names_it(device):
    with pytest.raises(IndexError, match="axis 2 is out of range"):
        tensor(np.ones((2, 3)), device).sum(axis=2)
