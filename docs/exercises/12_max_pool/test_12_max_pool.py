"""Exercise 12: max_pool2d's values and gradients against minigrad's, ties included, and by finite differences."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg


@st.composite
def images(draw, elements):
    """(x, k): float64 images (N, C, H, W), H and W in [k, 3k + 2] (so some rows may be left over), k in [1, 3]."""
    k = draw(st.integers(1, 3))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(k, 3 * k + 2)),
             draw(st.integers(k, 3 * k + 2)))
    return draw(hnp.arrays(np.float64, shape, elements=elements)), k


# few distinct values: many windows have tied maxima, where "the first winner" matters
tied = st.sampled_from([-1.0, 0.0, 0.5, 2.0])


@given(case=images(st.floats(-5.0, 5.0)))
def test_values_match_minigrad(impl, case):
    x, k = case
    out = impl.max_pool2d(mg.tensor(x), k)
    expected = mg.nn.functional.max_pool2d(mg.tensor(x), k).numpy()
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)


@given(case=images(tied), seed=st.integers(0, 2**16))
def test_gradient_matches_minigrad_with_ties(impl, case, seed):
    """x.grad for a random cotangent equals minigrad's: each window's g at its first maximal element."""
    x, k = case
    g = None
    grads = []
    for pool in (impl.max_pool2d, lambda t, k: mg.nn.functional.max_pool2d(t, k)):
        t = mg.tensor(x, requires_grad=True)
        out = pool(t, k)
        g = np.random.default_rng(seed).standard_normal(out.shape) if g is None else g
        (out * mg.tensor(g)).sum().backward()
        grads.append(t.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


@given(case=images(tied))
def test_each_window_sends_its_gradient_to_one_element(impl, case):
    """With g = 1: x.grad is 0 or 1, one 1 per window, on an element equal to the window's maximum."""
    x, k = case
    t = mg.tensor(x, requires_grad=True)
    out = impl.max_pool2d(t, k)
    out.sum().backward()
    grad = t.grad.numpy()
    n, c, oh, ow = out.shape
    assert set(np.unique(grad)) <= {0.0, 1.0}
    assert grad.sum() == n * c * oh * ow
    window_max = np.repeat(np.repeat(out.numpy(), k, axis=2), k, axis=3)        # each window's maximum, per element
    wins = grad[:, :, :oh * k, :ow * k] == 1.0
    assert np.all(x[:, :, :oh * k, :ow * k][wins] == window_max[wins])


@given(case=images(st.floats(-5.0, 5.0)))
def test_gradient_matches_finite_differences(impl, case):
    """mg.gradcheck, on distinct values (a tie has no derivative): the images get nudged by 1e-6 at most."""
    x, k = case
    distinct = x + np.arange(x.size).reshape(x.shape) * 1e-3   # far apart compared with the finite-difference step
    mg.gradcheck(lambda t: impl.max_pool2d(t, k), [mg.tensor(distinct, requires_grad=True)])


def test_second_derivative(impl):
    """The vjp is linear in g and written with minigrad ops: mg.gradgradcheck passes."""
    x = np.random.default_rng(0).permutation(32).reshape(1, 2, 4, 4).astype(np.float64)
    mg.gradgradcheck(lambda t: impl.max_pool2d(t, 2), [mg.tensor(x, requires_grad=True)])


def test_is_one_recorded_primitive(impl):
    x = mg.tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    out = impl.max_pool2d(x, 2)
    assert out._op == "max_pool2d" and len(out._edges) == 1 and out._edges[0][0] is x, \
        "call apply('max_pool2d', best, (x, vjp)) yourself"
    np.testing.assert_array_equal(out.numpy(), [[[[5.0, 7.0], [13.0, 15.0]]]])
