"""demos/bnn.py: Bayes by Backprop with three gradient estimators for the weights.

What is checked, in the bodies below:

- the demo runs end to end with tiny settings, writes metrics.json and every picture, and the
  pictures label their axes, say what was run, and keep their legends off the data;
- at fixed parameters the three estimators (plain reparameterization, the local
  reparameterization trick, Flipout) are unbiased estimates of the gradient of one expected loss:
  their averages over many draws agree within standard errors, while the gradient of the network
  at its means (a biased stand-in) is told apart by the same test;
- the local trick draws each pre-activation with the mean and variance that drawing the weights
  gives, x mu + mu_b and x^2 sigma^2 + sigma_b^2;
- Flipout gives each example the plain marginal (mean, variance, Gaussian kurtosis) while two
  examples' perturbations are uncorrelated, even for two identical inputs, which the plain
  estimator makes perfectly correlated;
- (slow) on a minibatch the local trick and Flipout have a lower gradient variance than plain
  reparameterization, and the plain one shrinks less than 1 / batch size.
"""
import json
import math

import numpy
import pytest

import minigrad as mg

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from demo_helpers import data_under_legends, load_demo  # noqa: E402  (after the skips: it needs matplotlib)

TINY = ["--reg-points", "40", "--reg-hidden", "16", "--reg-steps", "20", "--train-size", "300", "--test-size", "100",
        "--hidden", "16", "--epochs", "1", "--variance-repeats", "4", "--variance-batch-sizes", "10", "30",
        "--samples", "3", "--rotation-digits", "20", "--no-progress"]
PICTURES = ("regression.png", "gradient_variance.png", "training.png", "entropy.png", "ood_inputs.png",
            "rotation.png")




@pytest.fixture(scope="module")
def bnn():
    return load_demo("bnn")


def test_tiny_run_writes_metrics_and_readable_pictures(tmp_path, saved_figures, bnn):
    metrics = bnn.main(["--out", str(tmp_path), *TINY])
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert set(saved) >= {"config", "regression", "training", "variance", "out_of_distribution", "seconds"}
    assert set(saved["regression"]["regions"]) == {"data", "gap", "beyond"}
    assert set(saved["training"]) == {"reparam", "local", "flipout", "plain"}
    for estimator in ("reparam", "local", "flipout", "per-example", "mean"):
        for batch_size in ("10", "30"):
            variances = saved["variance"]["after_training"][estimator][batch_size]
            assert all(math.isfinite(v) and v >= 0 for v in variances.values()), (estimator, variances)
    sets = saved["out_of_distribution"]["sets"]
    assert set(sets) == {"test digits", "test digits turned 90 degrees", "uniform noise"}
    for values in sets.values():
        assert 0 <= values["bnn_mean_entropy"] <= math.log(10) + 1e-9
        assert -1e-9 <= values["bnn_mean_mutual_information"] <= values["bnn_mean_entropy"] + 1e-9
    assert saved["seconds"] == metrics["seconds"] > 0

    for name in PICTURES:
        assert (tmp_path / name).stat().st_size > 0, name
        fig = saved_figures[name]
        assert fig._suptitle is not None or any(ax.get_title() for ax in fig.axes), name   # says what was run
        for ax in fig.axes:
            if ax.axison:                       # the image strips of ood_inputs.png have no axes
                assert labelled(ax, "x") and labelled(ax, "y"), (name, ax.get_title())
        assert data_under_legends(fig) == [], name


def labelled(ax, which):
    """The axes, or one that shares this axis with it (and so carries the label), names the axis."""
    shared = ax.get_shared_x_axes() if which == "x" else ax.get_shared_y_axes()
    return any((a.get_xlabel() if which == "x" else a.get_ylabel()) for a in shared.get_siblings(ax))


def test_rotation_by_quarter_turns_is_numpy_rot90(bnn):
    """The bilinear rotation of part 4 turns counterclockwise, as numpy.rot90 does, and exactly at 90 degrees."""
    images = numpy.random.default_rng(0).random((3, 14 * 14)).astype(numpy.float32)
    for k in (1, 2, 3):
        turned = bnn.rotate(images, 90 * k, 14).reshape(3, 14, 14)
        assert numpy.allclose(turned, numpy.rot90(images.reshape(3, 14, 14), k, axes=(1, 2)), atol=1e-6)


def tiny_network(bnn, estimator, seed=0):
    """A 3-4-2 Bayesian classifier with wide posteriors (sigma about 0.5), so the weight noise matters."""
    mg.random.seed(seed)
    model = bnn.BayesianMLP([3, 4, 2], prior_scale=1.0, init_scale=0.5, estimator=estimator)
    rng = numpy.random.default_rng(seed)
    for layer in model.layers:              # means away from 0, standard deviations between 0.3 and 0.8
        layer.weight_loc.data[...] = rng.normal(0, 1, layer.weight_loc.shape)
        layer.bias_loc.data[...] = rng.normal(0, 1, layer.bias_loc.shape)
        layer.weight_rho.data[...] = numpy.log(numpy.expm1(rng.uniform(0.3, 0.8, layer.weight_rho.shape)))
    return model


def gradient_draws(bnn, estimator, x, y, repeats):
    """(loss values, flattened gradients): one row per fresh draw of the noise, same parameters and batch."""
    model = tiny_network(bnn, estimator)
    mg.random.seed(123)
    losses, gradients = [], []
    for _ in range(repeats):
        model.zero_grad()
        loss, _, _ = bnn.negative_elbo(model, x, y, n_data=len(y.numpy()))
        loss.backward()
        losses.append(loss.item())
        gradients.append(numpy.concatenate([p.grad.numpy().ravel() for p in model.parameters()]))
    return numpy.array(losses, dtype=numpy.float64), numpy.array(gradients, dtype=numpy.float64)


def z_scores(a, b):
    """Difference of the column means of two samples in units of its standard error."""
    se = numpy.sqrt(a.var(0, ddof=1) / len(a) + b.var(0, ddof=1) / len(b))
    return (a.mean(0) - b.mean(0)) / se


def test_the_three_estimators_are_unbiased_for_the_same_expected_loss(bnn):
    """E[gradient] is the same for the three: every parameter's mean gradient over 800 draws agrees with
    plain reparameterization's within the standard error (|z| < 4.5 for all 52 entries; mean z^2 near 1).
    The test has power: the gradient of the network at its means, which ignores the noise (Jensen's
    gap), is flagged by it."""
    rng = numpy.random.default_rng(7)
    x = mg.tensor(rng.normal(0, 1, (6, 3)).astype(numpy.float32))
    y = mg.tensor(numpy.array([0, 1, 1, 0, 1, 0]))
    repeats = 800
    losses, gradients = {}, {}
    for estimator in ("reparam", "local", "flipout", "mean"):
        losses[estimator], gradients[estimator] = gradient_draws(bnn, estimator, x, y, repeats)
    assert gradients["reparam"].shape == (repeats, 2 * (3 * 4 + 4 + 4 * 2 + 2))   # a loc and a rho for each

    for estimator in ("local", "flipout"):
        z = z_scores(gradients[estimator], gradients["reparam"])
        assert numpy.abs(z).max() < 4.5, (estimator, numpy.round(z, 2))
        assert (z ** 2).mean() < 2.0, (estimator, (z ** 2).mean())
        assert abs(z_scores(losses[estimator][:, None], losses["reparam"][:, None])[0]) < 4.5   # the same loss
    z_mean = z_scores(gradients["mean"], gradients["reparam"])      # "mean" has no noise: its rows are equal
    assert numpy.abs(z_mean).max() > 6, numpy.round(z_mean, 1)


def layer_with_wide_posterior(bnn, estimator, in_features=3, out_features=2):
    mg.random.seed(1)
    layer = bnn.BayesianLinear(in_features, out_features, init_scale=0.5, estimator=estimator)
    rng = numpy.random.default_rng(1)
    layer.weight_loc.data[...] = rng.normal(0, 1, layer.weight_loc.shape)
    layer.bias_loc.data[...] = rng.normal(0, 1, layer.bias_loc.shape)
    layer.weight_rho.data[...] = numpy.log(numpy.expm1(rng.uniform(0.2, 1.0, layer.weight_rho.shape)))
    return layer


def exact_moments(layer, x):
    """The mean and variance of x W + b for W, b drawn from the layer's Gaussians."""
    sigma_w = numpy.log1p(numpy.exp(layer.weight_rho.numpy().astype(numpy.float64)))
    sigma_b = numpy.log1p(numpy.exp(layer.bias_rho.numpy().astype(numpy.float64)))
    mean = x @ layer.weight_loc.numpy() + layer.bias_loc.numpy()
    variance = (x * x) @ sigma_w ** 2 + sigma_b ** 2
    return mean, variance


def check_moments(samples, mean, variance, what):
    """Sample mean and variance of (repeats, ...) samples within 5 standard errors of the given ones."""
    repeats = len(samples)
    m, v = samples.mean(0), samples.var(0, ddof=1)
    assert (numpy.abs(m - mean) < 5 * numpy.sqrt(variance / repeats)).all(), (what, m, mean)
    assert (numpy.abs(v - variance) < 5 * variance * math.sqrt(2 / (repeats - 1))).all(), (what, v, variance)


@mg.no_grad()
def test_local_reparameterization_draws_the_pre_activations_that_weight_draws_give(bnn):
    """For fixed inputs, drawing the weights (one draw per pass) and drawing the pre-activations directly
    (the local trick) give pre-activations with the same mean x mu + mu_b and variance x^2 sigma^2 + sigma_b^2,
    and so the same Gaussian; the local trick's draws for different examples are independent."""
    x = numpy.random.default_rng(2).normal(0, 1, (4, 3)).astype(numpy.float32)
    repeats = 3000
    plain = layer_with_wide_posterior(bnn, "reparam")
    weight_draws = numpy.stack([plain(mg.tensor(x)).numpy() for _ in range(repeats)]).astype(numpy.float64)
    local = layer_with_wide_posterior(bnn, "local")
    local_draws = local(mg.tensor(numpy.tile(x, (repeats, 1)))).numpy().reshape(repeats, 4, 2).astype(numpy.float64)

    mean, variance = exact_moments(plain, x)
    check_moments(weight_draws, mean, variance, "weights drawn")
    check_moments(local_draws, mean, variance, "local reparameterization")
    assert numpy.abs(z_scores(local_draws.reshape(repeats, -1), weight_draws.reshape(repeats, -1))).max() < 5
    correlation = numpy.corrcoef(local_draws[:, 0, 0], local_draws[:, 1, 0])[0, 1]
    assert abs(correlation) < 5 / math.sqrt(repeats)


@mg.no_grad()
def test_flipout_decorrelates_examples_and_keeps_the_plain_marginal(bnn):
    """Flipout's perturbation of example n is ((x_n * s_n) dW + db) * r_n. Its marginal is the plain one
    (mean 0, variance x^2 sigma^2 + sigma_b^2, Gaussian kurtosis 3), and the perturbations of two examples
    are uncorrelated, even for identical inputs, whose plain perturbations are the same number."""
    rng = numpy.random.default_rng(3)
    x = rng.normal(0, 1, (4, 3)).astype(numpy.float32)
    x[1] = x[0]                                       # two identical inputs
    repeats = 4000
    perturbations = {}
    for estimator in ("flipout", "reparam"):
        layer = layer_with_wide_posterior(bnn, estimator)
        mean, variance = exact_moments(layer, x)
        outputs = numpy.stack([layer(mg.tensor(x)).numpy() for _ in range(repeats)]).astype(numpy.float64)
        perturbations[estimator] = outputs - mean
        check_moments(outputs, mean, variance, estimator)

    flipout = perturbations["flipout"]
    kurtosis = (flipout ** 4).mean(0) / (flipout ** 2).mean(0) ** 2
    assert (numpy.abs(kurtosis - 3) < 5 * math.sqrt(24 / repeats)).all(), kurtosis
    for n in range(4):
        for m in range(n + 1, 4):
            for j in range(2):
                correlation = numpy.corrcoef(flipout[:, n, j], flipout[:, m, j])[0, 1]
                assert abs(correlation) < 5 / math.sqrt(repeats), (n, m, j, correlation)
    plain = perturbations["reparam"]
    assert numpy.corrcoef(plain[:, 0, 0], plain[:, 1, 0])[0, 1] > 0.999     # the same weights, the same input


@pytest.mark.slow
def test_local_and_flipout_have_lower_minibatch_gradient_variance_than_plain(bnn):
    """On minibatches of a synthetic problem, at fixed parameters with wide posteriors (sigma = 0.3), the
    variance of the first layer's mean gradient, over 300 draws of minibatch and noise:

    - plain reparameterization shrinks by less than the 8x that 1 / batch size predicts from 16 to 128
      examples (they share one draw of the weights: about 3.7x here), Flipout and the local trick by more
      than 6x (about 8x);
    - Flipout has the variance of an own weight draw per example (within 15%), and is clearly lower than
      plain at 128 examples (about 2.5x); at 16 the per-example variance dominates and they are close;
    - the local trick is lower than plain at both sizes (about 9x and 19x): one noise per unit rather
      than per weight, in the backward pass too.
    The ratios hold for other seeds of the data and the network (checked: 5 and 6)."""
    rng = numpy.random.default_rng(5)
    teacher = rng.normal(0, 1, (20, 5))
    images = rng.normal(0, 1, (2000, 20)).astype(numpy.float32)
    labels = (images @ teacher).argmax(1)
    mg.random.seed(0)
    model = bnn.BayesianMLP([20, 50, 5], prior_scale=1.0, init_scale=0.3)
    variance = {}
    for estimator in ("reparam", "local", "flipout", "per-example"):
        for batch_size in (16, 128):
            _, v, _ = bnn.gradient_moments(model, estimator, images, labels, batch_size, repeats=300, seed=0)
            variance[estimator, batch_size] = v["layers.0.weight_loc"].mean()

    assert variance["reparam", 16] / variance["reparam", 128] < 5, variance
    for estimator in ("local", "flipout"):
        assert variance[estimator, 16] / variance[estimator, 128] > 6, (estimator, variance)
    for batch_size in (16, 128):
        assert variance["flipout", batch_size] == pytest.approx(variance["per-example", batch_size], rel=0.15)
        assert variance["local", batch_size] < 0.5 * variance["reparam", batch_size], variance
    assert variance["flipout", 128] < 0.6 * variance["reparam", 128], variance
