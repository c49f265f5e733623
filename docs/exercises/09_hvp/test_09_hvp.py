"""Exercise 09: Hessian-vector products against Hessians known in closed form and finite differences of gradients."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

values = st.floats(-2.0, 2.0)


@st.composite
def vectors(draw, count, n=None):
    """``count`` float64 arrays of one length n in [1, 5]."""
    n = draw(st.integers(1, 5)) if n is None else n
    return [draw(hnp.arrays(np.float64, (n,), elements=values)) for _ in range(count)]


def leaf(a):
    return mg.tensor(a, requires_grad=True)


@given(data=st.data())
def test_quadratic_form(impl, data):
    """f(x) = 1/2 x.A x + b.x with A symmetric: H = A, for every x."""
    x, b, v = data.draw(vectors(3))
    m = data.draw(hnp.arrays(np.float64, (x.size, x.size), elements=values))
    a = m + m.T
    hv = impl.hvp(lambda t: 0.5 * (t * (mg.tensor(a) @ t)).sum() + (mg.tensor(b) * t).sum(), leaf(x), mg.tensor(v))
    np.testing.assert_allclose(hv.numpy(), a @ v, rtol=1e-10, atol=1e-10)


@given(xv=vectors(2))
def test_elementwise_function_has_a_diagonal_hessian(impl, xv):
    """f(x) = sum(exp(x) + x^3 / 3 + sin x): H = diag(exp(x) + 2x - sin x)."""
    x, v = xv
    hv = impl.hvp(lambda t: (t.exp() + t * t * t / 3.0 + t.sin()).sum(), leaf(x), mg.tensor(v))
    np.testing.assert_allclose(hv.numpy(), (np.exp(x) + 2 * x - np.sin(x)) * v, rtol=1e-10, atol=1e-10)


@given(data=st.data())
def test_logsumexp_of_a_linear_map(impl, data):
    """f(x) = logsumexp(W x): H = W^T (diag(p) - p p^T) W with p = softmax(W x)."""
    x, v = data.draw(vectors(2))
    k = data.draw(st.integers(1, 4))
    w = data.draw(hnp.arrays(np.float64, (k, x.size), elements=values))
    hv = impl.hvp(lambda t: (mg.tensor(w) @ t).logsumexp(), leaf(x), mg.tensor(v))
    p = np.exp(w @ x - (w @ x).max())
    p /= p.sum()
    np.testing.assert_allclose(hv.numpy(), w.T @ ((np.diag(p) - np.outer(p, p)) @ (w @ v)), rtol=1e-9, atol=1e-10)


def network_loss(w):
    """A small network's loss in its weights w (shape (2, 3)): sum of tanh(X w)^2 against targets."""
    inputs = mg.tensor(np.array([[0.5, -1.0], [1.5, 0.3], [-0.7, 0.8], [0.1, 0.1]]))
    targets = mg.tensor(np.array([[0.2, -0.1, 0.4], [0.0, 0.3, -0.5], [0.1, 0.1, 0.1], [-0.3, 0.2, 0.0]]))
    error = (inputs @ w).tanh() - targets
    return (error * error).sum()


@given(wv=hnp.arrays(np.float64, (2, 2, 3), elements=values))
def test_agrees_with_finite_differences_of_the_gradient(impl, wv):
    """H v ~ (grad f(x + h v) - grad f(x - h v)) / (2h), for x of any shape (here a (2, 3) weight matrix)."""
    w, v = wv
    hv = impl.hvp(network_loss, leaf(w), mg.tensor(v))
    assert hv.shape == w.shape

    def gradient(a):
        t = leaf(a)
        return mg.autograd.grad(network_loss(t), t)[0].numpy()

    h = 1e-5
    np.testing.assert_allclose(hv.numpy(), (gradient(w + h * v) - gradient(w - h * v)) / (2 * h), rtol=1e-5, atol=1e-6)


@given(xv=vectors(2))
def test_linear_function_has_a_zero_hessian(impl, xv):
    """f(x) = c.x: grad f = c does not depend on x, so H v = 0 (a tensor of zeros, not an error)."""
    x, v = xv
    hv = impl.hvp(lambda t: (mg.tensor(np.arange(x.size, dtype=np.float64)) * t).sum(), leaf(x), mg.tensor(v))
    np.testing.assert_array_equal(hv.numpy(), np.zeros_like(x))


def test_leaves_x_grad_alone(impl):
    x = leaf(np.array([0.3, -0.4]))
    impl.hvp(lambda t: (t * t * t).sum(), x, mg.tensor(np.array([1.0, 2.0])))
    assert x.grad is None, "hvp wrote into x.grad: use mg.autograd.grad, which returns gradients instead"


@given(data=st.data())
def test_hessian_matches_the_closed_form_and_is_symmetric(impl, data):
    """f(x) = logsumexp(W x) + 1/4 sum x^4: H = W^T (diag(p) - p p^T) W + diag(3 x^2)."""
    (x,) = data.draw(vectors(1))
    w = data.draw(hnp.arrays(np.float64, (3, x.size), elements=values))
    h = impl.hessian(lambda t: (mg.tensor(w) @ t).logsumexp() + 0.25 * (t * t * t * t).sum(), leaf(x)).numpy()
    p = np.exp(w @ x - (w @ x).max())
    p /= p.sum()
    assert h.shape == (x.size, x.size)
    np.testing.assert_allclose(h, w.T @ (np.diag(p) - np.outer(p, p)) @ w + np.diag(3 * x**2), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(h, h.T, rtol=1e-10, atol=1e-10)


@given(wv=hnp.arrays(np.float64, (2, 2, 3), elements=values))
def test_agrees_with_the_library(impl, wv):
    """mg.autograd.functional: vhp is the same two passes, hvp forward over reverse; both give H v.
    hessian(f, x) on a flattened network loss is your column-by-column Hessian."""
    w, v = wv
    hv = impl.hvp(network_loss, leaf(w), mg.tensor(v)).numpy()
    for product in (mg.autograd.functional.vhp, mg.autograd.functional.hvp):
        np.testing.assert_allclose(hv, product(network_loss, mg.tensor(w), mg.tensor(v))[1].numpy(),
                                   rtol=1e-10, atol=1e-12)
    flat = lambda t: network_loss(t.reshape(2, 3))
    expected = mg.autograd.functional.hessian(flat, mg.tensor(w.ravel())).numpy()
    np.testing.assert_allclose(impl.hessian(flat, leaf(w.ravel())).numpy(), expected, rtol=1e-10, atol=1e-12)
