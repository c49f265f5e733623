"""The semi-supervised VAE demo (demos/ssvae.py): its bounds against hand computations, the labelled
subset, and a tiny run end to end (files, metrics, pictures as a student sees them)."""
import json
import math

import numpy
import pytest

import minigrad as mg

from demo_helpers import load_demo


@pytest.fixture(scope="module")
def ssvae():
    return load_demo("ssvae")


# ---------------------------------------------------------------- the same numbers, by hand, in NumPy

def softplus(a):
    return numpy.logaddexp(0.0, a)


def hand_classifier_probs(w, x):
    """q(y | x): softmax of the classifier MLP (Linear, softplus, Linear); a Linear's weight is (out, in)."""
    logits = softplus(x @ w["classifier.0.weight"].T + w["classifier.0.bias"]) \
        @ w["classifier.2.weight"].T + w["classifier.2.bias"]
    logits = logits - logits.max(-1, keepdims=True)
    return numpy.exp(logits) / numpy.exp(logits).sum(-1, keepdims=True)


def hand_labelled_bound(w, x, y, eps, classes):
    """L(x, y) = log p(x | y, z) + log p(y) - KL(q(z | x, y) || N(0, I)) with z = loc + scale * eps."""
    y_hot = numpy.eye(classes)[y]
    a = x @ w["enc_x.weight"].T + w["enc_x.bias"]
    loc = softplus(a + y_hot @ w["enc_y.weight"].T) @ w["enc_loc.weight"].T + w["enc_loc.bias"]
    log_var = softplus(a) @ w["enc_log_var.weight"].T + w["enc_log_var.bias"]   # from x alone
    scale = numpy.exp(0.5 * log_var)
    z = loc + scale * eps
    logits = softplus(z @ w["dec_z.weight"].T + w["dec_z.bias"] + y_hot @ w["dec_y.weight"].T) \
        @ w["dec_out.weight"].T + w["dec_out.bias"]
    log_px = (x * logits - softplus(logits)).sum(-1)                  # Bernoulli: x log p + (1 - x) log(1 - p)
    kl = 0.5 * (loc ** 2 + scale ** 2 - 1.0 - numpy.log(scale ** 2)).sum(-1)
    return log_px + math.log(1.0 / classes) - kl


def tiny_model(ssvae, seed=0, x_dim=7, hidden=6, latent=3, classes=4):
    mg.random.seed(seed)
    model = ssvae.M2(x_dim, hidden, latent, classes, dtype=mg.float64)
    x = (numpy.random.default_rng(seed).random((5, x_dim)) < 0.5).astype(numpy.float64)
    return model, mg.tensor(x, dtype=mg.float64)


def test_labelled_bound_matches_a_hand_computation(ssvae):
    """L(x, y) for 5 digits of 7 pixels, recomputed in NumPy from the weights and the same noise eps."""
    model, x = tiny_model(ssvae)
    y = numpy.array([0, 3, 1, 1, 2])
    mg.random.seed(7)
    eps = mg.random.normal(size=(5, 3), dtype=mg.float64).numpy()   # what rsample will draw after the same seed
    mg.random.seed(7)
    got = model.labelled_bound(x, model.one_hot(y, x)).numpy()
    want = hand_labelled_bound(model.state_dict(), x.numpy(), y, eps, classes=4)
    numpy.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-10)


def test_unlabelled_bound_is_the_q_weighted_sum_of_labelled_bounds_plus_the_entropy(ssvae):
    """U(x) = sum_y q(y | x) L(x, y) + H(q(y | x)), every term computed by hand, with the noise of each class."""
    model, x = tiny_model(ssvae, seed=1)
    mg.random.seed(3)
    eps = mg.random.normal(size=(4, 5, 3), dtype=mg.float64).numpy()   # (classes, batch, latent): one draw per class
    mg.random.seed(3)
    out = model.unlabelled_bound(x)
    w, xs = model.state_dict(), x.numpy()
    elbo = numpy.stack([hand_labelled_bound(w, xs, numpy.full(5, c), eps[c], 4) for c in range(4)], axis=1)
    q = hand_classifier_probs(w, xs)
    want = (q * elbo).sum(-1) - (q * numpy.log(q)).sum(-1)
    numpy.testing.assert_allclose(out.elbo.numpy(), elbo, rtol=1e-12, atol=1e-10)
    numpy.testing.assert_allclose(out.probs.numpy(), q, rtol=1e-12, atol=1e-14)
    numpy.testing.assert_allclose(out.bound.numpy(), want, rtol=1e-12, atol=1e-10)


def test_unlabelled_bound_lies_below_log_px_and_the_importance_estimate_approaches_it(ssvae):
    """With a 2-D z, log p(x) = log sum_y p(y) integral p(x | y, z) N(z; 0, I) dz is a quadrature on a grid.
    The average of U(x) over many draws must lie below it (U is a lower bound), and the importance-sampled
    estimate with many draws must come close to it from below."""
    model, x = tiny_model(ssvae, seed=2, x_dim=5, hidden=8, latent=2, classes=3)
    step = 0.05
    ticks = numpy.arange(-7.0, 7.0 + step / 2, step)
    z = numpy.stack(numpy.meshgrid(ticks, ticks), -1).reshape(-1, 2)
    log_prior_z = -0.5 * (z ** 2).sum(-1) - math.log(2 * math.pi) + 2 * math.log(step)   # N(z; 0, I) dz
    log_joint = []
    with mg.no_grad():
        for c in range(3):
            y_hot = model.one_hot(numpy.full(len(z), c), x)
            p_x = model.decode(y_hot, mg.tensor(z, dtype=mg.float64))
            log_px_given_z = p_x.log_prob(x.reshape(5, 1, 5)).sum(-1).numpy()          # (digits, grid)
            log_joint.append(numpy.logaddexp.reduce(log_px_given_z + log_prior_z, axis=1) - math.log(3))
        log_px = numpy.logaddexp.reduce(numpy.stack(log_joint), axis=0)                # (digits,)

        draws = 4000
        mg.random.seed(0)
        many = mg.tensor(numpy.repeat(x.numpy(), draws, axis=0), dtype=mg.float64)
        mean_bound = model.unlabelled_bound(many).bound.numpy().reshape(5, draws).mean(1)
        estimate = model.log_marginal(x, k=4000).numpy()
    assert (log_px < 0).all()
    assert (mean_bound < log_px).all(), (mean_bound, log_px)
    numpy.testing.assert_allclose(estimate, log_px, atol=0.02)


def test_the_labelled_subset_has_its_count_of_each_class_and_is_fixed_by_the_seed(ssvae):
    labels = mg.data.load_mnist().train_labels
    chosen = ssvae.choose_labelled(labels, 10, seed=0)
    assert len(chosen) == 100 and len(set(chosen.tolist())) == 100
    assert numpy.bincount(labels[chosen], minlength=10).tolist() == [10] * 10
    numpy.testing.assert_array_equal(chosen, ssvae.choose_labelled(labels, 10, seed=0))   # the same seed, again
    assert set(chosen.tolist()) != set(ssvae.choose_labelled(labels, 10, seed=1).tolist())
    with pytest.raises(ValueError, match="only"):
        ssvae.choose_labelled(labels[:30], 10, seed=0)


def test_tiny_run_writes_metrics_per_seed_and_readable_pictures(ssvae, tmp_path, saved_figures):
    pytest.importorskip("matplotlib")
    pytest.importorskip("tqdm")
    from demo_helpers import data_under_legends
    metrics = ssvae.main(["--seeds", "0", "1", "--epochs", "2", "--train-size", "400", "--test-size", "100",
                          "--labels-per-class", "2", "--hidden", "16", "--latent", "4", "--iwae-k", "2",
                          "--no-progress", "--out", str(tmp_path)])
    for name in ("metrics.json", "error.png", "analogies.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["alpha"] == pytest.approx(10 * 400)   # the default ALPHA_FACTOR 10 times N
    assert [run["seed"] for run in saved["runs"]] == [0, 1]
    for run in saved["runs"]:
        assert 0 <= run["m2_test_error"] <= 100 and 0 <= run["supervised_test_error"] <= 100
        assert len(run["history"]["m2_test_error"]) == 2 and len(run["labelled_indices"]) == 20
        assert run["test_unlabelled_bound"] < 0
    assert saved["runs"][0]["labelled_indices"] != saved["runs"][1]["labelled_indices"]
    for key in ("m2_test_error", "supervised_test_error"):
        per_seed = [run[key] for run in saved["runs"]]
        assert saved[key]["per_seed"] == per_seed
        assert saved[key]["mean"] == pytest.approx(numpy.mean(per_seed))
        assert saved[key]["sd"] == pytest.approx(numpy.std(per_seed, ddof=1))
    assert metrics["m2_test_error"] == saved["m2_test_error"]

    error = saved_figures["error.png"]
    ax = error.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel()
    assert data_under_legends(error) == []
    for words in ("784-16-4", "20 labelled + 380 unlabelled", "2 epochs", "alpha = 10 N", "100 test digits",
                  "seeds (0, 1)"):
        assert words in ax.get_title(), (words, ax.get_title())
    analogies = saved_figures["analogies.png"]
    assert "seed 0" in analogies._suptitle.get_text() and "784-16-4" in analogies._suptitle.get_text()
    for ax in analogies.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
        assert [t.get_text() for t in ax.get_xticklabels()][-10:] == [str(c) for c in range(10)]


@pytest.mark.slow
def test_m2_beats_the_same_classifier_trained_on_the_labels_alone(ssvae, tmp_path):
    """The demo's claim, with its defaults and one seed (about a minute on an idle 2-core machine): the
    unlabelled digits lower the test error of q(y | x) by more than 3 points (seed 0 gave 20.4% against
    26.5%)."""
    metrics = ssvae.main(["--seeds", "0", "--iwae-k", "1", "--no-progress", "--no-pictures", "--out", str(tmp_path)])
    m2, alone = metrics["m2_test_error"]["mean"], metrics["supervised_test_error"]["mean"]
    assert m2 < alone - 3, (m2, alone)
