"""demos/bnn_regression.py (part 1 of docs/bnn.md): it runs end to end with tiny settings, writes its table and
a readable picture, and its Bayesian band is wider beyond the data than on it."""
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from demo_helpers import check_pictures, load_demo  # noqa: E402  (after the skips: it needs matplotlib)


def test_regression_runs_and_its_band_is_wider_beyond_the_data(tmp_path, saved_figures):
    regression = load_demo("bnn_regression")
    numbers = regression.main(["--out", str(tmp_path), "--points", "40", "--hidden", "16", "--steps", "150",
                               "--samples", "50", "--no-progress"])
    assert set(numbers["regions"]) == {"data", "gap", "beyond"}
    regions = numbers["regions"]
    assert regions["beyond"]["mean_epistemic_std"] > regions["data"]["mean_epistemic_std"], regions
    assert (tmp_path / "regression.md").read_text().count("\n") == 5      # header, rule, three regions
    check_pictures(tmp_path, saved_figures, ["regression.png"])
