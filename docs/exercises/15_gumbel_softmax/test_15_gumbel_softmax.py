"""Exercise 15: the relaxed draw against its formula, the Gumbel-max frequencies, straight-through's value and vjp."""
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg


@st.composite
def logits_and_noise(draw):
    """(logits (B, K), u (B, K)): B in [1, 3], K in [2, 5], u in [0.001, 0.999]."""
    shape = (draw(st.integers(1, 3)), draw(st.integers(2, 5)))
    return (draw(hnp.arrays(np.float64, shape, elements=st.floats(-4.0, 4.0))),
            draw(hnp.arrays(np.float64, shape, elements=st.floats(0.001, 0.999))))


def softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@given(case=logits_and_noise(), tau=st.floats(0.1, 5.0))
def test_matches_the_formula(impl, case, tau):
    logits, u = case
    y = impl.gumbel_softmax(mg.tensor(logits), tau, mg.tensor(u)).numpy()
    np.testing.assert_allclose(y, softmax((logits - np.log(-np.log(u))) / tau), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-12)


@given(case=logits_and_noise(), tau=st.floats(0.1, 5.0))
def test_gradient_in_the_logits_matches_finite_differences(impl, case, tau):
    logits, u = case
    mg.gradcheck(lambda z: impl.gumbel_softmax(z, tau, mg.tensor(u)), [mg.tensor(logits, requires_grad=True)])


def test_gumbel_max_draws_the_categorical(impl):
    """The number to see: with 40,000 noise draws, argmax of the relaxed draw falls on class k with frequency
    softmax(logits)_k = (0.09, 0.24, 0.67), each within 4 standard errors (whatever the temperature)."""
    logits = np.log(np.array([0.09, 0.24, 0.67]))
    u = np.random.default_rng(0).uniform(size=(40_000, 3))
    y = impl.gumbel_softmax(mg.tensor(np.broadcast_to(logits, u.shape).copy()), 0.5, mg.tensor(u)).numpy()
    frequencies = np.bincount(y.argmax(axis=-1), minlength=3) / len(u)
    p = np.array([0.09, 0.24, 0.67])
    assert np.all(np.abs(frequencies - p) < 4 * np.sqrt(p * (1 - p) / len(u))), frequencies


@given(case=logits_and_noise())
def test_low_temperature_approaches_one_hot(impl, case):
    """As tau -> 0 the draw tends to the one-hot of argmax(logits + g) (where that maximum is clear)."""
    logits, u = case
    scores = logits - np.log(-np.log(u))
    ordered = np.sort(scores, axis=-1)
    if np.any(ordered[:, -1] - ordered[:, -2] < 0.05):
        return  # a near tie: the limit is still one-hot, but only for a smaller tau than this test uses
    y = impl.gumbel_softmax(mg.tensor(logits), 1e-3, mg.tensor(u)).numpy()
    np.testing.assert_allclose(y, np.eye(logits.shape[1])[scores.argmax(axis=-1)], atol=1e-9)


@given(case=logits_and_noise(), tau=st.floats(0.2, 2.0), seed=st.integers(0, 2**16))
def test_straight_through_is_one_hot_forward_and_soft_backward(impl, case, tau, seed):
    """Forward: exactly one 1 per row, at argmax(y). Backward: the gradient of the soft y, for any cotangent."""
    logits, u = case
    cotangent = mg.tensor(np.random.default_rng(seed).standard_normal(logits.shape))
    z = mg.tensor(logits, requires_grad=True)
    y = impl.gumbel_softmax(z, tau, mg.tensor(u))
    hard = impl.straight_through(y)
    values = hard.numpy()
    assert set(np.unique(values)) <= {0.0, 1.0} and np.all(values.sum(axis=-1) == 1.0)
    np.testing.assert_array_equal(values.argmax(axis=-1), y.numpy().argmax(axis=-1))
    (through_hard,) = mg.autograd.grad((hard * cotangent).sum(), z)
    z2 = mg.tensor(logits, requires_grad=True)
    (through_soft,) = mg.autograd.grad((impl.gumbel_softmax(z2, tau, mg.tensor(u)) * cotangent).sum(), z2)
    np.testing.assert_allclose(through_hard.numpy(), through_soft.numpy(), rtol=1e-12, atol=1e-14)


def test_straight_through_is_one_recorded_primitive(impl):
    y = mg.tensor(np.array([[0.2, 0.5, 0.3]]), requires_grad=True)
    hard = impl.straight_through(y)
    assert hard._op == "straight_through" and len(hard._edges) == 1 and hard._edges[0][0] is y, \
        "call apply('straight_through', one_hot, (y, vjp)) yourself"
    assert math.isclose(hard.numpy()[0, 1], 1.0)
