"""Exercise 21: the conditional draw against its formula, its sign, its distribution, its gradient."""
import numpy as np
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg


@st.composite
def logits_draws_noise(draw):
    """(l, b, v) of one shape (up to 6 elements): l in [-6, 6], b in {0, 1}, v in [0.001, 0.999]."""
    n = draw(st.integers(1, 6))
    return (draw(hnp.arrays(np.float64, n, elements=st.floats(-6.0, 6.0))),
            draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0]))),
            draw(hnp.arrays(np.float64, n, elements=st.floats(0.001, 0.999))))


def reference(l, b, v):
    """The inverse CDF of the conditional, in plain NumPy: u' on (1 - p, 1) for b = 1, on (0, 1 - p) for b = 0."""
    p = 1 / (1 + np.exp(-l))
    u = np.where(b > 0.5, 1 - p + p * v, (1 - p) * v)
    return l + np.log(u) - np.log1p(-u)


@given(case=logits_draws_noise())
def test_matches_the_inverse_cdf_of_the_conditional(impl, case):
    l, b, v = case
    z = impl.conditional_logistic(mg.tensor(l), mg.tensor(b), mg.tensor(v)).numpy()
    np.testing.assert_allclose(z, reference(l, b, v), rtol=1e-7, atol=1e-9)


@given(case=logits_draws_noise())
def test_its_sign_is_the_draw(impl, case):
    l, b, v = case
    z = impl.conditional_logistic(mg.tensor(l), mg.tensor(b), mg.tensor(v)).numpy()
    assert np.array_equal(z > 0, b > 0.5)


@given(case=logits_draws_noise())
def test_gradient_in_the_logits_matches_finite_differences(impl, case):
    l, b, v = case
    b, v = mg.tensor(b), mg.tensor(v)
    mg.gradcheck(lambda x: impl.conditional_logistic(x, b, v), [mg.tensor(l, requires_grad=True)])


def test_drawing_b_then_z_gives_the_logistic(impl):
    """The number to see: b ~ Bernoulli(sigmoid(0.7)), then z~ given b, is Logistic(0.7, 1) (KS p-value > 0.001)."""
    rng = np.random.default_rng(0)
    l = np.full(40_000, 0.7)
    b = (rng.uniform(size=l.shape) < 1 / (1 + np.exp(-l))).astype(np.float64)
    z = impl.conditional_logistic(mg.tensor(l), mg.tensor(b), mg.tensor(rng.uniform(size=l.shape))).numpy()
    assert scipy.stats.kstest(z - 0.7, "logistic").pvalue > 1e-3


def test_stays_finite_for_confident_logits(impl):
    """l = +-30: p rounds to 1 or 0 in float64, yet z~ and its gradient are finite."""
    l = mg.tensor([30.0, -30.0, 30.0, -30.0], requires_grad=True)
    z = impl.conditional_logistic(l, mg.tensor([0.0, 1.0, 1.0, 0.0]), mg.tensor([0.3, 0.6, 0.5, 0.5]))
    z.sum().backward()
    assert np.all(np.isfinite(z.numpy())) and np.all(np.isfinite(l.grad.numpy()))
