"""The semi-supervised VAE demo (demos/ssvae.py): the labelled subset, the validation split that makes every
choice, the selection, and a tiny run end to end (files, metrics, pictures as a student sees them). The
model's own tests (its bounds by hand, its gradient, U(x) <= log p(x)) are in tests/test_models_m2.py."""
import json
import pathlib

import numpy
import pytest

import minigrad as mg

from demo_helpers import load_demo


@pytest.fixture(scope="module")
def ssvae():
    return load_demo("ssvae")


def test_the_labelled_subset_has_its_count_of_each_class_and_is_fixed_by_the_seed(ssvae):
    labels = mg.data.load_mnist().train_labels
    chosen = ssvae.choose_labelled(labels, 10, seed=0)
    assert len(chosen) == 100 and len(set(chosen.tolist())) == 100
    assert numpy.bincount(labels[chosen], minlength=10).tolist() == [10] * 10
    numpy.testing.assert_array_equal(chosen, ssvae.choose_labelled(labels, 10, seed=0))   # the same seed, again
    assert set(chosen.tolist()) != set(ssvae.choose_labelled(labels, 10, seed=1).tolist())
    with pytest.raises(ValueError, match="only"):
        ssvae.choose_labelled(labels[:30], 10, seed=0)


TINY = ["--epochs", "3", "--train-size", "500", "--val-size", "100", "--test-size", "100", "--labels-per-class", "2",
        "--hidden", "16", "--latent", "4", "--iwae-k", "2", "--no-progress"]


def test_tiny_run_reports_the_test_error_of_the_epoch_the_validation_digits_chose(ssvae, tmp_path, saved_figures):
    pytest.importorskip("matplotlib")
    from demo_helpers import data_under_legends
    metrics = ssvae.main(["--seeds", "0", "1", *TINY, "--out", str(tmp_path)])
    for name in ("metrics.json", "results.md", "error.png", "analogies.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["alpha"] == pytest.approx(10 * 400)   # the default ALPHA_FACTOR 10 times N = 500 - 100 validation
    assert saved["config"]["val_size"] == 100 and saved["config"]["train_size"] == 400
    assert [run["seed"] for run in saved["runs"]] == [0, 1]
    for run in saved["runs"]:
        h = run["history"]
        assert len(h["m2_val_error"]) == 3 and len(h["m2_test_error"]) == 3
        for who in ("m2", "supervised"):   # the epoch of lowest validation error, and the test error at it
            assert run[f"{who}_epoch"] == 1 + int(numpy.argmin(h[f"{who}_val_error"]))
            assert run[f"{who}_test_error"] == h[f"{who}_test_error"][run[f"{who}_epoch"] - 1]
        assert max(run["labelled_indices"]) < 400 and len(run["labelled_indices"]) == 20   # never a validation digit
        assert run["test_unlabelled_bound"] < 0
    assert saved["runs"][0]["labelled_indices"] != saved["runs"][1]["labelled_indices"]
    for key in ("m2_test_error", "supervised_test_error"):
        per_seed = [run[key] for run in saved["runs"]]
        assert saved[key]["per_seed"] == per_seed
        assert saved[key]["mean"] == pytest.approx(numpy.mean(per_seed))
        assert saved[key]["sd"] == pytest.approx(numpy.std(per_seed, ddof=1))
    assert metrics["m2_test_error"] == saved["m2_test_error"]
    table = (tmp_path / "results.md").read_text()   # the chapter's table: one row per seed and the mean
    assert f"**{saved['runs'][1]['m2_test_error']:.2f}%**" in table
    assert f"{saved['m2_test_error']['mean']:.2f} ± {saved['m2_test_error']['sd']:.2f}%" in table

    error = saved_figures["error.png"]
    ax = error.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel()
    assert data_under_legends(error) == []
    for words in ("784-16-4", "20 labelled + 380 unlabelled", "at most 3 epochs", "alpha = 10 N",
                  "100 validation digits", "100 test digits", "seeds (0, 1)"):
        assert words in ax.get_title(), (words, ax.get_title())
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert "chosen on the validation digits" in legend and "their setting: 50,000 training digits" in legend
    assert "3,000 epochs" not in legend       # the paper's setting is not claimed for this run
    analogies = saved_figures["analogies.png"]
    assert "seed 0" in analogies._suptitle.get_text() and "784-16-4" in analogies._suptitle.get_text()
    for ax in analogies.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
        assert [t.get_text() for t in ax.get_xticklabels()][-10:] == [str(c) for c in range(10)]


def test_select_reads_no_test_digit_and_writes_its_table(ssvae, tmp_path, monkeypatch):
    """--select runs every point of GRID on the validation digits; with the test digits taken away it still runs."""
    load = mg.data.load_mnist
    monkeypatch.setattr(mg.data, "load_mnist", lambda *a: load(*a)._replace(test_images=None, test_labels=None))
    monkeypatch.setattr(ssvae, "GRID", {"alpha_factor": (0.1, 10.0), "lr": (3e-3,), "hidden": (16,)})
    rows = ssvae.main(["--select", "--seeds", "0", *TINY, "--out", str(tmp_path)])
    assert [row["alpha_factor"] for row in rows] == [0.1, 10.0]
    for row in rows:
        assert 0 <= row["val_error"] <= 100 and 1 <= row["epochs"][0] <= 3
    chosen = json.loads((tmp_path / "selection.json").read_text())["chosen"]
    assert chosen == min(rows, key=lambda row: row["val_error"])
    table = (tmp_path / "selection.md").read_text()
    assert table.count("\n| ") == 2 and f"**{chosen['val_error']:.2f}%**" in table
    assert not (tmp_path / "metrics.json").exists()
    with pytest.raises(TypeError):   # and the ordinary run does read them
        ssvae.main(["--seeds", "0", *TINY, "--no-pictures", "--out", str(tmp_path)])


def test_the_defaults_are_what_the_committed_selection_chose(ssvae):
    """The bold row of docs/figures/ssvae_select/selection.md (written by `python docs/make_figures.py
    ssvae_select`) holds alpha / N, the learning rate and the width that the demo's defaults must be."""
    path = pathlib.Path(__file__).parent.parent / "docs" / "figures" / "ssvae_select" / "selection.md"
    bold = [line for line in path.read_text().splitlines() if line.startswith("| **")]
    assert len(bold) == 1, bold
    alpha_factor, lr, hidden = (cell.strip().strip("*") for cell in bold[0].split("|")[1:4])
    defaults = ssvae.parser().parse_args([])
    assert (defaults.alpha_factor, defaults.lr, defaults.hidden) == (float(alpha_factor), float(lr), int(hidden))


@pytest.mark.slow
def test_m2_beats_the_same_classifier_trained_on_the_labels_alone(ssvae, tmp_path):
    """The demo's claim, with its defaults and one seed (about a minute on an idle 2-core machine): the
    unlabelled digits lower the test error of q(y | x) by more than 3 points (seed 0 gave 17.60% against
    26.75%, each at the epoch its validation digits chose)."""
    metrics = ssvae.main(["--seeds", "0", "--iwae-k", "1", "--no-progress", "--no-pictures", "--out", str(tmp_path)])
    m2, alone = metrics["m2_test_error"]["mean"], metrics["supervised_test_error"]["mean"]
    assert m2 < alone - 3, (m2, alone)
