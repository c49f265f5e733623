"""Gradient estimators: unbiased (sample means of many estimates equal exact gradients) and with the
variances of their closed forms.

How the tests draw many independent estimates at once: give the distribution a batch of N
identical parameter copies, e.g. loc = full((N,), mu). The surrogate sums over the batch and
each copy's samples touch only that copy, so after one backward() loc.grad[i] is the i-th of
N independent estimates. Their mean has standard error sd / sqrt(N).

Every statistical assertion allows five standard errors (estimated from the same draws). A
correct estimator fails one with probability 5.7e-7 (normal tail, by the central limit
theorem); the seeds are fixed, so runs are deterministic. Over the ~300 such checks of a
default run, a correct implementation would fail a fresh seed with probability below 2e-4.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import estimators
from minigrad.distributions import (
    Bernoulli,
    Categorical,
    Laplace,
    Logistic,
    MultivariateNormal,
    Normal,
    RelaxedBernoulli,
    Uniform,
)

FIVE_SE = 5.0


def copies(value, n, device, dtype=mg.float64):
    """n copies of ``value`` along a new first axis, as a leaf that requires grad."""
    value = np.asarray(value, dtype=np.float64)
    return mg.tensor(np.broadcast_to(value, (n,) + value.shape), requires_grad=True, dtype=dtype, device=device)


def assert_unbiased(estimates, exact, what=""):
    """The mean of i.i.d. estimates (first axis) equals ``exact`` within five standard errors."""
    estimates = np.asarray(estimates, dtype=np.float64)
    se = estimates.std(axis=0) / math.sqrt(estimates.shape[0])
    error = np.abs(estimates.mean(axis=0) - exact)
    assert np.all(error <= FIVE_SE * se + 1e-12), f"{what}: mean {estimates.mean(axis=0)} vs exact {exact} (se {se})"


def assert_variance(estimates, variance, what=""):
    """The sample variance equals ``variance`` within five standard errors, se = sqrt((m4 - s^4) / N)."""
    e = np.asarray(estimates, dtype=np.float64)
    centred = e - e.mean()
    s2, m4 = (centred**2).mean(), (centred**4).mean()
    se = math.sqrt((m4 - s2**2) / e.size)
    assert abs(s2 - variance) <= FIVE_SE * se, f"{what}: variance {s2} vs closed form {variance} (se {se})"


def square(k):
    """f(x) = (x - k)^2, the quadratic cost of Mohamed et al. (2020), figure 2."""
    return lambda x: (x - k) ** 2


# ---------------------------------------------------------------- variances against their closed forms

@pytest.mark.parametrize("k", [-3.0, -0.5, 1.0, 2.5])
def test_variances_equal_the_closed_forms_for_a_quadratic(device, k):
    # f = (x - k)^2 under N(mu, sigma^2) with mu = sigma = 1, a = mu - k; one sample per estimate:
    #   pathwise:  d/dmu = 2(x - k)                var 4;      d/dsigma = 2(x - k) eps      var 4a^2 + 8
    #   score:     d/dmu = f (x - mu)              var a^4 + 14a^2 + 15
    #              d/dsigma = f ((x - mu)^2 - 1)   var 2a^4 + 60a^2 + 74
    #   measure-valued, coupled: d/dmu = 4 a W / sqrt(2 pi) with W ~ Rayleigh   var (16/pi - 4) a^2
    #              d/dsigma = 2a M (1 - U) + M^2 (1 - U^2)                   var 4a^2 + 4
    a, n = 1.0 - k, 100_000
    closed_forms = {
        estimators.pathwise: (4.0, 4 * a**2 + 8),
        estimators.score_function: (a**4 + 14 * a**2 + 15, 2 * a**4 + 60 * a**2 + 74),
        estimators.measure_valued: ((16 / math.pi - 4) * a**2, 4 * a**2 + 4),
    }
    for seed, (estimator, (var_mu, var_sigma)) in enumerate(closed_forms.items()):
        mg.random.seed(seed)
        loc, scale = copies(1.0, n, device), copies(1.0, n, device)
        estimator(square(k), Normal(loc, scale), n=1).backward()
        name = estimator.__name__
        assert_unbiased(loc.grad.numpy(), 2 * a, f"{name} d/dmu")
        assert_unbiased(scale.grad.numpy(), 2.0, f"{name} d/dsigma")
        if var_mu > 0:
            assert_variance(loc.grad.numpy(), var_mu, f"{name} d/dmu")
        assert_variance(scale.grad.numpy(), var_sigma, f"{name} d/dsigma")


# ---------------------------------------------------------------- unbiasedness, per estimator and family

@given(mu=st.floats(-2.0, 2.0), sigma=st.floats(0.3, 2.0), k=st.floats(-3.0, 3.0))
@settings(max_examples=10)
def test_every_estimator_is_unbiased_for_a_normal(device, mu, sigma, k):
    # E[(x - k)^2] = (mu - k)^2 + sigma^2:  d/dmu = 2(mu - k),  d/dsigma = 2 sigma
    runs = [(estimators.pathwise, {}), (estimators.measure_valued, {}), (estimators.score_function, {}),
            (estimators.score_function, {"baseline": "leave_one_out"}),
            (estimators.score_function, {"baseline": "optimal"}),
            (estimators.score_function, {"baseline": (mu - k) ** 2 + sigma**2})]
    for seed, (estimator, options) in enumerate(runs):
        mg.random.seed(seed)
        loc, scale = copies(mu, 4000, device), copies(sigma, 4000, device)
        estimator(square(k), Normal(loc, scale), n=4, **options).backward()
        what = f"{estimator.__name__} {options}"
        assert_unbiased(loc.grad.numpy(), 2 * (mu - k), what)      # each copy: the mean over its n = 4 samples
        assert_unbiased(scale.grad.numpy(), 2 * sigma, what)


@pytest.mark.parametrize("family, dscale", [(Laplace, 4.0), (Logistic, 2 * math.pi**2 / 3)])
def test_pathwise_and_score_function_are_unbiased_for_laplace_and_logistic(device, family, dscale):
    # f = (x - k)^2: E f = (loc - k)^2 + c scale^2 with c = 2 (Laplace) or pi^2/3 (Logistic)
    k, loc0, scale0 = 0.5, 1.0, 1.5
    for seed, estimator in enumerate((estimators.pathwise, estimators.score_function)):
        mg.random.seed(seed)
        loc, scale = copies(loc0, 50_000, device), copies(scale0, 50_000, device)
        estimator(square(k), family(loc, scale), n=1).backward()
        assert_unbiased(loc.grad.numpy(), 2 * (loc0 - k), f"{family.__name__} {estimator.__name__}")
        assert_unbiased(scale.grad.numpy(), dscale * scale0, f"{family.__name__} {estimator.__name__}")


def test_pathwise_is_unbiased_for_uniform(device):
    # E (x - k)^2 = (m - k)^2 + w^2 / 12 with m = (low + high)/2, w = high - low:
    # d/dlow = (m - k) - w/6,  d/dhigh = (m - k) + w/6.  (The score function would be biased here:
    # the support moves with the parameters, so grad of the integral is not the integral of grad p.)
    mg.random.seed(0)
    low, high, k = copies(-1.0, 50_000, device), copies(2.0, 50_000, device), 1.0
    estimators.pathwise(square(k), Uniform(low, high)).backward()
    assert_unbiased(low.grad.numpy(), (0.5 - k) - 0.5, "d/dlow")
    assert_unbiased(high.grad.numpy(), (0.5 - k) + 0.5, "d/dhigh")


def test_pathwise_and_score_function_are_unbiased_for_a_multivariate_normal(device):
    # f = |x - k|^2: E f = |loc - k|^2 + tr(L L^T), so d/dloc = 2(loc - k), d/dL = 2L (below the diagonal)
    loc0, L0, k = np.array([0.5, -1.0]), np.array([[1.0, 0.0], [0.6, 0.8]]), np.array([1.0, 1.0])
    f = lambda x: ((x - mg.tensor(k, device=device)) ** 2).sum(-1)     # noqa: E731
    for seed, estimator in enumerate((estimators.pathwise, estimators.score_function)):
        mg.random.seed(seed)
        loc, L = copies(loc0, 50_000, device), copies(L0, 50_000, device)
        estimator(f, MultivariateNormal(loc, mg.linalg.tril(L)), n=1).backward()
        assert_unbiased(loc.grad.numpy(), 2 * (loc0 - k), f"{estimator.__name__} d/dloc")
        assert_unbiased(L.grad.numpy(), 2 * np.tril(L0), f"{estimator.__name__} d/dL")


@given(logit=st.floats(-3.0, 3.0), k=st.floats(-1.0, 2.0))
@settings(max_examples=10)
def test_score_function_is_unbiased_for_a_bernoulli(device, logit, k):
    # E (x - k)^2 = p (1 - k)^2 + (1 - p) k^2, and dp/dlogit = p (1 - p)
    p = 1 / (1 + math.exp(-logit))
    exact = p * (1 - p) * ((1 - k) ** 2 - k**2)
    for seed, baseline in enumerate((None, "leave_one_out", "optimal")):
        mg.random.seed(seed)
        logits = copies(logit, 20_000, device)
        estimators.score_function(square(k), Bernoulli(logits=logits), n=2, baseline=baseline).backward()
        assert_unbiased(logits.grad.numpy(), exact, f"baseline {baseline}")


def test_score_function_is_unbiased_for_a_categorical(device):
    # f(x) = c_x: E f = sum_k p_k c_k, and d/dlogit_j = p_j (c_j - E f)
    logits0, c = np.array([0.2, -0.5, 1.0, 0.0]), np.array([3.0, -1.0, 0.5, 2.0])
    p = np.exp(logits0) / np.exp(logits0).sum()
    mg.random.seed(0)
    logits = copies(logits0, 50_000, device)
    cost = mg.tensor(c, device=device)
    estimators.score_function(lambda x: cost[x], Categorical(logits=logits)).backward()
    assert_unbiased(logits.grad.numpy(), p * (c - p @ c))


# ---------------------------------------------------------------- second derivatives (DiCE)

def hessian_estimates(surrogate, params):
    """H[i][j][c]: copy c's estimate of d2 E f / (d params[i] d params[j]), from two backward passes.

    The surrogate sums independent copies, so the gradient of copy c depends on copy c's
    parameters only, and the gradient of (sum over copies of its gradient in params[i]) is
    copy c's row i of its Hessian.
    """
    first = mg.autograd.grad(surrogate, params, create_graph=True)
    return [[h.numpy() for h in mg.autograd.grad(g.sum(), params, retain_graph=True, materialize_grads=True)]
            for g in first]


@pytest.mark.parametrize("baseline, n", [(None, 1), (3.0, 1), ("leave_one_out", 4)])
def test_score_function_hessian_of_a_normal_second_moment(device, baseline, n):
    # E_{N(mu, sigma^2)}[x^2] = mu^2 + sigma^2: its Hessian in (mu, sigma) is [[2, 0], [0, 2]]. The first-order
    # surrogate f + (w - b)(l - l.detach()) gives E[f d2 l]: [[-1.25, -2], [-2, -8.5]] at (0.5, 1), off by ~10 se.
    mg.random.seed(21)
    loc, scale = copies(0.5, 20_000, device), copies(1.0, 20_000, device)
    surrogate = estimators.score_function(lambda x: x * x, Normal(loc, scale), n=n, baseline=baseline)
    H = hessian_estimates(surrogate, [loc, scale])
    exact = [[2.0, 0.0], [0.0, 2.0]]
    for i in range(2):
        for j in range(2):
            assert_unbiased(H[i][j], exact[i][j], f"baseline {baseline}: H[{i}][{j}]")


@pytest.mark.parametrize("baseline, n", [(None, 1), ("leave_one_out", 2), (2.0, 1)])
def test_score_function_hessian_of_a_bernoulli(device, baseline, n):
    # E_{Bernoulli(s)}[f(b)] = s f(1) + (1 - s) f(0) with s = sigmoid(theta):
    # d2/dtheta2 = (f(1) - f(0)) s (1 - s) (1 - 2 s). The first-order surrogate gives -s(1 - s) E f instead.
    theta, f0, f1 = -1.0, 1.0, 4.0
    s = 1 / (1 + math.exp(-theta))
    mg.random.seed(22)
    logits = copies(theta, 40_000, device)
    surrogate = estimators.score_function(lambda b: f0 + (f1 - f0) * b, Bernoulli(logits=logits), n=n,
                                          baseline=baseline)
    (H,), = hessian_estimates(surrogate, [logits])
    assert_unbiased(H, (f1 - f0) * s * (1 - s) * (1 - 2 * s), f"baseline {baseline}")


def test_score_function_mixed_derivative_with_a_parameter_inside_f(device):
    # f = phi x^2 under N(mu, 1): E f = phi (mu^2 + 1), so d2 E f / (dmu dphi) = 2 mu: the term grad f grad log q
    mg.random.seed(23)
    loc = copies(0.5, 20_000, device)
    phi = copies(3.0, 20_000, device)
    surrogate = estimators.score_function(lambda x: phi * x * x, Normal(loc, 1.0), n=1)
    H = hessian_estimates(surrogate, [loc, phi])
    assert_unbiased(H[0][1], 2 * 0.5, "d2/dmu dphi")
    assert_unbiased(H[1][0], 2 * 0.5, "d2/dphi dmu")
    assert np.all(H[1][1] == 0.0)                       # f is linear in phi


def test_magic_box_is_one_and_its_own_derivative(device):
    # box(l) = exp(l - l.detach()): value 1; d box / dl = box, so every derivative in l is 1 at the point
    l = mg.tensor([0.3, -2.0], requires_grad=True, dtype=mg.float64, device=device)
    box = estimators.magic_box(3.0 * l)
    np.testing.assert_array_equal(box.numpy(), [1.0, 1.0])
    first, = mg.autograd.grad(box.sum(), l, create_graph=True)
    second, = mg.autograd.grad(first.sum(), l)
    np.testing.assert_allclose(first.numpy(), [3.0, 3.0])
    np.testing.assert_allclose(second.numpy(), [9.0, 9.0])


def test_measure_valued_refuses_a_second_derivative(device):
    # its weak-derivative weights are constants: a gradient of its gradient would be 0, not 2
    loc = mg.tensor(0.5, requires_grad=True, dtype=mg.float64, device=device)
    surrogate = estimators.measure_valued(lambda x: x * x, Normal(loc, 1.0), n=10)
    with pytest.raises(RuntimeError, match="measure_valued: its gradient is first-order only"):
        mg.autograd.grad(surrogate, loc, create_graph=True)
    g, = mg.autograd.grad(estimators.measure_valued(lambda x: x * x, Normal(loc, 1.0), n=10), loc)
    assert np.isfinite(g.item())                        # the first derivative is still there


def test_score_function_refuses_a_support_that_moves_with_the_parameters(device):
    # Uniform(0, h): d/dh E[x] = 1/2, but E[x d/dh log p] = E[x (-1/h)] = -1/2: the moving boundary is missed
    h = mg.tensor(2.0, requires_grad=True, dtype=mg.float64, device=device)
    zero = mg.tensor(0.0, dtype=mg.float64, device=device)
    with pytest.raises(ValueError, match="support of Uniform depends on high.*pathwise"):
        estimators.score_function(lambda x: x, Uniform(zero, h), n=10)
    with pytest.raises(ValueError, match="depends on low, high"):
        estimators.score_function(lambda x: x, Uniform(zero.requires_grad_(), h), n=10)
    fixed = estimators.score_function(lambda x: x, Uniform(0.0, 2.0), n=10)   # no parameter requires grad: fine
    assert 0.0 <= fixed.item() <= 2.0


# ---------------------------------------------------------------- baselines

def test_baselines_reduce_the_variance_of_the_score_function(device):
    # f = (x - 3)^2 under N(1, 1): E f = 5 is far from 0, so a baseline near it helps a lot. We compare
    # the total variance over (mu, sigma): the quantity the optimal constant minimizes
    variances = {}
    for seed, baseline in enumerate((None, "leave_one_out", "optimal")):
        mg.random.seed(seed)
        loc, scale = copies(1.0, 20_000, device), copies(1.0, 20_000, device)
        estimators.score_function(square(3.0), Normal(loc, scale), n=32, baseline=baseline).backward()
        variances[baseline] = loc.grad.numpy().var() + scale.grad.numpy().var()
    assert variances["leave_one_out"] < 0.75 * variances[None]
    assert variances["optimal"] < 0.75 * variances[None]


def test_the_optimal_constant_beats_the_mean_of_f(device):
    # For f = (x - k)^2 under N(1, 1), a = 1 - k, scores s = (eps, eps^2 - 1):
    #   b* = E[f |s|^2] / E[|s|^2] = ((a^2 + 3) + (2a^2 + 10)) / 3 = a^2 + 13/3   (Mohamed et al. 2020, eq. 65)
    # while E f = a^2 + 1. The exact b* gives the smallest total variance of all constants.
    a = -2.0
    totals = {}
    for seed, b in enumerate((0.0, a**2 + 1, a**2 + 13 / 3, a**2 + 8)):
        mg.random.seed(seed)
        loc, scale = copies(1.0, 100_000, device), copies(1.0, 100_000, device)
        estimators.score_function(square(1.0 - a), Normal(loc, scale), baseline=b).backward()
        totals[b] = loc.grad.numpy().var() + scale.grad.numpy().var()
    assert min(totals, key=totals.get) == a**2 + 13 / 3


def test_moving_average_baseline_follows_the_mean_and_stays_unbiased(device):
    baseline = estimators.MovingAverageBaseline(decay=0.5)
    loc = mg.tensor(1.0, requires_grad=True, dtype=mg.float64, device=device)
    scale = mg.tensor(1.0, requires_grad=True, dtype=mg.float64, device=device)
    estimates = []
    mg.random.seed(0)
    for _ in range(300):
        loc.grad = None
        estimators.score_function(square(3.0), Normal(loc, scale), n=50, baseline=baseline).backward()
        estimates.append(loc.grad.item())
    assert baseline.average.item() == pytest.approx(5.0, abs=1.0)    # E (x - 3)^2 = 4 + 1
    # the baseline of each call comes from earlier calls only, so the estimates stay unbiased
    assert_unbiased(np.array(estimates[1:]), 2 * (1.0 - 3.0))


def test_moving_average_baseline_uses_the_previous_batches_only(device):
    # the exact rule, which the statistical test above cannot see (a 1% bias): b of a call is the average
    # of the *earlier* calls, so a second call with values 100 after a first with mean 1 gets b = 1.0
    baseline = estimators.MovingAverageBaseline(decay=0.9)
    b, loss = baseline(mg.tensor([[0.5], [1.5]], dtype=mg.float64, device=device))   # mean 1, shape (n, batch)
    assert b == 0.0 and loss is None                                                    # nothing seen yet
    b, _ = baseline(mg.tensor([[100.0], [100.0]], dtype=mg.float64, device=device))
    np.testing.assert_array_equal(b.numpy(), [1.0])
    b, _ = baseline(mg.tensor([[0.0], [0.0]], dtype=mg.float64, device=device))
    np.testing.assert_allclose(b.numpy(), [0.9 * 1.0 + 0.1 * 100.0])


def test_learned_baseline_is_trained_by_the_same_backward(device):
    # NVIL-style: b = net(context), trained on (f - b)^2; here net(context) = w * context + c
    w = mg.tensor(0.0, requires_grad=True, dtype=mg.float64, device=device)
    c = mg.tensor(0.0, requires_grad=True, dtype=mg.float64, device=device)
    context = mg.tensor([0.0, 1.0], dtype=mg.float64, device=device)   # two data points, two distributions
    baseline = estimators.LearnedBaseline(lambda z: w * z + c, context)
    loc = mg.tensor([0.0, 2.0], requires_grad=True, dtype=mg.float64, device=device)
    mg.random.seed(1)
    for _ in range(400):
        w.grad = c.grad = loc.grad = None
        surrogate = estimators.score_function(square(0.0), Normal(loc, 1.0), n=16, baseline=baseline)
        surrogate.backward()
        with mg.no_grad():                         # plain SGD on the baseline's parameters only
            w.data = w.data - 0.05 * w.grad.data
            c.data = c.data - 0.05 * c.grad.data
    # E (x - 0)^2 = loc^2 + 1: 1 for context 0 and 5 for context 1
    assert c.item() == pytest.approx(1.0, abs=0.5)
    assert (w + c).item() == pytest.approx(5.0, abs=1.0)
    # the baseline's loss adds nothing to the value: it is still the Monte Carlo estimate of E f
    assert surrogate.item() == pytest.approx(1.0 + 5.0, abs=2.0)


# ---------------------------------------------------------------- surrogates: values, gradients upstream

def test_surrogate_values_estimate_the_expectation(device):
    for seed, estimator in enumerate((estimators.pathwise, estimators.score_function, estimators.measure_valued)):
        mg.random.seed(seed)
        loc = mg.tensor(1.0, requires_grad=True, dtype=mg.float64, device=device)
        value = estimator(square(2.0), Normal(loc, 1.0), n=100_000).item()
        assert value == pytest.approx(2.0, abs=FIVE_SE * math.sqrt(8.0 / 100_000))   # Var (x-2)^2 = 8 at a = -1


def test_gradients_flow_to_what_computed_the_parameters_and_into_f(device):
    # loc = 2 theta, and f has its own parameter phi: f = phi (x - 1)^2, E f = phi ((loc - 1)^2 + 1)
    for seed, estimator in enumerate((estimators.pathwise, estimators.score_function, estimators.measure_valued)):
        mg.random.seed(seed)
        theta = copies(1.0, 50_000, device)
        phi = mg.tensor(3.0, requires_grad=True, dtype=mg.float64, device=device)
        estimator(lambda x, phi=phi: phi * (x - 1.0) ** 2, Normal(2.0 * theta, 1.0), n=1).backward()
        assert_unbiased(theta.grad.numpy(), 2 * 3.0 * 2 * (2.0 - 1.0), estimator.__name__)   # dE/dtheta = 2 dE/dloc
        assert phi.grad.item() / 50_000 == pytest.approx(2.0, abs=0.1)                       # dE/dphi = 2


def test_pathwise_through_a_relaxed_bernoulli_reaches_the_logits(device):
    logits = mg.tensor([0.0, 1.0], requires_grad=True, dtype=mg.float64, device=device)
    estimators.pathwise(lambda y: y, RelaxedBernoulli(0.5, logits=logits), n=100).backward()
    assert np.all(logits.grad.numpy() > 0)        # larger logits give larger y


# ---------------------------------------------------------------- misuse

def test_estimators_explain_what_they_need(device):
    probs = mg.tensor([0.5], dtype=mg.float64, device=device)
    normal = Normal(mg.tensor([0.0], dtype=mg.float64, device=device), 1.0)
    with pytest.raises(ValueError, match="cannot be reparameterized"):
        estimators.pathwise(lambda x: x, Bernoulli(probs=probs))
    with pytest.raises(TypeError, match="Normal only"):
        estimators.measure_valued(lambda x: x, Bernoulli(probs=probs))
    with pytest.raises(ValueError, match="n must be an int >= 2"):
        estimators.score_function(lambda x: x, normal, n=1, baseline="leave_one_out")
    with pytest.raises(ValueError, match="unknown baseline"):
        estimators.score_function(lambda x: x, normal, n=2, baseline="mean")
    with pytest.raises(ValueError, match="n must be an int >= 1"):
        estimators.pathwise(lambda x: x, normal, n=0)


# ---------------------------------------------------------------- slow: more draws of the parameters

@pytest.mark.slow
@given(k=st.floats(-3.0, 3.0))
@settings(max_examples=40)
def test_variances_equal_the_closed_forms_for_many_k(device, k):
    a, n = 1.0 - k, 200_000
    for seed, (estimator, var_mu, var_sigma) in enumerate([
            (estimators.pathwise, 4.0, 4 * a**2 + 8),
            (estimators.score_function, a**4 + 14 * a**2 + 15, 2 * a**4 + 60 * a**2 + 74),
            (estimators.measure_valued, (16 / math.pi - 4) * a**2, 4 * a**2 + 4)]):
        mg.random.seed(seed)
        loc, scale = copies(1.0, n, device), copies(1.0, n, device)
        estimator(square(k), Normal(loc, scale)).backward()
        if var_mu > 1e-3:
            assert_variance(loc.grad.numpy(), var_mu, estimator.__name__)
        assert_variance(scale.grad.numpy(), var_sigma, estimator.__name__)


@pytest.mark.slow
@given(mu=st.floats(-2.0, 2.0), sigma=st.floats(0.3, 2.0), k=st.floats(0.1, 3.0))
@settings(max_examples=40)
def test_every_estimator_is_unbiased_for_smooth_and_oscillating_costs(device, mu, sigma, k):
    # f = cos(k x): E f = cos(k mu) exp(-k^2 sigma^2 / 2), so
    # d/dmu = -k sin(k mu) e^{-k^2 s^2/2},  d/dsigma = -k^2 sigma cos(k mu) e^{-k^2 s^2/2}
    damp = math.exp(-k * k * sigma * sigma / 2)
    exact_mu, exact_sigma = -k * math.sin(k * mu) * damp, -k * k * sigma * math.cos(k * mu) * damp
    for seed, estimator in enumerate((estimators.pathwise, estimators.score_function, estimators.measure_valued)):
        mg.random.seed(seed)
        loc, scale = copies(mu, 100_000, device), copies(sigma, 100_000, device)
        estimator(lambda x: (x * k).cos(), Normal(loc, scale)).backward()
        assert_unbiased(loc.grad.numpy(), exact_mu, estimator.__name__)
        assert_unbiased(scale.grad.numpy(), exact_sigma, estimator.__name__)
