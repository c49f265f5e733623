"""demos/classifier.py: both models run end to end with tiny settings and draw readable pictures; the CNN
has the shapes it claims; and (slow) a few hundred MLP steps learn the digits."""
import json

import numpy
import pytest

import minigrad as mg

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from demo_helpers import data_under_legends, load_demo  # noqa: E402  (after the skips: it needs matplotlib)

TINY = ["--train-size", "256", "--test-size", "100", "--no-progress"]




@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_classifier_demo_writes_metrics_and_labelled_pictures(model, tmp_path, saved_figures):
    classifier = load_demo("classifier")
    metrics = classifier.main(["--model", model, "--epochs", "2", "--out", str(tmp_path), *TINY])

    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["test_accuracy"] == metrics["test_accuracy"] and 0.0 <= saved["test_accuracy"] <= 1.0
    assert saved["test_accuracy"] == saved["history"]["test_accuracy"][-1]   # the final model's
    assert len(saved["history"]["train_loss"]) == 2 and saved["config"]["model"] == model
    assert saved["parameters"] == {"mlp": 784 * 256 + 256 + 256 * 10 + 10,
                                   "cnn": (16 * 9 + 16) + (32 * 16 * 9 + 32) + (32 * 7 * 7 * 10 + 10)}[model]
    counts = numpy.array(saved["confusion_matrix"])
    assert counts.shape == (10, 10) and counts.sum() == 100
    assert numpy.trace(counts) / 100 == pytest.approx(saved["test_accuracy"])
    assert saved["mistakes"] == 100 - numpy.trace(counts) >= saved["confident_mistakes"] >= 0
    assert saved["largest_confusions"] == [list(c) for c in classifier.largest_confusions(counts)]
    assert f"| {saved['mistakes']} of 100 |" in (tmp_path / "results.md").read_text()

    for name in ("curves.png", "confusion.png", "misclassified.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    curves = saved_figures["curves.png"]
    for ax in curves.axes:   # loss and accuracy, each with train and test
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel(), ax.get_title()
        assert len(ax.get_lines()) == 2
    assert "2 epochs on 256" in curves._suptitle.get_text() and "seed 0" in curves._suptitle.get_text()
    assert data_under_legends(curves) == []
    confusion = saved_figures["confusion.png"].axes[0]
    assert (confusion.get_xlabel(), confusion.get_ylabel()) == ("predicted digit", "true digit")
    shown = [ax.get_title() for ax in saved_figures["misclassified.png"].axes if ax.get_title()]
    assert shown and all(title.startswith("true ") and "predicted" in title for title in shown)


def test_largest_confusions_are_the_largest_off_diagonal_counts_largest_first():
    classifier = load_demo("classifier")
    counts = numpy.diag([50, 40, 30])   # the right answers outnumber every mistake ...
    counts[2, 0], counts[0, 1], counts[1, 2] = 7, 9, 1
    assert classifier.largest_confusions(counts, k=2) == [(0, 1, 9), (2, 0, 7)]   # ... and are never one
    assert classifier.largest_confusions(counts, k=5) == [(0, 1, 9), (2, 0, 7), (1, 2, 1)]   # zeros left out


def test_cnn_maps_images_to_ten_logits_through_the_shapes_it_claims():
    classifier = load_demo("classifier")
    mg.random.seed(0)
    cnn = classifier.build_model("cnn")
    x = mg.random.uniform(size=(5, 784))
    assert cnn(x).shape == (5, 10)
    assert cnn(x.reshape(5, 1, 28, 28)).shape == (5, 10)
    assert cnn.features(x.reshape(5, 1, 28, 28)).shape == (5, 32, 7, 7)
    assert classifier.build_model("mlp")(x).shape == (5, 10)


@pytest.mark.slow
def test_a_few_hundred_mlp_steps_classify_most_digits(tmp_path):
    """5 epochs on 4,000 digits (160 Adam steps) reach well over 80 % on 1,000 test digits."""
    classifier = load_demo("classifier")
    metrics = classifier.main(["--model", "mlp", "--epochs", "5", "--train-size", "4000", "--test-size", "1000",
                               "--no-progress", "--no-pictures", "--out", str(tmp_path)])
    assert metrics["test_accuracy"] > 0.8
