"""Exercise 18: the local trick against its formula, against weight draws in distribution, and its gradients."""
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

values = st.floats(-2.0, 2.0)
scales = st.floats(0.05, 1.5)


@st.composite
def layers(draw):
    """x (N, in), weight loc and scale (out, in), bias loc and scale (out,), eps (N, out); N, in, out in [1, 4]."""
    n, fan_in, fan_out = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return (draw(hnp.arrays(np.float64, (n, fan_in), elements=values)),
            draw(hnp.arrays(np.float64, (fan_out, fan_in), elements=values)),
            draw(hnp.arrays(np.float64, (fan_out, fan_in), elements=scales)),
            draw(hnp.arrays(np.float64, (fan_out,), elements=values)),
            draw(hnp.arrays(np.float64, (fan_out,), elements=scales)),
            draw(hnp.arrays(np.float64, (n, fan_out), elements=st.floats(-3.0, 3.0))))


@given(layer=layers())
def test_matches_the_formula(impl, layer):
    x, wm, ws, bm, bs, eps = layer
    y = impl.local_reparam_linear(*(mg.tensor(a) for a in layer))
    expected = x @ wm.T + bm + np.sqrt((x**2) @ (ws**2).T + bs**2) * eps
    assert y.shape == eps.shape
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-10)


@given(layer=layers())
def test_gradients_match_finite_differences(impl, layer):
    x, wm, ws, bm, bs, eps = layer
    mg.gradcheck(lambda *p: impl.local_reparam_linear(*p, mg.tensor(eps)),
                 [mg.tensor(a, requires_grad=True) for a in (x, wm, ws, bm, bs)])


@given(layer=layers())
def test_scale_gradient_is_shared_noise_times_share_of_variance(impl, layer):
    """d y_nj / d sigma_ji = eps_nj x_ni^2 sigma_ji / sqrt(v_nj): one noise per output, not one per weight (bnn §3)."""
    x, wm, ws, bm, bs, eps = layer
    scale = mg.tensor(ws, requires_grad=True)
    y = impl.local_reparam_linear(mg.tensor(x), mg.tensor(wm), scale, mg.tensor(bm), mg.tensor(bs), mg.tensor(eps))
    y.sum().backward()
    v = (x**2) @ (ws**2).T + bs**2                                                  # (N, out)
    expected = np.einsum("nj,ni,ji->ji", eps / np.sqrt(v), x**2, ws)
    np.testing.assert_allclose(scale.grad.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_same_distribution_as_drawing_the_weights(impl):
    """The number to see: for one input, 40,000 local draws and 40,000 weight draws have the same mean and variance
    per output (each within 4 standard errors of the closed form; the two means agree to about 0.01)."""
    rng = np.random.default_rng(0)
    x = np.array([[1.0, -2.0, 0.5]])
    wm, ws = rng.standard_normal((2, 3)), rng.uniform(0.1, 1.0, (2, 3))
    bm, bs = np.array([0.3, -0.1]), np.array([0.2, 0.5])
    n = 40_000
    local = impl.local_reparam_linear(mg.tensor(np.repeat(x, n, 0)), mg.tensor(wm), mg.tensor(ws), mg.tensor(bm),
                                      mg.tensor(bs), mg.tensor(rng.standard_normal((n, 2)))).numpy()
    weights = wm + ws * rng.standard_normal((n, 2, 3))
    drawn = np.einsum("nji,i->nj", weights, x[0]) + bm + bs * rng.standard_normal((n, 2))
    mean, variance = x[0] @ wm.T + bm, (x[0]**2) @ (ws**2).T + bs**2
    for sample in (local, drawn):
        assert np.all(np.abs(sample.mean(0) - mean) < 4 * np.sqrt(variance / n)), (sample.mean(0), mean)
        assert np.all(np.abs(sample.var(0) - variance) < 4 * variance * math.sqrt(2 / n)), (sample.var(0), variance)
