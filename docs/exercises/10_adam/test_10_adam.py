"""Exercise 10: Adam against mg.optim.Adam step by step, its first step, and how it treats the parameters."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

TARGET = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])


def loss(w, b):
    """A loss whose gradients change from step to step and differ in size between elements."""
    return ((w - mg.tensor(TARGET)) ** 2 * mg.tensor(np.array([1.0, 10.0, 0.1]))).sum() + (b.exp() - b).sum()


def leaves(w, b):
    return mg.tensor(w, requires_grad=True), mg.tensor(b, requires_grad=True)


@given(w=hnp.arrays(np.float64, (2, 3), elements=st.floats(-3.0, 3.0)),
       b=hnp.arrays(np.float64, (4,), elements=st.floats(-1.0, 1.0)),
       lr=st.sampled_from([1e-3, 0.05, 0.3]), betas=st.sampled_from([(0.9, 0.999), (0.5, 0.9), (0.0, 0.99)]))
def test_matches_minigrad_adam_over_twenty_steps(impl, w, b, lr, betas):
    mine, theirs = leaves(w, b), leaves(w, b)
    opt_mine, opt_theirs = impl.Adam(mine, lr=lr, betas=betas), mg.optim.Adam(theirs, lr=lr, betas=betas)
    for step in range(20):
        for params, opt in ((mine, opt_mine), (theirs, opt_theirs)):
            opt.zero_grad()
            loss(*params).backward()
            opt.step()
        for p, q in zip(mine, theirs):
            np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-9, atol=1e-12, err_msg=f"after step {step + 1}")


@given(g=hnp.arrays(np.float64, (5,), elements=st.floats(1e-3, 1e3) | st.floats(-1e3, -1e-3)))
def test_first_step_moves_each_element_by_lr_whatever_the_gradient_size(impl, g):
    """At t = 1 the bias correction gives m_hat = g and v_hat = g^2: the step is lr g / (|g| + eps) ~ lr sign(g)."""
    p = mg.tensor(np.zeros(5), requires_grad=True)
    p.grad = mg.tensor(g)
    impl.Adam([p], lr=0.1).step()
    np.testing.assert_allclose(p.numpy(), -0.1 * g / (np.abs(g) + 1e-8), rtol=1e-9)


def test_a_parameter_without_a_gradient_is_left_alone(impl):
    a, b = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0], requires_grad=True)
    (a * a).sum().backward()
    impl.Adam([a, b], lr=0.1).step()
    assert b.grad is None and b.numpy().tolist() == [3.0]
    assert a.numpy().tolist() != [1.0, 2.0]


def test_each_parameter_counts_its_own_steps(impl):
    """The bias correction uses each parameter's own t (Algorithm 1 is written for one parameter): b, without a
    gradient for the first three steps, takes at its first update the step of any first update,
    lr g / (|g| + eps), and then follows mg.optim.Adam. One counter for the whole optimizer would give b t = 4."""
    ours, reference = (leaves(np.array([1.0, 2.0]), np.array([3.0, -1.0])) for _ in range(2))
    g_b = np.array([0.5, -4.0])
    for (a, b), opt in ((ours, impl.Adam(ours, lr=0.1)), (reference, mg.optim.Adam(reference, lr=0.1))):
        for step in range(6):
            opt.zero_grad()
            (a * a).sum().backward()
            if step >= 3:            # b has a gradient from the fourth step on
                b.grad = mg.tensor(g_b * (step - 2))
            opt.step()
            if step == 3:
                np.testing.assert_allclose(b.numpy(), [3.0, -1.0] - 0.1 * g_b / (np.abs(g_b) + 1e-8), rtol=1e-9,
                                           err_msg="b's first update: its own t is 1")
    for p, q in zip(ours, reference):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-9, atol=1e-12)


def test_updates_in_place_and_records_nothing(impl):
    """The same tensor objects are updated; they stay leaves that require grad; the gradient is only read."""
    w, b = leaves(np.zeros((2, 3)), np.zeros(4))
    opt = impl.Adam([w, b], lr=0.1)
    loss(w, b).backward()
    grad_before = w.grad.numpy().copy()
    opt.step()
    assert opt.params[0] is w and w.requires_grad, "step() must change the values of w, not replace w"
    assert not np.array_equal(w.numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(w.grad.numpy(), grad_before)
    opt.zero_grad()
    assert w.grad is None and b.grad is None
    loss(w, b).backward()     # a new forward and backward pass on the updated values works
    opt.step()


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_keeps_the_dtype(impl, dtype):
    w = mg.tensor([[0.5, -0.5]], dtype=dtype, requires_grad=True)
    (w * w).sum().backward()
    impl.Adam([w]).step()
    assert w.dtype == dtype


def test_minimizes_a_badly_scaled_quadratic(impl):
    """Gradients that differ by a factor 100 between the two coordinates; Adam's steps do not."""
    w = mg.tensor([5.0, 5.0], dtype=mg.float64, requires_grad=True)
    opt = impl.Adam([w], lr=0.1)
    for _ in range(500):
        opt.zero_grad()
        (w * w * mg.tensor([100.0, 0.01], dtype=mg.float64)).sum().backward()
        opt.step()
    np.testing.assert_allclose(w.numpy(), 0.0, atol=0.05)
