"""demos/forward_reverse.py at a tiny size: both strategies give tanh(Wx)'s Jacobian, and the files are written."""
import json

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from demo_helpers import check_pictures, load_demo  # noqa: E402


def test_the_demo_times_both_modes_and_writes_its_table(tmp_path, saved_figures):
    results = load_demo("forward_reverse").main([   # main checks each Jacobian against diag(1 - tanh^2) W
        "--out", str(tmp_path), "--fixed", "6", "--sizes", "1", "12", "--repeats", "1", "--no-progress"])
    assert [(r["n"], r["m"]) for r in results["inputs grow"]] == [(1, 6), (12, 6)]
    assert [(r["n"], r["m"]) for r in results["outputs grow"]] == [(6, 1), (6, 12)]
    assert (tmp_path / "results.md").read_text().count("\n") == 2 + 4
    assert json.loads((tmp_path / "metrics.json").read_text())["results"]["inputs grow"][0]["reverse-mode"] > 0
    check_pictures(tmp_path, saved_figures, ("cost.png",))
