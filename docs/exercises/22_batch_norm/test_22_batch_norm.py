"""Exercise 22: batch_norm against F.batch_norm (values and all three gradients), gradcheck, gradgradcheck."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

F = mg.nn.functional


@st.composite
def batches(draw):
    """(x (N, C), gamma (C,), beta (C,), g (N, C), eps): N in [2, 6], C in [1, 4]; each column of x spread out."""
    n, c = draw(st.integers(2, 6)), draw(st.integers(1, 4))
    x = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(-5.0, 5.0)))
    x[0] -= 1.0     # two rows 1 apart: no column is constant, so sigma is not sqrt(eps) and the
    x[1] += 1.0     # finite differences of gradcheck stay well conditioned
    gamma = draw(hnp.arrays(np.float64, c, elements=st.floats(-2.0, 2.0)))
    beta = draw(hnp.arrays(np.float64, c, elements=st.floats(-2.0, 2.0)))
    g = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(-1.0, 1.0)))
    eps = draw(st.sampled_from([1e-5, 1e-3, 0.1]))
    return x, gamma, beta, g, eps


def leaves(*arrays):
    return [mg.tensor(a, requires_grad=True) for a in arrays]


@given(batch=batches())
def test_matches_minigrad(impl, batch):
    x, gamma, beta, _, eps = batch
    y = impl.batch_norm(*leaves(x, gamma, beta), eps=eps)
    expected = F.batch_norm(mg.tensor(x), None, None, mg.tensor(gamma), mg.tensor(beta), training=True, eps=eps)
    assert y.shape == x.shape
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-10, atol=1e-10)


@given(batch=batches())
def test_gradients_match_minigrad(impl, batch):
    """One vjp of yours against minigrad's composite of means, subtractions and a square root, for x, gamma, beta."""
    x, gamma, beta, g, eps = batch
    mine, theirs = leaves(x, gamma, beta), leaves(x, gamma, beta)
    (impl.batch_norm(*mine, eps=eps) * mg.tensor(g)).sum().backward()
    (F.batch_norm(theirs[0], None, None, theirs[1], theirs[2], training=True, eps=eps) * mg.tensor(g)).sum().backward()
    for name, a, b in zip(("x", "weight", "bias"), mine, theirs):
        assert a.grad is not None, f"no gradient reached {name}"
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=name)


@given(batch=batches())
def test_is_one_primitive(impl, batch):
    """One node in the graph, named batch_norm, whose inputs are x, gamma and beta themselves."""
    x, gamma, beta, _, eps = batch
    inputs = leaves(x, gamma, beta)
    y = impl.batch_norm(*inputs, eps=eps)
    assert y._op == "batch_norm", f"the output was made by {y._op!r}: record it with apply('batch_norm', ...)"
    assert [parent for parent, _ in y._edges] == inputs


@given(batch=batches())
def test_gradient_matches_finite_differences(impl, batch):
    x, gamma, beta, _, eps = batch
    mg.gradcheck(lambda a, w, b: impl.batch_norm(a, w, b, eps=eps), leaves(x, gamma, beta))


@given(batch=batches())
def test_second_derivatives_match_finite_differences(impl, batch):
    """The vjps are written with minigrad ops, so backward can itself be differentiated."""
    x, gamma, beta, _, eps = batch
    mg.gradgradcheck(lambda a, w, b: impl.batch_norm(a, w, b, eps=eps), leaves(x, gamma, beta))


@given(batch=batches())
def test_gradient_ignores_a_shift_and_a_rescaling_of_each_column(impl, batch):
    """What you see when you are right: y does not move when a column of x is shifted, and moves only
    through eps when it is rescaled, so the gradient in x of any loss sums to 0 over the batch and
    its product with xhat sums to eps / (var + eps) * sum(gamma g xhat) / sigma (0 when eps = 0)."""
    x, gamma, beta, g, eps = batch
    a = mg.tensor(x, requires_grad=True)
    (impl.batch_norm(a, mg.tensor(gamma), mg.tensor(beta), eps=eps) * mg.tensor(g)).sum().backward()
    grad, var = a.grad.numpy(), x.var(0)
    sigma = np.sqrt(var + eps)
    xhat = (x - x.mean(0)) / sigma
    size = (np.abs(gamma * g).sum(0) + 1e-300) / sigma
    np.testing.assert_allclose(grad.sum(0) / size, 0.0, atol=1e-10)
    rescaling = eps / (var + eps) * (gamma * g * xhat).sum(0) / sigma
    np.testing.assert_allclose((grad * xhat).sum(0) / size, rescaling / size, atol=1e-10)
