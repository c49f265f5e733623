"""Exercise 13: cross_entropy against F.cross_entropy, its gradient softmax - one_hot, and large logits."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg


@st.composite
def batches(draw, low=-20.0, high=20.0):
    """(logits (N, C), target (N,)): N in [1, 5], C in [2, 6]."""
    n, c = draw(st.integers(1, 5)), draw(st.integers(2, 6))
    logits = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(low, high)))
    target = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return logits, target


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@given(batch=batches())
def test_matches_minigrad(impl, batch):
    logits, target = batch
    loss = impl.cross_entropy(mg.tensor(logits), mg.tensor(target))
    assert loss.shape == ()
    expected = mg.nn.functional.cross_entropy(mg.tensor(logits), mg.tensor(target)).item()
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-12, atol=1e-12)


@given(batch=batches())
def test_gradient_is_softmax_minus_one_hot(impl, batch):
    """d loss / d logits = (softmax(logits) - one_hot(target)) / N: the closed form every classifier uses."""
    logits, target = batch
    z = mg.tensor(logits, requires_grad=True)
    impl.cross_entropy(z, mg.tensor(target)).backward()
    one_hot = np.eye(logits.shape[1])[target]
    np.testing.assert_allclose(z.grad.numpy(), (softmax(logits) - one_hot) / len(target), rtol=1e-10, atol=1e-12)


@given(batch=batches(-1000.0, 1000.0))
def test_large_logits_stay_finite_and_exact(impl, batch):
    """exp(1000) overflows float64; the shifted form does not. Checked against the same formula in exact shifts."""
    logits, target = batch
    z = mg.tensor(logits, requires_grad=True)
    loss = impl.cross_entropy(z, mg.tensor(target))
    loss.backward()
    m = logits.max(axis=1)
    expected = np.mean(m + np.log(np.exp(logits - m[:, None]).sum(axis=1)) - logits[np.arange(len(target)), target])
    assert np.isfinite(loss.item()) and np.all(np.isfinite(z.grad.numpy()))
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-12, atol=1e-9)


@given(batch=batches(), shift=st.floats(-500.0, 500.0))
def test_adding_a_constant_to_a_row_changes_nothing(impl, batch, shift):
    """softmax(z + s) = softmax(z): the loss is invariant under a shift of every logit of an example."""
    logits, target = batch
    a = impl.cross_entropy(mg.tensor(logits), mg.tensor(target)).item()
    b = impl.cross_entropy(mg.tensor(logits + shift), mg.tensor(target)).item()
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


def test_uniform_logits_give_log_c(impl):
    """The number to see: a classifier that knows nothing (all logits equal) has loss log C: log 10 = 2.302585."""
    loss = impl.cross_entropy(mg.tensor(np.zeros((4, 10))), mg.tensor(np.array([0, 3, 9, 5])))
    np.testing.assert_allclose(loss.item(), np.log(10.0), rtol=1e-12)
