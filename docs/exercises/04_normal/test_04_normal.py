"""Exercise 04: Normal.rsample and Normal.log_prob against minigrad's Normal, scipy, moments and gradients."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

batch_shapes = hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3)
sample_shapes = hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4)


@st.composite
def parameters(draw, shape=None):
    """(loc, scale) as float64 tensors of one drawn shape, scale in [0.1, 5]."""
    shape = draw(batch_shapes) if shape is None else shape
    loc = draw(hnp.arrays(np.float64, shape, elements=st.floats(-5.0, 5.0)))
    scale = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.1, 5.0)))
    return mg.tensor(loc, requires_grad=True), mg.tensor(scale, requires_grad=True)


@given(params=parameters(), sample_shape=sample_shapes, seed=st.integers(0, 2**16))
def test_rsample_draws_what_minigrad_draws_from_the_same_seed(impl, params, sample_shape, seed):
    """One call of mg.random.normal for the noise: then the same seed gives the same draws as mg's Normal."""
    loc, scale = params
    mg.random.seed(seed)
    x = impl.Normal(loc, scale).rsample(sample_shape)
    mg.random.seed(seed)
    expected = mg.distributions.Normal(loc, scale).rsample(sample_shape)
    assert x.shape == sample_shape + loc.shape
    np.testing.assert_allclose(x.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)


@given(params=parameters(), seed=st.integers(0, 2**16))
def test_rsample_pathwise_gradients(impl, params, seed):
    """x = loc + scale * eps: d sum(x)/d loc = n (one per draw), d sum(x)/d scale = sum of eps = sum (x - loc)/scale."""
    loc, scale = params
    n = 5
    mg.random.seed(seed)
    x = impl.Normal(loc, scale).rsample((n,))
    x.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), np.full(loc.shape, n), rtol=1e-12)
    eps = (x.numpy() - loc.numpy()) / scale.numpy()
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(axis=0), rtol=1e-9, atol=1e-9)


def test_rsample_moments(impl):
    """Mean and standard deviation of 40,000 draws within 4 standard errors of loc and scale.

    Standard errors: scale / sqrt(n) for the mean, about scale / sqrt(2 n) for the standard deviation.
    """
    mg.random.seed(0)
    n, loc, scale = 40_000, 1.5, 0.7
    x = impl.Normal(mg.tensor([loc], dtype=mg.float64), mg.tensor([scale], dtype=mg.float64)).rsample((n,)).numpy()
    assert abs(x.mean() - loc) < 4 * scale / math.sqrt(n)
    assert abs(x.std() - scale) < 4 * scale / math.sqrt(2 * n)


@given(data=st.data())
def test_log_prob_matches_minigrad(impl, data):
    loc, scale = data.draw(parameters())
    value = mg.tensor(data.draw(hnp.arrays(np.float64, data.draw(sample_shapes) + loc.shape,
                                           elements=st.floats(-10.0, 10.0))))
    expected = mg.distributions.Normal(loc, scale).log_prob(value)
    result = impl.Normal(loc, scale).log_prob(value)
    assert result.shape == value.shape
    np.testing.assert_allclose(result.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)


@given(params=parameters(shape=(3,)), value=hnp.arrays(np.float64, (4, 3), elements=st.floats(-10.0, 10.0)))
def test_log_prob_matches_scipy(impl, params, value):
    stats = pytest.importorskip("scipy.stats")
    loc, scale = params
    result = impl.Normal(loc, scale).log_prob(mg.tensor(value))
    np.testing.assert_allclose(result.numpy(), stats.norm.logpdf(value, loc.numpy(), scale.numpy()), rtol=1e-10)


@given(params=parameters(shape=(2, 3)), value=hnp.arrays(np.float64, (2, 3), elements=st.floats(-5.0, 5.0)))
def test_log_prob_gradients_match_finite_differences(impl, params, value):
    """log_prob differentiated in loc, scale and the value, by mg.gradcheck (float64 central differences)."""
    loc, scale = params
    mg.gradcheck(lambda m, s, x: impl.Normal(m, s).log_prob(x), [loc, scale, mg.tensor(value, requires_grad=True)])


def test_log_prob_integrates_to_one(impl):
    """The density exp(log_prob) integrates to 1 (trapezoid rule over loc +- 10 scale)."""
    loc, scale = 0.3, 1.7
    grid = np.linspace(loc - 10 * scale, loc + 10 * scale, 20_001)
    dist = impl.Normal(mg.tensor([loc], dtype=mg.float64), mg.tensor([scale], dtype=mg.float64))
    density = np.exp(dist.log_prob(mg.tensor(grid[:, None])).numpy()[:, 0])
    assert abs(np.trapezoid(density, grid) - 1.0) < 1e-9
