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
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.distributions import (
    Bernoulli,
    Categorical,
    Laplace,
    Logistic,
    MultivariateNormal,
    Normal,
    RelaxedBernoulli,
    RelaxedOneHotCategorical,
    Uniform,
    kl_divergence,
)

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
    oracle = scipy.stats.norm(loc, scale)
    assert d.log_prob(t(x, device)).item() == pytest.approx(oracle.logpdf(x), rel=1e-10, abs=1e-10)
    assert d.entropy().item() == pytest.approx(oracle.entropy(), rel=1e-10)


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

@settings(max_examples=10)   # each example integrates numerically
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
    log_p = {x: p.log_prob(t(x, device)).item() for x in (0.0, 1.0)}
    log_q = {x: q.log_prob(t(x, device)).item() for x in (0.0, 1.0)}
    exact = sum(math.exp(log_p[x]) * (log_p[x] - log_q[x]) for x in (0.0, 1.0))
    assert kl_divergence(p, q).item() == pytest.approx(exact, rel=1e-6, abs=1e-9)


def test_kl_of_a_pair_without_a_closed_form_says_so(device):
    with pytest.raises(NotImplementedError, match=r"no closed form for KL\(Normal \|\| Bernoulli\)"):
        kl_divergence(Normal(t(0.0, device), 1.0), Bernoulli(probs=t(0.5, device)))


# ---------------------------------------------------------------- MultivariateNormal

def random_scale_tril(rng, d, batch=()):
    """A Cholesky factor with a diagonal in [0.5, 1.5] and moderate entries below it."""
    a = np.tril(rng.normal(size=batch + (d, d)) * 0.5, -1)
    return a + np.eye(d) * (0.5 + rng.random(batch + (d,)))[..., None]


@given(d=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_mvn_log_prob_and_entropy_equal_scipy(device, d, seed):
    rng = np.random.default_rng(seed)
    loc, L, x = rng.normal(size=d), random_scale_tril(rng, d), rng.normal(size=(5, d)) * 2
    oracle = scipy.stats.multivariate_normal(loc, L @ L.T)
    dist = MultivariateNormal(t(loc, device), t(L, device))
    np.testing.assert_allclose(dist.log_prob(t(x, device)).numpy(), oracle.logpdf(x).reshape(5), rtol=1e-10)
    assert dist.entropy().item() == pytest.approx(oracle.entropy(), rel=1e-10)


def test_mvn_shapes_broadcast_batch_axes(device):
    rng = np.random.default_rng(0)
    dist = MultivariateNormal(t(rng.normal(size=(4, 1, 3)), device), t(random_scale_tril(rng, 3, (2,)), device))
    assert dist.batch_shape == (4, 2) and dist.event_shape == (3,)
    x = dist.rsample((5,))
    assert x.shape == (5, 4, 2, 3)
    assert dist.log_prob(x).shape == (5, 4, 2) and dist.entropy().shape == (4, 2)


def test_mvn_draws_have_covariance_scale_tril_times_its_transpose(device):
    mg.random.seed(4)
    rng = np.random.default_rng(4)
    loc, L = np.array([1.0, -2.0, 0.5]), random_scale_tril(rng, 3)
    cov = L @ L.T
    n = 40000
    x = MultivariateNormal(t(loc, device), t(L, device)).sample((n,)).numpy()
    assert_mean_within(x, loc, np.sqrt(np.diag(cov)))
    # the sample covariance C_ij has standard error sqrt((C_ii C_jj + C_ij^2) / n) for a Gaussian
    se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    assert np.all(np.abs(np.cov(x.T) - cov) <= FIVE_SE * se)
    np.testing.assert_allclose(MultivariateNormal(t(loc, device), t(L, device)).covariance_matrix.numpy(), cov)


def test_mvn_log_prob_gradients_equal_finite_differences(device):
    rng = np.random.default_rng(5)
    x = t(rng.normal(size=(2, 3)), device, requires_grad=True)
    loc = t(rng.normal(size=3), device, requires_grad=True)
    L = t(random_scale_tril(rng, 3), device, requires_grad=True)
    log_prob = lambda x, m, L: MultivariateNormal(m, mg.linalg.tril(L)).log_prob(x)   # noqa: E731
    assert mg.gradcheck(log_prob, [x, loc, L])
    assert mg.gradgradcheck(log_prob, [x, loc, L])


def test_mvn_rsample_gradient_reaches_loc_and_scale_tril(device):
    # x = loc + L eps: d(sum x)/dL_ij = eps_j, the same eps that L eps = x - loc recovers
    mg.random.seed(5)
    loc = t([0.0, 1.0], device, requires_grad=True)
    L = t([[1.0, 0.0], [0.5, 2.0]], device, requires_grad=True)
    x = MultivariateNormal(loc, L).rsample()
    x.sum().backward()
    eps = np.linalg.solve(L.numpy(), x.numpy() - loc.numpy())
    np.testing.assert_allclose(loc.grad.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(L.grad.numpy(), np.ones((2, 1)) * eps[None, :], rtol=1e-10)


@pytest.mark.parametrize("L, message", [([[1.0, 0.5], [0.0, 1.0]], "lower triangular"),
                                        ([[1.0, 0.0], [0.3, 0.0]], "positive diagonal"),
                                        ([[1.0, 0.0], [0.3, float("nan")]], "positive diagonal")])
def test_mvn_rejects_a_scale_tril_that_is_not_a_cholesky_factor(device, L, message):
    with pytest.raises(ValueError, match=message):
        MultivariateNormal(t([0.0, 0.0], device), t(L, device))


def test_kl_mvn_mvn_equals_a_monte_carlo_estimate(device):
    mg.random.seed(6)
    rng = np.random.default_rng(6)
    p = MultivariateNormal(t(rng.normal(size=3), device), t(random_scale_tril(rng, 3), device))
    q = MultivariateNormal(t(rng.normal(size=3), device), t(random_scale_tril(rng, 3), device))
    x = p.sample((100000,))
    log_ratio = (p.log_prob(x) - q.log_prob(x)).numpy()
    assert_mean_within(log_ratio, kl_divergence(p, q).item(), log_ratio.std())


def test_kl_mvn_with_diagonal_factors_is_the_sum_of_normal_kls(device):
    m1, s1, m2, s2 = [0.0, 1.0], [1.0, 0.5], [1.0, -1.0], [2.0, 0.7]
    mvn = kl_divergence(MultivariateNormal(t(m1, device), t(np.diag(s1), device)),
                        MultivariateNormal(t(m2, device), t(np.diag(s2), device)))
    normal = kl_divergence(Normal(t(m1, device), t(s1, device)), Normal(t(m2, device), t(s2, device)))
    assert mvn.item() == pytest.approx(normal.sum().item(), rel=1e-12)


# ---------------------------------------------------------------- Categorical

probability_vectors = st.lists(st.floats(0.01, 1.0), min_size=2, max_size=6).map(lambda w: np.array(w) / sum(w))


@given(p=probability_vectors)
def test_categorical_log_prob_and_entropy_equal_scipy(device, p):
    d = Categorical(probs=t(p, device))
    np.testing.assert_allclose(d.log_prob(t(np.arange(len(p)), device, dtype=mg.int64)).numpy(), np.log(p), rtol=1e-10)
    assert d.entropy().item() == pytest.approx(scipy.stats.entropy(p), rel=1e-10)
    same = Categorical(logits=t(np.log(p) + 3.0, device))           # logits are defined up to a constant
    np.testing.assert_allclose(same.probs.numpy(), p, rtol=1e-10)


def test_categorical_draw_frequencies_equal_probs(device):
    mg.random.seed(7)
    p = np.array([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]])
    x = Categorical(probs=t(p, device)).sample((20000,)).numpy()
    assert x.shape == (20000, 2) and x.dtype == np.int64
    for k in range(3):
        assert_mean_within((x == k).astype(float), p[:, k], np.sqrt(p[:, k] * (1 - p[:, k])) + 1e-12)
    assert not np.any(x[:, 1] == 1)                      # a class of probability 0 is never drawn


def test_categorical_normalizes_probs_and_handles_zeros(device):
    d = Categorical(probs=t([2.0, 0.0, 2.0], device))
    np.testing.assert_allclose(d.probs.numpy(), [0.5, 0.0, 0.5], atol=1e-300)
    assert np.isfinite(d.entropy().item()) and d.entropy().item() == pytest.approx(math.log(2))


@given(p=probability_vectors, q=probability_vectors)
def test_kl_categorical_equals_scipy(device, p, q):
    k = min(len(p), len(q))
    p, q = p[:k] / p[:k].sum(), q[:k] / q[:k].sum()
    kl = kl_divergence(Categorical(probs=t(p, device)), Categorical(probs=t(q, device)))
    assert kl.item() == pytest.approx(scipy.stats.entropy(p, q), rel=1e-9, abs=1e-12)


def test_categorical_rejects_negative_probs(device):
    with pytest.raises(ValueError, match="non-negative"):
        Categorical(probs=t([0.5, -0.1, 0.6], device))


@pytest.mark.parametrize("bad, shown", [(3, "3"), (-1, "-1"), (2.5, "2.5"), (float("nan"), "nan")])
def test_categorical_log_prob_refuses_a_value_outside_its_classes(device, bad, shown):
    # without the check a class index outside 0..K-1 matches no class and scores log 1 = 0
    d = Categorical(probs=t([0.2, 0.3, 0.5], device))
    dtype = mg.int64 if isinstance(bad, int) else mg.float64
    with pytest.raises(ValueError, match=rf"Categorical.log_prob: .*\{{0, \.\.\., 2\}} \(3 classes\).*: {shown}\b"):
        d.log_prob(t([0, bad], device, dtype=dtype))
    np.testing.assert_allclose(d.log_prob(t([2.0, 0.0], device)).numpy(), np.log([0.5, 0.2]))   # 2.0 is a class
    unchecked = Categorical(probs=t([0.2, 0.3, 0.5], device), validate_args=False)
    np.testing.assert_allclose(unchecked.log_prob(t([1, bad], device, dtype=dtype)).numpy(), [np.log(0.3), 0.0])


def test_categorical_log_prob_of_a_class_of_probability_zero_is_minus_infinity(device):
    # from probs: -inf, not log(tiny) ~ -708; from logits with a -inf: the other classes are not NaN
    for d in (Categorical(probs=t([0.5, 0.0, 0.5], device)), Categorical(logits=t([0.0, -np.inf, 0.0], device))):
        np.testing.assert_allclose(d.log_prob(t([0, 1, 2], device, dtype=mg.int64)).numpy(),
                                   [math.log(0.5), -np.inf, math.log(0.5)])
        assert d.entropy().item() == pytest.approx(math.log(2))


def test_gumbel_softmax_with_a_class_of_probability_zero_has_finite_gradients(device):
    # Categorical's logit of a zero probability is -inf; the relaxation keeps it finite (log tiny),
    # else d/dtau of (-inf + g) / tau would be 0 * inf = NaN
    tau, probs = t(0.5, device, requires_grad=True), t([0.5, 0.5, 0.0], device, requires_grad=True)
    mg.random.seed(0)
    y = RelaxedOneHotCategorical(tau, probs=probs).rsample((4,))
    (y * t([1.0, 2.0, 3.0], device)).sum().backward()
    assert np.isfinite(tau.grad.numpy()) and np.isfinite(probs.grad.numpy()).all()
    np.testing.assert_array_equal(y.numpy()[:, 2], 0.0)


@pytest.mark.parametrize("bad", [2.0, -0.5, float("nan")])
def test_bernoulli_log_prob_refuses_a_value_outside_the_unit_interval(device, bad):
    d = Bernoulli(probs=t(0.3, device))
    with pytest.raises(ValueError, match=r"Bernoulli.log_prob: value must be in \[0, 1\].*: " + str(bad)):
        d.log_prob(t([1.0, bad], device))
    soft = d.log_prob(t([0.0, 0.25, 1.0], device)).numpy()          # soft targets stay allowed
    np.testing.assert_allclose(soft, [math.log(0.7), 0.25 * math.log(0.3) + 0.75 * math.log(0.7), math.log(0.3)])
    assert Bernoulli(probs=t(0.3, device), validate_args=False).log_prob(t(bad, device)).shape == ()


# ---------------------------------------------------------------- KL divergences at the edges of the support

def with_zeros(k):
    """Probability vectors of length k whose entries are often exactly 0 (never all of them)."""
    weights = st.lists(st.sampled_from([0.0]) | st.floats(0.01, 1.0), min_size=k, max_size=k)
    return weights.filter(lambda w: sum(w) > 0).map(lambda w: np.array(w) / sum(w))


@given(pq=st.integers(2, 5).flatmap(lambda k: st.tuples(with_zeros(k), with_zeros(k))))
def test_kl_categorical_is_exact_where_probabilities_are_zero(device, pq):
    # scipy.special.rel_entr: p log(p/q), 0 where p = 0 (whatever q), +inf where p > 0 = q
    p, q = pq
    exact = scipy.special.rel_entr(p, q).sum()
    for make in (lambda v: Categorical(probs=t(v, device)), lambda v: Categorical(logits=t(np.log(v), device))):
        with np.errstate(divide="ignore"):
            kl = kl_divergence(make(p), make(q)).item()
        assert kl == pytest.approx(exact, rel=1e-9, abs=1e-12)     # inf == approx(inf) too


def test_kl_categorical_is_infinite_where_q_has_no_mass_and_p_has(device):
    half, point = Categorical(probs=t([0.5, 0.5, 0.0], device)), Categorical(probs=t([1.0, 0.0, 0.0], device))
    assert kl_divergence(half, point).item() == math.inf    # not log(0.5 / tiny) / 2 = 353.5, as clamping q gives
    assert kl_divergence(point, half).item() == pytest.approx(math.log(2))


@given(pq=st.integers(2, 5).flatmap(lambda k: st.tuples(with_zeros(k), with_zeros(k))))
def test_kl_categorical_gradient_where_finite_equals_finite_differences(device, pq):
    # logits -inf where the probability is 0: their gradient is 0, and no NaN reaches the others
    p, q = pq
    assume(np.all(q[p > 0] > 0))                                     # KL finite
    with np.errstate(divide="ignore"):
        logits = [t(np.log(v), device, requires_grad=True) for v in (p, q)]
    kl = lambda a, b: kl_divergence(Categorical(logits=a), Categorical(logits=b))   # noqa: E731
    assert mg.gradcheck(kl, logits)
    probs = [t(v, device, requires_grad=True) for v in (p, q)]
    kl_divergence(Categorical(probs=probs[0]), Categorical(probs=probs[1])).backward()
    assert all(np.isfinite(x.grad.numpy()).all() for x in probs)


bernoulli_probs = st.sampled_from([0.0, 1.0]) | st.floats(0.01, 0.99)


@given(p=bernoulli_probs, q=bernoulli_probs)
def test_kl_bernoulli_is_exact_at_probabilities_zero_and_one(device, p, q):
    exact = scipy.special.rel_entr(p, q) + scipy.special.rel_entr(1 - p, 1 - q)
    kl = kl_divergence(Bernoulli(probs=t(p, device)), Bernoulli(probs=t(q, device))).item()
    assert kl == pytest.approx(exact, rel=1e-9, abs=1e-12)
    with np.errstate(divide="ignore"):
        logit = lambda v: t(np.log(v) - np.log1p(-v), device)    # noqa: E731   (+-inf at 1 and 0)
        kl = kl_divergence(Bernoulli(logits=logit(p)), Bernoulli(logits=logit(q))).item()
    assert kl == pytest.approx(exact, rel=1e-9, abs=1e-12)


def test_kl_bernoulli_is_infinite_where_q_has_no_mass_and_finite_at_a_large_logit(device):
    assert kl_divergence(Bernoulli(probs=t(0.5, device)), Bernoulli(probs=t(0.0, device))).item() == math.inf
    assert kl_divergence(Bernoulli(probs=t(0.0, device)), Bernoulli(probs=t(0.5, device))).item() == pytest.approx(
        math.log(2))
    # a large but finite logit is a small probability, not a zero one: sigmoid(40) rounds to 1.0,
    # yet KL(1/2 || sigmoid(40)) is finite, about 40 / 2
    kl = kl_divergence(Bernoulli(probs=t(0.5, device)), Bernoulli(logits=t(40.0, device))).item()
    log_q1, log_q0 = -math.log1p(math.exp(-40)), -40 - math.log1p(math.exp(-40))   # -softplus(-l), -softplus(l)
    assert kl == pytest.approx(0.5 * (math.log(0.5) - log_q1) + 0.5 * (math.log(0.5) - log_q0), rel=1e-12)


def test_kl_bernoulli_gradient_where_finite_equals_finite_differences(device):
    # p's logits are +-inf or finite, q's finite: every KL is finite, and so is every gradient
    lp = t([np.inf, -np.inf, 0.3, 2.0], device, requires_grad=True)
    lq = t([0.5, -1.0, -0.7, 2.0], device, requires_grad=True)
    kl = lambda a, b: kl_divergence(Bernoulli(logits=a), Bernoulli(logits=b))   # noqa: E731
    assert np.isfinite(kl(lp, lq).numpy()).all()
    assert mg.gradcheck(kl, [lp, lq])
    kl(lp, lq).sum().backward()
    assert np.isfinite(lp.grad.numpy()).all() and np.isfinite(lq.grad.numpy()).all()
    np.testing.assert_allclose(lp.grad.numpy()[:2], [0.0, 0.0], atol=1e-300)   # sigmoid(-inf) is ~1e-304


# ---------------------------------------------------------------- Gumbel-softmax and straight-through

def test_gumbel_softmax_draws_approach_one_hot_as_temperature_falls(device):
    logits = t([0.5, 0.0, -1.0, 1.0], device)
    largest = []
    for temperature in (10.0, 1.0, 0.1, 0.01):
        mg.random.seed(8)
        y = RelaxedOneHotCategorical(temperature, logits=logits).sample((2000,)).numpy()
        np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-12)     # always on the simplex
        largest.append(y.max(-1).mean())
    assert np.all(np.diff(largest) > 0)                            # closer to a vertex as tau falls
    assert largest[-1] > 0.99


def test_gumbel_softmax_argmax_is_a_categorical_draw(device):
    # the argmax of (logits + Gumbel) / tau does not depend on tau: Gumbel-max gives Categorical(softmax(logits))
    mg.random.seed(9)
    p = np.array([0.2, 0.3, 0.5])
    y = RelaxedOneHotCategorical(0.7, probs=t(p, device)).sample((20000,)).numpy()
    assert_mean_within(np.eye(3)[y.argmax(-1)], p, np.sqrt(p * (1 - p)))


def test_straight_through_is_exactly_one_hot_forward_with_the_relaxed_gradient(device):
    logits = t([0.3, -0.2, 1.1], device, requires_grad=True)
    weights = t([1.0, -2.0, 3.0], device)
    mg.random.seed(10)
    hard = RelaxedOneHotCategorical(0.5, logits=logits, hard=True).rsample((50,))
    (hard * weights).sum().backward()
    hard_grad, logits.grad = logits.grad.numpy(), None
    mg.random.seed(10)                                              # the same noise, soft this time
    soft = RelaxedOneHotCategorical(0.5, logits=logits).rsample((50,))
    (soft * weights).sum().backward()
    assert set(np.unique(hard.numpy())) == {0.0, 1.0}
    assert np.all(hard.numpy().sum(-1) == 1.0)                      # exact one-hot rows, no rounding
    np.testing.assert_array_equal(hard.numpy().argmax(-1), soft.numpy().argmax(-1))
    np.testing.assert_allclose(hard_grad, logits.grad.numpy(), rtol=1e-12)


def test_relaxed_bernoulli_hard_draws_are_binary_with_the_relaxed_gradient(device):
    logits = t([-1.0, 0.0, 2.0], device, requires_grad=True)
    mg.random.seed(11)
    hard = RelaxedBernoulli(0.3, logits=logits, hard=True).rsample((100,))
    hard.sum().backward()
    hard_grad, logits.grad = logits.grad.numpy(), None
    mg.random.seed(11)
    soft = RelaxedBernoulli(0.3, logits=logits).rsample((100,))
    soft.sum().backward()
    np.testing.assert_array_equal(hard.numpy(), (soft.numpy() > 0.5).astype(float))
    np.testing.assert_allclose(hard_grad, logits.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("temperature, logit", [(0.5, 0.7), (1.0, -1.0), (2.0, 0.0)])
def test_relaxed_bernoulli_density_integrates_to_one_and_gives_p_above_one_half(device, temperature, logit):
    d = RelaxedBernoulli(t(temperature, device), logits=t(logit, device))
    density = lambda y: math.exp(d.log_prob(t(y, device)).item())   # noqa: E731
    assert scipy.integrate.quad(density, 0, 1, limit=200)[0] == pytest.approx(1.0, abs=1e-6)
    # y > 1/2 exactly when logit + L > 0, which has probability sigmoid(logit)
    assert scipy.integrate.quad(density, 0.5, 1, limit=200)[0] == pytest.approx(1 / (1 + math.exp(-logit)), abs=1e-6)


def test_concrete_density_with_two_classes_is_the_binary_concrete_density(device):
    # y = softmax((l + g1, g2) / tau)[0] = sigmoid((l + g1 - g2) / tau), and g1 - g2 ~ Logistic(0, 1)
    y = np.array([0.1, 0.4, 0.75, 0.99])
    two = RelaxedOneHotCategorical(t(0.6, device), logits=t([0.8, 0.0], device))
    binary = RelaxedBernoulli(t(0.6, device), logits=t(0.8, device))
    np.testing.assert_allclose(two.log_prob(t(np.stack([y, 1 - y], -1), device)).numpy(),
                               binary.log_prob(t(y, device)).numpy(), rtol=1e-10)


# ---------------------------------------------------------------- Laplace, Logistic, Uniform

@given(loc=locs, scale=scales, x=st.floats(-10.0, 10.0))
def test_laplace_and_logistic_log_prob_and_entropy_equal_scipy(device, loc, scale, x):
    for family, oracle in ((Laplace, scipy.stats.laplace(loc, scale)), (Logistic, scipy.stats.logistic(loc, scale))):
        d = family(t(loc, device), t(scale, device))
        assert d.log_prob(t(x, device)).item() == pytest.approx(oracle.logpdf(x), rel=1e-10, abs=1e-10)
        assert d.entropy().item() == pytest.approx(oracle.entropy(), rel=1e-10)
        assert d.variance.item() == pytest.approx(oracle.var(), rel=1e-10)


@given(low=st.floats(-5.0, 5.0), width=st.floats(0.1, 5.0), x=st.floats(-11.0, 11.0))
def test_uniform_log_prob_and_entropy_equal_scipy(device, low, width, x):
    # [low, high) as in PyTorch, where SciPy includes high; and SciPy rounds (x - low) / width, so an x just
    # outside either end can come out inside (low = -1, width = 1: x = 7e-261 > high = 0 gives (x + 1) / 1 = 1)
    assume(abs(x - low) > 1e-9 * max(1.0, abs(low)))
    assume(abs(x - (low + width)) > 1e-9 * max(1.0, abs(low + width)))
    d, oracle = Uniform(t(low, device), t(low + width, device)), scipy.stats.uniform(low, width)
    assert d.log_prob(t(x, device)).item() == pytest.approx(oracle.logpdf(x), rel=1e-10)
    assert d.entropy().item() == pytest.approx(oracle.entropy(), rel=1e-10)


@pytest.mark.parametrize("family", [Laplace, Logistic, Uniform])
def test_reparameterized_draws_have_the_right_moments_and_gradients(device, family):
    mg.random.seed(12)
    a, b = t([0.0, 2.0], device, requires_grad=True), t([1.0, 3.0], device, requires_grad=True)
    d = family(a, b)
    x = d.rsample((40000,))
    mean, sd = d.mean.numpy(), d.stddev.numpy()
    assert_mean_within(x.numpy(), mean, sd)
    x.sum().backward()
    u = (x.numpy() - a.numpy()) / (b.numpy() - (a.numpy() if family is Uniform else 0.0))
    # location-scale families: x = loc + scale u, so dx/dloc = 1 and dx/dscale = u;
    # Uniform: x = low + (high - low) u, so dx/dlow = 1 - u and dx/dhigh = u
    np.testing.assert_allclose(b.grad.numpy(), u.sum(0), rtol=1e-8)
    np.testing.assert_allclose(a.grad.numpy(), (1 - u).sum(0) if family is Uniform else [40000.0, 40000.0], rtol=1e-8)


# ---------------------------------------------------------------- validation

@pytest.mark.parametrize("make, message", [
    (lambda dev: Laplace(t(0.0, dev), t(-1.0, dev)), "scale must be positive"),
    (lambda dev: Logistic(t(0.0, dev), t(0.0, dev)), "scale must be positive"),
    (lambda dev: Uniform(t(1.0, dev), t(1.0, dev)), "low must be less than high"),
    (lambda dev: Uniform(t(float("nan"), dev), t(1.0, dev)), "low must be less than high"),
    (lambda dev: RelaxedBernoulli(t(0.0, dev), logits=t(0.0, dev)), "temperature must be positive"),
    (lambda dev: RelaxedOneHotCategorical(t(-1.0, dev), logits=t([0.0, 1.0], dev)), "temperature must be positive"),
    (lambda dev: Categorical(logits=t([0.0, float("nan")], dev)), "must not be NaN"),
    (lambda dev: Bernoulli(logits=t(float("nan"), dev)), "must not be NaN"),
])
def test_invalid_parameters_raise_a_clear_value_error(device, make, message):
    with pytest.raises(ValueError, match=message):
        make(device)


def test_bernoulli_gradients_survive_a_sample(device):
    # probs is derived from the logits on demand; a sample() under no_grad must not freeze it
    logits = mg.tensor([0.3, -1.2], requires_grad=True, device=device)
    d = mg.distributions.Bernoulli(logits=logits)
    d.sample((3,))
    (g_after,) = mg.autograd.grad(d.entropy().sum(), logits)
    (g_fresh,) = mg.autograd.grad(mg.distributions.Bernoulli(logits=logits).entropy().sum(), logits)
    np.testing.assert_allclose(g_after.numpy(), g_fresh.numpy())
    assert np.abs(g_after.numpy()).min() > 0.01


def test_multivariate_normal_accepts_numpy_parameters():
    d = mg.distributions.MultivariateNormal(np.zeros(2), np.eye(2))
    assert d.sample((4,)).shape == (4, 2)
