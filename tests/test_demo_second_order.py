"""demos/second_order.py: Hessian-vector products, conjugate gradient, Newton-CG and the Gaussian identities.

The demo's functions are checked on problems whose answers are known in closed form (a Hessian
written out by hand, an SPD system solved by NumPy, the gradient of a logistic regression in
NumPy, the derivatives of Gaussian expectations derived by hand), then the whole demo is run
with tiny settings and its pictures are looked at as the other demo tests do.
"""
import json
import math
import os

import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from demo_helpers import data_under_legends, load_demo  # noqa: E402  (after the skips: it needs matplotlib)

so = load_demo("second_order")


# ------------------------------------------------------------ Hessian-vector products

def problem(seed, n, m):
    """f(x) = 1/2 x^T A x + logsumexp(W x) + sum(c x^4) / 12, its Hessian by hand, and a point and vector."""
    rng = numpy.random.default_rng(seed)
    A = rng.standard_normal((n, n))
    W = rng.standard_normal((m, n))
    c = rng.uniform(0.1, 2.0, n)
    x, v = rng.standard_normal(n), rng.standard_normal(n)
    At, Wt, ct = (mg.tensor(a, dtype=mg.float64) for a in (A, W, c))

    def f(x):
        return 0.5 * (x @ (At @ x)) + (Wt @ x).logsumexp() + (ct * x**4).sum() / 12

    p = numpy.exp(W @ x - (W @ x).max())
    p /= p.sum()
    H = 0.5 * (A + A.T) + W.T @ (numpy.diag(p) - numpy.outer(p, p)) @ W + numpy.diag(c * x**2)
    return f, H, x, v


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), m=st.integers(1, 4))
def test_double_backward_hvp_is_the_hand_written_hessian_times_v(seed, n, m):
    """Hv by double backward, forward-over-reverse and column-by-column H, all equal to the closed form
    (symmetric part of A + softmax Hessian through W + diag(c x^2)), to rounding in float64."""
    f, H, x0, v0 = problem(seed, n, m)
    x = mg.tensor(x0, dtype=mg.float64, requires_grad=True)
    v = mg.tensor(v0, dtype=mg.float64)
    scale = numpy.abs(H).max() * numpy.abs(v0).max() * n
    assert numpy.allclose(so.hvp(f, x, v).numpy(), H @ v0, rtol=0, atol=1e-12 * scale)
    assert numpy.allclose(so.hvp_forward_over_reverse(f, x, v).numpy(), H @ v0, rtol=0, atol=1e-12 * scale)
    assert numpy.allclose(so.hessian(f, x).numpy(), H, rtol=0, atol=1e-12 * numpy.abs(H).max() * n)
    assert x.grad is None                       # autograd.grad, not backward: x.grad untouched


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 5), m=st.integers(1, 5))
def test_jvp_by_the_double_vjp_trick_is_j_times_v_for_a_jacobian_that_is_not_square(seed, n, m):
    """F(x) = tanh(W x): J = diag(1 - tanh^2(W x)) W, (m, n); jvp must give J v, not J^T of anything."""
    rng = numpy.random.default_rng(seed)
    W, x0, v0 = rng.standard_normal((m, n)), rng.standard_normal(n), rng.standard_normal(n)
    Wt = mg.tensor(W, dtype=mg.float64)
    x = mg.tensor(x0, dtype=mg.float64, requires_grad=True)
    jv = so.jvp(lambda z: (Wt @ z).tanh(), x, mg.tensor(v0, dtype=mg.float64)).numpy()
    J = (1 - numpy.tanh(W @ x0) ** 2)[:, None] * W
    assert jv.shape == (m,)
    assert numpy.allclose(jv, J @ v0, rtol=1e-13, atol=1e-13)


def test_hvp_of_a_linear_function_is_zero_not_an_error():
    x = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    hv = so.hvp(lambda z: (3.0 * z).sum(), x, mg.tensor([1.0, -1.0], dtype=mg.float64))
    assert hv.numpy().tolist() == [0.0, 0.0]


def test_the_three_checks_on_the_small_network_agree_to_rounding():
    check = so.check_hvp(seed=0)
    assert check["parameters"] == 67
    assert check["double_backward_vs_explicit_hessian"] < 1e-13
    assert check["forward_over_reverse_vs_double_backward"] < 1e-13
    assert check["hessian_asymmetry"] < 1e-13
    assert check["finite_differences_vs_explicit_hessian_best"] < 1e-8      # limited by h, not by the tape
    assert 1e-8 < check["finite_differences_best_step"] < 1e-3
    assert check["jvp_outputs_vs_finite_differences"] < 1e-8
    low, high = check["hessian_eigenvalues_min_max"]
    assert low < 0 < high                                                   # indefinite, as the demo says


# ------------------------------------------------------------ conjugate gradient and Newton-CG

def spd(seed, n, condition):
    """A random SPD matrix with eigenvalues from 1 to `condition`."""
    rng = numpy.random.default_rng(seed)
    Q, _ = numpy.linalg.qr(rng.standard_normal((n, n)))
    return (Q * numpy.geomspace(1.0, condition, n)) @ Q.T, rng.standard_normal(n)


def solve_with_cg(A, g, tol, precondition=None, max_iter=1000):
    At = mg.tensor(A, dtype=mg.float64)
    return so.conjugate_gradient(lambda v: At @ v, -mg.tensor(g, dtype=mg.float64), tol, max_iter, precondition)


def test_cg_solves_an_spd_system_with_products_only():
    """H p = -g for H with condition number 1e3 (n = 30): residual below tol, p = NumPy's solve."""
    A, g = spd(0, 30, 1e3)
    p, products, residual = solve_with_cg(A, g, tol=1e-10)
    p = p.numpy()
    assert numpy.linalg.norm(A @ p + g) <= 1e-10 and residual <= 1e-10
    assert numpy.allclose(p, numpy.linalg.solve(A, -g), rtol=1e-8, atol=1e-10)
    assert products <= 2 * 30           # n in exact arithmetic; rounding costs a few more


def test_jacobi_preconditioner_helps_cg_where_the_scaling_is_diagonal():
    """D A D with D spanning four decades: plain CG crawls (164 products), CG with M = diag(D A D) does not (29)."""
    A, g = spd(1, 30, 10.0)
    D = numpy.geomspace(1e-2, 1e2, 30)
    B = D[:, None] * A * D[None, :]
    inverse = mg.tensor(1.0 / numpy.diag(B), dtype=mg.float64)
    p_plain, plain, _ = solve_with_cg(B, g, tol=1e-8)
    p_jacobi, jacobi, _ = solve_with_cg(B, g, tol=1e-8, precondition=lambda r: inverse * r)
    assert numpy.linalg.norm(B @ p_jacobi.numpy() + g) <= 1e-8
    assert 3 * jacobi < plain


def test_cg_stops_at_negative_curvature():
    """H = diag(1, -1), b = (0, 1): the first direction b has b^T H b < 0, so CG returns b itself."""
    H = numpy.diag([1.0, -1.0])
    p, products, _ = solve_with_cg(H, numpy.array([0.0, -1.0]), tol=1e-12)
    assert products == 1 and p.numpy().tolist() == [0.0, 1.0]


def logistic_problem(seed=0, n=300, d=6, lam=1e-3):
    """Overlapping classes (not separable) with correlated features."""
    rng = numpy.random.default_rng(seed)
    X = rng.standard_normal((n, d)) @ rng.standard_normal((d, d))
    y = (rng.random(n) < 1 / (1 + numpy.exp(-X @ rng.standard_normal(d)))).astype(float)
    X = numpy.hstack([X, numpy.ones((n, 1))])
    return X, y, lam


def numpy_gradient(X, y, lam, w):
    return X.T @ (1 / (1 + numpy.exp(-X @ w)) - y) / len(y) + lam * w


@pytest.mark.parametrize("preconditioner", ["none", "jacobi"])
def test_newton_cg_reaches_a_gradient_norm_of_1e_8(preconditioner, device):
    """The gradient at the end, recomputed in NumPy, is below 1e-8, in a few Newton steps."""
    X, y, lam = logistic_problem()
    history = so.newton_cg(so.logistic_objective(X, y, lam, device), numpy.zeros(X.shape[1]), tol=1e-8,
                           preconditioner=preconditioner, device=device)
    assert history["grad_norm"][-1] < 1e-8
    assert numpy.linalg.norm(numpy_gradient(X, y, lam, history["w"])) < 1e-8
    assert len(history["grad_norm"]) - 1 <= 15
    assert history["grad_norm"][-1] < 1e-3 * history["grad_norm"][-2]   # quadratic at the end


def test_power_iteration_finds_the_largest_eigenvalue_at_zero():
    """At w = 0, sigma(1 - sigma) = 1/4: H = X^T X / 4N + lam I exactly."""
    X, y, lam = logistic_problem()
    H0 = X.T @ X / (4 * len(y)) + lam * numpy.eye(X.shape[1])
    L = so.largest_eigenvalue(so.logistic_objective(X, y, lam), numpy.zeros(X.shape[1]), iterations=300)
    assert L == pytest.approx(numpy.linalg.eigvalsh(H0)[-1], rel=1e-6)


# ------------------------------------------------------------ Gaussian identities

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


# ------------------------------------------------------------ the demo, end to end

TINY = ["--samples", "2000", "--max-iter", "300", "--adam-lrs", "0.3,1", "--no-progress"]


def test_demo_runs_end_to_end_with_tiny_settings(tmp_path, saved_figures, capsys):
    metrics = so.main(["--out", str(tmp_path), *TINY])
    printed = capsys.readouterr().out
    for name in ("metrics.json", "hvp.png", "newton_cg.png", "identities.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["hvp"]["double_backward_vs_explicit_hessian"] == metrics["hvp"]["double_backward_vs_explicit_hessian"]
    assert saved["hvp"]["double_backward_vs_explicit_hessian"] < 1e-13

    methods = {m["method"]: m for m in saved["logistic_regression"]["methods"]}
    assert set(methods) == {"Newton-CG", "Newton-CG, Jacobi", "gradient descent", "Adam"}
    newton = methods["Newton-CG"]
    assert newton["reached"] and newton["final_grad_norm"] < 1e-8 and newton["hvps"] > 0
    assert methods["gradient descent"]["hvps"] == 0
    assert newton["iterations"] < methods["Adam"]["iterations"]
    cg = saved["logistic_regression"]["cg_iterations_per_newton_step"]["Newton-CG"]
    assert sum(cg) == newton["hvps"]                                   # every product is a CG iteration
    assert len(saved["identities"]) == 30
    assert all(abs(r["z"]) < 4.5 for r in saved["identities"])

    # what is printed is what was saved
    assert f"{newton['hvps']:>11}" in printed and "Newton-CG" in printed
    assert "Bonnet" in printed and "Price" in printed and "E[g eps^T]" in printed
    assert saved["logistic_regression"]["data"].split(",")[0] in printed

    # the pictures, as a student sees them: labelled axes, a title, no legend over the data
    assert set(saved_figures) == {"hvp.png", "newton_cg.png", "identities.png"}
    for name, fig in saved_figures.items():
        for ax in fig.axes:
            if ax.get_label() == "<colorbar>":
                assert ax.get_ylabel(), name
                continue
            assert ax.get_xlabel() and ax.get_ylabel(), (name, ax.get_title())
        assert fig._suptitle is not None and "second_order" in fig._suptitle.get_text()
        assert data_under_legends(fig) == [], name
    for ax in saved_figures["newton_cg.png"].axes:
        assert ax.get_yscale() == "log" and ax.get_xscale() == "log"
    for name in ("hvp.png", "newton_cg.png", "identities.png"):
        assert (tmp_path / name).stat().st_size < 300_000, name


def test_logistic_data_is_standardised_with_a_bias_column():
    X, y, description = so.load_logreg_data("auto")
    assert X.dtype == numpy.float64 and set(numpy.unique(y)) == {0.0, 1.0}
    assert numpy.all(X[:, -1] == 1.0)
    if os.path.exists(so.BREAST_CANCER):
        assert X.shape == (569, 31) and "breast cancer" in description
        assert numpy.allclose(X[:, :-1].mean(0), 0, atol=1e-12) and numpy.allclose(X[:, :-1].std(0), 1)
    else:
        assert "MNIST" in description


@pytest.mark.slow
def test_newton_cg_on_mnist_3_vs_5():
    X, y, description = so.load_logreg_data("mnist", mnist_per_class=300)
    history = so.newton_cg(so.logistic_objective(X, y, 1e-2), numpy.zeros(X.shape[1]), tol=1e-8)
    assert history["grad_norm"][-1] < 1e-8 and len(history["grad_norm"]) <= 20
    assert numpy.linalg.norm(numpy_gradient(X, y, 1e-2, history["w"])) < 1e-8
    assert math.isfinite(history["seconds_total"])


def test_default_out_is_demo_out_second_order(monkeypatch):
    """The demos' convention: --out defaults to demo_out/<demo name>, which git ignores."""
    import argparse

    class Parsed(Exception):
        pass
    parse_args = argparse.ArgumentParser.parse_args

    def stop_after_parsing(parser, args=None, namespace=None):
        raise Parsed(parse_args(parser, args, namespace))
    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", stop_after_parsing)
    with pytest.raises(Parsed) as parsed:
        so.main([])
    assert os.path.normpath(parsed.value.args[0].out) == os.path.join("demo_out", "second_order")
