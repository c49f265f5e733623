"""Reductions (sum mean var max min logsumexp, argmax argmin, cumsum prod std norm, any all) and the softmax
family.

``axis`` is drawn as NumPy allows it: None, an int, a tuple of ints, negatives
included, with and without ``keepdims``. A reduction's vjp must put the reduced axes
back before broadcasting, so the gradient checks run over all of those. The reductions a
classifier's metrics and losses add are checked with ``mg.testing.check_op`` (forward against
NumPy, first and second derivatives against finite differences); their edge cases have tests
of their own: ties in argmax, zeros in prod, the 2-norm and std at zero, empty axes.
"""
import math

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.testing as mgt

from strategies import (
    TOLERANCE,
    arrays,
    arrays_and_axes,
    arrays_and_one_axis,
    away_from_zero,
    float_dtypes,
    floats,
    grid,
    shapes,
)


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


# ---------------------------------------------------------------- argmax, argmin, and max, min with indices

@given(x_axis=arrays_and_one_axis(grid(-1.0, 1.0, 0.5), min_dims=0), keepdims=st.booleans(),
       none=st.booleans())
def test_argmax_argmin_equal_numpy_and_pick_the_first_of_ties(device, x_axis, keepdims, none):
    # values on {-1, -1/2, 0, 1/2, 1}: many ties, and NumPy returns the first
    x, axis = x_axis
    axis = None if none else axis
    t = tensor(x, device)
    for op, method, reference in [(mg.argmax, t.argmax, np.argmax), (mg.argmin, t.argmin, np.argmin)]:
        got = op(t, axis, keepdims)
        assert got.dtype == mg.int64 and not got.requires_grad and got.device == device
        np.testing.assert_array_equal(got.numpy(), reference(x, axis=axis, keepdims=keepdims))
        np.testing.assert_array_equal(method(axis, keepdims=keepdims).numpy(), got.numpy())


def test_argmax_example_and_what_it_refuses(device):
    x = tensor(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]]), device)
    np.testing.assert_array_equal(x.argmax(axis=1).numpy(), [1, 0])
    assert x.argmax().item() == 1 and x.argmin().item() == 5   # into the flattened x
    with pytest.raises(TypeError, match="one axis"):
        mg.argmax(x, axis=(0, 1))
    with pytest.raises(TypeError, match="axis="):
        x.argmax(dim=1)
    with pytest.raises(ValueError, match="flattened tensor of length 0"):
        mg.argmax(tensor(np.ones((0, 2)), device))


@pytest.mark.parametrize("op", ["argmax", "argmin", "max", "min"])
def test_an_extremum_along_a_nonempty_axis_of_an_empty_tensor_is_empty(device, op):
    # only the reduced axis must have elements: NumPy and PyTorch give an empty result for zeros((2, 0)) along 0
    x = np.zeros((2, 0))
    got = getattr(mg, op)(tensor(x, device), 0)
    assert got.shape == (0,)
    np.testing.assert_array_equal(got.numpy(), getattr(np, op)(x, 0))
    if op in ("max", "min"):
        values, indices = getattr(mg, op)(tensor(x, device), 0, return_indices=True)
        assert values.shape == indices.shape == (0,)
    with pytest.raises(ValueError, match=f"{op}: cannot reduce over axis 1 of length 0"):
        getattr(mg, op)(tensor(x, device), 1)
    with pytest.raises(ValueError, match=f"{op}: cannot reduce over axis 0 of length 0"):
        getattr(mg, op)(tensor(np.zeros((0, 3)), device), -2)


@pytest.mark.parametrize("op, reference, arg", [(mg.max, np.max, np.argmax), (mg.min, np.min, np.argmin)],
                         ids=["max", "min"])
@given(x_axis=arrays_and_one_axis(grid(-1.0, 1.0, 0.5)), keepdims=st.booleans())
def test_max_min_with_indices_give_the_values_and_argmax(device, op, reference, arg, x_axis, keepdims):
    x, axis = x_axis
    t = tensor(x, device)
    values, indices = op(t, axis, keepdims, return_indices=True)
    np.testing.assert_array_equal(values.numpy(), reference(x, axis=axis, keepdims=keepdims))
    np.testing.assert_array_equal(indices.numpy(), arg(x, axis=axis, keepdims=keepdims))
    # the values are the plain max: the same gradient (ties share it)
    (with_indices,) = mg.autograd.grad(values.sum(), t)
    (plain,) = mg.autograd.grad(op(t, axis, keepdims).sum(), t)
    np.testing.assert_array_equal(with_indices.numpy(), plain.numpy())
    by_method = getattr(t, op.__name__)(axis, keepdims=keepdims, return_indices=True)
    np.testing.assert_array_equal(by_method[1].numpy(), indices.numpy())


def test_max_without_indices_is_unchanged_and_indices_need_one_axis(device):
    x = tensor(np.array([[1.0, 5.0], [7.0, 2.0]]), device)
    assert isinstance(x.max(axis=0), mg.Tensor)
    values, indices = x.max(None, return_indices=True)
    assert values.item() == 7.0 and indices.item() == 2
    with pytest.raises(TypeError, match="one axis"):
        mg.max(x, axis=(0, 1), return_indices=True)


# ---------------------------------------------------------------- cumsum and prod

@given(x_axis=arrays_and_one_axis(min_dims=0), none=st.booleans(), dtype=float_dtypes)
def test_cumsum(device, x_axis, none, dtype):
    x, axis = x_axis
    axis = None if none else axis
    t = tensor(x.astype(dtype), device)
    mgt.check_op(lambda v: mg.cumsum(v, axis), lambda a: np.cumsum(a, axis=axis), t)
    np.testing.assert_array_equal(t.cumsum(axis).numpy(), mg.cumsum(t, axis).numpy())


def test_cumsum_gradient_is_the_reversed_running_sum(device):
    x = tensor(np.array([1.0, 2.0, 3.0, 4.0]), device)
    g = mg.tensor(np.array([1.0, 10.0, 100.0, 1000.0]), device=device)
    (gx,) = mg.autograd.grad(mg.cumsum(x), x, grad_outputs=g)
    np.testing.assert_array_equal(gx.numpy(), [1111.0, 1110.0, 1100.0, 1000.0])
    n = mg.tensor(np.array([True, False, True]), device=device)
    np.testing.assert_array_equal(mg.cumsum(n).numpy(), np.cumsum([True, False, True]))   # int64, as NumPy


@given(x_axis_keepdims=arrays_and_axes(), dtype=float_dtypes)
def test_prod(device, x_axis_keepdims, dtype):
    x, axis, keepdims = x_axis_keepdims
    t = tensor(x.astype(dtype), device)
    mgt.check_op(lambda v: mg.prod(v, axis, keepdims), lambda a: np.prod(a, axis=axis, keepdims=keepdims), t)


def numpy_product_of_the_others(x, axis):
    """d/dx_i prod(x) along ``axis`` by brute force: the product with x_i replaced by 1."""
    result = np.empty_like(x)
    for i in range(x.shape[axis]):
        others = x.copy()
        np.moveaxis(others, axis, 0)[i] = 1.0
        np.moveaxis(result, axis, 0)[i] = others.prod(axis=axis)
    return result


# values on {-1, -1/2, 0, 1/2, 1}: zeros, often two or more in one product
@given(x_axis=arrays_and_one_axis(grid(-1.0, 1.0, 0.5)))
def test_prod_with_zeros_has_exact_first_and_second_derivatives(device, x_axis):
    x, axis = x_axis
    t = tensor(x, device)
    (gx,) = mg.autograd.grad(mg.prod(t, axis).sum(), t)
    np.testing.assert_allclose(gx.numpy(), numpy_product_of_the_others(x, axis), rtol=1e-12)
    assert np.isfinite(gx.numpy()).all()
    mgt.check_op(lambda v: mg.prod(v, axis), lambda a: np.prod(a, axis=axis), t)   # a polynomial: smooth


def test_prod_zeros_example(device):
    x = tensor(np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]]), device)
    (gx,) = mg.autograd.grad(x.prod(axis=1).sum(), x, create_graph=True)
    # one zero: only it has a nonzero derivative; two zeros: all derivatives vanish; none: out / x_i
    np.testing.assert_array_equal(gx.numpy(), [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [8.0, 4.0, 2.0]])
    # d^2/dx_10 dx_11 of x_10 x_11 x_12 = x_12 = 5, though both are 0
    (h,) = mg.autograd.grad(gx[1, 0], x)
    np.testing.assert_array_equal(h.numpy(), [[0.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 0.0]])
    assert mg.prod(tensor(np.ones((2, 0)), device), axis=1).tolist() == [1.0, 1.0]   # the product of nothing
    n = mg.tensor(np.array([[2, 3], [4, 5]], np.int32), device=device)
    assert mg.prod(n).item() == 120 and mg.prod(n).dtype == np.prod(n.numpy()).dtype


# ---------------------------------------------------------------- std and norm

@pytest.mark.parametrize("ddof", [0, 1])
@given(x_axis_keepdims=arrays_and_axes(grid(-3.0, 3.0, 0.25), unique=True), dtype=float_dtypes)
def test_std(device, ddof, x_axis_keepdims, dtype):
    # distinct values: no group is constant, where std has a kink
    x, axis, keepdims = x_axis_keepdims
    count = x.size if axis is None else math.prod(np.atleast_1d(x.shape)[list(np.atleast_1d(axis))]) if x.ndim else 1
    if count <= ddof:
        return
    t = tensor(x.astype(dtype), device)
    mgt.check_op(lambda v: mg.std(v, axis, keepdims, ddof), lambda a: np.std(a, axis=axis, keepdims=keepdims,
                                                                              ddof=ddof), t)
    np.testing.assert_array_equal(t.std(axis, keepdims, ddof=ddof).numpy(), mg.std(t, axis, keepdims, ddof).numpy())


VECTOR_NORMS = [
    pytest.param(None, away_from_zero(), id="2 (None)"),
    pytest.param(2, away_from_zero(), id="2"),
    pytest.param(1, away_from_zero(), id="1"),
    # |k/4 + 0.1| are distinct and >= 0.1 for different k: no tie for the largest or smallest |x|
    pytest.param(math.inf, grid(-3.0, 3.0, 0.25, offset=0.1), id="inf"),
    pytest.param(-math.inf, grid(-3.0, 3.0, 0.25, offset=0.1), id="-inf"),
]


@pytest.mark.parametrize("ord, values", VECTOR_NORMS)
@given(data=st.data(), keepdims=st.booleans(), dtype=float_dtypes)
def test_vector_norms(device, ord, values, data, keepdims, dtype):
    x, axis = data.draw(arrays_and_one_axis(values, unique=True))
    t = tensor(x.astype(dtype), device)
    mgt.check_op(lambda v: mg.norm(v, ord, axis, keepdims),
                 lambda a: np.linalg.norm(a, ord, axis, keepdims).astype(dtype), t)


@given(x=arrays(shapes(min_dims=0), away_from_zero()), keepdims=st.booleans(),
       dtype=float_dtypes)
def test_2_norm_of_every_entry_and_frobenius_norm(device, x, keepdims, dtype):
    t = tensor(x.astype(dtype), device)
    mgt.check_op(lambda v: mg.norm(v, keepdims=keepdims),
                 lambda a: np.asarray(np.linalg.norm(a, keepdims=keepdims), dtype), t)
    if x.ndim >= 2:
        axes = (0, -1)
        mgt.check_op(lambda v: mg.norm(v, "fro", axes), lambda a: np.linalg.norm(a, "fro", axes).astype(dtype), t)


def test_norm_and_std_at_zero_have_gradient_zero(device):
    # a kink, as |x| at 0: the subgradient 0 (as PyTorch), not x / 0 = NaN
    x = tensor(np.array([[0.0, 0.0, 0.0], [3.0, 0.0, -4.0]]), device)
    (gx,) = mg.autograd.grad(mg.norm(x, axis=1).sum(), x)
    np.testing.assert_allclose(gx.numpy(), [[0.0, 0.0, 0.0], [0.6, 0.0, -0.8]], rtol=1e-15)
    c = tensor(np.full((2, 3), 1.5), device)
    (gc,) = mg.autograd.grad(c.std(axis=1).sum() + c.norm(), c)
    np.testing.assert_allclose(gc.numpy(), c.numpy() / np.linalg.norm(c.numpy()))   # std's part is 0
    np.testing.assert_array_equal(c.std(axis=1).numpy(), [0.0, 0.0])


def test_norm_refuses_what_it_does_not_compute(device):
    x = tensor(np.ones((2, 3, 4)), device)
    with pytest.raises(NotImplementedError, match="matrix norm"):
        mg.norm(x, 1, axis=(0, 1))   # NumPy's would be the largest column sum, not sum |x|
    with pytest.raises(ValueError, match="ord"):
        mg.norm(x, 3, axis=0)
    with pytest.raises(ValueError, match="one axis"):
        mg.norm(x, 1)   # NumPy refuses ord for a 3-d x without axes too


# ---------------------------------------------------------------- any and all

@given(x_axis_keepdims=arrays_and_axes(st.sampled_from([0.0, 1.0, -2.0]) | floats()))
def test_any_all_equal_numpy(device, x_axis_keepdims):
    x, axis, keepdims = x_axis_keepdims
    for values in (x, x > 0):
        t = mg.tensor(values, device=device)
        for op, method, reference in [(mg.any, t.any, np.any), (mg.all, t.all, np.all)]:
            assert op(t, axis, keepdims).dtype == mg.bool_
            np.testing.assert_array_equal(op(t, axis, keepdims).numpy(), reference(values, axis, keepdims=keepdims))
            np.testing.assert_array_equal(method(axis, keepdims).numpy(), reference(values, axis, keepdims=keepdims))



# ---------------------------------------------------------------- softmax, log_softmax, logsumexp

def numpy_log_softmax(x, axis):
    return x - numpy_logsumexp(x, axis=axis, keepdims=True)


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
@example(x_axis=(np.array([10000.0, 9964.0]), 0), shift=-10000.0, dtype=np.float32)   # log(1 + e^-36): 0 in float32
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
    # atol: near 0 a float32 logsumexp can only be as close as float32's spacing at 1 (1 + e^-36 rounds to 1)
    np.testing.assert_allclose(lse.numpy(), numpy_logsumexp(x64, axis=axis), rtol=1e-6, atol=1e-6)
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
