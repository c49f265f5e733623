"""Exercise 14: the lagged moving average against its recursion, blind to the current draw, unbiased."""
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

signals = hnp.arrays(np.float64, st.integers(1, 4), elements=st.floats(-100.0, 100.0))


@given(steps=st.lists(signals, min_size=1, max_size=6), decay=st.floats(0.0, 0.99))
def test_follows_the_recursion_one_step_late(impl, steps, decay):
    """b_0 = 0, c_1 = mean f_0, c_{t+1} = decay c_t + (1 - decay) mean f_t, and step t gets c_t in every entry."""
    baseline = impl.LaggedMovingAverage(decay)
    average = None
    for f in steps:
        b = baseline(mg.tensor(f))
        assert b.shape == f.shape
        np.testing.assert_allclose(b.numpy(), np.full(f.shape, 0.0 if average is None else average), rtol=1e-12,
                                   atol=1e-12)
        average = f.mean() if average is None else decay * average + (1 - decay) * f.mean()


@given(history=st.lists(signals, min_size=0, max_size=4), now=st.tuples(signals, signals))
def test_never_looks_at_the_current_signal(impl, history, now):
    """Two baselines with the same past give the same b for two different current signals."""
    first, second = impl.LaggedMovingAverage(0.8), impl.LaggedMovingAverage(0.8)
    for f in history:
        first(mg.tensor(f))
        second(mg.tensor(f))
    b1, b2 = first(mg.tensor(now[0])).numpy(), second(mg.tensor(now[1])).numpy()
    np.testing.assert_array_equal(b1.ravel()[:1], b2.ravel()[:1])


@given(z=hnp.arrays(np.float64, 5, elements=st.floats(-3.0, 3.0)),
       f=hnp.arrays(np.float64, 5, elements=st.floats(-50.0, 50.0)), b=st.floats(-50.0, 50.0), mu=st.floats(-2.0, 2.0))
def test_surrogate_value_is_zero_and_its_gradient_is_the_estimate(impl, z, f, b, mu):
    """q = N(mu, 1): grad_mu log q(z) = z - mu, so the gradient is sum (f - b)(z - mu); f and b pass none."""
    loc = mg.tensor(mu, dtype=mg.float64, requires_grad=True)
    ft, bt = mg.tensor(f, requires_grad=True), mg.tensor(np.full(5, b), requires_grad=True)
    surrogate = impl.score_surrogate(ft, -0.5 * (mg.tensor(z) - loc) ** 2, bt)
    surrogate.backward()
    assert surrogate.item() == 0.0
    np.testing.assert_allclose(loc.grad.item(), np.sum((f - b) * (z - mu)), rtol=1e-10, atol=1e-9)
    assert ft.grad is None and bt.grad is None, "detach f and b: only log q carries the gradient"


def estimates(impl, baseline, steps=4000, batch=2, mu=0.5, seed=0):
    """One score-function estimate of d/dmu E[z^2 + 50], z ~ N(mu, 1), per step: the batch's mean of (f - b)(z - mu)."""
    rng = np.random.default_rng(seed)
    out = np.empty(steps)
    for t in range(steps):
        z = rng.normal(mu, 1.0, batch)
        f = z ** 2 + 50.0
        b = baseline(mg.tensor(f)).numpy() if baseline is not None else 0.0
        out[t] = np.mean((f - b) * (z - mu))
    return out


def test_unbiased_with_a_large_constant_signal(impl):
    """The number to see: the mean estimate is 1.0 = 2 mu, within 4 standard errors, with batches of 2.

    A baseline updated before it is used contains each draw's own f with weight (1 - decay) / B = 0.25
    here, and its estimate is about 0.75: more than 4 standard errors off.
    """
    g = estimates(impl, impl.LaggedMovingAverage(decay=0.5))
    standard_error = g.std(ddof=1) / math.sqrt(g.size)
    assert abs(g.mean() - 1.0) < 4 * standard_error, (g.mean(), standard_error)


def test_lowers_the_variance(impl):
    """f = z^2 + 50: without a baseline the 50 multiplies the score's noise; with it the variance drops tenfold."""
    plain, lagged = estimates(impl, None, steps=2000), estimates(impl, impl.LaggedMovingAverage(0.8), steps=2000)
    assert lagged[100:].var() < plain.var() / 10, (lagged.var(), plain.var())
