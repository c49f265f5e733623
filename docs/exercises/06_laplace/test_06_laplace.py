"""Exercise 06: Laplace draws: shape, finiteness, the distribution (moments, KS test), pathwise gradients."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis.extra import numpy as hnp

import minigrad as mg


def leaves(loc, scale, dtype=mg.float64):
    return mg.tensor(loc, dtype=dtype, requires_grad=True), mg.tensor(scale, dtype=dtype, requires_grad=True)


@given(shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
       sample_shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=4))
def test_shape_and_dtype(impl, shape, sample_shape):
    for dtype in (mg.float32, mg.float64):
        loc, scale = leaves(np.zeros(shape), np.ones(shape), dtype)
        x = impl.rsample(loc, scale, sample_shape)
        assert x.shape == sample_shape + shape and x.dtype == dtype


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_draws_are_finite(impl, dtype):
    mg.random.seed(0)
    x = impl.rsample(*leaves([0.0], [1.0], dtype), (1_000_000,)).numpy()
    assert np.isfinite(x).all(), f"{np.sum(~np.isfinite(x))} of 1,000,000 draws are not finite"


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_draws_are_finite_at_the_ends_of_the_uniform_noise(impl, dtype, monkeypatch):
    """The generator's uniform draws lie in [0, 1); here they are its two extremes, 0 and the largest float below 1.

    The device's generator is replaced by one that returns only those (mg.random.uniform reads
    it through mg.backend.rng). Whatever affine map takes them to u, log(1 - |u|) must stay finite.
    """
    class Extremes:
        def __init__(self, real):
            self.real = real

        def random(self, shape, dtype):
            values = np.zeros(shape, dtype=dtype)
            values.flat[1::2] = np.nextafter(dtype.type(1), dtype.type(0))
            return values

        def __getattr__(self, name):   # every other kind of draw from the real generator
            return getattr(self.real, name)

    real_rng = mg.backend.rng
    monkeypatch.setattr(mg.backend, "rng", lambda device: Extremes(real_rng(device)))
    x = impl.rsample(*leaves([0.0], [1.0], dtype), (4,)).numpy()
    assert np.isfinite(x).all(), f"draws from the extreme uniform values 0 and 1 - 2^-p: {x.ravel()}"


def test_moments(impl):
    """Mean loc, E|x - loc| = scale, variance 2 scale^2: each within 4 standard errors, from 200,000 draws.

    Standard errors from the Laplace's own moments: sd(x) = sqrt(2) scale, sd(|x - loc|) = scale,
    sd((x - loc)^2) = sqrt(20) scale^2 (E t^4 = 24 for the standard Laplace).
    """
    mg.random.seed(1)
    n, m, s = 200_000, -0.7, 1.9
    x = impl.rsample(*leaves([m], [s]), (n,)).numpy()[:, 0]
    assert abs(x.mean() - m) < 4 * math.sqrt(2) * s / math.sqrt(n)
    assert abs(np.abs(x - m).mean() - s) < 4 * s / math.sqrt(n)
    assert abs(((x - m) ** 2).mean() - 2 * s * s) < 4 * math.sqrt(20) * s * s / math.sqrt(n)


def test_distribution_by_kolmogorov_smirnov(impl):
    """The empirical CDF of 20,000 draws is close to the Laplace CDF: KS p-value above 0.001."""
    stats = pytest.importorskip("scipy.stats")
    mg.random.seed(2)
    x = impl.rsample(*leaves([0.5], [2.0]), (20_000,)).numpy()[:, 0]
    result = stats.kstest(x, "laplace", args=(0.5, 2.0))
    assert result.pvalue > 1e-3, result


def test_noise_is_symmetric(impl):
    """About half the draws fall on each side of loc (within 4 standard errors, 0.5 / sqrt(n))."""
    mg.random.seed(3)
    n = 100_000
    x = impl.rsample(*leaves([3.0], [0.5]), (n,)).numpy()
    assert abs((x > 3.0).mean() - 0.5) < 4 * 0.5 / math.sqrt(n)


def test_pathwise_gradient_of_the_mean_in_loc_is_one(impl):
    """x = loc + scale * t, so dx/dloc = 1 for every draw: d/dloc of the mean of x is exactly 1 (= d/dloc E[x])."""
    mg.random.seed(4)
    loc, scale = leaves([0.2, -1.0], [1.0, 3.0])
    impl.rsample(loc, scale, (1000,)).mean(0).sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), 1.0, rtol=1e-12)


def test_pathwise_gradient_of_the_mean_absolute_deviation_in_scale_is_one(impl):
    """E|x - loc| = scale, so d/dscale E|x - loc| = 1; the pathwise estimate is the mean of |t| (sd 1/sqrt(n))."""
    mg.random.seed(5)
    n = 100_000
    loc, scale = leaves([0.0], [2.5])
    x = impl.rsample(loc, scale, (n,))
    (x - loc).abs().mean().backward()
    assert abs(scale.grad.item() - 1.0) < 4 / math.sqrt(n)


def test_each_draw_moves_with_scale_by_its_own_noise(impl):
    """dx/dscale = t = (x - loc) / scale, draw by draw: sum(x) has d/dscale = sum (x - loc) / scale."""
    mg.random.seed(6)
    loc, scale = leaves([1.0], [0.5])
    x = impl.rsample(loc, scale, (50,))
    x.sum().backward()
    np.testing.assert_allclose(scale.grad.item(), ((x.numpy() - 1.0) / 0.5).sum(), rtol=1e-9)
