"""demos/monte_carlo.py, run with tiny settings: the error falls at the square-root rate and importance
sampling beats direct sampling of the tail; the printed sentences agree with the numbers it computed, and
its pictures label their axes and keep their legends off the data."""
import csv
import math
import re

import numpy
import pytest

pytest.importorskip("matplotlib")

from demo_helpers import data_under_legends, load_demo  # noqa: E402  (after the skip: it needs matplotlib)


def test_monte_carlo_says_what_its_numbers_show(tmp_path, saved_figures, capsys):
    """Direct sampling of p = P(X > 3) has RMS error sqrt(p (1 - p) / N) at every N. The RMS measured
    over R runs is flat at p only while no run has drawn an x > 3 (every estimate 0): the printed
    sentence must name that N, and it must be the last N of the CSV at which the RMS is p."""
    monte_carlo = load_demo("monte_carlo")
    runs = 10
    errors = monte_carlo.main(["--out", str(tmp_path), "--samples", "3000", "--runs", str(runs)])
    printed = capsys.readouterr().out
    p = monte_carlo.TAIL_PROBABILITY

    with open(tmp_path / "errors.csv") as file:
        rows = [r for r in csv.DictReader(file) if r["experiment"] == "tail, direct"]
    ns = numpy.array([int(r["samples"]) for r in rows])
    rmse = numpy.array([float(r["rmse"]) for r in rows])
    assert numpy.allclose(rmse, errors["tail, direct"])
    flat = re.search(r"flat at p up to N = (\d+)", printed)
    assert flat, printed
    n_flat = int(flat.group(1))
    assert rmse[ns == n_flat] == pytest.approx(p, rel=1e-12)          # every estimate 0: the error is p
    assert not numpy.isclose(rmse[ns > n_flat][0], p, rtol=1e-9)      # the first N after it saw a hit
    assert f"N = (1 - p)/p = {(1 - p) / p:.0f}" in printed             # where the relative error falls to 100%
    assert f"1/(R p) = {1 / (runs * p):.0f}" in printed

    theory = {r["experiment"]: float(r["theory"]) for r in csv.DictReader(open(tmp_path / "errors.csv"))
              if r["samples"] == str(ns[-1])}
    assert theory["tail, direct"] == pytest.approx(math.sqrt(p * (1 - p) / ns[-1]))
    assert all(value > 0 for value in theory.values())                # a theory line for every experiment

    darts, error_panel = saved_figures["pi.png"].axes[:2]
    assert {"outside" in t.get_text() for t in darts.get_legend().get_texts()} == {True, False}
    assert any("theory" in t.get_text() for t in error_panel.get_legend().get_texts())
    for name in ("pi.png", "importance.png", "rejection.png"):
        fig = saved_figures[name]
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel(), (name, ax.get_title())
        assert data_under_legends(fig) == [], name


def test_monte_carlo_demo_shows_the_square_root_rate(tmp_path):
    pytest.importorskip("matplotlib")
    demo = load_demo("monte_carlo")
    errors = demo.main(["--out", str(tmp_path), "--samples", "4000", "--runs", "20"])
    for name in ("pi.png", "importance.png", "rejection.png", "errors.csv"):
        assert (tmp_path / name).stat().st_size > 0, name
    ns = numpy_unique_sizes(tmp_path / "errors.csv")
    assert demo.slope(ns, errors["pi"]) == pytest.approx(-0.5, abs=0.15)
    assert errors["tail, importance"][-1] < errors["tail, direct"][-1] / 5


def numpy_unique_sizes(path):
    with open(path) as file:
        return numpy.array(sorted({int(r["samples"]) for r in csv.DictReader(file)}))
