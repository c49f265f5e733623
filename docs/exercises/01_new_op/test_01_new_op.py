"""Exercise 01: sinh and cosh, their values, their first and second derivatives, and the tape they leave."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

# Small arrays (gradcheck perturbs every element twice) of moderate values: sinh(5) is about 74.
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
arrays = hnp.arrays(np.float64, shapes, elements=st.floats(-4.0, 4.0))
NAMES = ["sinh", "cosh"]


@pytest.mark.parametrize("name", NAMES)
@given(a=arrays)
def test_values_match_numpy(impl, name, a):
    out = getattr(impl, name)(mg.tensor(a))
    assert out.shape == a.shape
    np.testing.assert_allclose(out.numpy(), getattr(np, name)(a), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
@given(a=arrays)
def test_gradient_matches_finite_differences(impl, name, a):
    """mg.gradcheck: the vjp against central differences, in float64, along a random cotangent."""
    mg.gradcheck(getattr(impl, name), [mg.tensor(a, requires_grad=True)])


@pytest.mark.parametrize("name", NAMES)
@given(a=arrays)
def test_second_derivative_matches_finite_differences(impl, name, a):
    """mg.gradgradcheck: passes only if the vjp is written with minigrad ops (not raw arrays)."""
    mg.gradgradcheck(getattr(impl, name), [mg.tensor(a, requires_grad=True)])


@pytest.mark.parametrize("name", NAMES)
def test_is_one_recorded_primitive_whose_only_input_is_x(impl, name):
    """The tape: the output's op is named after the function and has one edge, (x, vjp)."""
    x = mg.tensor([0.5, -1.0], dtype=mg.float64, requires_grad=True)
    out = getattr(impl, name)(x)
    assert out._op == name, f"the output was made by the op {out._op!r}: call apply({name!r}, ...) yourself"
    assert len(out._edges) == 1 and out._edges[0][0] is x


def test_derivatives_by_backward(impl):
    """d/dx sinh = cosh and d/dx cosh = sinh, read off x.grad; the two contributions to x add up."""
    a = np.array([-2.0, -0.5, 0.0, 1.5])
    x = mg.tensor(a, requires_grad=True)
    (impl.sinh(x) + 2.0 * impl.cosh(x)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cosh(a) + 2.0 * np.sinh(a), rtol=1e-12)


def test_cosh_squared_minus_sinh_squared_is_one_with_zero_gradient(impl):
    """cosh^2 - sinh^2 = 1 for every x, so its gradient is 0: 2 cosh sinh - 2 sinh cosh."""
    x = mg.tensor(np.linspace(-3.0, 3.0, 7), requires_grad=True)
    one = impl.cosh(x) * impl.cosh(x) - impl.sinh(x) * impl.sinh(x)
    one.sum().backward()
    np.testing.assert_allclose(one.numpy(), 1.0, rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), 0.0, atol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_float32_in_float32_out_and_nothing_recorded_under_no_grad(impl, name):
    x = mg.tensor([0.25, 1.0], dtype=mg.float32, requires_grad=True)
    assert getattr(impl, name)(x).dtype == mg.float32
    with mg.no_grad():
        assert not getattr(impl, name)(x).requires_grad
