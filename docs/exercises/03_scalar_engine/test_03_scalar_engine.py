"""Exercise 03: the scalar engine's values and gradients against math, finite differences and minigrad."""
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg

numbers = st.floats(-2.0, 2.0)


def f(a, b, c):
    """A function that uses every primitive, a twice and b twice: works on Values and on minigrad tensors alike."""
    return (a * b + c).tanh() * (0.5 * a).exp() / (1.0 + b ** 2) - 3.0 * c + a


def f_math(a, b, c):
    return math.tanh(a * b + c) * math.exp(0.5 * a) / (1.0 + b ** 2) - 3.0 * c + a


@given(a=numbers, b=numbers, c=numbers)
def test_value_matches_math(impl, a, b, c):
    value = f(impl.Value(a), impl.Value(b), impl.Value(c)).data
    assert math.isclose(value, f_math(a, b, c), rel_tol=1e-12, abs_tol=1e-12)


@given(a=numbers, b=numbers, c=numbers)
def test_gradients_match_minigrad(impl, a, b, c):
    """The same expression on float64 minigrad tensors, differentiated by minigrad's backward."""
    va, vb, vc = impl.Value(a), impl.Value(b), impl.Value(c)
    f(va, vb, vc).backward()
    ta, tb, tc = (mg.tensor(v, dtype=mg.float64, requires_grad=True) for v in (a, b, c))
    f(ta, tb, tc).backward()
    np.testing.assert_allclose([va.grad, vb.grad, vc.grad], [ta.grad.item(), tb.grad.item(), tc.grad.item()],
                               rtol=1e-10, atol=1e-12)


@given(a=numbers, b=numbers, c=numbers)
def test_gradients_match_central_differences(impl, a, b, c):
    va, vb, vc = impl.Value(a), impl.Value(b), impl.Value(c)
    f(va, vb, vc).backward()
    h = 1e-6
    numeric = [(f_math(a + h, b, c) - f_math(a - h, b, c)) / (2 * h),
               (f_math(a, b + h, c) - f_math(a, b - h, c)) / (2 * h),
               (f_math(a, b, c + h) - f_math(a, b, c - h)) / (2 * h)]
    np.testing.assert_allclose([va.grad, vb.grad, vc.grad], numeric, rtol=1e-6, atol=1e-7)


@given(x=numbers)
def test_a_value_used_twice_gets_both_contributions(impl, x):
    """d/dx (x * x + (x + x)) = 2x + 2: in x * x and in x + x, x is both operands, and both contributions add up."""
    v = impl.Value(x)
    y = v * v + (v + v)
    y.backward()
    assert math.isclose(v.grad, 2 * x + 2, rel_tol=1e-12, abs_tol=1e-12)
    assert y.grad == 1.0


def test_diamond_every_value_is_finished_before_it_is_passed_on(impl):
    """x -> y = 3x -> z = y*y + y.exp() + y: y must collect all three uses before it hands its grad to x.

    dz/dy = 2y + e^y + 1 and dz/dx = 3 dz/dy. An engine that runs y's backward before z's
    last use has added to y.grad (a wrong order) passes on a partial gradient.
    """
    x = impl.Value(0.3)
    y = x * 3.0
    z = y * y + y.exp() + y
    z.backward()
    dz_dy = 2 * 0.9 + math.exp(0.9) + 1
    assert math.isclose(y.grad, dz_dy, rel_tol=1e-12)
    assert math.isclose(x.grad, 3 * dz_dy, rel_tol=1e-12)


def test_numbers_on_either_side(impl):
    """2 + v, v * 3, 1 - v, 2 / v: the given methods turn the number into a Value and call yours."""
    v = impl.Value(2.0)
    y = (2 + v) * 3 + (1 - v) + 2 / v     # 12 - 1 + 1 = 12
    y.backward()
    assert math.isclose(y.data, 12.0)
    assert math.isclose(v.grad, 3 - 1 - 2 / 4)


def test_a_chain_of_ten_thousand_ops_needs_no_recursion(impl):
    """y = x + x + ... (10,001 terms), far deeper than Python's recursion limit (1,000): dy/dx = 10,001."""
    x = impl.Value(1.0)
    y = x
    for _ in range(10_000):
        y = y + x
    y.backward()
    assert x.grad == 10_001.0


def test_leaves_not_on_the_path_keep_a_zero_gradient(impl):
    x, unused = impl.Value(1.5), impl.Value(4.0)
    y = x.tanh()
    w = unused * 2.0   # computed, but y does not depend on it
    y.backward()
    assert math.isclose(x.grad, 1 - math.tanh(1.5) ** 2)
    assert unused.grad == 0.0 and w.grad == 0.0
