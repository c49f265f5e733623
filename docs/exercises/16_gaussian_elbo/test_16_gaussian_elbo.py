"""Exercise 16: the ELBO estimate against its formula in NumPy, gradcheck, and its mean against the exact ELBO."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

values = st.floats(-1.5, 1.5)


@st.composite
def problems(draw, draws=None):
    """(x (n, d), y (n,), loc (d,), L (d, d) lower triangular with diagonal in [0.2, 1.5], eps (S, d), prior_scale)."""
    n, d = draw(st.integers(1, 6)), draw(st.integers(1, 3))
    s = draw(st.integers(1, 4)) if draws is None else draws
    x = draw(hnp.arrays(np.float64, (n, d), elements=values))
    y = draw(hnp.arrays(np.float64, (n,), elements=st.sampled_from([0.0, 1.0])))
    loc = draw(hnp.arrays(np.float64, (d,), elements=values))
    tril = np.tril(draw(hnp.arrays(np.float64, (d, d), elements=values)), -1)
    tril += np.diag(draw(hnp.arrays(np.float64, (d,), elements=st.floats(0.2, 1.5))))
    eps = draw(hnp.arrays(np.float64, (s, d), elements=st.floats(-3.0, 3.0)))
    return x, y, loc, tril, eps, draw(st.floats(0.5, 3.0))


def numpy_elbo(x, y, loc, tril, eps, prior_scale):
    d = loc.size
    w = loc + eps @ tril.T
    a = w @ x.T
    log_likelihood = (y * a - np.logaddexp(0.0, a)).sum(axis=1)
    log_prior = -0.5 * d * np.log(2 * np.pi * prior_scale**2) - (w**2).sum(axis=1) / (2 * prior_scale**2)
    entropy = 0.5 * d * np.log(2 * np.pi * np.e) + np.log(np.abs(np.diag(tril))).sum()
    return (log_likelihood + log_prior).mean() + entropy


@given(problem=problems())
def test_matches_the_formula(impl, problem):
    x, y, loc, tril, eps, prior_scale = problem
    value = impl.elbo_estimate(mg.tensor(x), mg.tensor(y), mg.tensor(loc), mg.tensor(tril), mg.tensor(eps), prior_scale)
    assert value.shape == ()
    np.testing.assert_allclose(value.item(), numpy_elbo(*problem), rtol=1e-10, atol=1e-10)


@given(problem=problems(draws=1))
def test_entropy_term_matches_scipy(impl, problem):
    """With x and y empty of information (no data) and eps = 0: the estimate is log p(mu) + H[q]; H from scipy."""
    stats = pytest.importorskip("scipy.stats")
    _, _, loc, tril, eps, prior_scale = problem
    d = loc.size
    value = impl.elbo_estimate(mg.tensor(np.zeros((0, d))), mg.tensor(np.zeros(0)), mg.tensor(loc), mg.tensor(tril),
                               mg.tensor(np.zeros((1, d))), prior_scale).item()
    log_prior = stats.multivariate_normal(np.zeros(d), prior_scale**2 * np.eye(d)).logpdf(loc)
    entropy = stats.multivariate_normal(loc, tril @ tril.T).entropy()
    np.testing.assert_allclose(value, log_prior + entropy, rtol=1e-9, atol=1e-9)


@given(problem=problems())
def test_gradients_match_finite_differences(impl, problem):
    x, y, loc, tril, eps, prior_scale = problem
    mg.gradcheck(lambda m, t: impl.elbo_estimate(mg.tensor(x), mg.tensor(y), m, t, mg.tensor(eps), prior_scale),
                 [mg.tensor(loc, requires_grad=True), mg.tensor(tril, requires_grad=True)])


def exact_elbo(x, y, loc, tril, prior_scale, nodes=80):
    """The ELBO with no sampling: each logit a_i ~ N(x_i mu, x_i C x_i^T), E softplus(a_i) by Gauss-Hermite."""
    d = loc.size
    cov = tril @ tril.T
    mean, sd = x @ loc, np.sqrt(np.einsum("ij,jk,ik->i", x, cov, x))
    t, weights = np.polynomial.hermite_e.hermegauss(nodes)                        # for the weight exp(-t^2 / 2)
    softplus_at_nodes = np.logaddexp(0.0, mean[:, None] + sd[:, None] * t)
    expected_softplus = (softplus_at_nodes * weights).sum(axis=1) / math.sqrt(2 * math.pi)
    log_likelihood = (y * mean - expected_softplus).sum()
    log_prior = -0.5 * d * np.log(2 * np.pi * prior_scale**2) - (loc @ loc + np.trace(cov)) / (2 * prior_scale**2)
    return log_likelihood + log_prior + 0.5 * d * np.log(2 * np.pi * np.e) + np.log(np.abs(np.diag(tril))).sum()


def test_unbiased_for_the_exact_elbo(impl):
    """The number to see: on 20 points in 2-d, the mean of 4,000 one-draw estimates is the exact ELBO, about -14.78,
    within 4 standard errors (the exact value by Gauss-Hermite quadrature, as the chapter's exact_elbo)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 2))
    y = (x @ np.array([1.5, -1.0]) + rng.standard_normal(20) > 0).astype(np.float64)
    loc, tril = np.array([0.8, -0.5]), np.array([[0.5, 0.0], [0.2, 0.4]])
    estimates = np.array([impl.elbo_estimate(mg.tensor(x), mg.tensor(y), mg.tensor(loc), mg.tensor(tril),
                                             mg.tensor(e[None]), 2.0).item() for e in rng.standard_normal((4000, 2))])
    exact = exact_elbo(x, y, loc, tril, 2.0)
    standard_error = estimates.std(ddof=1) / math.sqrt(estimates.size)
    assert abs(estimates.mean() - exact) < 4 * standard_error, (estimates.mean(), exact, standard_error)
