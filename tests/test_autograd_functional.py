"""mg.autograd.functional: vjp, jvp, vhp, hvp, jacobian, hessian.

Checked against closed forms and finite differences on every device, and against
torch.autograd.functional in float64 where PyTorch is installed (same signatures, same
return conventions, same numbers).
"""
import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.autograd import functional as AF


def f_vector(x):            # R^n -> R^3, not linear
    return mg.stack([(x * x).sum(), (x.sin() * x).sum(), x.prod()])


def f_scalar(x):            # R^n -> R
    return (x.exp() * x.sin()).sum() + (x * x).sum() ** 2


def f_two(x, y):            # (R^n, R^n) -> (R^n, R)
    return x * y.exp(), (x * y).sum().tanh()


def central_jacobian(f, x, h=1e-6):
    x = numpy.asarray(x, dtype=numpy.float64)
    columns = []
    for k in range(x.size):
        e = numpy.zeros_like(x)
        e.flat[k] = h
        columns.append((f(mg.tensor(x + e)).numpy() - f(mg.tensor(x - e)).numpy()) / (2 * h))
    return numpy.stack(columns, axis=-1)


# no magnitudes below 1e-6 but 0: at 1e-157, x * x is subnormal and a vjp that is computed but never used
# (pow's rule at exponent 0, b a^(b-1) = 0 * a^-1) overflows on the way, which says nothing about the operators
finite_floats = st.floats(-1.5, 1.5).filter(lambda v: v == 0 or abs(v) > 1e-6)
vectors = st.lists(finite_floats, min_size=1, max_size=4).map(lambda v: numpy.array(v, dtype=numpy.float64))


@settings(max_examples=25, deadline=None)
@given(vectors)
def test_jacobian_both_strategies_agree_with_finite_differences(x):
    expected = central_jacobian(f_vector, x)
    for strategy in ("reverse-mode", "forward-mode"):
        J = AF.jacobian(f_vector, mg.tensor(x), strategy=strategy)
        assert J.shape == (3, x.size)
        numpy.testing.assert_allclose(J.numpy(), expected, rtol=1e-6, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(vectors, st.randoms(use_true_random=False))
def test_jvp_and_vjp_are_the_jacobian_times_a_vector(x, rnd):
    v_in = numpy.array([rnd.uniform(-1, 1) for _ in x])
    v_out = numpy.array([rnd.uniform(-1, 1) for _ in range(3)])
    J = central_jacobian(f_vector, x)
    out, jv = AF.jvp(f_vector, mg.tensor(x), mg.tensor(v_in))
    numpy.testing.assert_allclose(out.numpy(), f_vector(mg.tensor(x)).numpy())
    numpy.testing.assert_allclose(jv.numpy(), J @ v_in, rtol=1e-6, atol=1e-6)
    _, vj = AF.vjp(f_vector, mg.tensor(x), mg.tensor(v_out))
    numpy.testing.assert_allclose(vj.numpy(), v_out @ J, rtol=1e-6, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(vectors, st.randoms(use_true_random=False))
def test_hessian_hvp_vhp_agree_with_finite_differences_of_the_gradient(x, rnd):
    v = numpy.array([rnd.uniform(-1, 1) for _ in x])

    def gradient(t):
        return mg.autograd.grad(f_scalar(t), t if t.requires_grad else t.requires_grad_())[0]

    H_fd = central_jacobian(lambda t: gradient(t.detach().requires_grad_()), x)
    H = AF.hessian(f_scalar, mg.tensor(x))
    numpy.testing.assert_allclose(H.numpy(), H_fd, rtol=1e-5, atol=1e-5)
    numpy.testing.assert_allclose(H.numpy(), H.numpy().T, rtol=1e-12, atol=1e-12)   # symmetric
    for product in (AF.hvp, AF.vhp):
        value, Hv = product(f_scalar, mg.tensor(x), mg.tensor(v))
        assert value.shape == ()
        numpy.testing.assert_allclose(Hv.numpy(), H.numpy() @ v, rtol=1e-9, atol=1e-9)


def test_tuples_in_and_out_follow_the_inputs_and_outputs():
    x, y = mg.tensor([0.3, -0.2]), mg.tensor([0.5, 1.0])
    J = AF.jacobian(f_two, (x, y))
    assert isinstance(J, tuple) and len(J) == 2 and all(isinstance(row, tuple) and len(row) == 2 for row in J)
    assert [[b.shape for b in row] for row in J] == [[(2, 2), (2, 2)], [(2,), (2,)]]
    numpy.testing.assert_allclose(J[0][0].numpy(), numpy.diag(numpy.exp(y.numpy())))      # d(x e^y)/dx
    out, vj = AF.vjp(f_two, (x, y), (mg.ones(2), mg.tensor(1.0)))
    assert isinstance(out, tuple) and isinstance(vj, tuple) and vj[0].shape == (2,)
    H = AF.hessian(lambda a, b: (a * a * b).sum(), (x, y))
    numpy.testing.assert_allclose(H[0][0].numpy(), numpy.diag(2 * y.numpy()))
    numpy.testing.assert_allclose(H[0][1].numpy(), numpy.diag(2 * x.numpy()))
    numpy.testing.assert_allclose(H[1][1].numpy(), numpy.zeros((2, 2)))


def test_results_are_detached_unless_create_graph_and_then_differentiable():
    x = mg.tensor([0.5, -1.0], requires_grad=True)
    _, g = AF.vjp(lambda t: (t ** 3).sum(), x)
    assert not g.requires_grad and x.grad is None            # the caller's graph is left alone
    _, g = AF.vjp(lambda t: (t ** 3).sum(), x, create_graph=True)
    (gg,) = mg.autograd.grad(g.sum(), x)                     # d/dx sum(3 x^2) = 6 x
    numpy.testing.assert_allclose(gg.numpy(), 6 * x.numpy())
    _, Hv = AF.hvp(lambda t: (t ** 3).sum(), x, mg.ones(2), create_graph=True)
    (third,) = mg.autograd.grad(Hv.sum(), x)                 # d/dx sum(6 x) = 6
    numpy.testing.assert_allclose(third.numpy(), [6.0, 6.0])


def test_an_output_independent_of_an_input_gives_zeros_or_raises_when_strict():
    x, y = mg.tensor([1.0, 2.0]), mg.tensor([3.0])
    _, (gx, gy) = AF.vjp(lambda a, b: (a * a).sum(), (x, y))
    numpy.testing.assert_allclose(gy.numpy(), [0.0])
    with pytest.raises(RuntimeError, match="does not depend on input 1"):
        AF.vjp(lambda a, b: (a * a).sum(), (x, y), strict=True)
    J = AF.jacobian(lambda a: mg.ones(3), x)
    numpy.testing.assert_allclose(J.numpy(), numpy.zeros((3, 2)))


def test_bad_calls_say_what_is_wrong():
    x = mg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="v may be left out only"):
        AF.vjp(lambda t: t * 2, x)
    with pytest.raises(RuntimeError, match=r"v\[0\] has shape \(3,\)"):
        AF.jvp(lambda t: t * 2, x, mg.ones(3))
    with pytest.raises(RuntimeError, match="single Tensor with one element"):
        AF.hessian(lambda t: t * 2, x)
    with pytest.raises(TypeError, match="inputs must be a Tensor"):
        AF.jacobian(lambda t: t, [1.0, 2.0])
    with pytest.raises(ValueError, match="strategy"):
        AF.jacobian(lambda t: t, x, strategy="sideways")


def test_on_every_device(device):
    x = mg.tensor([0.2, 0.7], device=device, dtype=mg.float64)
    J = AF.jacobian(f_vector, x)
    assert J.device == device
    numpy.testing.assert_allclose(J.numpy(), central_jacobian(f_vector, x.numpy()), rtol=1e-6, atol=1e-6)
    _, jv = AF.jvp(f_vector, x, mg.tensor([1.0, 0.0], device=device, dtype=mg.float64))
    numpy.testing.assert_allclose(jv.numpy(), J.numpy()[:, 0], rtol=1e-12)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")   # torch.jit, inside torch
def test_agrees_with_torch_autograd_functional():
    torch = pytest.importorskip("torch")
    TF = torch.autograd.functional
    rng = numpy.random.default_rng(0)
    x, y = rng.normal(size=3), rng.normal(size=3)
    v3, v1 = rng.normal(size=3), rng.normal(size=())

    def ours_f(a, b):
        return (a * b.exp(), (a * b).sum().tanh())

    def torch_f(a, b):
        return (a * b.exp(), (a * b).sum().tanh())

    def close(a, b):
        if isinstance(a, tuple):
            assert isinstance(b, (tuple, list)) and len(a) == len(b)   # forward-mode gives lists
            for p, q in zip(a, b):
                close(p, q)
        else:
            numpy.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)

    m, t = (mg.tensor(x), mg.tensor(y)), (torch.from_numpy(x), torch.from_numpy(y))
    close(AF.jacobian(ours_f, m), TF.jacobian(torch_f, t))
    close(AF.jacobian(ours_f, m, strategy="forward-mode"), TF.jacobian(torch_f, t, vectorize=True,
                                                                         strategy="forward-mode"))
    close(AF.vjp(ours_f, m, (mg.tensor(v3), mg.tensor(v1))),
          TF.vjp(torch_f, t, (torch.from_numpy(v3), torch.from_numpy(v1))))
    close(AF.jvp(ours_f, m, (mg.tensor(v3), mg.tensor(x))),
          TF.jvp(torch_f, t, (torch.from_numpy(v3), torch.from_numpy(x))))
    close(AF.jacobian(lambda a: a.sin(), mg.tensor(x)), TF.jacobian(lambda a: a.sin(), torch.from_numpy(x)))

    def ours_s(a, b):
        return (a.exp() * b.sin()).sum() + (a * a).sum() * b.sum()

    def torch_s(a, b):
        return (a.exp() * b.sin()).sum() + (a * a).sum() * b.sum()

    close(AF.hessian(ours_s, m), TF.hessian(torch_s, t))
    close(AF.hessian(lambda a: ours_s(a, mg.tensor(y)), mg.tensor(x)),
          TF.hessian(lambda a: torch_s(a, torch.from_numpy(y)), torch.from_numpy(x)))
    for name in ("hvp", "vhp"):
        close(getattr(AF, name)(ours_s, m, (mg.tensor(v3), mg.tensor(x))),
              getattr(TF, name)(torch_s, t, (torch.from_numpy(v3), torch.from_numpy(x))))


# ------------------------------------------------------------ against Hessians and Jacobians written out by hand

def closed_form_problem(seed, n, m):
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
    """vhp (double backward), hvp (forward over reverse) and hessian, all equal to the closed form
    (symmetric part of A + softmax Hessian through W + diag(c x^2)), to rounding in float64."""
    f, H, x0, v0 = closed_form_problem(seed, n, m)
    x = mg.tensor(x0, dtype=mg.float64, requires_grad=True)
    v = mg.tensor(v0, dtype=mg.float64)
    scale = numpy.abs(H).max() * numpy.abs(v0).max() * n
    assert numpy.allclose(AF.vhp(f, x, v)[1].numpy(), H @ v0, rtol=0, atol=1e-12 * scale)
    assert numpy.allclose(AF.hvp(f, x, v)[1].numpy(), H @ v0, rtol=0, atol=1e-12 * scale)
    assert numpy.allclose(AF.hessian(f, x).numpy(), H, rtol=0, atol=1e-12 * numpy.abs(H).max() * n)
    assert x.grad is None                       # the inputs are differentiated as fresh leaves


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 5), m=st.integers(1, 5))
def test_jvp_by_the_double_vjp_trick_is_j_times_v_for_a_jacobian_that_is_not_square(seed, n, m):
    """F(x) = tanh(W x): J = diag(1 - tanh^2(W x)) W, (m, n); jvp must give J v, not J^T of anything."""
    rng = numpy.random.default_rng(seed)
    W, x0, v0 = rng.standard_normal((m, n)), rng.standard_normal(n), rng.standard_normal(n)
    Wt = mg.tensor(W, dtype=mg.float64)
    x = mg.tensor(x0, dtype=mg.float64, requires_grad=True)
    jv = AF.jvp(lambda z: (Wt @ z).tanh(), x, mg.tensor(v0, dtype=mg.float64))[1].numpy()
    J = (1 - numpy.tanh(W @ x0) ** 2)[:, None] * W
    assert jv.shape == (m,)
    assert numpy.allclose(jv, J @ v0, rtol=1e-13, atol=1e-13)
