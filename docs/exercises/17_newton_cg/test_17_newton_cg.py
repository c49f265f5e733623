"""Exercise 17: CG against numpy.linalg.solve, Newton's direction against closed-form Hessians, convergence."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

values = st.floats(-2.0, 2.0)


@st.composite
def spd_systems(draw):
    """(A, b): A = M M^T + I / 2 of size n in [1, 6] (symmetric positive definite, condition number moderate), b."""
    n = draw(st.integers(1, 6))
    m = draw(hnp.arrays(np.float64, (n, n), elements=values))
    return m @ m.T + 0.5 * np.eye(n), draw(hnp.arrays(np.float64, (n,), elements=values))


@given(system=spd_systems())
def test_cg_solves_in_at_most_n_products(impl, system):
    a, b = system
    calls = []

    def matvec(d):
        calls.append(1)
        return mg.tensor(a) @ d

    x = impl.conjugate_gradient(matvec, mg.tensor(b), max_iterations=len(b))
    assert x.shape == b.shape and len(calls) <= len(b)
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(a, b), rtol=1e-6, atol=1e-8)


def test_cg_stops_at_the_tolerance(impl):
    """A = I: the first step is exact, so CG needs one product, not n."""
    calls = []
    x = impl.conjugate_gradient(lambda d: calls.append(1) or d, mg.tensor(np.array([1.0, -2.0, 3.0])), 3)
    np.testing.assert_allclose(x.numpy(), [1.0, -2.0, 3.0], rtol=1e-12)
    assert len(calls) == 1


@given(system=spd_systems(), w=st.data())
def test_newton_direction_of_a_quadratic(impl, system, w):
    """f(w) = 1/2 w.A w - b.w: g = A w - b, H = A, so p = -A^-1 (A w - b) and w + p is the minimum A^-1 b."""
    a, b = system
    w0 = w.draw(hnp.arrays(np.float64, b.shape, elements=values))
    point = mg.tensor(w0, requires_grad=True)
    p = impl.newton_direction(lambda t: 0.5 * (t * (mg.tensor(a) @ t)).sum() - (mg.tensor(b) * t).sum(), point)
    np.testing.assert_allclose(w0 + p.numpy(), np.linalg.solve(a, b), rtol=1e-6, atol=1e-8)
    assert point.grad is None, "use mg.autograd.grad, not backward(): w.grad must stay None"


def logistic_loss(x, y, ridge):
    """Ridge-regularized logistic regression: sum softplus(a) - y a + ridge/2 |w|^2, a = X w."""
    def f(w):
        a = mg.tensor(x) @ w
        return (a.softplus() - mg.tensor(y) * a).sum() + 0.5 * ridge * (w * w).sum()
    return f


@given(data=st.data())
def test_newton_direction_of_logistic_regression(impl, data):
    """H = X^T diag(p (1 - p)) X + ridge I and g = X^T (p - y) + ridge w, with p = sigmoid(X w)."""
    n, d = data.draw(st.integers(1, 8)), data.draw(st.integers(1, 4))
    x = data.draw(hnp.arrays(np.float64, (n, d), elements=values))
    y = data.draw(hnp.arrays(np.float64, (n,), elements=st.sampled_from([0.0, 1.0])))
    w = data.draw(hnp.arrays(np.float64, (d,), elements=values))
    p = 1 / (1 + np.exp(-x @ w))
    h = x.T @ np.diag(p * (1 - p)) @ x + 0.1 * np.eye(d)
    g = x.T @ (p - y) + 0.1 * w
    direction = impl.newton_direction(logistic_loss(x, y, 0.1), mg.tensor(w, requires_grad=True))
    np.testing.assert_allclose(direction.numpy(), -np.linalg.solve(h, g), rtol=1e-5, atol=1e-7)


def test_newton_cg_converges_quadratically(impl):
    """The number to see: from w = 0, full Newton-CG steps bring the gradient norm below 1e-10 in at most 8 steps
    on 200 points in 5-d (gradient descent would need hundreds)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 5))
    y = (x @ rng.standard_normal(5) + 0.5 * rng.standard_normal(200) > 0).astype(np.float64)
    f = logistic_loss(x, y, 1.0)
    w = np.zeros(5)
    norms = []
    for _ in range(8):
        t = mg.tensor(w, requires_grad=True)
        norms.append(np.linalg.norm(mg.autograd.grad(f(t), t)[0].numpy()))
        if norms[-1] < 1e-10:
            break
        w = w + impl.newton_direction(f, mg.tensor(w, requires_grad=True)).numpy()
    assert norms[-1] < 1e-10, norms
