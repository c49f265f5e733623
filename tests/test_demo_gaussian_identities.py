"""demos/gaussian_identities.py: Bonnet's and Price's identities and E[g eps^T], by Monte Carlo through the tape.

The exact values (vjp of each closed form) are checked against derivatives worked out by hand,
the Monte Carlo estimates against the exact values in standard errors, one draw against the
per-draw formulas; then the demo runs end to end at a tiny size.
"""
import json

import numpy
import pytest

import minigrad as mg

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from demo_helpers import data_under_legends, load_demo  # noqa: E402  (after the skips: it needs matplotlib)

so = load_demo("gaussian_identities")


def gaussian_derivatives_by_hand(name, mu, C):
    """(E[f], d/dmu, d/dC) derived on paper for the demo's three test functions, in NumPy."""
    if name == "exp(a.x) cos(b.x)":         # the real part of E[exp(c.x)], c = a + ib: exp(c.mu + c.C.c / 2)
        c = so.A_VEC + 1j * so.B_VEC
        Z = numpy.exp(c @ mu + 0.5 * c @ C @ c)
        return Z.real, (c * Z).real, 0.5 * (numpy.outer(c, c) * Z).real
    if name == "|x|^4":                       # s = mu.mu + tr C; E = s^2 + 2 tr C^2 + 4 mu.C.mu
        s = mu @ mu + numpy.trace(C)
        value = s**2 + 2 * numpy.trace(C @ C) + 4 * mu @ C @ mu
        return value, 8 * C @ mu + 4 * s * mu, 4 * C + 4 * numpy.outer(mu, mu) + 2 * s * numpy.eye(2)
    if name == "exp(-|x|^2/2)":               # M = I + C: E = det(M)^-1/2 exp(-mu.M^-1.mu / 2)
        Minv = numpy.linalg.inv(numpy.eye(2) + C)
        value = numpy.linalg.det(numpy.eye(2) + C) ** -0.5 * numpy.exp(-0.5 * mu @ Minv @ mu)
        m = Minv @ mu
        return value, -value * m, 0.5 * value * (numpy.outer(m, m) - Minv)
    raise KeyError(name)


@pytest.mark.parametrize("name", list(so.TEST_FUNCTIONS))
def test_exact_values_from_the_tape_match_the_derivatives_worked_by_hand(name):
    """The demo's 'exact' column is the tape through a closed form: check it against formulas derived
    independently, and d/dR against the chain rule through C = R R^T: d/dR = 2 (d/dC) R."""
    C = so.R0 @ so.R0.T
    value, d_mu, d_C = gaussian_derivatives_by_hand(name, so.MU0, C)
    exact = so.exact_gradients(so.TEST_FUNCTIONS[name][1])
    assert exact["E[f]"][0] == pytest.approx(value, rel=1e-12)
    assert numpy.allclose(exact["mu"], d_mu, rtol=1e-12, atol=1e-14)
    assert numpy.allclose(exact["C"], d_C, rtol=1e-12, atol=1e-14)
    assert numpy.allclose(exact["R"], 2 * d_C @ so.R0, rtol=1e-12, atol=1e-14)


def test_monte_carlo_estimates_of_the_identities_are_within_4_standard_errors():
    """Bonnet, Price and the R rule for each test function: every entry within 4 standard errors of the
    exact value (30 entries; a correct estimator leaves 4 standard errors with probability 6e-5 each)."""
    mg.random.seed(1)
    rows = so.identity_table(samples=100_000)
    assert len(rows) == 3 * (1 + 2 + 3 + 4)
    for r in rows:
        assert abs(r["z"]) < 4, r
        assert r["standard_error"] > 0, r
    # and the check has teeth: 4 standard errors are under a tenth of the largest exact entry of the same
    # function and identity, so an identity off by a factor (1/2 missing in Price's) would fail
    for r in rows:
        group = [s["exact"] for s in rows if (s["function"], s["identity"]) == (r["function"], r["identity"])]
        assert 4 * r["standard_error"] < 0.1 * max(abs(e) for e in group), r


def test_one_draw_gives_the_per_draw_formulas():
    """With S = 1 the tape's estimates are the integrands themselves: g, g eps^T and H / 2 at x = mu + R eps."""
    mg.random.seed(3)
    state = mg.random.get_state()
    estimates = so.monte_carlo_gradients(so.quartic, samples=1)
    mg.random.set_state(state)
    eps = mg.random.normal(size=(1, 2, 1), dtype=mg.float64).numpy()[0, :, 0]
    x = so.MU0 + so.R0 @ eps
    g = 4 * (x @ x) * x                                    # grad |x|^4
    H = 4 * (x @ x) * numpy.eye(2) + 8 * numpy.outer(x, x)  # Hessian |x|^4
    assert numpy.allclose(estimates["mu"][0], g, rtol=1e-12)
    assert numpy.allclose(estimates["R"][0], numpy.outer(g, eps), rtol=1e-12)
    assert numpy.allclose(estimates["C"][0], 0.5 * H, rtol=1e-12)


@pytest.mark.slow
def test_identities_with_a_million_draws():
    mg.random.seed(0)
    rows = so.identity_table(samples=1_000_000)
    z = numpy.array([r["z"] for r in rows])
    assert numpy.abs(z).max() < 4
    assert 0.3 < (z**2).mean() < 3



def test_demo_runs_end_to_end_with_tiny_settings(tmp_path, saved_figures, capsys):
    rows = so.main(["--out", str(tmp_path), "--samples", "2000", "--no-progress"])
    printed = capsys.readouterr().out
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["identities"] == rows and len(rows) == 30
    assert all(abs(r["z"]) < 4.5 for r in rows)
    table = (tmp_path / "identities.md").read_text()
    assert table in printed and len(table.splitlines()) == 2 + 30
    assert "Bonnet" in table and "Price" in table and "E[g eps^T]" in table
    fig = saved_figures["identities.png"]
    assert set(saved_figures) == {"identities.png"} and "gaussian_identities" in fig._suptitle.get_text()
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel()
    assert data_under_legends(fig) == []
    assert (tmp_path / "identities.png").stat().st_size < 300_000
