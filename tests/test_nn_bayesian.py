"""mg.nn.BayesianLinear: a Gaussian for every weight, drawn by five estimators.

What is checked, in the bodies below:

- every estimator gives each output the mean x mu^T + mu_b and the variance x^2 sigma^2^T + sigma_b^2
  that drawing W and b from q gives ("mean": no variance), within CLT bounds at 4,000 draws, where
  a missing square (sigma for sigma^2) is off by a factor of 2 to 5;
- the local trick, Flipout and per-example draws make two rows uncorrelated, even for equal
  inputs, and plain reparameterization makes them one number; Flipout's marginal is Gaussian
  (kurtosis 3);
- the estimators are unbiased for the same expected loss: the mean gradient over many draws agrees
  with plain reparameterization's, and the test flags the biased gradient at the means;
- gradients reach loc and rho (gradcheck with the noise fixed by a seed);
- kl() is the closed form, mg.distributions.kl_divergence, and a Monte Carlo estimate;
- the state dict has Linear's layout; bad arguments are refused with a message.
"""
import math

import numpy
import pytest

import minigrad as mg
from minigrad.distributions import Normal, kl_divergence

F = mg.nn.functional
RANDOM = ("reparam", "local", "flipout", "per-example")


def wide_layer(estimator, device="cpu", dtype=None, in_features=3, out_features=2, seed=1):
    """A layer with means away from 0 and standard deviations between 0.2 and 1, so the noise matters."""
    mg.random.seed(seed)
    layer = mg.nn.BayesianLinear(in_features, out_features, estimator=estimator, dtype=dtype, device=device)
    rng = numpy.random.default_rng(seed)
    state = {"weight_loc": rng.normal(0, 1, (out_features, in_features)),
             "weight_rho": numpy.log(numpy.expm1(rng.uniform(0.2, 1.0, (out_features, in_features)))),
             "bias_loc": rng.normal(0, 1, out_features),
             "bias_rho": numpy.log(numpy.expm1(rng.uniform(0.2, 1.0, out_features)))}
    layer.load_state_dict({k: v.astype(layer.weight_loc.dtype) for k, v in state.items()})
    return layer


def exact_moments(layer, x):
    """Mean and variance of x @ W.T + b for W, b drawn from the layer's Gaussians, in float64."""
    s = {k: v.astype(numpy.float64) for k, v in layer.state_dict().items()}
    sigma_w, sigma_b = numpy.log1p(numpy.exp(s["weight_rho"])), numpy.log1p(numpy.exp(s["bias_rho"]))
    return x @ s["weight_loc"].T + s["bias_loc"], (x * x) @ (sigma_w ** 2).T + sigma_b ** 2


@mg.no_grad()
def draws(layer, x, repeats, device):
    """(repeats, n, out): one forward pass per row, each with fresh noise."""
    x_t = mg.tensor(x, device=device)
    return numpy.stack([layer(x_t).numpy() for _ in range(repeats)]).astype(numpy.float64)


@pytest.mark.parametrize("estimator", RANDOM + ("mean",))
def test_each_estimator_has_the_mean_and_variance_of_drawing_the_weights(device, estimator):
    """Over 4,000 passes each output's sample mean is within 5 standard errors of x mu^T + mu_b, and its
    sample variance within 5 standard errors (sqrt(2 / (n - 1)) relative) of x^2 sigma^2^T + sigma_b^2.
    The relative bound is 11%; sigma in place of sigma^2 would be off by 1/sigma, 1.25 to 5."""
    x = numpy.random.default_rng(2).normal(0, 1, (4, 3)).astype(numpy.float32)
    layer = wide_layer(estimator, device)
    repeats = 4000
    samples = draws(layer, x, repeats, device)
    mean, variance = exact_moments(layer, x.astype(numpy.float64))
    if estimator == "mean":
        numpy.testing.assert_allclose(samples, numpy.broadcast_to(mean, samples.shape), rtol=1e-5, atol=1e-5)
        return
    m, v = samples.mean(0), samples.var(0, ddof=1)
    assert (numpy.abs(m - mean) < 5 * numpy.sqrt(variance / repeats)).all(), (m, mean)
    assert (numpy.abs(v / variance - 1) < 5 * math.sqrt(2 / (repeats - 1))).all(), (v, variance)


@pytest.mark.parametrize("estimator", RANDOM)
def test_rows_are_uncorrelated_except_under_one_shared_weight_draw(device, estimator):
    """Two rows with the same input: plain reparameterization gives them the same output (correlation 1);
    the local trick, Flipout and per-example draws leave them uncorrelated (|r| < 5 / sqrt(n)). A Flipout
    that shared its signs across the batch would correlate them fully."""
    x = numpy.random.default_rng(3).normal(0, 1, (3, 3)).astype(numpy.float32)
    x[1] = x[0]
    layer = wide_layer(estimator, device)
    repeats = 4000
    perturbation = draws(layer, x, repeats, device) - exact_moments(layer, x.astype(numpy.float64))[0]
    for n, m in ((0, 1), (0, 2), (1, 2)):
        for j in range(2):
            r = numpy.corrcoef(perturbation[:, n, j], perturbation[:, m, j])[0, 1]
            if estimator == "reparam" and (n, m) == (0, 1):
                assert r > 0.999, r
            elif estimator != "reparam":
                assert abs(r) < 5 / math.sqrt(repeats), (n, m, j, r)
    if estimator == "flipout":      # each row still sees Gaussian weights: kurtosis 3
        kurtosis = (perturbation ** 4).mean(0) / (perturbation ** 2).mean(0) ** 2
        assert (numpy.abs(kurtosis - 3) < 5 * math.sqrt(24 / repeats)).all(), kurtosis


def gradients(estimator, x, y, repeats):
    """Loss and flattened gradients of a 3-4-2 classifier's -ELBO/N, one row per fresh draw of the noise."""
    first, second = wide_layer(estimator, in_features=3, out_features=4), wide_layer(estimator, in_features=4, seed=2)
    model = mg.nn.Sequential(first, mg.nn.ReLU(), second)
    mg.random.seed(123)
    losses, rows = [], []
    for _ in range(repeats):
        model.zero_grad()
        loss = F.cross_entropy(model(x), y) + (first.kl() + second.kl()) / 100
        loss.backward()
        losses.append(loss.item())
        rows.append(numpy.concatenate([p.grad.numpy().ravel() for p in model.parameters()]))
    return numpy.array(losses, dtype=numpy.float64), numpy.array(rows, dtype=numpy.float64)


def z_scores(a, b):
    return (a.mean(0) - b.mean(0)) / numpy.sqrt(a.var(0, ddof=1) / len(a) + b.var(0, ddof=1) / len(b))


def test_the_estimators_are_unbiased_for_the_same_expected_loss():
    """Every parameter's mean gradient over 800 draws agrees with plain reparameterization's (|z| < 4.5 for
    all 52 entries, mean z^2 < 2), and so does the mean loss. The gradient at the means (Jensen's gap) is
    flagged by the same test, so it has power."""
    rng = numpy.random.default_rng(7)
    x, y = mg.tensor(rng.normal(0, 1, (6, 3)).astype(numpy.float32)), mg.tensor(numpy.array([0, 1, 1, 0, 1, 0]))
    results = {e: gradients(e, x, y, 800) for e in ("reparam", "local", "flipout", "per-example", "mean")}
    assert results["reparam"][1].shape == (800, 2 * (3 * 4 + 4 + 4 * 2 + 2))
    for estimator in ("local", "flipout", "per-example"):
        z = z_scores(results[estimator][1], results["reparam"][1])
        assert numpy.abs(z).max() < 4.5 and (z ** 2).mean() < 2.0, (estimator, numpy.round(z, 2))
        assert abs(z_scores(results[estimator][0][:, None], results["reparam"][0][:, None])[0]) < 4.5
    assert numpy.abs(z_scores(results["mean"][1], results["reparam"][1])).max() > 6


@pytest.mark.parametrize("estimator", RANDOM + ("mean",))
def test_gradients_reach_loc_and_rho_with_the_noise_fixed(device, estimator):
    """With the seed set before every pass, the layer is a fixed function of (weight_loc, weight_rho,
    bias_loc, bias_rho, x); its gradient matches finite differences in float64, for all five inputs."""
    layer = wide_layer(estimator, device, dtype=mg.float64)
    x = mg.tensor(numpy.random.default_rng(4).normal(0, 1, (5, 3)), dtype=mg.float64, device=device,
                  requires_grad=True)

    def f(weight_loc, weight_rho, bias_loc, bias_rho, x):
        # the tensors being checked in place of the parameters (a Parameter would be a new leaf, cut off from them)
        vars(layer).update(weight_loc=weight_loc, weight_rho=weight_rho, bias_loc=bias_loc, bias_rho=bias_rho)
        mg.random.seed(5)
        return layer(x) + layer.kl()

    inputs = [p.detach().requires_grad_() for p in (layer.weight_loc, layer.weight_rho, layer.bias_loc,
                                                     layer.bias_rho)]
    mg.gradcheck(f, [*inputs, x])
    if estimator != "mean":            # the noise reaches rho through the data term too, not only through the KL
        mg.random.seed(5)
        layer.estimator = estimator
        (g_with_noise,) = mg.autograd.grad(f(*inputs, x).sum(), [inputs[1]])
        layer.estimator = "mean"
        (g_mean,) = mg.autograd.grad(f(*inputs, x).sum(), [inputs[1]])
        assert not numpy.allclose(g_with_noise.numpy(), g_mean.numpy())


def test_kl_is_the_closed_form_kl_divergence_and_a_monte_carlo_estimate(device):
    layer = wide_layer("local", device, dtype=mg.float64)
    layer.prior_scale = 0.7
    s = {k: v for k, v in layer.state_dict().items()}
    closed = 0.0
    for loc, rho in ((s["weight_loc"], s["weight_rho"]), (s["bias_loc"], s["bias_rho"])):
        sigma = numpy.log1p(numpy.exp(rho))
        closed += (numpy.log(0.7 / sigma) + (sigma ** 2 + loc ** 2) / (2 * 0.7 ** 2) - 0.5).sum()
    assert layer.kl().item() == pytest.approx(closed, rel=1e-12)
    library = sum(kl_divergence(Normal(loc, F.softplus(rho)), Normal(mg.zeros_like(loc), 0.7 + 0 * loc)).sum()
                  for loc, rho in ((layer.weight_loc, layer.weight_rho), (layer.bias_loc, layer.bias_rho)))
    assert layer.kl().item() == pytest.approx(library.item(), rel=1e-12)

    mg.random.seed(0)       # E_q[log q(w) - log p(w)] over 20,000 draws, within 5 standard errors
    terms = 0.0
    for loc, rho in ((layer.weight_loc, layer.weight_rho), (layer.bias_loc, layer.bias_rho)):
        q = Normal(loc, F.softplus(rho))
        w = q.sample((20_000,))
        terms = terms + (q.log_prob(w) - Normal(mg.zeros_like(loc), 0.7 + 0 * loc).log_prob(w)).numpy().reshape(
            20_000, -1).sum(1)
    assert abs(terms.mean() - closed) < 5 * terms.std() / math.sqrt(20_000), (terms.mean(), closed)


def test_state_dict_has_linears_layout_and_round_trips(device):
    layer = mg.nn.BayesianLinear(5, 3, init_scale=0.1, device=device)
    state = layer.state_dict()
    assert {k: v.shape for k, v in state.items()} == {"weight_loc": (3, 5), "weight_rho": (3, 5),
                                                       "bias_loc": (3,), "bias_rho": (3,)}
    numpy.testing.assert_allclose(numpy.log1p(numpy.exp(state["weight_rho"])), 0.1, rtol=1e-6)
    assert numpy.abs(state["weight_loc"]).max() <= 1 / math.sqrt(5) and not state["bias_loc"].any()
    other = mg.nn.BayesianLinear(5, 3, estimator="mean", device=device)
    other.load_state_dict(state)
    layer.estimator = "mean"
    x = mg.random.normal(size=(2, 5), device=device)
    numpy.testing.assert_array_equal(layer(x).numpy(), other(x).numpy())
    numpy.testing.assert_allclose(layer(x).numpy(), F.linear(x, layer.weight_loc, layer.bias_loc).numpy())


def test_bad_arguments_are_refused_with_a_message():
    with pytest.raises(ValueError, match="unknown estimator 'flip'.*'flipout'"):
        mg.nn.BayesianLinear(3, 2, estimator="flip")
    layer = mg.nn.BayesianLinear(3, 2)
    layer.estimator = "local-reparam"
    with pytest.raises(ValueError, match="BayesianLinear: unknown estimator"):
        layer(mg.zeros((1, 3)))
    with pytest.raises(ValueError, match="prior_scale is a standard deviation"):
        mg.nn.BayesianLinear(3, 2, prior_scale=0)
    with pytest.raises(ValueError, match="in_features must be an integer >= 1"):
        mg.nn.BayesianLinear(0, 2)
    with pytest.raises(TypeError, match="BayesianLinear: the input has dtype float64"):
        mg.nn.BayesianLinear(3, 2)(mg.zeros((1, 3), dtype=mg.float64))
