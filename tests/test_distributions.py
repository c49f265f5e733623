"""Distributions: log-densities and entropies against SciPy, shapes, draws against their moments,
gradients of rsample, validation errors, and KL divergences against Monte Carlo.

Statistical checks use fixed seeds, so they are deterministic; each bound is stated with
the probability that a correct implementation fails it over a fresh seed. "Five standard
errors" fails with probability 5.7e-7 (two-sided normal tail), by the central limit theorem.
"""
import math

import numpy as np
import pytest
import scipy.integrate
import scipy.special
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.distributions import Bernoulli, Normal, kl_divergence

FIVE_SE = 5.0   # P(|N(0,1)| > 5) = 5.7e-7

locs = st.floats(-5.0, 5.0)
scales = st.floats(0.1, 5.0)
logit_values = st.floats(-30.0, 30.0)


def t(values, device, requires_grad=False, dtype=mg.float64):
    return mg.tensor(values, requires_grad=requires_grad, dtype=dtype, device=device)


def assert_mean_within(samples, mean, sd, n_se=FIVE_SE):
    """|sample mean - mean| <= n_se standard errors, elementwise over the trailing axes."""
    samples = np.asarray(samples, dtype=np.float64)
    error = np.abs(samples.mean(axis=0) - mean)
    bound = n_se * np.asarray(sd) / math.sqrt(samples.shape[0])
    assert np.all(error <= bound), f"sample mean off by {error} > bound {bound}"


# ---------------------------------------------------------------- Normal

@given(loc=locs, scale=scales, x=st.floats(-10.0, 10.0))
def test_normal_log_prob_and_entropy_equal_scipy(device, loc, scale, x):
    d = Normal(t(loc, device), t(scale, device))
    assert d.log_prob(t(x, device)).item() == pytest.approx(scipy.stats.norm(loc, scale).logpdf(x), rel=1e-10, abs=1e-10)
    assert d.entropy().item() == pytest.approx(scipy.stats.norm(loc, scale).entropy(), rel=1e-10)


def test_normal_shapes_are_sample_plus_batch(device):
    d = Normal(t([0.0, 1.0, 2.0], device), t(1.0, device))      # scale broadcasts to the batch
    assert d.batch_shape == (3,) and d.event_shape == ()
    assert d.rsample().shape == (3,)
    assert d.rsample((5, 2)).shape == (5, 2, 3)
    assert d.sample(4).shape == (4, 3)
    assert d.log_prob(d.sample((7,))).shape == (7, 3)
    assert d.entropy().shape == (3,)
    assert d.rsample().device == device and d.rsample().dtype == mg.float64


def test_normal_rsample_is_loc_plus_scale_times_noise(device):
    # x = loc + scale * eps, so dx/dloc = 1 and dx/dscale = eps = (x - loc) / scale
    loc, scale = t([0.5, -1.0], device, requires_grad=True), t([2.0, 0.5], device, requires_grad=True)
    mg.random.seed(0)
    x = Normal(loc, scale).rsample((1000,))
    x.sum().backward()
    eps = (x.numpy() - loc.numpy()) / scale.numpy()
    np.testing.assert_allclose(loc.grad.numpy(), [1000.0, 1000.0])
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(axis=0), rtol=1e-10)


def test_normal_sample_has_no_graph_and_rsample_has_one(device):
    loc = t([0.0], device, requires_grad=True)
    d = Normal(loc, 1.0)
    assert not d.sample().requires_grad
    assert d.rsample().requires_grad
    assert d.has_rsample and not Bernoulli(probs=0.5).has_rsample


def test_normal_draws_have_the_right_mean_and_spread(device):
    mg.random.seed(1)
    loc, scale = np.array([-2.0, 0.0, 3.0]), np.array([0.5, 1.0, 4.0])
    x = Normal(t(loc, device), t(scale, device)).sample((20000,)).numpy()
    assert_mean_within(x, loc, scale)
    # the sample variance has standard error ~ scale^2 sqrt(2 / n) for a Gaussian
    assert np.all(np.abs(x.var(axis=0) - scale**2) <= FIVE_SE * scale**2 * math.sqrt(2 / 20000))


def test_normal_float32_draws_stay_float32(device):
    d = Normal(t([0.0, 1.0], device, dtype=mg.float32), 2.0)
    assert d.scale.dtype == mg.float32
    assert d.rsample((3,)).dtype == mg.float32


def test_normal_mean_stddev_variance(device):
    d = Normal(t([1.0, 2.0], device), t([3.0, 0.5], device))
    np.testing.assert_allclose(d.mean.numpy(), [1.0, 2.0])
    np.testing.assert_allclose(d.stddev.numpy(), [3.0, 0.5])
    np.testing.assert_allclose(d.variance.numpy(), [9.0, 0.25])


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan")])
def test_normal_rejects_a_scale_that_is_not_positive(device, scale):
    with pytest.raises(ValueError, match="scale must be positive"):
        Normal(t([0.0, 1.0], device), t([1.0, scale], device))


def test_normal_rejects_nan_loc_unless_validation_is_off(device):
    with pytest.raises(ValueError, match="loc must be finite"):
        Normal(t(float("nan"), device), 1.0)
    Normal(t(float("nan"), device), 1.0, validate_args=False)   # no check, no error


def test_normal_log_prob_gradients_equal_finite_differences(device):
    x = t([0.3, -1.2, 2.0], device, requires_grad=True)
    loc = t([0.0, 0.5, -1.0], device, requires_grad=True)
    scale = t([1.0, 0.7, 2.5], device, requires_grad=True)
    assert mg.gradcheck(lambda x, m, s: Normal(m, s).log_prob(x), [x, loc, scale])
    assert mg.gradgradcheck(lambda x, m, s: Normal(m, s).log_prob(x), [x, loc, scale])


# ---------------------------------------------------------------- Bernoulli

@given(logit=logit_values)
def test_bernoulli_log_prob_and_entropy_equal_scipy(device, logit):
    # the oracle is log_expit (log sigmoid), accurate to the last bit: scipy.stats.bernoulli works
    # from p = sigmoid(l) and loses log(1 - p) to rounding once |l| > 15 or so. x l - softplus(l)
    # is never inf or NaN, and its error is absolute (a few ulps of |l|), hence abs=1e-13
    log_p, log_not_p = scipy.special.log_expit(logit), scipy.special.log_expit(-logit)
    d = Bernoulli(logits=t(logit, device))
    assert d.log_prob(t(1.0, device)).item() == pytest.approx(log_p, rel=1e-12, abs=1e-13)
    assert d.log_prob(t(0.0, device)).item() == pytest.approx(log_not_p, rel=1e-12, abs=1e-13)
    entropy = -math.exp(log_p) * log_p - math.exp(log_not_p) * log_not_p
    assert d.entropy().item() == pytest.approx(entropy, rel=1e-9, abs=1e-12)
    if abs(logit) < 10:
        assert d.entropy().item() == pytest.approx(scipy.stats.bernoulli(math.exp(log_p)).entropy(), rel=1e-9)


def test_bernoulli_log_prob_is_finite_for_huge_logits(device):
    # x l - softplus(l): no log(0) even where sigmoid(l) rounds to exactly 0 or 1
    logits = t([-1000.0, -100.0, 100.0, 1000.0], device, requires_grad=True)
    x = t([1.0, 1.0, 0.0, 0.0], device)
    log_p = Bernoulli(logits=logits).log_prob(x)
    np.testing.assert_allclose(log_p.numpy(), [-1000.0, -100.0, -100.0, -1000.0])
    log_p.sum().backward()                   # d/dl = x - sigmoid(l)
    np.testing.assert_allclose(logits.grad.numpy(), [1.0, 1.0, -1.0, -1.0])


@given(p=st.floats(0.01, 0.99))
def test_bernoulli_from_probs_equals_from_logits(device, p):
    a, b = Bernoulli(probs=t(p, device)), Bernoulli(logits=t(math.log(p / (1 - p)), device))
    assert a.logits.item() == pytest.approx(b.logits.item(), rel=1e-9, abs=1e-12)
    assert a.log_prob(t(1.0, device)).item() == pytest.approx(math.log(p), rel=1e-9)
    assert a.mean.item() == pytest.approx(p) and a.variance.item() == pytest.approx(p * (1 - p))


def test_bernoulli_draws_are_zeros_and_ones_with_frequency_p(device):
    mg.random.seed(2)
    probs = np.array([0.05, 0.5, 0.9])
    x = Bernoulli(probs=t(probs, device)).sample((20000,)).numpy()
    assert set(np.unique(x)) <= {0.0, 1.0} and x.shape == (20000, 3)
    assert_mean_within(x, probs, np.sqrt(probs * (1 - probs)))


def test_bernoulli_has_no_rsample(device):
    with pytest.raises(NotImplementedError, match="score-function"):
        Bernoulli(logits=t([0.0], device)).rsample()


@pytest.mark.parametrize("probs", [-0.1, 1.5, float("nan")])
def test_bernoulli_rejects_probs_outside_the_unit_interval(device, probs):
    with pytest.raises(ValueError, match=r"probs must lie in \[0, 1\]"):
        Bernoulli(probs=t([0.5, probs], device))


def test_bernoulli_needs_exactly_one_parameterization():
    with pytest.raises(ValueError, match="exactly one"):
        Bernoulli()
    with pytest.raises(ValueError, match="exactly one"):
        Bernoulli(probs=0.5, logits=0.0)


# ---------------------------------------------------------------- KL divergences

@given(m1=locs, s1=scales, m2=locs, s2=scales)
def test_kl_normal_normal_equals_the_integral(device, m1, s1, m2, s2):
    # KL = E_p[log p - log q], here by numerical integration (scipy.integrate.quad)
    p, q = scipy.stats.norm(m1, s1), scipy.stats.norm(m2, s2)
    exact = scipy.integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), m1 - 12 * s1, m1 + 12 * s1)[0]
    kl = kl_divergence(Normal(t(m1, device), t(s1, device)), Normal(t(m2, device), t(s2, device)))
    assert kl.item() == pytest.approx(exact, rel=1e-6, abs=1e-8)


def test_kl_to_the_standard_normal_is_the_vae_term(device):
    # Kingma & Welling (2014), appendix B: -KL(N(m, s^2) || N(0, 1)) = 1/2 (1 + log s^2 - m^2 - s^2)
    m, s = np.array([0.0, 1.5, -2.0]), np.array([1.0, 0.3, 2.0])
    kl = kl_divergence(Normal(t(m, device), t(s, device)), Normal(t(0.0, device), t(1.0, device)))
    np.testing.assert_allclose(kl.numpy(), -0.5 * (1 + np.log(s**2) - m**2 - s**2), rtol=1e-12)


def test_kl_normal_normal_equals_a_monte_carlo_estimate(device):
    mg.random.seed(3)
    p, q = Normal(t([0.0, 1.0], device), t([1.0, 0.5], device)), Normal(t([1.0, 0.0], device), t([2.0, 1.0], device))
    x = p.sample((200000,))
    log_ratio = (p.log_prob(x) - q.log_prob(x)).numpy()
    assert_mean_within(log_ratio, kl_divergence(p, q).numpy(), log_ratio.std(axis=0))


def test_kl_normal_normal_is_differentiable_twice(device):
    params = [t(v, device, requires_grad=True) for v in ([0.3, -1.0], [0.8, 1.5], [1.0, 0.0], [2.0, 0.6])]
    kl = lambda m1, s1, m2, s2: kl_divergence(Normal(m1, s1), Normal(m2, s2))   # noqa: E731
    assert mg.gradcheck(kl, params)
    assert mg.gradgradcheck(kl, params)


@given(l1=logit_values, l2=logit_values)
def test_kl_bernoulli_bernoulli_equals_the_sum_over_outcomes(device, l1, l2):
    p, q = Bernoulli(logits=t(l1, device)), Bernoulli(logits=t(l2, device))
    exact = sum(math.exp(p.log_prob(t(x, device)).item()) * (p.log_prob(t(x, device)).item() - q.log_prob(t(x, device)).item())
                for x in (0.0, 1.0))
    assert kl_divergence(p, q).item() == pytest.approx(exact, rel=1e-6, abs=1e-9)


def test_kl_of_a_pair_without_a_closed_form_says_so(device):
    with pytest.raises(NotImplementedError, match=r"no closed form for KL\(Normal \|\| Bernoulli\)"):
        kl_divergence(Normal(t(0.0, device), 1.0), Bernoulli(probs=t(0.5, device)))
