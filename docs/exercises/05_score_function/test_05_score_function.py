"""Exercise 05: the score-function estimator against minigrad's, its unbiasedness, and what a baseline buys.

The Monte Carlo tests run B independent copies of one problem side by side: a Normal with
batch shape (B,) whose loc and scale all have the same value. The surrogate sums over the
batch, so loc.grad[j] is the estimate of copy j alone, and one backward pass gives B
independent estimates. Their mean must lie within 4 standard errors of the exact gradient.
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad.distributions import Normal


def copies(loc, scale, batch):
    """loc and scale as float64 leaves of shape (batch,), every entry the same: B copies of N(loc, scale^2)."""
    return (mg.tensor(np.full(batch, loc), requires_grad=True), mg.tensor(np.full(batch, scale), requires_grad=True))


def within_standard_errors(estimates, exact, k=4.0):
    estimates = np.asarray(estimates)
    standard_error = estimates.std(ddof=1) / math.sqrt(estimates.size)
    return abs(estimates.mean() - exact) < k * standard_error, (estimates.mean(), exact, standard_error)


@given(w=hnp.arrays(np.float64, st.tuples(st.integers(2, 6), st.integers(1, 3)), elements=st.floats(-10.0, 10.0)))
def test_leave_one_out_is_the_mean_of_the_others(impl, w):
    b = impl.leave_one_out(mg.tensor(w)).numpy()
    assert b.shape == w.shape
    for i in range(w.shape[0]):
        np.testing.assert_allclose(b[i], np.delete(w, i, axis=0).mean(axis=0), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("baseline", [None, 2.5, "leave_one_out"])
@given(seed=st.integers(0, 2**16))
def test_matches_minigrad_score_function(impl, baseline, seed):
    """Same seed, same draws (dist.sample((n,))): the value and every gradient agree with mg.estimators.

    w inside f gets its gradient from f's own graph (pathwise), loc and scale from the score.
    """
    def run(estimator):
        loc = mg.tensor([0.5, -1.0, 2.0], dtype=mg.float64, requires_grad=True)
        scale = mg.tensor([1.0, 0.3, 2.0], dtype=mg.float64, requires_grad=True)
        w = mg.tensor(1.5, dtype=mg.float64, requires_grad=True)
        mg.random.seed(seed)
        surrogate = estimator(lambda x: w * x * x - x, Normal(loc, scale), 6, baseline=baseline)
        surrogate.backward()
        return surrogate.item(), loc.grad.numpy(), scale.grad.numpy(), w.grad.item()

    for mine, theirs in zip(run(impl.score_function), run(mg.estimators.score_function)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


def test_value_is_the_sample_mean_of_f(impl):
    """The magic box is 1 and the baseline term 0 in value: the surrogate is mean_i f(x_i), summed over the batch."""
    loc, scale = copies(0.0, 1.0, 3)
    seen = []

    def f(x):
        seen.append(x.numpy())
        return x * x

    surrogate = impl.score_function(f, Normal(loc, scale), 5)
    np.testing.assert_allclose(surrogate.item(), (seen[0] ** 2).mean(axis=0).sum(), rtol=1e-12)


@pytest.mark.parametrize("baseline", [None, "leave_one_out"])
def test_second_derivative_is_right(impl, baseline):
    """d2/dmu2 E_{N(mu, s^2)}[x^2] = d2/dmu2 (mu^2 + s^2) = 2, estimated by differentiating the gradient.

    DiCE's box exp(l - l.detach()) gives it; the additive l - l.detach() gives E[(f - b) d2 l] = -(mu^2 + s^2) / s^2.
    """
    mu, s, batch = 0.8, 1.3, 20_000
    loc, scale = copies(mu, s, batch)
    mg.random.seed(4)
    surrogate = impl.score_function(lambda x: x * x, Normal(loc, scale), 4, baseline=baseline)
    g, = mg.autograd.grad(surrogate, loc, create_graph=True)
    h, = mg.autograd.grad(g.sum(), loc)            # copy j's estimate of d2/dmu2 (copies do not interact)
    ok, report = within_standard_errors(h.numpy(), 2.0)
    assert ok, f"mean of the estimates, exact second derivative, standard error: {report}"


@pytest.mark.parametrize("baseline", [None, "leave_one_out"])
def test_unbiased_for_a_square(impl, baseline):
    """f(x) = x^2, x ~ N(mu, s^2): E f = mu^2 + s^2, so the exact gradient is (2 mu, 2 s)."""
    mu, s, batch = 0.8, 1.3, 20_000
    loc, scale = copies(mu, s, batch)
    mg.random.seed(1)
    impl.score_function(lambda x: x * x, Normal(loc, scale), 4, baseline=baseline).backward()
    for estimates, exact in ((loc.grad.numpy(), 2 * mu), (scale.grad.numpy(), 2 * s)):
        ok, report = within_standard_errors(estimates, exact)
        assert ok, f"mean of the estimates, exact gradient, standard error: {report}"


def test_unbiased_for_a_step_that_has_no_derivative(impl):
    """f(x) = 1 if x > 0 else 0 has derivative 0 almost everywhere, yet E f = Phi(mu/s) moves with mu and s:

    d/dmu = phi(mu/s) / s,   d/ds = -phi(mu/s) mu / s^2   (phi, Phi: the standard normal density and CDF).
    The score function needs only f's values, so it estimates both.
    """
    mu, s, batch = 0.4, 1.2, 20_000
    loc, scale = copies(mu, s, batch)
    mg.random.seed(2)
    impl.score_function(lambda x: (x > 0.0).astype(mg.float64), Normal(loc, scale), 4,
                        baseline="leave_one_out").backward()
    phi = math.exp(-0.5 * (mu / s) ** 2) / math.sqrt(2 * math.pi)
    for estimates, exact in ((loc.grad.numpy(), phi / s), (scale.grad.numpy(), -phi * mu / s ** 2)):
        ok, report = within_standard_errors(estimates, exact)
        assert ok, f"mean of the estimates, exact gradient, standard error: {report}"


def test_a_baseline_lowers_the_variance(impl):
    """f(x) = x^2 + 10: the constant 10 adds nothing to the gradient but, without a baseline, a lot of noise.

    The leave-one-out baseline removes it: the variance of the loc estimates drops at least fourfold.
    """
    variances = {}
    for baseline in (None, "leave_one_out"):
        loc, scale = copies(0.5, 1.0, 5_000)
        mg.random.seed(3)
        impl.score_function(lambda x: x * x + 10.0, Normal(loc, scale), 4, baseline=baseline).backward()
        variances[baseline] = loc.grad.numpy().var()
    assert variances["leave_one_out"] < variances[None] / 4, variances


def test_samples_carry_no_graph(impl):
    """The draws come from dist.sample: f receives a tensor that does not require grad.

    (With rsample, a differentiable f would add the pathwise gradient on top of the score's: twice the answer.)
    """
    loc, scale = copies(0.0, 1.0, 2)
    received = []
    impl.score_function(lambda x: received.append(x.requires_grad) or x * x, Normal(loc, scale), 3)
    assert received == [False]
