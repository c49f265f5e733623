"""demos/rebar_relax.py at a tiny size: it runs, writes its files, and shows what the study claims.

What it must show even in 150 steps on 1000 copies: RLOO and RELAX have far less variance than
REINFORCE (the tuned control removes f's mean, about 0.25, from the score term).
"""
import json
import os

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from demo_helpers import check_pictures, load_demo  # noqa: E402


def test_the_study_runs_and_shows_the_variance_and_the_bias(tmp_path, saved_figures):
    demo = load_demo("rebar_relax")
    runs = demo.main(["--out", str(tmp_path), "--steps", "150", "--every", "50", "--copies", "1000",
                      "--targets", "0.45", "--no-progress"])
    check_pictures(tmp_path, saved_figures, ("curves.png", "bias.png"))
    for name in ("results.md", "metrics.json"):
        assert os.path.exists(tmp_path / name), name
    assert json.loads((tmp_path / "metrics.json").read_text())["runs"]["0.45"]["RELAX"]["ms_per_step"] > 0
    by_name = runs["0.45"]
    reinforce = sum(by_name["REINFORCE"]["log10_variance"])
    for name in ("RLOO (n=2)", "RELAX"):
        assert sum(by_name[name]["log10_variance"]) < reinforce - 4 * 1.0, name   # 10x less at each of 4 points
