"""The ops a classifier's layers and losses need, by chapter: elementwise (erf, gelu, silu, elu, square, and
sign/floor/ceil/round and isnan/isinf/isfinite, which have no gradient), reductions (argmax, argmin, max/min
with indices, cumsum, prod, std, norm, any, all), shapes (flip, split, take_along_axis, gather, pad, permute,
copy/clone, numel) and einsum.

Each differentiable op is checked with ``mg.testing.check_op`` over hypothesis-drawn inputs on every device:
forward against NumPy (SciPy for erf), the first derivatives against finite differences in float64 and, where
the op is smooth at the drawn values, the second derivatives too. Edge cases have tests of their own: zeros in
prod, the 2-norm at zero, ties in argmax, split points out of range, pad widths, repeated einsum indices.
"""
import math

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.testing as mgt


def tensor(array, device, requires_grad=True):
    return mg.tensor(array, requires_grad=requires_grad, device=device)


@st.composite
def arrays_and_one_axis(draw, elements=None, min_dims=1, unique=False):
    """An array of at least ``min_dims`` axes and one of its axes (maybe negative)."""
    x = draw(mgt.arrays(mgt.shapes(min_dims=min_dims), elements, unique=unique))
    return x, draw(st.integers(-x.ndim, x.ndim - 1)) if x.ndim else None


# ================================================================ elementwise

def numpy_gelu(x):
    return x * scipy.special.ndtr(x)   # x Phi(x), Phi the standard normal CDF


def numpy_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def numpy_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


# op, its reference, and values where the op is smooth (elu has a kink in its second derivative at 0)
SMOOTH_UNARY = [
    pytest.param(mg.square, np.square, mgt.floats(), id="square"),
    pytest.param(mg.erf, scipy.special.erf, mgt.floats(), id="erf"),
    pytest.param(mg.gelu, numpy_gelu, mgt.floats(-4.0, 4.0), id="gelu"),
    pytest.param(lambda x: mg.gelu(x, approximate="tanh"), numpy_gelu_tanh, mgt.floats(-4.0, 4.0),
                 id="gelu(tanh)"),
    pytest.param(mg.silu, lambda x: x * scipy.special.expit(x), mgt.floats(-6.0, 6.0), id="silu"),
    pytest.param(mg.elu, numpy_elu, mgt.away_from_zero(), id="elu"),
    pytest.param(lambda x: mg.elu(x, 0.5), lambda x: numpy_elu(x, 0.5), mgt.away_from_zero(), id="elu(0.5)"),
]


@pytest.mark.parametrize("op, reference, domain", SMOOTH_UNARY)
@given(data=st.data())
def test_unary_forward_gradient_and_second_derivative(device, op, reference, domain, data):
    x = data.draw(mgt.tensors(elements=domain, dtype=mgt.float_dtypes, device=device))
    mgt.check_op(op, reference, x)


@given(x=mgt.arrays(mgt.shapes(min_dims=1, max_side=5), mgt.floats(-50.0, 50.0)))
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
@given(x=mgt.arrays(elements=mgt.floats(-5.0, 5.0) | mgt.grid(-3.0, 3.0, 0.5)), dtype=mgt.float_dtypes)
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


@given(x=mgt.arrays(elements=st.sampled_from([0.0, -1.5, 2.0, np.inf, -np.inf, np.nan])), dtype=mgt.float_dtypes)
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


# ================================================================ reductions

@given(x_axis=arrays_and_one_axis(mgt.grid(-1.0, 1.0, 0.5), min_dims=0), keepdims=st.booleans(),
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
@given(x_axis=arrays_and_one_axis(mgt.grid(-1.0, 1.0, 0.5)), keepdims=st.booleans())
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


@given(x_axis=arrays_and_one_axis(min_dims=0), none=st.booleans(), dtype=mgt.float_dtypes)
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


@given(x_axis_keepdims=mgt.arrays_and_axes(), dtype=mgt.float_dtypes)
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
@given(x_axis=arrays_and_one_axis(mgt.grid(-1.0, 1.0, 0.5)))
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


@pytest.mark.parametrize("ddof", [0, 1])
@given(x_axis_keepdims=mgt.arrays_and_axes(mgt.grid(-3.0, 3.0, 0.25), unique=True), dtype=mgt.float_dtypes)
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
    pytest.param(None, mgt.away_from_zero(), id="2 (None)"),
    pytest.param(2, mgt.away_from_zero(), id="2"),
    pytest.param(1, mgt.away_from_zero(), id="1"),
    # |k/4 + 0.1| are distinct and >= 0.1 for different k: no tie for the largest or smallest |x|
    pytest.param(math.inf, mgt.grid(-3.0, 3.0, 0.25, offset=0.1), id="inf"),
    pytest.param(-math.inf, mgt.grid(-3.0, 3.0, 0.25, offset=0.1), id="-inf"),
]


@pytest.mark.parametrize("ord, values", VECTOR_NORMS)
@given(data=st.data(), keepdims=st.booleans(), dtype=mgt.float_dtypes)
def test_vector_norms(device, ord, values, data, keepdims, dtype):
    x, axis = data.draw(arrays_and_one_axis(values, unique=True))
    t = tensor(x.astype(dtype), device)
    mgt.check_op(lambda v: mg.norm(v, ord, axis, keepdims),
                 lambda a: np.linalg.norm(a, ord, axis, keepdims).astype(dtype), t)


@given(x=mgt.arrays(mgt.shapes(min_dims=0), mgt.away_from_zero()), keepdims=st.booleans(),
       dtype=mgt.float_dtypes)
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


@given(x_axis_keepdims=mgt.arrays_and_axes(st.sampled_from([0.0, 1.0, -2.0]) | mgt.floats()))
def test_any_all_equal_numpy(device, x_axis_keepdims):
    x, axis, keepdims = x_axis_keepdims
    for values in (x, x > 0):
        t = mg.tensor(values, device=device)
        for op, method, reference in [(mg.any, t.any, np.any), (mg.all, t.all, np.all)]:
            assert op(t, axis, keepdims).dtype == mg.bool_
            np.testing.assert_array_equal(op(t, axis, keepdims).numpy(), reference(values, axis, keepdims=keepdims))
            np.testing.assert_array_equal(method(axis, keepdims).numpy(), reference(values, axis, keepdims=keepdims))


# ================================================================ shapes

@given(x_axis_keepdims=mgt.arrays_and_axes(), dtype=mgt.float_dtypes)
def test_flip(device, x_axis_keepdims, dtype):
    x, axis, _ = x_axis_keepdims
    t = tensor(x.astype(dtype), device)
    mgt.check_op(lambda v: mg.flip(v, axis), lambda a: np.flip(a, axis), t)
    np.testing.assert_array_equal(t.flip(axis).numpy(), np.flip(t.numpy(), axis))


@st.composite
def arrays_and_splits(draw):
    """An array, an axis, and NumPy's indices_or_sections: a divisor of the axis length, or cut points
    (unsorted, negative and out of range included)."""
    x, axis = draw(arrays_and_one_axis())
    n = x.shape[axis]
    sections = st.sampled_from([k for k in range(1, n + 1) if n % k == 0])
    cuts = st.lists(st.integers(-n - 1, n + 1), max_size=3)
    return x, axis, draw(sections | cuts)


@given(x_axis_sections=arrays_and_splits(), dtype=mgt.float_dtypes)
def test_split(device, x_axis_sections, dtype):
    x, axis, sections = x_axis_sections
    t = tensor(x.astype(dtype), device)
    mgt.check_op(lambda v: tuple(mg.split(v, sections, axis)), lambda a: tuple(np.split(a, sections, axis)), t)
    with pytest.raises(TypeError, match=r"PyTorch's x.split\(k\) cuts pieces of length k.*mg.split"):
        t.split(sections, axis)   # one name, two meanings: the method refuses and names the function


def test_split_examples(device):
    x = tensor(np.arange(6.0), device)
    assert [p.tolist() for p in mg.split(x, 3)] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]    # 3 pieces
    assert [p.tolist() for p in mg.split(x, [1, 4])] == [[0.0], [1.0, 2.0, 3.0], [4.0, 5.0]]   # cut points
    assert [p.tolist() for p in mg.split(x, [4, 9])] == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0], []]
    with pytest.raises(ValueError, match="equal pieces"):
        mg.split(x, 4)
    g = mg.tensor(np.ones(2), device=device)
    pieces = mg.split(x, 3)
    (gx,) = mg.autograd.grad([pieces[0], pieces[2]], x, grad_outputs=[g, 2 * g])   # the middle piece unused
    np.testing.assert_array_equal(gx.numpy(), [1.0, 1.0, 0.0, 0.0, 2.0, 2.0])


@st.composite
def arrays_axes_and_indices(draw):
    """An array, an axis, and integer indices along it (negative and repeated included), of x's number of axes,
    with lengths on the other axes that broadcast against x's (equal or 1)."""
    x, axis = draw(arrays_and_one_axis())
    n = x.shape[axis]
    shape = [draw(st.sampled_from([m, 1])) for m in x.shape]
    shape[axis] = draw(st.integers(0, 4))
    indices = draw(mgt.arrays(tuple(shape), st.integers(-n, n - 1), dtype=np.int64))
    return x, axis, indices


@given(x_axis_indices=arrays_axes_and_indices(), dtype=mgt.float_dtypes)
def test_take_along_axis(device, x_axis_indices, dtype):
    x, axis, indices = x_axis_indices
    t = tensor(x.astype(dtype), device)
    i = mg.tensor(indices, device=device)
    mgt.check_op(lambda v: mg.take_along_axis(v, i, axis), lambda a: np.take_along_axis(a, indices, axis), t)
    np.testing.assert_array_equal(t.take_along_axis(i, axis).numpy(), np.take_along_axis(t.numpy(), indices, axis))


def test_take_along_axis_picks_each_rows_label_and_adds_repeats_in_the_gradient(device):
    log_p = tensor(np.log(np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])), device)
    labels = mg.tensor(np.array([1, 0, 1]), device=device)
    picked = mg.take_along_axis(log_p, labels.reshape(-1, 1), 1)
    np.testing.assert_allclose(picked.numpy().ravel(), np.log([0.8, 0.6, 0.5]))
    x = tensor(np.arange(3.0), device)
    (gx,) = mg.autograd.grad(mg.take_along_axis(x, [0, 0, 2, -3], None).sum(), x)   # axis None: flattened
    np.testing.assert_array_equal(gx.numpy(), [3.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="as many"):
        mg.take_along_axis(log_p, labels, 1)   # indices need x's number of axes


def torch_gather(x, axis, index):
    """torch.gather's definition: out[i][j] = x[i][index[i][j]] (axis 1), over index's own shape."""
    out = np.empty(index.shape, x.dtype)
    for position in np.ndindex(*index.shape):
        source = list(position)
        source[axis] = index[position]
        out[position] = x[tuple(source)]
    return out


@given(data=st.data())
def test_gather_method_is_pytorchs_gather(device, data):
    x, axis = data.draw(arrays_and_one_axis())
    shape = [data.draw(st.integers(1, m)) for m in x.shape]   # no longer than x: PyTorch reads x's leading part
    shape[axis] = data.draw(st.integers(1, 4))
    index = data.draw(mgt.arrays(tuple(shape), st.integers(0, x.shape[axis] - 1), dtype=np.int64))
    t = tensor(x, device)
    i = mg.tensor(index, device=device)
    mgt.check_op(lambda v: v.gather(axis, i), lambda a: torch_gather(a, axis % a.ndim, index), t)


def test_gather_refuses_indices_that_do_not_fit(device):
    x = tensor(np.ones((2, 3)), device)
    with pytest.raises(ValueError, match="longer than x"):
        x.gather(1, mg.tensor(np.zeros((3, 1), np.int64), device=device))
    with pytest.raises(ValueError, match="x's axes"):
        x.gather(1, mg.tensor(np.zeros(2, np.int64), device=device))


@st.composite
def arrays_and_pad_widths(draw):
    """An array and a pad_width in each of NumPy's forms: one int, one (before, after), or one pair per axis."""
    x = draw(mgt.arrays(mgt.shapes(min_dims=0)))
    width = st.integers(0, 3)
    form = draw(st.sampled_from(["int", "pair", "per axis"] if x.ndim else ["int", "pair"]))
    if form == "int":
        return x, draw(width)
    if form == "pair":
        return x, (draw(width), draw(width))
    return x, tuple((draw(width), draw(width)) for _ in range(x.ndim))


@given(x_widths=arrays_and_pad_widths(), value=st.sampled_from([0, 0.0, -1.5]), dtype=mgt.float_dtypes)
def test_pad_constant(device, x_widths, value, dtype):
    x, widths = x_widths
    t = tensor(x.astype(dtype), device)
    mgt.check_op(lambda v: mg.pad(v, widths, constant_values=value),
                 lambda a: np.pad(a, widths, constant_values=value), t)


@pytest.mark.parametrize("mode", ["edge", "reflect", "symmetric", "wrap"])
@given(x_widths=arrays_and_pad_widths())
def test_pad_modes_that_repeat_values(device, mode, x_widths):
    x, widths = x_widths
    t = tensor(x, device)
    mgt.check_op(lambda v: mg.pad(v, widths, mode), lambda a: np.pad(a, widths, mode), t)


def test_pad_example_and_errors(device):
    x = tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), device)
    y = mg.pad(x, ((0, 1), (2, 0)), constant_values=9.0)
    np.testing.assert_array_equal(y.numpy(), [[9.0, 9.0, 1.0, 2.0], [9.0, 9.0, 3.0, 4.0], [9.0, 9.0, 9.0, 9.0]])
    (gx,) = mg.autograd.grad(mg.pad(x, 1, "edge").sum(), x)   # each corner is repeated into 4 places
    np.testing.assert_array_equal(gx.numpy(), [[4.0, 4.0], [4.0, 4.0]])
    with pytest.raises(ValueError, match="negative"):
        mg.pad(x, -1)
    with pytest.raises(ValueError, match="does not fit"):
        mg.pad(x, ((1, 1), (1, 1), (1, 1)))
    with pytest.raises(TypeError, match="integers"):
        mg.pad(x, 1.5)
    with pytest.raises(ValueError, match="'edge'"):
        mg.pad(x, 1, mode="replicate")   # PyTorch's name


@given(x=mgt.arrays(mgt.shapes()), data=st.data())
def test_permute_is_transpose(device, x, data):
    axes = tuple(data.draw(st.permutations(range(x.ndim))))
    t = tensor(x, device)
    np.testing.assert_array_equal(t.permute(*axes).numpy(), np.transpose(x, axes))
    np.testing.assert_array_equal(t.permute(axes).numpy(), np.transpose(x, axes))
    mgt.check_op(lambda v: v.permute(*axes), lambda a: np.transpose(a, axes), t)


def test_copy_and_clone_are_differentiable_copies_and_numel_counts(device):
    x = tensor(np.array([1.0, 2.0, 3.0]), device)
    for y in (mg.copy(x), x.copy(), x.clone()):
        with mg.no_grad():
            x[0] = 10.0   # x changes; the copy does not
        assert y.tolist() == [1.0, 2.0, 3.0]
        with mg.no_grad():
            x[0] = 1.0
    mgt.check_op(mg.copy, np.copy, x)
    assert x.numel() == 3 and tensor(np.ones((2, 0, 3)), device).numel() == 0


# ================================================================ einsum

@st.composite
def einsum_problems(draw):
    """A random contraction: 1 to 3 operands, each a permutation of some of the indices 'abcd' (lengths 1 to 3),
    and an output of some of the indices they use; with the operands drawn to fit."""
    lengths = dict(zip("abcd", draw(st.lists(st.integers(1, 3), min_size=4, max_size=4))))
    inputs = [draw(st.permutations(draw(st.lists(st.sampled_from("abcd"), unique=True, max_size=3))))
              for _ in range(draw(st.integers(1, 3)))]
    used = sorted(set("".join("".join(s) for s in inputs)))
    output = draw(st.permutations(draw(st.lists(st.sampled_from(used), unique=True)) if used else []))
    subscripts = ",".join("".join(s) for s in inputs) + "->" + "".join(output)
    operands = [draw(mgt.arrays(tuple(lengths[i] for i in s))) for s in inputs]
    return subscripts, operands


@given(problem=einsum_problems(), dtype=mgt.float_dtypes)
def test_einsum_of_random_contractions(device, problem, dtype):
    subscripts, arrays = problem
    operands = [tensor(a.astype(dtype), device) for a in arrays]
    mgt.check_op(lambda *vs: mg.einsum(subscripts, *vs), lambda *xs: np.einsum(subscripts, *xs), *operands)


LAYER_CONTRACTIONS = [
    ("nchw,oc->nohw", [(2, 3, 2, 2), (4, 3)]),   # mixing channels (a 1x1 convolution)
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),    # a batch of matrix products
    ("ij,jk->ik", [(2, 3), (3, 4)]),             # matmul
    ("ni,oi->no", [(3, 4), (2, 4)]),             # x W^T, PyTorch's weight layout
    ("i,i->", [(5,), (5,)]),                     # a dot product
    ("i,j->ij", [(3,), (2,)]),                   # an outer product
    ("ij->ji", [(2, 3)]),                        # a transpose
    ("ijk->j", [(2, 3, 2)]),                     # a sum over two axes
    ("...ij,jk->...ik", [(2, 2, 3), (3, 2)]),    # matmul over any leading axes
    ("...i,...i->...", [(2, 3), (1, 3)]),        # rows' dot products, broadcast
    ("ij,jk", [(2, 3), (3, 4)]),                 # implicit output: 'ik'
    ("bA,Ab", [(2, 3), (3, 2)]),                 # implicit output: nothing left (a trace of a product)
]


@pytest.mark.parametrize("subscripts, shapes", LAYER_CONTRACTIONS, ids=[s for s, _ in LAYER_CONTRACTIONS])
def test_einsum_contractions_the_layers_use(device, subscripts, shapes):
    rng = np.random.default_rng(0)
    operands = [tensor(rng.standard_normal(shape), device) for shape in shapes]
    mgt.check_op(lambda *vs: mg.einsum(subscripts, *vs), lambda *xs: np.einsum(subscripts, *xs), *operands)


def test_einsum_equals_matmul_and_accumulates_an_operand_used_twice(device):
    a, b = tensor(np.arange(6.0).reshape(2, 3), device), tensor(np.arange(12.0).reshape(3, 4) / 5, device)
    np.testing.assert_allclose(mg.einsum("ij,jk->ik", a, b).numpy(), (a @ b).numpy())
    x = tensor(np.array([1.0, -2.0, 3.0]), device)
    (gx,) = mg.autograd.grad(mg.einsum("i,i->", x, x), x)   # |x|^2: both uses add up to 2x
    np.testing.assert_array_equal(gx.numpy(), 2 * x.numpy())


def test_einsum_refuses_what_it_does_not_support(device):
    x = tensor(np.ones((3, 3)), device)
    with pytest.raises(ValueError, match="repeats the index 'i'"):
        mg.einsum("ii->i", x)   # a diagonal
    with pytest.raises(ValueError, match="names 2 operands, but 1"):
        mg.einsum("ij,jk->ik", x)
    with pytest.raises(ValueError, match="output"):
        mg.einsum("ij->kk", x)
    with pytest.raises(ValueError, match="names 3 axes"):
        mg.einsum("ijk->i", x)
    with pytest.raises(ValueError, match="does not fit"):
        mg.einsum("ij,jk->ik", x, tensor(np.ones((2, 2)), device))
    with pytest.raises(TypeError, match="subscripts"):
        mg.einsum(x, "ij->")


# ================================================================ NumPy's functions on tensors, PyTorch's names

def test_numpy_functions_on_tensors_call_the_ops():
    x = mg.tensor(np.array([[0.5, -1.5], [2.0, 0.0]]), requires_grad=True)
    pairs = [(np.cumsum(x, axis=0), mg.cumsum(x, 0)), (np.prod(x), mg.prod(x)), (np.std(x), mg.std(x)),
             (np.argmax(x), mg.argmax(x)), (np.flip(x, 1), mg.flip(x, 1)), (np.square(x), mg.square(x)),
             (np.sign(x), mg.sign(x)), (np.isnan(x), mg.isnan(x)), (np.linalg.norm(x), mg.norm(x)),
             (np.round(x), mg.round(x)), (np.einsum("ij->j", x), mg.einsum("ij->j", x)),
             (np.pad(x, 1), mg.pad(x, 1)), (np.all(x), mg.all(x))]
    for by_numpy, by_minigrad in pairs:
        assert isinstance(by_numpy, mg.Tensor)
        np.testing.assert_array_equal(by_numpy.numpy(), by_minigrad.numpy())


def test_pytorch_dim_keywords_are_refused_with_numpys_names(device):
    x = tensor(np.ones((2, 3)), device)
    for call in (lambda: x.cumsum(dim=0), lambda: x.prod(dim=1), lambda: x.std(dim=0), lambda: x.flip(dim=0),
                 lambda: x.norm(dim=1), lambda: x.any(dim=0), lambda: mg.split(x, 1, dim=0),
                 lambda: x.gather(dim=1, indices=mg.tensor(np.zeros((2, 1), np.int64), device=device))):
        with pytest.raises(TypeError, match="axis="):
            call()
