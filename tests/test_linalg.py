"""mg.linalg: triangles, diagonals and the triangular solve, against NumPy and finite differences."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.linalg import diagonal, solve_triangular, tril, triu


def t(values, device, requires_grad=False):
    return mg.tensor(values, requires_grad=requires_grad, dtype=mg.float64, device=device)


def triangular(rng, shape, lower=True):
    """A well-conditioned triangular matrix: diagonal in [1, 2], small entries off it."""
    n = shape[-1]
    a = rng.normal(size=shape) * (0.5 / n) + np.eye(n) * (1.0 + rng.random(shape[:-1])[..., None])
    return np.tril(a) if lower else np.triu(a)


@given(n=st.integers(1, 6), k=st.integers(1, 3), lower=st.booleans(), seed=st.integers(0, 2**16))
def test_solve_triangular_solves_the_system(device, n, k, lower, seed):
    rng = np.random.default_rng(seed)
    a, b = triangular(rng, (n, n), lower), rng.normal(size=(n, k))
    x = solve_triangular(t(a, device), t(b, device), lower=lower).numpy()
    np.testing.assert_allclose(a @ x, b, atol=1e-12)
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-10, atol=1e-12)


def test_solve_triangular_broadcasts_batch_axes(device):
    rng = np.random.default_rng(0)
    a, b = triangular(rng, (2, 4, 4)), rng.normal(size=(3, 1, 4, 2))
    x = solve_triangular(t(a, device), t(b, device))
    assert x.shape == (3, 2, 4, 2)
    np.testing.assert_allclose(a @ x.numpy(), np.broadcast_to(b, (3, 2, 4, 2)), atol=1e-12)


def test_solve_triangular_reads_only_its_triangle(device):
    rng = np.random.default_rng(1)
    a, b = triangular(rng, (4, 4)), rng.normal(size=(4, 1))
    junk = a + np.triu(rng.normal(size=(4, 4)), 1)          # garbage above the diagonal
    np.testing.assert_array_equal(solve_triangular(t(junk, device), t(b, device)).numpy(),
                                  solve_triangular(t(a, device), t(b, device)).numpy())
    a_t = t(junk, device, requires_grad=True)
    solve_triangular(a_t, t(b, device)).sum().backward()
    assert np.all(np.triu(a_t.grad.numpy(), 1) == 0)       # and sends no gradient there


@pytest.mark.parametrize("lower", [True, False])
def test_solve_triangular_gradients_equal_finite_differences(device, lower):
    # first and second derivatives (the vjps are themselves triangular solves, so they differentiate)
    rng = np.random.default_rng(2)
    a = t(triangular(rng, (2, 3, 3), lower), device, requires_grad=True)
    b = t(rng.normal(size=(3, 2)), device, requires_grad=True)    # broadcast over a's batch
    assert mg.gradcheck(lambda a, b: solve_triangular(a, b, lower=lower), [a, b])
    assert mg.gradgradcheck(lambda a, b: solve_triangular(a, b, lower=lower), [a, b])


def test_solve_triangular_rejects_mismatched_shapes(device):
    with pytest.raises(ValueError, match="square"):
        solve_triangular(t(np.ones((2, 3)), device), t(np.ones((2, 1)), device))
    with pytest.raises(ValueError, match=r"b\[\.\.\., None\]"):
        solve_triangular(t(np.eye(3), device), t(np.ones(3), device))


def test_tril_triu_diagonal_values(device):
    x = np.arange(18.0).reshape(2, 3, 3)
    np.testing.assert_array_equal(tril(t(x, device)).numpy(), np.tril(x))
    np.testing.assert_array_equal(tril(t(x, device), -1).numpy(), np.tril(x, -1))
    np.testing.assert_array_equal(triu(t(x, device), 1).numpy(), np.triu(x, 1))
    np.testing.assert_array_equal(diagonal(t(x, device)).numpy(), np.diagonal(x, axis1=-2, axis2=-1))
    with pytest.raises(ValueError, match="square"):
        diagonal(t(np.ones((2, 3)), device))


def test_tril_triu_diagonal_gradients_equal_finite_differences(device):
    x = t(np.random.default_rng(3).normal(size=(2, 3, 3)), device, requires_grad=True)
    for op in (tril, triu, diagonal, lambda m: diagonal(m) * diagonal(m)):
        assert mg.gradcheck(op, [x])
        assert mg.gradgradcheck(op, [x])


def test_log_det_of_a_cholesky_factor_matches_numpy(device):
    # log det(L L^T) = 2 sum log diag(L): the identity MultivariateNormal relies on
    rng = np.random.default_rng(4)
    c = rng.normal(size=(4, 4))
    c = c @ c.T + 4 * np.eye(4)
    L = np.linalg.cholesky(c)
    log_det = 2 * diagonal(t(L, device)).log().sum()
    assert log_det.item() == pytest.approx(np.linalg.slogdet(c)[1], rel=1e-12)
