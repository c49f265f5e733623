"""The tape itself: graph shapes, gradient accumulation, grad modes, freeing, higher order."""
import gc
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg


def t(values, device, requires_grad=True, dtype=mg.float64):
    return mg.tensor(values, requires_grad=requires_grad, dtype=dtype, device=device)


def test_diamond_graph_sums_both_paths(device):
    # y = a*b + a/b with a, b from one x: dy/dx goes through four paths
    x = t(1.5, device)
    a, b = x * 2.0, x + 1.0
    y = a * b + a / b
    y.backward()
    xv = 1.5
    expected = 2 * (xv + 1) + 2 * xv + (2 * (xv + 1) - 2 * xv) / (xv + 1) ** 2
    assert x.grad.item() == pytest.approx(expected)


def test_reused_tensor_gets_both_contributions(device):
    x = t([1.0, -2.0, 3.0], device)
    (x * x).sum().backward()             # d/dx x^2 = 2x: both factors count
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0, 6.0])


def test_gradients_accumulate_across_backward_calls(device):
    x = t([1.0, 2.0], device)
    (x * 3.0).sum().backward()
    (x * 4.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [7.0, 7.0])


def test_no_grad_records_nothing_and_restores_the_mode(device):
    x = t([1.0, 2.0], device)
    with mg.no_grad():
        y = x * 2.0
        with mg.enable_grad():
            z = x * 2.0
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad and not z.is_leaf
    assert mg.is_grad_enabled()

    @mg.no_grad()
    def double(v):
        return v * 2.0
    assert not double(x).requires_grad


def test_grad_mode_is_restored_after_an_exception_inside_no_grad_and_enable_grad(device):
    x = t([1.0, 2.0], device)
    with pytest.raises(ZeroDivisionError):
        with mg.no_grad():
            raise ZeroDivisionError("inside no_grad")
    assert mg.is_grad_enabled() and (x * 2.0).requires_grad
    with mg.no_grad():
        with pytest.raises(ZeroDivisionError):
            with mg.enable_grad():
                raise ZeroDivisionError("inside enable_grad")
        assert not mg.is_grad_enabled() and not (x * 2.0).requires_grad   # back to the no_grad around it
    assert mg.is_grad_enabled()

    @mg.no_grad()
    def fails(v):
        raise ValueError("inside")
    with pytest.raises(ValueError, match="inside"):
        fails(x)
    assert mg.is_grad_enabled() and (x * 2.0).requires_grad


def test_detach_cuts_the_graph(device):
    x = t([1.0, 2.0], device)
    y = (x * x).detach() * x          # only the last factor is differentiated
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 4.0])


def test_deep_chain_of_100000_ops_backpropagates_iteratively(device):
    x = t(1.0, device)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward()
    assert y.item() == 100_001.0
    assert x.grad.item() == 1.0


def test_second_backward_through_a_freed_graph_raises(device):
    x = t([1.0, 2.0], device)
    y = (x.exp() * 2.0).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward(device):
    x = t([1.0, 2.0], device)
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]))


def test_backward_frees_the_values_the_graph_saved_unless_retain_graph(device):
    x = t(np.linspace(-1.0, 1.0, 1000), device)
    h = x.exp()
    y = (h * h).sum()                        # mul saved h for its vjp: only y's graph holds it now
    h_saved = weakref.ref(h)
    del h
    gc.collect()
    assert h_saved() is not None
    y.backward(retain_graph=True)
    gc.collect()
    assert h_saved() is not None             # kept for the next backward
    y.backward()
    gc.collect()
    assert h_saved() is None                 # freed, though y itself is alive
    assert not y.is_leaf                     # and y still is the output of an op, not a leaf
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_graphs_are_freed_after_backward(device):
    w = mg.tensor(np.ones((3, 3)), requires_grad=True, device=device)
    refs = []
    for _ in range(3):
        h = (w @ w).tanh()
        refs.append(weakref.ref(h))
        h.sum().backward()
        del h
    gc.collect()
    assert all(r() is None for r in refs)


def test_nonscalar_backward_needs_a_gradient(device):
    x = t([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2.0).backward()
    (x * 2.0).backward(mg.tensor([1.0, 10.0], dtype=mg.float64, device=device))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])
    with pytest.raises(ValueError, match="shape"):
        (x * 2.0).backward(mg.ones(3, dtype=mg.float64, device=device))


def test_autograd_grad_of_an_unused_input_raises_unless_allowed_and_leaves_grad_alone(device):
    x, unused = t([1.0, 2.0], device), t([5.0], device)
    with pytest.raises(RuntimeError, match="input 1 .*does not reach the outputs.*allow_unused=True"):
        mg.autograd.grad((x ** 3).sum(), [x, unused], retain_graph=True)
    gx, gu = mg.autograd.grad((x ** 3).sum(), [x, unused], allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), 3 * np.array([1.0, 4.0]))
    assert gu is None
    gx, gu = mg.autograd.grad((x ** 3).sum(), [x, unused], materialize_grads=True)   # zeros, as in PyTorch
    np.testing.assert_allclose(gu.numpy(), [0.0])
    assert x.grad is None and unused.grad is None
    with pytest.raises(ValueError, match="materialize_grads"):
        mg.autograd.grad((x ** 3).sum(), [x, unused], allow_unused=False, materialize_grads=True)


def test_autograd_grad_of_an_input_that_does_not_require_grad(device):
    x = mg.tensor([1.0], device=device)
    w = mg.tensor([1.0], requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="input 0 does not require grad"):
        mg.autograd.grad((w * x).sum(), [x])


@given(st.integers(0, 2))
def test_autograd_grad_of_an_input_that_does_not_reach_the_output_raises(unused):
    inputs = [mg.tensor([1.0, 2.0], requires_grad=True) for _ in range(3)]
    used = [x for i, x in enumerate(inputs) if i != unused]
    out = (used[0] * used[1]).sum()
    with pytest.raises(RuntimeError, match=f"input {unused} .*does not reach"):
        mg.autograd.grad(out, inputs, retain_graph=True)
    grads = mg.autograd.grad(out, inputs, allow_unused=True)
    assert grads[unused] is None and all(g is not None for i, g in enumerate(grads) if i != unused)


def test_create_graph_gives_hessian_vector_products(device):
    # f(x) = sum(x^3) / 3 + x0 x1 ;  H = diag(2x) + [[0, 1], [1, 0]]
    x = t([1.0, 2.0], device)
    v = mg.tensor([0.5, -1.0], dtype=mg.float64, device=device)
    f = (x ** 3).sum() / 3.0 + x[0] * x[1]
    (g,) = mg.autograd.grad(f, x, create_graph=True)
    (hv,) = mg.autograd.grad((g * v).sum(), x)
    np.testing.assert_allclose(hv.numpy(), [2 * 1.0 * 0.5 - 1.0, 2 * 2.0 * -1.0 + 0.5])


def test_backward_on_a_tensor_without_graph_explains(device):
    x = t([1.0], device, requires_grad=False)
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2.0).sum().backward()


def test_backward_create_graph_keeps_the_graph_of_x_grad(device):
    # the PyTorch way to a Hessian-vector product: loss.backward(create_graph=True), then backward of x.grad . v
    # f(x) = sum(x^3) / 3 + x0 x1 ;  H = diag(2x) + [[0, 1], [1, 0]]
    x = t([1.0, 2.0], device)
    v = mg.tensor([0.5, -1.0], dtype=mg.float64, device=device)
    ((x ** 3).sum() / 3.0 + x[0] * x[1]).backward(create_graph=True)
    gradient = x.grad
    np.testing.assert_allclose(gradient.numpy(), [1.0 + 2.0, 4.0 + 1.0])
    assert gradient.requires_grad
    x.grad = None
    (gradient * v).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 * 1.0 * 0.5 - 1.0, 2 * 2.0 * -1.0 + 0.5])


def test_backward_from_a_sample_draw_names_rsample_and_the_score_function(device):
    # the course's key mistake: q.sample() where q.rsample() was meant; loc requires grad, yet no graph reaches it
    loc = t([0.0, 1.0], device)
    q = mg.distributions.Normal(loc, 1.0)
    loss = ((q.sample() - 2.0) ** 2).mean()
    with pytest.raises(RuntimeError, match=r"Normal\.sample\(\).*rsample\(\).*mg\.estimators\.score_function"):
        loss.backward()
    with pytest.raises(RuntimeError, match=r"does not reach the outputs.*Normal\.sample\(\).*rsample"):
        mg.autograd.grad(loss, loc)
    step = (q.sample() > 0.0).astype(mg.float64).sum()        # a step of the draw: through a comparison
    with pytest.raises(RuntimeError, match=r"Normal\.sample\(\).*rsample"):
        step.backward()
    coin = mg.distributions.Bernoulli(logits=loc).sample()
    with pytest.raises(RuntimeError, match=r"Bernoulli\.sample\(\).*score_function"):
        (3.0 * coin).sum().backward()
    ((q.rsample() - 2.0) ** 2).mean().backward()              # the fix: a path from loc through the draw
    assert loc.grad is not None


def test_differentiating_a_gradient_taken_without_create_graph_names_create_graph(device):
    # exercise 09's trap: the first gradient has no graph, so the second cannot reach x
    x = t([1.0, 2.0], device)
    v = mg.tensor([0.5, -1.0], dtype=mg.float64, device=device)
    g, = mg.autograd.grad((x ** 3).sum(), x)
    with pytest.raises(RuntimeError, match="without create_graph=True.*pass create_graph=True") as error:
        mg.autograd.grad(g @ v, x)
    assert "allow_unused" not in str(error.value)
    (x ** 3).sum().backward()
    with pytest.raises(RuntimeError, match="without create_graph=True.*pass create_graph=True"):
        (x.grad * v).sum().backward()


def test_integer_tensors_cannot_require_grad(device):
    with pytest.raises(TypeError, match="floating"):
        mg.tensor([1, 2], requires_grad=True, device=device)
    with pytest.raises(TypeError, match="floating"):
        mg.arange(3, device=device).requires_grad_()


def test_default_dtype_and_float64_propagation(device):
    assert mg.tensor([1.0], device=device).dtype == mg.float32
    assert mg.tensor(np.array([1.0]), device=device).dtype == mg.float64
    x32 = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (x32 * 2.5 + 1).exp()
    assert y.dtype == mg.float32            # Python scalars do not upcast
    y.sum().backward()
    assert x32.grad.dtype == mg.float32
    mg.set_default_dtype(mg.float64)
    assert mg.tensor([1.0], device=device).dtype == mg.float64
    assert mg.tensor([1, 2], device=device).dtype == mg.int64


def test_mixing_devices_names_both():
    x = mg.tensor([1.0], device="cpu")
    y = mg.tensor([1.0], device="strict")
    with pytest.raises(ValueError, match="cpu.*strict|strict.*cpu"):
        x + y


def test_to_device_is_differentiable(device):
    x = t([1.0, 2.0], "cpu")
    y = x.to(device) * 3.0
    assert y.device == device
    y.sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_default_device_is_used_by_creation(device):
    mg.set_default_device(device)
    for made in (mg.tensor([1.0]), mg.zeros(2), mg.ones((2, 2)), mg.full((1,), 3.0), mg.arange(3), mg.eye(2),
                 mg.random.normal(size=(2,)), mg.random.uniform(size=3), mg.random.bernoulli(0.5, (4,))):
        assert made.device == device


def test_same_seed_same_numbers(device):
    mg.random.seed(123)
    a = mg.random.normal(size=(5,), device=device).numpy()
    mg.random.seed(123)
    b = mg.random.normal(size=(5,), device=device).numpy()
    np.testing.assert_array_equal(a, b)
    assert mg.random.normal(size=(3,), dtype=mg.float64, device=device).dtype == mg.float64


def test_unknown_device_lists_the_valid_ones():
    with pytest.raises(ValueError, match="available devices"):
        mg.tensor([1.0], device="tpu")


def test_comparisons_give_boolean_tensors_without_gradient(device):
    x = t([1.0, 2.0, 3.0], device)
    mask = x > 1.5
    assert mask.dtype == mg.bool_ and not mask.requires_grad
    np.testing.assert_array_equal(mask.numpy(), [False, True, True])
    np.testing.assert_array_equal((x == 2.0).numpy(), [False, True, False])


def test_the_top_level_exports_exactly_the_array_operations_of_ops():
    # one list: ops.__all__ holds every op; those not in mg.__all__ are named, with where they live, in
    # ops.NOT_AT_TOP_LEVEL; every name of mg.__all__ defined in minigrad.ops is one of the rest, the same object
    from minigrad import ops
    assert set(ops.NOT_AT_TOP_LEVEL) <= set(ops.__all__), "an exception that is not an op of ops.__all__"
    top_level = set(ops.__all__) - set(ops.NOT_AT_TOP_LEVEL)
    from_ops = {name for name in mg.__all__ if getattr(getattr(mg, name), "__module__", "").startswith("minigrad.ops")}
    assert from_ops == top_level, f"in ops but not mg: {top_level - from_ops}; in mg, not ops: {from_ops - top_level}"
    assert all(getattr(mg, name) is getattr(ops, name) for name in top_level)
    assert not set(ops.NOT_AT_TOP_LEVEL) & set(mg.__all__)
    for name in ("conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d"):   # reached where PyTorch has them
        assert getattr(mg.nn.functional, name) is getattr(ops, name)
    assert set(mg.linalg.__all__) == set(ops.linalg.__all__)   # mg.linalg: the primitives of ops/linalg.py
    assert all(getattr(mg.linalg, name) is getattr(ops.linalg, name) for name in mg.linalg.__all__)
