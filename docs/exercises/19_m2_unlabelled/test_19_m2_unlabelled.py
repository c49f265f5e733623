"""Exercise 19: U against its formula, U <= logsumexp L with equality at q = softmax(L), and extreme logits."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg


@st.composite
def batches(draw, logit_range=10.0):
    """(logits (B, K), L (B, K)): B in [1, 3], K in [2, 10], L in [-300, -50] nats (as a digit's bounds are)."""
    shape = (draw(st.integers(1, 3)), draw(st.integers(2, 10)))
    return (draw(hnp.arrays(np.float64, shape, elements=st.floats(-logit_range, logit_range))),
            draw(hnp.arrays(np.float64, shape, elements=st.floats(-300.0, -50.0))))


def log_softmax(a):
    shifted = a - a.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def logsumexp(a):
    m = a.max(axis=-1)
    return m + np.log(np.exp(a - m[..., None]).sum(axis=-1))


@given(batch=batches())
def test_matches_the_formula(impl, batch):
    logits, bounds = batch
    u = impl.unlabelled_bound(mg.tensor(logits), mg.tensor(bounds))
    log_q = log_softmax(logits)
    assert u.shape == logits.shape[:1]
    np.testing.assert_allclose(u.numpy(), (np.exp(log_q) * (bounds - log_q)).sum(-1), rtol=1e-10, atol=1e-9)


@given(batch=batches())
def test_is_at_most_logsumexp_of_the_labelled_bounds(impl, batch):
    """U = logsumexp_y L(x, y) - KL(q || softmax L) <= logsumexp_y L(x, y): a bound on log sum_y exp L(x, y)."""
    logits, bounds = batch
    u = impl.unlabelled_bound(mg.tensor(logits), mg.tensor(bounds)).numpy()
    assert np.all(u <= logsumexp(bounds) + 1e-9)


@given(batch=batches(), shift=st.floats(-50.0, 50.0))
def test_best_classifier_is_softmax_of_the_bounds(impl, batch, shift):
    """q(y | x) proportional to exp L(x, y) (L already holds log p(y): no second prior) attains logsumexp L,
    and U's gradient in the logits is zero there."""
    _, bounds = batch
    logits = mg.tensor(bounds + shift, requires_grad=True)
    u = impl.unlabelled_bound(logits, mg.tensor(bounds))
    u.sum().backward()
    np.testing.assert_allclose(u.numpy(), logsumexp(bounds), rtol=1e-10)
    np.testing.assert_allclose(logits.grad.numpy(), 0.0, atol=1e-7)


@given(batch=batches())
def test_gradients_match_finite_differences(impl, batch):
    logits, bounds = batch
    mg.gradcheck(impl.unlabelled_bound,
                 [mg.tensor(logits, requires_grad=True), mg.tensor(bounds / 100, requires_grad=True)])


@given(batch=batches(logit_range=1000.0))
def test_finite_for_extreme_logits(impl, batch):
    """A confident classifier (logits of +-1000): the entropy's 0 log 0 is 0, and U is finite, as is its gradient."""
    logits, bounds = batch
    t = mg.tensor(logits, requires_grad=True)
    u = impl.unlabelled_bound(t, mg.tensor(bounds))
    u.sum().backward()
    assert np.all(np.isfinite(u.numpy())) and np.all(np.isfinite(t.grad.numpy()))
    log_q = log_softmax(logits)
    np.testing.assert_allclose(u.numpy(), (np.exp(log_q) * (bounds - log_q)).sum(-1), rtol=1e-10, atol=1e-9)


def test_a_classifier_that_knows_nothing(impl):
    """The number to see: uniform q over 10 classes and L = -100 for each: U = -100 + log 10 = -97.697415."""
    u = impl.unlabelled_bound(mg.tensor(np.zeros((1, 10))), mg.tensor(np.full((1, 10), -100.0)))
    np.testing.assert_allclose(u.numpy(), [-100.0 + np.log(10.0)], rtol=1e-12)
