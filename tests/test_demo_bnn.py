"""demos/bnn.py: Bayes by Backprop with three gradient estimators on the digits.

What is checked, in the bodies below (the layer itself, mg.nn.BayesianLinear, is tested in
tests/test_nn_bayesian.py: its moments, correlations, unbiasedness, gradients and KL; the
regression demo in tests/test_demo_bnn_regression.py):

- the demo runs end to end with tiny settings, writes its metrics, tables and pictures, and the
  pictures label their axes, say what was run, and keep their legends off the data;
- the rotation of part 4 turns counterclockwise, as numpy.rot90 does;
- (slow) on a minibatch the local trick and Flipout have a lower gradient variance than plain
  reparameterization, and the plain one shrinks less than 1 / batch size.
"""
import argparse
import json
import math

import numpy
import pytest

import minigrad as mg

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from demo_helpers import check_pictures, load_demo  # noqa: E402  (after the skips: it needs matplotlib)

TINY = ["--train-size", "300", "--test-size", "100", "--hidden", "16", "--epochs", "1", "--variance-repeats", "4",
        "--variance-batch-sizes", "10", "30", "--samples", "3", "--rotation-digits", "20", "--no-progress"]
TABLES = ("training.md", "variance.md", "variance_by_batch_size.md", "uncertainty.md")


@pytest.fixture(scope="module")
def bnn():
    return load_demo("bnn")


def test_tiny_run_writes_metrics_and_readable_pictures(tmp_path, saved_figures, bnn):
    metrics = bnn.main(["--out", str(tmp_path), *TINY])
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert set(saved) >= {"config", "training", "variance", "out_of_distribution", "seconds"}
    assert set(saved["training"]) == {"reparam", "local", "flipout", "plain"}
    for estimator in ("reparam", "local", "flipout", "per-example", "mean"):
        for batch_size in ("10", "30"):
            variances = saved["variance"]["after_training"][estimator][batch_size]
            assert all(math.isfinite(v) and v >= 0 for v in variances.values()), (estimator, variances)
    sets = saved["out_of_distribution"]["sets"]
    assert set(sets) == {"test digits", "test digits turned 90 degrees", "uniform noise"}
    for values in sets.values():
        assert 0 <= values["bnn_entropy"] <= math.log(10) + 1e-9
        assert -1e-9 <= values["bnn_mutual_information"] <= values["bnn_entropy"] + 1e-9
    assert saved["seconds"] == metrics["seconds"] > 0
    for name in TABLES:          # Markdown tables for the chapter: a header, its rule, a row per line
        lines = (tmp_path / name).read_text().splitlines()
        assert lines[1].startswith("|---|") and len(lines) > 3 and all(line.count("|") == lines[0].count("|")
                                                                          for line in lines), name
    check_pictures(tmp_path, saved_figures, bnn.PICTURES)


def test_rotation_by_quarter_turns_is_numpy_rot90(bnn):
    """The bilinear rotation of part 4 turns counterclockwise, as numpy.rot90 does, and exactly at 90 degrees."""
    images = numpy.random.default_rng(0).random((3, 14 * 14)).astype(numpy.float32)
    for k in (1, 2, 3):
        turned = bnn.rotate(images, 90 * k, 14).reshape(3, 14, 14)
        assert numpy.allclose(turned, numpy.rot90(images.reshape(3, 14, 14), k, axes=(1, 2)), atol=1e-6)


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
    model = bnn.bayesian_mlp([20, 50, 5], prior_scale=1.0, init_scale=0.3)
    args = argparse.Namespace(seed=0, variance_repeats=300, device="cpu", no_progress=True, estimator="local")
    table, _ = bnn.measure_variances(model, images, labels, [16, 128], args, "variance")
    variance = {(e, b): table[e][b]["0.weight_loc"] for e in table for b in (16, 128)}

    assert variance["reparam", 16] / variance["reparam", 128] < 5, variance
    for estimator in ("local", "flipout"):
        assert variance[estimator, 16] / variance[estimator, 128] > 6, (estimator, variance)
    for batch_size in (16, 128):
        assert variance["flipout", batch_size] == pytest.approx(variance["per-example", batch_size], rel=0.15)
        assert variance["local", batch_size] < 0.5 * variance["reparam", batch_size], variance
    assert variance["flipout", 128] < 0.6 * variance["reparam", 128], variance
