"""The estimator and Monte Carlo demos, run with tiny settings: what they print and what they draw.

A demo's pictures are checked the way a student would look at them: every axis is labelled,
no legend sits on top of the data, a zero is not plotted on a log axis as if it were 1e-32,
and the printed sentences agree with the numbers the demo computed. Helpers shared with
tests/test_demos_vae.py live here (``load_demo``, ``saved_figures``, ``data_under_legends``).
"""
import argparse
import csv
import math
import os
import re

import numpy
import pytest

pytest.importorskip("matplotlib")

from demo_helpers import data_under_legends, load_demo  # noqa: E402  (after the skip: it needs matplotlib)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DEMOS = os.path.join(ROOT, "demos")




def test_estimator_panels_label_the_variance_and_show_an_exact_zero_as_zero(tmp_path, saved_figures):
    """At k = mu = 1 the measure-valued estimate of d/dmu E[(x - k)^2] is f(1 + w) - f(1 - w) = 0 for
    every w: its variance is 0 (about 1e-32 after rounding). On a log axis that point must not
    drag the lower limit down to ~1e-12 or below, squashing the other curves; it is marked "0"."""
    estimators = load_demo("estimators")
    mc_rows, exact_rows = estimators.main(["--out", str(tmp_path), "--samples", "400", "--points", "7"])
    assert any(r["function"] == "square" and r["k"] == 1.0 and r["estimator"] == "measure-valued"
               and r["parameter"] == "mu" and r["variance"] < 1e-20 for r in exact_rows)

    for name in ("variance_square.png", "variance_exp.png", "variance_cos.png"):
        fig = saved_figures[name]
        log_panels = [ax for ax in fig.axes if ax.get_yscale() == "log"]
        assert len(log_panels) == 2, name
        for ax in log_panels + [ax for ax in fig.axes if ax not in log_panels]:
            assert ax.get_xlabel() and ax.get_ylabel(), (name, ax.get_title())
        for ax in log_panels:
            low, high = ax.get_ylim()
            assert high / low < 1e6, (name, ax.get_title(), low, high)   # the data span < 4 decades here
            plotted = numpy.concatenate([line.get_ydata() for line in ax.get_lines()
                                         if line.get_transform() == ax.transData])
            assert not (plotted[numpy.isfinite(plotted)] < low).any()
        assert fig.texts or fig._suptitle is not None   # a title that says what was run
        assert data_under_legends(fig) == [], name

    square_mu = saved_figures["variance_square.png"].axes[0]
    assert any("0" in t.get_text() and "exact" in t.get_text() for t in square_mu.texts)


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


DEMOS_WITH_OUT = ("vae", "vae_pitfalls", "estimators", "monte_carlo", "vae_estimators", "second_order",
                  "gaussian_identities", "discrete_vae", "bayes_logreg", "bnn", "bnn_regression", "ssvae")


@pytest.mark.parametrize("name", DEMOS_WITH_OUT)
def test_every_demo_writes_to_demo_out_by_default(name, monkeypatch):
    """One convention: a demo's default --out is demo_out/<demo name>, a folder git ignores."""
    class Parsed(Exception):
        pass
    parse_args = argparse.ArgumentParser.parse_args

    def stop_after_parsing(parser, args=None, namespace=None):
        raise Parsed(parse_args(parser, args, namespace))
    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", stop_after_parsing)
    with pytest.raises(Parsed) as parsed:
        load_demo(name).main([])
    assert os.path.normpath(parsed.value.args[0].out) == os.path.join("demo_out", name)


def test_the_texts_use_the_demo_out_convention():
    """README, docs and demo docstrings never send output anywhere but demo_out/, which .gitignore lists."""
    with open(os.path.join(ROOT, ".gitignore")) as file:
        assert "demo_out/" in file.read().split()
    texts = [os.path.join(ROOT, "README.md")] + [os.path.join(ROOT, "docs", f) for f in os.listdir(
        os.path.join(ROOT, "docs")) if f.endswith(".md")] + [os.path.join(DEMOS, f) for f in os.listdir(DEMOS)
                                                             if f.endswith(".py")]
    for path in texts:
        with open(path) as file:
            text = file.read()
        for match in re.finditer(r"--out[ =](\S+)", text):
            if match.group(1).startswith(("/tmp", "str(", "DIR")):   # a test's folder, or a placeholder
                continue
            assert match.group(1).strip("`\"',)").startswith("demo_out/"), (path, match.group(0))
        assert not re.search(r"(?<![\w/])(vae_out|out/vae|out/vae_pitfalls)\b", text), path
