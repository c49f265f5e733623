"""demos/vae_estimators.py: it runs end to end with tiny settings, and its five encoder-gradient
estimators estimate the same gradient (the baselines change the noise, not the mean)."""
import json

import numpy
import pytest

import minigrad as mg
from minigrad.estimators import Baseline, LeaveOneOutBaseline, MovingAverageBaseline, NVILBaseline

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from demo_helpers import data_under_legends, load_demo  # noqa: E402  (after the skips: it needs matplotlib)

TINY = ["--train-size", "256", "--test-size", "100", "--hidden", "32", "--latent", "4", "--epochs", "2",
        "--estimates", "4", "--checkpoints", "3", "--variance-batch", "32", "--baseline-hidden", "8",
        "--no-progress"]




demo = load_demo("vae_estimators")


def test_runs_end_to_end_and_writes_metrics_and_pictures(tmp_path, saved_figures):
    metrics = demo.main(["--out", str(tmp_path), *TINY])
    for name in ("metrics.json", "curves.png", "variance.png", "reconstructions.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["checkpoints"] == metrics["checkpoints"] == [0, 1, 4]   # 2 epochs of 2 steps
    assert list(saved["estimators"]) == list(demo.ESTIMATORS)
    for name, result in saved["estimators"].items():
        assert -600 < result["final_test_elbo"] < 0, name
        assert result["history"]["step"] == [0, 2, 4] and len(result["history"]["test_elbo"]) == 3
        variance = result["gradient_variance"]
        assert len(variance["total_variance"]) == len(variance["snr"]) == 3, name
        assert all(v > 0 for v in variance["total_variance"]), name
    assert saved["estimators"]["pathwise"]["gradient_variance"]["ratio_to_pathwise"] == [1.0, 1.0, 1.0]
    # the pictures as a student sees them: the run named, axes labelled, legends off the data
    for name in ("curves.png", "variance.png", "reconstructions.png"):
        title = saved_figures[name]._suptitle.get_text()
        for words in ("784-32-4", "2 epochs (4 steps)", "256 digits", "batch 128", "seed 0"):
            assert words in title, (name, words, title)
    for name in ("curves.png", "variance.png"):
        fig = saved_figures[name]
        for ax in fig.axes:   # (the two panels of curves.png share the y axis, labelled on the left)
            assert ax.get_xlabel() and ax.get_title(), name
            assert len(ax.get_lines()) >= len(demo.ESTIMATORS), name   # one line per estimator
        assert fig.axes[0].get_ylabel(), name
        assert data_under_legends(fig) == [], name
    labels = [t.get_text() for t in saved_figures["curves.png"].legends[0].get_texts()]
    assert len(labels) == 5 and any("leave-one-out baseline (4 draws" in label for label in labels)


# ---------------------------------------------------------------- the estimators on a tiny model

def tiny_model_and_batch(reps):
    """A 6-5-2 VAE (tanh) in float64 and 3 binary 'digits' of 6 pixels, each repeated ``reps`` times.

    The objective is a mean over the rows, and every row gets its own draws, so the gradient of
    the tiled batch is the average of ``reps`` independent estimates of the gradient for the 3 digits."""
    mg.random.seed(3)
    model = mg.models.VAE(6, 5, 2, activation="tanh", dtype=mg.float64)   # tanh: no unit is dead
    x = numpy.array([[1, 0, 1, 1, 0, 0], [0, 1, 1, 0, 1, 0], [1, 1, 1, 0, 0, 1]], dtype=numpy.float64)
    return model, mg.tensor(numpy.tile(x, (reps, 1)), dtype=mg.float64)


def group_means(model, x, estimator, groups, seed):
    """(groups, d): each row the encoder's gradient of the tiled batch, i.e. a mean of reps estimates.
    ``estimator``: (name, baseline from mg.estimators or None, draws per digit)."""
    mg.random.seed(seed)
    rows = []
    for _ in range(groups):
        objective, _, _ = demo.estimator_objective(model, x, *estimator)
        grads = mg.autograd.grad(objective.mean(), model.encoder.parameters())
        rows.append(numpy.concatenate([g.numpy().ravel() for g in grads]))
    return numpy.array(rows)


def z_scores(a, b):
    """Per parameter: (mean of a - mean of b) / its standard error, a and b independent (groups, d) samples."""
    error = numpy.sqrt(a.var(0, ddof=1) / len(a) + b.var(0, ddof=1) / len(b))
    return (a.mean(0) - b.mean(0)) / error


def frozen_estimators(x_dim):
    """Every score-function variant, with the library's baselines frozen at arbitrary, deliberately poor
    values: a baseline may be as bad as it likes and the estimate stays unbiased, as long as it ignores the draw."""
    moving = MovingAverageBaseline(axis=None)
    moving.average = -3.7
    mg.random.seed(11)
    nvil = NVILBaseline(mg.nn.MLP([x_dim, 4, 1], activation="tanh", dtype=mg.float64))   # b(x): some function of x
    nvil.mean, nvil.variance = 1.5, 9.0
    return [("score", None, 1), ("moving-average", moving, 1), ("leave-one-out", LeaveOneOutBaseline(), 3),
            ("nvil", nvil, 1)]


class PeekingBaseline(Baseline):
    """A broken baseline that looks at the draw it is subtracted from: b_i = f_i / 2 halves the gradient."""

    def read(self, w, context=None):
        return 0.5 * w


def test_every_score_function_variant_is_unbiased_for_the_pathwise_gradient():
    """Averages of many estimates agree with the pathwise average within standard errors, for every
    parameter of the encoder (|z| < 4.5 over 59 parameters); a baseline that peeks at its own draw fails.
    (NVIL is checked before its division by s, a positive step size: the next tests check the division.)
    40 groups of 1000 estimates each: about 3 s."""
    model, x = tiny_model_and_batch(reps=1000)
    pathwise = group_means(model, x, ("pathwise", None, 1), groups=40, seed=0)
    assert numpy.abs(pathwise.mean(0)).max() > 0.05   # a gradient worth estimating
    for i, estimator in enumerate(frozen_estimators(6)):
        estimates = group_means(model, x, estimator, groups=40, seed=100 + i)
        z = z_scores(estimates, pathwise)
        assert numpy.abs(z).max() < 4.5, (estimator[0], numpy.abs(z).max())
    z = z_scores(group_means(model, x, ("peeking", PeekingBaseline(), 1), groups=40, seed=200), pathwise)
    assert numpy.abs(z).max() > 10   # the same check catches a biased estimator


def test_baselines_do_not_change_the_expected_gradient():
    """With the same draws (same seed), estimate minus plain-REINFORCE estimate is -(1/k) sum_i b_i grad log q(z_i):
    its mean over many draws is 0 within standard errors, for every baseline."""
    model, x = tiny_model_and_batch(reps=500)
    for name, baseline, draws in frozen_estimators(6)[1:]:
        with_b = group_means(model, x, (name, baseline, draws), groups=30, seed=7)
        without = group_means(model, x, ("score", None, draws), groups=30, seed=7)   # the same draws
        difference = with_b - without
        assert numpy.abs(difference).max() > 1e-3, name   # the baseline does change each estimate
        z = difference.mean(0) / (difference.std(0, ddof=1) / numpy.sqrt(len(difference)))
        assert numpy.abs(z).max() < 4.5, (name, numpy.abs(z).max())


def test_nvil_divides_the_encoder_gradient_only_by_its_running_std():
    model, x = tiny_model_and_batch(reps=2)
    nvil = frozen_estimators(6)[3][1]                        # running variance 9: s = 3
    assert nvil.scale == pytest.approx(1 / 3)
    mg.random.seed(5)
    objective, _, _ = demo.estimator_objective(model, x, "nvil", nvil)
    expected = mg.autograd.grad(-objective.mean(), model.parameters())

    class KeepGradients:   # an optimizer that does not step, so that the gradients can be read
        def zero_grad(self):
            for p in model.parameters():
                p.grad = None

        def step(self):
            pass

    mg.random.seed(5)
    demo.train_step(model, KeepGradients(), "nvil", nvil, 1, x)
    encoder = {id(p) for p in model.encoder.parameters()}
    for p, g in zip(model.parameters(), expected):
        factor = 1 / 3 if id(p) in encoder else 1.0          # the decoder's gradient is left alone
        numpy.testing.assert_allclose(p.grad.numpy(), factor * g.numpy(), rtol=1e-12)


def test_checkpoints_start_at_zero_and_end_at_the_last_step():
    assert demo.checkpoint_steps(630, 5) == [0, 23, 70, 210, 630]
    assert demo.checkpoint_steps(4, 3) == [0, 1, 4]
    assert demo.checkpoint_steps(4, 1) == [4]
