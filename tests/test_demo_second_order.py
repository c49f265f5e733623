"""demos/second_order.py: Hessian-vector products on a small network, conjugate gradient and Newton-CG.

The demo's functions are checked on problems whose answers are known (an SPD system solved by
NumPy, the gradient of a logistic regression in NumPy, the Hessian at w = 0 in closed form;
mg.autograd.functional itself is tested in tests/test_autograd_functional.py), then the whole
demo is run with tiny settings and its pictures are looked at as the other demo tests do.
"""
import json

import numpy
import pytest

import minigrad as mg

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

from demo_helpers import data_under_legends, load_demo  # noqa: E402  (after the skips: it needs matplotlib)

so = load_demo("second_order")


# ------------------------------------------------------------ Hessian-vector products

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


# ------------------------------------------------------------ the demo, end to end

TINY = ["--max-iter", "300", "--adam-lrs", "0.3,1", "--no-progress"]


def test_demo_runs_end_to_end_with_tiny_settings(tmp_path, saved_figures, capsys):
    metrics = so.main(["--out", str(tmp_path), *TINY])
    printed = capsys.readouterr().out
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

    # the tables the chapter includes are what was printed, and say what was saved
    names = ("hvp.md", "hvp_cost.md", "newton_cg.md", "adam_sweep.md")
    tables = {name: (tmp_path / name).read_text() for name in names}
    for text in tables.values():
        assert text in printed and text.startswith("| ")
    row = f"| Newton-CG | yes | {newton['iterations']} | {newton['gradients']} | {newton['hvps']} |"
    assert row in tables["newton_cg.md"]
    assert f"{saved['hvp']['forward_over_reverse_vs_double_backward']:.1e}" in tables["hvp.md"]
    assert saved["logistic_regression"]["data"].split(",")[0] in printed

    # the pictures, as a student sees them: labelled axes, a title, no legend over the data
    assert set(saved_figures) == {"hvp.png", "newton_cg.png"}
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
    for name in ("hvp.png", "newton_cg.png"):
        assert (tmp_path / name).stat().st_size < 300_000, name
