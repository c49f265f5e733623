"""Exercise 07: the diagonal Gaussian KL against minigrad's kl_divergence, its properties, gradients and Monte Carlo."""
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad.distributions import Normal, kl_divergence

locs = st.floats(-3.0, 3.0)
scales = st.floats(0.2, 3.0)


@st.composite
def two_gaussians(draw):
    """(q_loc, q_scale, p_loc, p_scale): float64 leaves of one shape, at least one axis (the last is d)."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    arrays = [draw(hnp.arrays(np.float64, shape, elements=e)) for e in (locs, scales, locs, scales)]
    return [mg.tensor(a, requires_grad=True) for a in arrays]


@given(params=two_gaussians())
def test_matches_minigrad_kl_divergence(impl, params):
    q_loc, q_scale, p_loc, p_scale = params
    kl = impl.kl_diagonal_normal(q_loc, q_scale, p_loc, p_scale)
    expected = kl_divergence(Normal(q_loc, q_scale), Normal(p_loc, p_scale)).sum(-1)
    assert kl.shape == q_loc.shape[:-1]
    np.testing.assert_allclose(kl.numpy(), expected.numpy(), rtol=1e-10, atol=1e-12)


@given(params=two_gaussians())
def test_is_zero_from_a_gaussian_to_itself_and_positive_otherwise(impl, params):
    q_loc, q_scale, p_loc, p_scale = params
    np.testing.assert_allclose(impl.kl_diagonal_normal(q_loc, q_scale, q_loc, q_scale).numpy(), 0.0, atol=1e-12)
    assert (impl.kl_diagonal_normal(q_loc, q_scale, p_loc, p_scale).numpy() >= -1e-12).all()


@given(params=two_gaussians())
def test_gradients_match_the_formulas(impl, params):
    """With d = m1 - m2:  d/dm1 = d / s2^2,  d/ds1 = s1 / s2^2 - 1/s1,  d/dm2 = -d / s2^2,
    d/ds2 = 1/s2 - (s1^2 + d^2) / s2^3."""
    q_loc, q_scale, p_loc, p_scale = params
    impl.kl_diagonal_normal(q_loc, q_scale, p_loc, p_scale).sum().backward()
    m1, s1, m2, s2 = (t.numpy() for t in params)
    d = m1 - m2
    for leaf, formula in ((q_loc, d / s2**2), (q_scale, s1 / s2**2 - 1 / s1), (p_loc, -d / s2**2),
                          (p_scale, 1 / s2 - (s1**2 + d**2) / s2**3)):
        np.testing.assert_allclose(leaf.grad.numpy(), formula, rtol=1e-9, atol=1e-12)


@given(params=two_gaussians())
def test_gradient_matches_finite_differences(impl, params):
    mg.gradcheck(impl.kl_diagonal_normal, params)


@given(shape=st.tuples(st.integers(1, 4), st.integers(1, 5)), data=st.data())
def test_against_a_standard_normal_prior_given_as_0d_tensors(impl, shape, data):
    """The VAE's case: p = N(0, I) passed as 0-d tensors; KL = -1/2 sum(1 + log s^2 - m^2 - s^2)."""
    m = data.draw(hnp.arrays(np.float64, shape, elements=locs))
    s = data.draw(hnp.arrays(np.float64, shape, elements=scales))
    kl = impl.kl_diagonal_normal(mg.tensor(m), mg.tensor(s), mg.tensor(0.0, dtype=mg.float64),
                                 mg.tensor(1.0, dtype=mg.float64))
    np.testing.assert_allclose(kl.numpy(), -0.5 * (1 + np.log(s**2) - m**2 - s**2).sum(-1), rtol=1e-10, atol=1e-12)


def test_agrees_with_a_monte_carlo_estimate(impl):
    """KL(q || p) = E_q[log q(z) - log p(z)]: the mean over 200,000 draws z ~ q lies within 4 standard errors."""
    q_loc, q_scale = mg.tensor([0.5, -1.0, 0.0], dtype=mg.float64), mg.tensor([0.8, 1.5, 0.3], dtype=mg.float64)
    p_loc, p_scale = mg.tensor([0.0, 0.5, -0.2], dtype=mg.float64), mg.tensor([1.0, 2.0, 0.5], dtype=mg.float64)
    q, p = Normal(q_loc, q_scale), Normal(p_loc, p_scale)
    mg.random.seed(0)
    z = q.sample((200_000,))
    log_ratio = (q.log_prob(z) - p.log_prob(z)).sum(-1).numpy()
    standard_error = log_ratio.std() / math.sqrt(log_ratio.size)
    exact = impl.kl_diagonal_normal(q_loc, q_scale, p_loc, p_scale).item()
    assert abs(log_ratio.mean() - exact) < 4 * standard_error, (log_ratio.mean(), exact, standard_error)
