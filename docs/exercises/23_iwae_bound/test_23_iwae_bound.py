"""Exercise 23: the IWAE bound against VAE.iwae_bound and scipy, above the ELBO, exact on a linear-Gaussian model."""
import math

import numpy as np
import scipy.special
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg


@st.composite
def log_weights(draw, low=-50.0, high=50.0):
    """Log weights of shape (k, batch): k in [1, 8] draws, batch in [1, 4]."""
    k, batch = draw(st.integers(1, 8)), draw(st.integers(1, 4))
    return draw(hnp.arrays(np.float64, (k, batch), elements=st.floats(low, high)))


def float64(*values):
    """float64 tensors (a Python float would become the default dtype, float32)."""
    return [mg.tensor(np.asarray(v, dtype=np.float64)) for v in values]


def reference(log_w):
    return scipy.special.logsumexp(log_w, axis=0) - math.log(log_w.shape[0])


@given(log_w=log_weights())
def test_matches_scipy(impl, log_w):
    bound = impl.iwae_bound(mg.tensor(log_w))
    assert bound.shape == log_w.shape[1:]
    np.testing.assert_allclose(bound.numpy(), reference(log_w), rtol=1e-12, atol=1e-12)


@given(k=st.integers(1, 6), seed=st.integers(0, 1000))
def test_matches_the_vae_on_its_own_log_weights(impl, k, seed):
    """VAE.iwae_bound(x, k) and yours on VAE.log_weights(x, k), from the same draws (the same seed)."""
    mg.manual_seed(seed)
    model = mg.models.VAE(x_dim=3, hidden=4, latent=2, likelihood="gaussian", dtype=mg.float64)
    x = mg.randn(5, 3, dtype=mg.float64)
    mg.manual_seed(seed + 1)
    expected = model.iwae_bound(x, k)
    mg.manual_seed(seed + 1)
    mine = impl.iwae_bound(model.log_weights(x, k))
    np.testing.assert_allclose(mine.numpy(), expected.numpy(), rtol=1e-10, atol=1e-10)


@given(log_w=log_weights(-1000.0, 1000.0))
def test_large_log_weights_stay_finite_and_exact(impl, log_w):
    """exp(-1000) underflows to 0 and exp(1000) overflows; the shifted form sees neither."""
    lw = mg.tensor(log_w, requires_grad=True)
    bound = impl.iwae_bound(lw)
    bound.sum().backward()
    assert np.all(np.isfinite(bound.numpy())) and np.all(np.isfinite(lw.grad.numpy()))
    np.testing.assert_allclose(bound.numpy(), reference(log_w), rtol=1e-12, atol=1e-9)


@given(log_w=log_weights())
def test_at_least_the_elbo_of_the_same_draws(impl, log_w):
    """log of a mean >= mean of the logs (Jensen), draw by draw; k = 1 gives the ELBO itself."""
    bound = impl.iwae_bound(mg.tensor(log_w)).numpy()
    elbo = log_w.mean(axis=0)
    assert np.all(bound >= elbo - 1e-9 * (1 + np.abs(elbo)))
    if log_w.shape[0] == 1:
        np.testing.assert_allclose(bound, log_w[0], rtol=1e-12, atol=1e-12)


@given(log_w=log_weights())
def test_gradient_is_the_normalized_weights(impl, log_w):
    """d L_k / d log w_i = w_i / sum_j w_j: each draw counts by its share of the weight (softmax over draws)."""
    lw = mg.tensor(log_w, requires_grad=True)
    impl.iwae_bound(lw).sum().backward()
    np.testing.assert_allclose(lw.grad.numpy(), scipy.special.softmax(log_w, axis=0), rtol=1e-10, atol=1e-12)


@given(x=st.floats(-3.0, 3.0), loc=st.floats(-2.0, 2.0), scale=st.floats(0.3, 2.0),
       z=hnp.arrays(np.float64, 4, elements=st.floats(-4.0, 4.0)))
def test_log_weights_match_the_distributions(impl, x, loc, scale, z):
    """log N(z; 0, 1) + log N(x; z, 1) - log N(z; loc, scale^2), against scipy.stats.norm."""
    expected = (scipy.stats.norm.logpdf(z) + scipy.stats.norm.logpdf(x, z, 1.0)
                - scipy.stats.norm.logpdf(z, loc, scale))
    mine = impl.linear_gaussian_log_weights(*float64(x, z, loc, scale))
    np.testing.assert_allclose(mine.numpy(), expected, rtol=1e-10, atol=1e-10)


@given(x=st.floats(-3.0, 3.0), k=st.integers(1, 50), seed=st.integers(0, 1000))
def test_the_exact_posterior_gives_log_p_x_for_every_k(impl, x, k, seed):
    """What you see when you are right: with q = p(z | x) = N(x/2, 1/2), every weight is p(x), so
    L_k = log p(x) = log N(x; 0, 2) exactly, for any k and any draws (at x = 0: -1.2655121)."""
    loc, scale = x / 2, math.sqrt(0.5)
    z = loc + scale * np.random.default_rng(seed).standard_normal((k, 1))
    log_w = impl.linear_gaussian_log_weights(*float64(x, z, loc, scale))
    bound = impl.iwae_bound(log_w).item()
    np.testing.assert_allclose(bound, scipy.stats.norm.logpdf(x, 0.0, math.sqrt(2.0)), rtol=1e-10, atol=1e-10)


def test_rises_with_k_towards_log_p_x(impl):
    """With q = the prior N(0, 1) at x = 1.5: the mean of L_k over 4,000 repeats rises from k = 1 to 5 to 50,
    each step by more than 4 standard errors, and stays below log p(x) = log N(1.5; 0, 2)."""
    x, repeats = 1.5, 4000
    log_px = scipy.stats.norm.logpdf(x, 0.0, math.sqrt(2.0))
    rng = np.random.default_rng(0)
    means = []
    for k in (1, 5, 50):
        z = rng.standard_normal((k, repeats))
        log_w = impl.linear_gaussian_log_weights(*float64(x, z, 0.0, 1.0))
        bounds = impl.iwae_bound(log_w).numpy()
        assert bounds.shape == (repeats,)
        means.append((bounds.mean(), bounds.std() / math.sqrt(repeats)))
    for (low, se_low), (high, se_high) in zip(means, means[1:]):
        assert high - low > 4 * math.hypot(se_low, se_high), means
    assert means[-1][0] < log_px, (means, log_px)
