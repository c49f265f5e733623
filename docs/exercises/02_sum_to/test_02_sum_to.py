"""Exercise 02: sum_to against minigrad's, the adjoint identity, and the vjp of a * b against the tape."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

values = st.floats(-10.0, 10.0)


@st.composite
def small_and_big(draw):
    """(x, y): y's shape is x's broadcast up, with new leading axes and axes of length 1 stretched."""
    small = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    lead = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    big = lead + tuple(draw(st.integers(1, 4)) if n == 1 else n for n in small)
    return draw(hnp.arrays(np.float64, small, elements=values)), draw(hnp.arrays(np.float64, big, elements=values))


@given(xy=small_and_big())
def test_matches_minigrad_sum_to(impl, xy):
    x, y = xy
    result = impl.sum_to(y, x.shape)
    assert np.shape(result) == x.shape, f"sum_to(shape {y.shape}, {x.shape}) returned shape {np.shape(result)}"
    np.testing.assert_allclose(result, mg.sum_to(mg.tensor(y), x.shape).numpy(), rtol=1e-12, atol=1e-12)


@given(xy=small_and_big())
def test_is_the_adjoint_of_broadcasting(impl, xy):
    """<broadcast_to(x, y.shape), y> = <x, sum_to(y, x.shape)> for every x and y: the definition of the adjoint."""
    x, y = xy
    left = np.sum(np.broadcast_to(x, y.shape) * y)
    right = np.sum(x * impl.sum_to(y, x.shape))
    np.testing.assert_allclose(left, right, rtol=1e-10, atol=1e-10)


@given(y=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=3), elements=values))
def test_is_the_identity_when_nothing_was_broadcast(impl, y):
    np.testing.assert_array_equal(impl.sum_to(y, y.shape), y)


def test_examples_by_hand(impl):
    y = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(impl.sum_to(y, (3, 1)), y.sum(axis=(0, 2))[:, None])   # leading axis and a 1
    np.testing.assert_array_equal(impl.sum_to(y, (4,)), y.sum(axis=(0, 1)))
    np.testing.assert_array_equal(impl.sum_to(y, (1, 1, 1)), np.full((1, 1, 1), y.sum()))
    assert impl.sum_to(y, ()).shape == () and impl.sum_to(y, ()) == y.sum()


def test_keeps_the_dtype(impl):
    y = np.ones((3, 4), dtype=np.float32)
    assert impl.sum_to(y, (1, 4)).dtype == np.float32


@st.composite
def broadcastable_pair_and_cotangent(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3))
    shape_a, shape_b = shapes.input_shapes
    a = draw(hnp.arrays(np.float64, shape_a, elements=values))
    b = draw(hnp.arrays(np.float64, shape_b, elements=values))
    g = draw(hnp.arrays(np.float64, np.broadcast_shapes(shape_a, shape_b), elements=values))
    return a, b, g


@given(abg=broadcastable_pair_and_cotangent())
def test_mul_vjp_matches_the_tape(impl, abg):
    """Your vjp of a * b against minigrad's backward pass of the same product, with the same cotangent g."""
    a, b, g = abg
    ta, tb = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    expected_a, expected_b = mg.autograd.grad(ta * tb, [ta, tb], grad_outputs=mg.tensor(g))
    da, db = impl.mul_vjp(g, a, b)
    assert np.shape(da) == a.shape and np.shape(db) == b.shape
    np.testing.assert_allclose(da, expected_a.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db, expected_b.numpy(), rtol=1e-12, atol=1e-12)
