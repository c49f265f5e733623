"""demos/forward_reverse.py at a tiny size: both strategies give tanh(Wx)'s Jacobian, and the files are written."""
import json

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from demo_helpers import data_under_legends, load_demo  # noqa: E402


def test_the_demo_times_both_modes_and_writes_its_table(tmp_path, monkeypatch):
    demo = load_demo("forward_reverse")
    figures = []
    save = demo.common.save_figure
    monkeypatch.setattr(demo.common, "save_figure",
                        lambda fig, args, name: (figures.append(fig), save(fig, args, name))[1])
    results = demo.main(["--out", str(tmp_path), "--fixed", "6", "--sizes", "1", "12", "--repeats", "1",
                         "--no-progress"])   # main checks each Jacobian against diag(1 - tanh^2) W
    assert [(r["n"], r["m"]) for r in results["inputs grow"]] == [(1, 6), (12, 6)]
    assert [(r["n"], r["m"]) for r in results["outputs grow"]] == [(6, 1), (6, 12)]
    assert (tmp_path / "results.md").read_text().count("\n") == 2 + 4
    assert json.loads((tmp_path / "metrics.json").read_text())["results"]["inputs grow"][0]["reverse-mode"] > 0
    assert figures and not data_under_legends(figures[0])
