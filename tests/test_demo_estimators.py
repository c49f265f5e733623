"""demos/estimators.py, run with tiny settings: it writes its tables and figures, its numerical integration
reproduces the closed-form variances for f = (x - k)^2, its variance panels are labelled, and an exact
zero shows as zero.

A demo's pictures are checked the way a student would look at them: every axis is labelled,
no legend sits on top of the data, and a zero is not plotted on a log axis as if it were 1e-32.
"""
import csv
import math

import numpy
import pytest

pytest.importorskip("matplotlib")

from demo_helpers import data_under_legends, load_demo  # noqa: E402  (after the skip: it needs matplotlib)


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


def test_estimators_demo_writes_its_figures_and_tables(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    demo = load_demo("estimators")
    demo.main(["--out", str(tmp_path), "--samples", "4000", "--points", "3"])
    for name in ("variance.csv", "variance_exact.csv", "variance_square.png", "variance_exp.png", "variance_cos.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    with open(tmp_path / "variance.csv") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == ["function", "k", "parameter", "estimator", "mean", "variance", "samples"]
    assert len(rows) == 3 * 3 * 2 * 4 and all(r["samples"] == "4000" for r in rows)
    # the demo's numerical integration reproduces the closed forms for f = (x - k)^2, a = 1 - k
    with open(tmp_path / "variance_exact.csv") as file:
        exact = {(r["function"], float(r["k"]), r["parameter"], r["estimator"]): float(r["variance"])
                 for r in csv.DictReader(file)}
    for k in (-3.0, 0.0, 3.0):
        a = 1.0 - k
        assert exact["square", k, "mu", "pathwise"] == pytest.approx(4.0, rel=1e-6)
        assert exact["square", k, "sigma", "pathwise"] == pytest.approx(4 * a**2 + 8, rel=1e-6)
        assert exact["square", k, "mu", "score"] == pytest.approx(a**4 + 14 * a**2 + 15, rel=1e-6)
        assert exact["square", k, "sigma", "score"] == pytest.approx(2 * a**4 + 60 * a**2 + 74, rel=1e-6)
        assert exact["square", k, "mu", "measure-valued"] == pytest.approx((16 / math.pi - 4) * a**2,
                                                                            rel=1e-4, abs=1e-8)
        assert exact["square", k, "sigma", "measure-valued"] == pytest.approx(4 * a**2 + 4, rel=1e-4)
    printed = capsys.readouterr().out
    assert "score function beats pathwise" in printed and "exp" in printed and "cos" in printed
