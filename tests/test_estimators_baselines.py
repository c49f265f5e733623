"""The baselines of mg.estimators: one protocol (read, then update), each keeps the score-function
estimator unbiased, NVIL's running statistics are what its paper says, the optimal constant is its
closed form, and a baseline that sees its own draw is caught.

Unbiasedness is checked as in tests/test_estimators.py: a batch of N identical copies of the
parameters gives N independent estimates from one backward, whose mean must lie within five
standard errors of the exact gradient (a correct estimator fails with probability 5.7e-7).
"""
import copy
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import estimators
from minigrad.distributions import Normal

FIVE_SE = 5.0
MU, SIGMA, K = 0.5, 1.5, 2.0          # f(x) = (x - K)^2 under N(MU, SIGMA^2)
EXACT = np.array([2 * (MU - K), 2 * SIGMA])   # d/dmu, d/dsigma of E f = (MU - K)^2 + SIGMA^2


def f(x):
    return (x - K) ** 2


def assert_unbiased(estimates, exact, what=""):
    """The mean of i.i.d. estimates (first axis) equals ``exact`` within five standard errors."""
    estimates = np.asarray(estimates, dtype=np.float64)
    se = estimates.std(axis=0) / math.sqrt(estimates.shape[0])
    error = np.abs(estimates.mean(axis=0) - exact)
    assert np.all(error <= FIVE_SE * se), f"{what}: mean {estimates.mean(axis=0)} vs exact {exact} (se {se})"


def leaf(value, n):
    return mg.tensor(np.full(n, value), requires_grad=True, dtype=mg.float64)


def estimates_with(baseline, n_copies=40_000, draws=4, calls=3, seed=0, context=None):
    """The (N, 2) estimates of (d/dmu, d/dsigma) E f from the last of ``calls`` calls of score_function: the earlier
    calls give a learning baseline a history, so that its b is not the initial 0. Each estimate is divided by the
    scale the baseline had before the call (NVIL's normalisation, a positive step size read before the update)."""
    mg.random.seed(seed)
    for _ in range(calls):
        loc, scale = leaf(MU, n_copies), leaf(SIGMA, n_copies)
        step = getattr(baseline, "scale", 1.0)
        estimators.score_function(f, Normal(loc, scale), n=draws, baseline=baseline, context=context).backward()
    return np.stack([loc.grad.numpy(), scale.grad.numpy()], axis=1) / step


class Linear:
    """net(context) = a * context + c: a fixed input-dependent baseline network, with gradients for a and c."""

    def __init__(self, a=0.7, c=-1.0):
        self.a = mg.tensor(a, requires_grad=True, dtype=mg.float64)
        self.c = mg.tensor(c, requires_grad=True, dtype=mg.float64)

    def __call__(self, context):
        return self.a * context + self.c


def every_baseline():
    """One of each, with settings that make b far from 0 and (for NVIL) the scale below 1."""
    context = mg.tensor(np.linspace(-1.0, 1.0, 40_000), dtype=mg.float64)
    return [("moving average", estimators.MovingAverageBaseline(decay=0.5), None),
            ("moving average, one number", estimators.MovingAverageBaseline(decay=0.5, axis=None), None),
            ("leave one out", estimators.LeaveOneOutBaseline(), None),
            ("optimal constant", estimators.OptimalBaseline(), None),
            ("learned", estimators.LearnedBaseline(Linear(), context), None),
            ("NVIL", estimators.NVILBaseline(Linear(), decay=0.5), context)]


@pytest.mark.parametrize("index", range(6))
def test_score_function_is_unbiased_with_every_baseline(index):
    name, baseline, context = every_baseline()[index]
    estimates = estimates_with(baseline, context=context, seed=index)
    assert_unbiased(estimates, EXACT, name)
    if name == "NVIL":   # the normalisation was on: the signal's spread is far above 1 (f ~ 10, draws spread)
        assert baseline.scale < 0.5


def test_a_baseline_that_sees_its_own_draw_is_caught():
    """The same check fails for a moving average that folds the batch in before it is read: b_i then holds f_i/n."""

    class Peeking(estimators.MovingAverageBaseline):
        def __call__(self, w, context=None):
            self.update(w, context)                # the wrong order
            return self.read(w, context), None

    estimates = estimates_with(Peeking(decay=0.0), seed=7)
    with pytest.raises(AssertionError):
        assert_unbiased(estimates, EXACT, "peeking")
    assert_unbiased(estimates_with(estimators.MovingAverageBaseline(decay=0.0), seed=7), EXACT, "reading first")


# ---------------------------------------------------------------- read before update, exactly

def history(baseline, context=None):
    """Two calls with fixed values, so that every learning baseline has something to read."""
    for value in (3.0, -5.0):
        baseline(mg.tensor(np.full((2, 3), value) + np.arange(3.0), dtype=mg.float64), context)
    return baseline


@pytest.mark.parametrize("make", [lambda: estimators.MovingAverageBaseline(0.8),
                                  lambda: estimators.MovingAverageBaseline(0.8, axis=None),
                                  lambda: estimators.NVILBaseline(Linear(), decay=0.8),
                                  lambda: estimators.LearnedBaseline(Linear())])
def test_the_value_for_a_batch_is_read_before_its_signal_is_folded_in(make):
    """Two baselines with the same history, given different values now, return the same b for them; and that b
    is what ``read`` gave before the call. (A baseline that updated first would return different b's.)"""
    context = mg.tensor([0.5, -1.0, 2.0], dtype=mg.float64)
    first, second = history(make(), context), history(make(), context)
    before = np.asarray(mg.tensor(first.read(None, context) if not isinstance(first, estimators.NVILBaseline)
                                  else first.read(mg.tensor(np.zeros((2, 3))), context)).numpy())
    b1, _ = first(mg.tensor([[100.0, 0.0, -7.0], [1.0, 2.0, 3.0]], dtype=mg.float64), context)
    b2, _ = second(mg.tensor([[-40.0, 9.0, 0.5], [8.0, 8.0, 8.0]], dtype=mg.float64), context)
    np.testing.assert_array_equal(np.asarray(mg.tensor(b1).numpy()), np.asarray(mg.tensor(b2).numpy()))
    np.testing.assert_array_equal(np.asarray(mg.tensor(b1).numpy()), before)


@pytest.mark.parametrize("baseline", [estimators.LeaveOneOutBaseline(), estimators.OptimalBaseline()])
def test_a_leave_one_out_baseline_does_not_depend_on_its_own_draw(baseline):
    """Changing w_i (and, for the optimal constant, |s_i|^2) leaves b_i unchanged and moves the others."""
    rng = np.random.default_rng(0)
    w, s2 = rng.normal(size=(5, 3)), rng.uniform(0.5, 2.0, size=(5, 3))
    b = baseline.read(mg.tensor(w), mg.tensor(s2)).numpy()
    w2, s22 = w.copy(), s2.copy()
    w2[2], s22[2] = w[2] + 100.0, s2[2] * 3.0
    b2 = baseline.read(mg.tensor(w2), mg.tensor(s22)).numpy()
    np.testing.assert_allclose(b2[2], b[2], rtol=1e-12)
    assert np.all(np.abs(np.delete(b2, 2, axis=0) - np.delete(b, 2, axis=0)) > 1e-3)


# ---------------------------------------------------------------- NVIL's statistics, against a direct computation

def test_nvil_running_statistics_loss_and_scale_against_a_direct_computation():
    """c and v: running mean and variance (population, over the batch) of the residual l - net(x), l the signal
    averaged over the draws; the first batch sets them, later ones enter with weight 1 - decay (Mnih & Gregor 2014,
    section 3.3). The loss of a batch is mean((l - c_before - net(x))^2); the scale is 1 / max(1, sqrt(v));
    b = c + net(x)."""
    decay, rng = 0.7, np.random.default_rng(3)
    net = Linear(a=2.0, c=0.5)
    nvil = estimators.NVILBaseline(net, decay=decay)
    mean = variance = None
    for t in range(6):
        x = rng.normal(size=8)
        w = rng.normal(loc=10.0 * t, scale=1.0 + t, size=(3, 8))    # 3 draws of 8 data points
        predicted = 2.0 * x + 0.5
        b = nvil.read(mg.tensor(w), mg.tensor(x)).numpy()
        np.testing.assert_allclose(b, predicted + (0.0 if mean is None else mean), rtol=1e-12)
        assert nvil.scale == pytest.approx(1.0 if variance is None else 1.0 / max(1.0, math.sqrt(variance)), rel=1e-12)
        loss = nvil.update(mg.tensor(w), mg.tensor(x))
        residual = w.mean(0) - predicted
        np.testing.assert_allclose(loss.item(), np.mean((residual - (0.0 if mean is None else mean)) ** 2),
                                   rtol=1e-12)
        if mean is None:
            mean, variance = residual.mean(), residual.var()
        else:
            mean = decay * mean + (1 - decay) * residual.mean()
            variance = decay * variance + (1 - decay) * residual.var()
        assert nvil.mean == pytest.approx(mean, rel=1e-12) and nvil.variance == pytest.approx(variance, rel=1e-12)
    assert nvil.scale < 1.0            # the residual's spread grew past 1: the normalisation is on
    loss.backward()                    # the loss trains the network
    assert net.a.grad is not None and net.c.grad is not None


# ---------------------------------------------------------------- the optimal constant

@pytest.mark.parametrize("mu, sigma", [(0.5, 1.5), (-2.0, 0.7)])
def test_the_optimal_constant_is_its_closed_form_for_a_gaussian(mu, sigma):
    """For f(x) = x^2 under N(mu, sigma^2) and the score s = (eps / sigma, (eps^2 - 1) / sigma) in (mu, sigma):
    |s|^2 sigma^2 = eps^4 - eps^2 + 1, so E|s|^2 = 3 / sigma^2 and E[f |s|^2] = (3 mu^2 + 13 sigma^2) / sigma^2, and
    b* = E[f |s|^2] / E[|s|^2] = mu^2 + 13 sigma^2 / 3. OptimalBaseline's estimate from 200,000 draws lies within
    five standard errors of it (the ratio's error by the delta method)."""
    n = 200_000
    normal = Normal(mg.tensor([mu], requires_grad=True, dtype=mg.float64),
                    mg.tensor([sigma], requires_grad=True, dtype=mg.float64))
    mg.random.seed(11)
    x = normal.sample((n,))
    w, s2 = x * x, estimators.per_sample_score_norms(normal, x)
    b = estimators.OptimalBaseline().read(w, s2).numpy()
    exact = mu ** 2 + 13 * sigma ** 2 / 3
    a, d = (w * s2).numpy()[:, 0], s2.numpy()[:, 0]
    ratio = a.mean() / d.mean()
    se = np.std(a - ratio * d) / (math.sqrt(n) * d.mean())
    assert abs(b.mean() - exact) < FIVE_SE * se, (b.mean(), exact, se)
    assert abs(b[0, 0] - ratio) < 1e-3 * abs(ratio)     # leaving one draw out of 200,000 moves it little
    np.testing.assert_allclose(estimators.optimal_baseline(normal, x, w).numpy(), b, rtol=1e-12)


# ---------------------------------------------------------------- the protocol's errors, and bias_and_variance

def test_baselines_say_what_they_need():
    with pytest.raises(ValueError, match="at least 2 draws"):
        estimators.LeaveOneOutBaseline().read(mg.tensor([[1.0, 2.0]]))
    with pytest.raises(ValueError, match="squared score norms"):
        estimators.OptimalBaseline().read(mg.tensor([[1.0], [2.0]]))
    with pytest.raises(ValueError, match="axis must be 0"):
        estimators.MovingAverageBaseline(axis=1)
    with pytest.raises(ValueError, match="decay"):
        estimators.NVILBaseline(Linear(), decay=1.0)
    with pytest.raises(ValueError, match="n must be an int >= 2"):
        estimators.score_function(f, Normal(leaf(0.0, 2), leaf(1.0, 2)), n=1,
                                  baseline=estimators.LeaveOneOutBaseline())


def test_a_deep_copy_of_a_baseline_keeps_what_it_learned_and_learns_apart():
    """What the VAE demo does to freeze a baseline at a checkpoint."""
    baseline = history(estimators.MovingAverageBaseline(0.5))
    frozen = copy.deepcopy(baseline)
    baseline(mg.tensor(np.full((2, 3), 1000.0)))
    again = history(estimators.MovingAverageBaseline(0.5))
    np.testing.assert_array_equal(frozen.average.numpy(), again.average.numpy())


def test_bias_and_variance_of_estimates_with_a_known_offset():
    """Estimates = true + offset + noise of standard deviation 2 in each of 4 components: relative bias^2 is
    |offset|^2 / |true|^2 and relative variance 4 * 4 / |true|^2, within sampling error; the noise subtracted
    makes an unbiased estimator's bias^2 come out near 0 (not at variance / R)."""
    rng = np.random.default_rng(0)
    true, offset = np.array([3.0, -1.0, 2.0, 0.5]), np.array([0.3, 0.0, -0.2, 0.1])
    scale = float(true @ true)
    samples = true + offset + 2.0 * rng.normal(size=(100_000, 4))
    bias2, variance = estimators.bias_and_variance(samples, true)
    assert bias2 == pytest.approx(offset @ offset / scale, abs=5 * 2 * 2 * np.abs(offset).sum() / 316 / scale + 1e-3)
    assert variance == pytest.approx(16 / scale, rel=0.02)
    unbiased, _ = estimators.bias_and_variance(true + 2.0 * rng.normal(size=(400, 4)), true)
    assert abs(unbiased) < 5 * math.sqrt(2 * 4) * 4 / 400 / scale      # around 0, within a few of its own noise
    with pytest.raises(ValueError, match="at least 2 estimates"):
        estimators.bias_and_variance(samples[:1], true)
