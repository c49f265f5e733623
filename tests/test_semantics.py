"""Semantics a finite-difference check cannot see, and the PyTorch habits a student brings.

Each test here pins a behaviour that was once silently wrong (a gradient computed from
overwritten values, a truncated gradient, a float64 where float32 was promised) or a
PyTorch spelling that must work or say what to write instead.
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg

from strategies import arrays, floats, shapes


def t(values, device, requires_grad=True, dtype=mg.float64):
    return mg.tensor(values, requires_grad=requires_grad, dtype=dtype, device=device)


# ---------------------------------------------------------------- in-place changes of an op's own output

UNARY_OPS = [mg.exp, mg.expm1, mg.tanh, mg.sigmoid, mg.sqrt, mg.softplus, mg.log, mg.sin, mg.relu, mg.abs,
             lambda x: x * 2.0, lambda x: x.sum(), lambda x: x[1:], lambda x: x.reshape((3, 1))]


@pytest.mark.parametrize("op", UNARY_OPS)
@pytest.mark.parametrize("how", ["setitem", "data", "iadd"])
def test_changing_an_outputs_values_before_backward_raises_whatever_the_op(device, op, how):
    # exp's vjp reads its output (g * out); whatever op made y, its values after the change are not
    # the values the graph computed, so backward refuses instead of returning a wrong gradient
    x = t([1.0, 2.0, 3.0], device)
    y = op(x)
    with mg.no_grad():
        if how == "setitem":
            y[...] = 0.0
        elif how == "data":
            y.data = y.data * 0.0
        else:
            y += 1.0
    with pytest.raises(RuntimeError, match="output of .* was changed in place"):
        y.sum().backward()


def test_changing_an_outputs_values_with_grad_mode_on_raises_at_once(device):
    x = t([1.0, 1.0, 1.0], device)
    y = x.exp()
    with pytest.raises(RuntimeError, match=r"setitem: this tensor \(the output of 'exp'.*mg.where"):
        y[...] = 0.0
    with pytest.raises(RuntimeError, match=r"\+=: this tensor \(the output of 'exp'"):
        y += 1.0
    y.sum().backward()                      # nothing was changed: the gradient is exp(1)
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, math.e))


def test_an_output_changed_after_backward_is_fine(device):
    x = t([1.0, 2.0], device)
    y = x.exp()
    y.sum().backward(retain_graph=True)
    with mg.no_grad():
        y[0] = 5.0                          # the graph's work is done
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]))


# ---------------------------------------------------------------- non-floating results have no gradient

@pytest.mark.parametrize("dtype", [mg.int64, mg.int32, mg.bool_, mg.uint8])
def test_a_cast_to_a_non_floating_dtype_leaves_the_tape(device, dtype):
    x = t([1.7, 0.0], device, dtype=mg.float32)
    cast = x.astype(dtype)
    assert not cast.requires_grad and cast.is_leaf
    (cast * x).sum().backward()            # d/dx (c * x) with c constant = c, as in PyTorch
    np.testing.assert_array_equal(x.grad.numpy(), x.numpy().astype(dtype).astype(np.float32))


def test_a_cast_between_floating_dtypes_stays_on_the_tape(device):
    x = t([1.5], device, dtype=mg.float32)
    y = x.astype(mg.float64)
    assert y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.numpy()[0] == 3.0


@pytest.mark.parametrize("dtype", [mg.int64, mg.bool_])
def test_setting_requires_grad_on_a_non_floating_tensor_raises(device, dtype):
    x = mg.tensor([1, 0], dtype=dtype, device=device)
    with pytest.raises(TypeError, match=f"only floating tensors can require grad.*{np.dtype(dtype)}"):
        x.requires_grad = True
    assert not x.requires_grad
    x.requires_grad = False                # always allowed


# ---------------------------------------------------------------- ties and special values

def test_clip_with_a_tensor_bound_sends_the_whole_gradient_to_x_at_the_bound(device):
    x = t([0.0, 1.0, -1.0, 2.0, 0.5], device)
    low, high = t([0.0] * 5, device), t([1.0] * 5, device)
    gx, gl, gh = mg.autograd.grad(mg.clip(x, low, high).sum(), [x, low, high])
    np.testing.assert_array_equal(gx.numpy(), [1.0, 1.0, 0.0, 0.0, 1.0])   # ends included, as for numbers
    np.testing.assert_array_equal(gl.numpy(), [0.0, 0.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(gh.numpy(), [0.0, 0.0, 0.0, 1.0, 0.0])
    (g_numbers,) = mg.autograd.grad(mg.clip(x, 0.0, 1.0).sum(), [x])
    np.testing.assert_array_equal(g_numbers.numpy(), gx.numpy())


@given(x=arrays(shapes(), floats()), low=floats(), width=floats(-1.0, 3.0))
def test_clip_shares_add_up_to_the_cotangent(device, x, low, width):
    # whoever the result is taken from gets g: the three shares always sum to g (here 1)
    x, low, high = t(x, device), t(low, device), t(low + width, device)
    gx, gl, gh = mg.autograd.grad(mg.clip(x, low, high).sum(), [x, low, high])
    assert gx.numpy().sum() + gl.numpy() + gh.numpy() == pytest.approx(x.size)


@pytest.mark.parametrize("op", [mg.maximum, mg.minimum], ids=["maximum", "minimum"])
def test_maximum_minimum_send_the_gradient_to_the_nan_operand(device, op):
    nan = float("nan")
    a = t([nan, 1.0, nan], device)
    b = t([1.0, nan, nan], device)
    ga, gb = mg.autograd.grad(op(a, b).sum(), [a, b])
    np.testing.assert_array_equal(ga.numpy(), [1.0, 0.0, 0.5])
    np.testing.assert_array_equal(gb.numpy(), [0.0, 1.0, 0.5])


def test_clip_keeps_the_gradient_at_a_nan(device):
    x = t([float("nan")], device)
    (gx,) = mg.autograd.grad(mg.clip(x, 0.0, 1.0).sum(), [x])
    assert gx.numpy()[0] == 1.0


def test_pow_exponent_gradient_at_a_zero_base_takes_the_limits(device):
    a = t([0.0, 0.0, 0.0, 2.0], device)
    b = t([-1.0, 0.0, 2.0, 3.0], device)
    with np.errstate(divide="ignore"):
        ga, gb = mg.autograd.grad((a ** b).sum(), [a, b])
    np.testing.assert_array_equal(gb.numpy()[:3], [-np.inf, 0.0, 0.0])   # a^b log a as a -> 0+
    assert gb.numpy()[3] == pytest.approx(8 * np.log(2.0))
    np.testing.assert_array_equal(ga.numpy(), [-np.inf, 0.0, 0.0, 12.0])


@given(a=floats(0.2, 3.0), b=floats(-2.0, 2.0))
def test_pow_second_derivatives_away_from_zero(device, a, b):
    a, b = t(a, device), t(b, device)
    assert mg.gradgradcheck(lambda u, v: u ** v, [a, b])


# ---------------------------------------------------------------- dtypes of mixed integer and float arithmetic

@pytest.mark.parametrize("default", [mg.float32, mg.float64])
def test_an_integer_tensor_with_a_python_float_gives_the_default_float(device, default):
    mg.set_default_dtype(default)
    i = mg.tensor([1, 2, 3], device=device)
    for result in (i * 0.5, 0.5 * i, i + 0.5, i - 0.5, i / 2, 2.0 / i, i ** 0.5, i.exp(), mg.sqrt(i), i.mean()):
        assert result.dtype == default, result
    assert (i * 2).dtype == np.int64 and (i + True).dtype == np.int64
    assert (i < 1.5).numpy().tolist() == [True, False, False]


# ---------------------------------------------------------------- zero-size features

@pytest.mark.parametrize("in_features, out_features", [(0, 2), (2, 0), (0, 0)])
@pytest.mark.parametrize("batch", [(), (4,), (4, 3)])
def test_linear_with_zero_features_differentiates(device, in_features, out_features, batch):
    x = t(np.ones(batch + (in_features,)), device)
    w = t(np.ones((out_features, in_features)), device)
    b = t(np.ones(out_features), device)
    y = mg.linear(x, w, b)
    assert y.shape == batch + (out_features,)
    gx, gw, gb = mg.autograd.grad(y.sum(), [x, w, b], materialize_grads=True)
    assert gx.shape == x.shape and gw.shape == w.shape and gb.shape == b.shape
    np.testing.assert_array_equal(gb.numpy(), np.full(out_features, float(np.prod(batch))))


# ---------------------------------------------------------------- in-place arithmetic

def test_a_hand_written_sgd_step_changes_the_parameter_in_place(device):
    w = t([1.0, 2.0], device)
    alias = w
    (w * w).sum().backward()
    with mg.no_grad():
        w -= 0.25 * w.grad                  # the update every PyTorch tutorial writes
    assert w is alias and w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.numpy(), [0.5, 1.0])
    w.grad.zero_()
    (w * w).sum().backward()                # the next step works on the same tensor
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 2.0])


@pytest.mark.parametrize("update", [lambda w: w.__iadd__(1.0), lambda w: w.__isub__(1.0),
                                    lambda w: w.__imul__(2.0), lambda w: w.__itruediv__(2.0),
                                    lambda w: w.add_(1.0), lambda w: w.zero_(), lambda w: w.fill_(3.0)])
def test_in_place_arithmetic_on_a_leaf_that_requires_grad_raises_outside_no_grad(device, update):
    w = t([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad cannot be changed in place"):
        update(w)
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])    # nothing was changed


@pytest.mark.parametrize("write", [lambda buf, v: buf.__iadd__(v), lambda buf, v: buf.__setitem__(0, v[0]),
                                   lambda buf, v: buf.copy_(v), lambda buf, v: buf.mul_(v)])
def test_writing_a_value_that_requires_grad_in_place_raises_instead_of_dropping_its_gradient(device, write):
    x = t([1.0, 2.0], device)
    buffer = mg.zeros(2, dtype=mg.float64, device=device)
    with pytest.raises(RuntimeError, match="requires grad.*no gradient would reach it"):
        write(buffer, x * 2.0)
    np.testing.assert_array_equal(buffer.numpy(), [0.0, 0.0])
    with mg.no_grad():
        write(buffer, x * 2.0)     # under no_grad nobody asked for its gradient


def test_in_place_arithmetic_counts_as_an_in_place_change(device):
    w = t([1.0, 2.0], device)
    loss = (w * w).sum()
    with mg.no_grad():
        w *= 0.5
    with pytest.raises(RuntimeError, match="changed in place after the forward pass"):
        loss.backward()


def test_in_place_methods_give_numpys_results(device):
    x = mg.tensor([1.0, 2.0, 3.0], device=device)
    assert x.add_(1.0) is x
    x.mul_(mg.tensor([1.0, 2.0, 3.0], device=device)).sub_(1.0).div_(2.0)
    np.testing.assert_allclose(x.numpy(), [0.5, 2.5, 5.5])
    x.copy_(mg.tensor([7.0], device=device))
    np.testing.assert_array_equal(x.numpy(), [7.0, 7.0, 7.0])
    x.copy_([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0, 3.0])
    x.fill_(2.0).zero_()
    np.testing.assert_array_equal(x.numpy(), [0.0, 0.0, 0.0])


def test_in_place_arithmetic_refuses_what_would_not_fit(device):
    i = mg.tensor([1, 2], device=device)
    with pytest.raises(TypeError, match="dtype float32.*dtype int64"):
        i += 0.5
    x = mg.tensor([1.0, 2.0], device=device)
    with pytest.raises(ValueError, match=r"shape \(2, 2\).*shape \(2,\)"):
        x += mg.ones((2, 2), device=device)
    np.testing.assert_array_equal(i.numpy(), [1, 2])
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])


# ---------------------------------------------------------------- conversions

def test_one_element_tensors_convert_to_python_numbers(device):
    x = mg.tensor([2.71828], device=device)
    assert float(x) == pytest.approx(2.71828) and int(x) == 2
    assert f"{x:.3f}" == "2.718" and f"{x[0]:>8.2f}" == "    2.72"
    assert round(x, 2) == pytest.approx(2.72) and round(x) == 3
    assert [10, 20, 30][mg.tensor(1, device=device)] == 20
    with pytest.raises(ValueError, match="one element"):
        float(mg.ones(2, device=device))
    with pytest.raises(TypeError, match="shape"):
        f"{mg.ones(2, device=device):.3f}"
    assert f"{mg.ones(2, device=device)}" == str(mg.ones(2, device=device))


def test_numpy_asarray_gives_the_numbers_on_the_cpu():
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    np.testing.assert_array_equal(np.asarray(x), [[1.0, 2.0], [3.0, 4.0]])
    losses = [(x * k).sum() for k in range(3)]          # what a training loop collects
    assert np.asarray(losses).dtype == np.float32
    np.testing.assert_array_equal(np.asarray(losses), [0.0, 10.0, 20.0])


def test_matplotlib_plots_tensors():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, (left, right) = plt.subplots(1, 2)
    (line,) = left.plot([mg.tensor(v) for v in (3.0, 2.0, 1.5)])
    np.testing.assert_array_equal(line.get_ydata(), [3.0, 2.0, 1.5])
    image = right.imshow(mg.ones((4, 4)))
    assert image.get_array().shape == (4, 4)
    plt.close(figure)


def test_numpy_asarray_of_a_tensor_off_the_host_points_to_numpy_method():
    # "strict" follows CuPy's rule: its arrays never turn into NumPy arrays implicitly
    x = mg.ones(3, device="strict")
    with pytest.raises(TypeError, match=r"on 'strict'.*t.numpy\(\)"):
        np.asarray(x)


def test_numpy_functions_on_tensors_work_or_name_what_to_call(device):
    x = t([0.5, 1.0], device)
    y = np.exp(x)                              # the minigrad op: recorded, differentiable
    assert isinstance(y, mg.Tensor) and y.requires_grad
    (gx,) = mg.autograd.grad(np.sum(y * x, axis=0), [x])
    np.testing.assert_allclose(gx.numpy(), np.exp([0.5, 1.0]) * (1 + np.array([0.5, 1.0])))
    assert isinstance(np.float64(2.0) * x, mg.Tensor)
    with pytest.raises(TypeError, match="numpy.cumprod cannot take a minigrad Tensor.*t.numpy"):
        np.cumprod(x)
    with pytest.raises(TypeError, match="numpy.arctan2 cannot take a minigrad Tensor"):
        np.arctan2(x, x)
    with pytest.raises(TypeError, match=r"numpy.add cannot take a minigrad Tensor: call mg.add"):
        np.add(x, x, out=np.zeros(2))


# ---------------------------------------------------------------- friendly refusals

@pytest.mark.parametrize("call, ours", [
    (lambda x: x.sum(dim=0), "axis="), (lambda x: mg.sum(x, dim=0), "axis="),
    (lambda x: x.mean(axis=0, keepdim=True), "keepdims="), (lambda x: mg.max(x, keepdim=True), "keepdims="),
    (lambda x: x.softmax(dim=-1), "axis="), (lambda x: mg.log_softmax(x, dim=-1), "axis="),
    (lambda x: x.var(unbiased=False), "ddof="), (lambda x: mg.concatenate([x, x], dim=0), "axis="),
    (lambda x: x.unsqueeze(dim=0), "axis="), (lambda x: mg.stack([x, x], dim=1), "axis=")])
def test_pytorch_keyword_names_get_an_error_naming_numpys(device, call, ours):
    x = mg.ones((2, 3), device=device)
    with pytest.raises(TypeError, match=f"write {ours}"):
        call(x)


def test_the_tensor_class_called_with_a_list_points_to_mg_tensor():
    with pytest.raises(TypeError, match=r"mg.tensor\(data\)"):
        mg.Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"mg.tensor\(data\)"):
        mg.Tensor(3.0)


@given(st.integers(0, 2))
def test_autograd_grad_of_an_input_that_does_not_reach_the_output_raises(unused):
    inputs = [mg.tensor([1.0, 2.0], requires_grad=True) for _ in range(3)]
    used = [x for i, x in enumerate(inputs) if i != unused]
    out = (used[0] * used[1]).sum()
    with pytest.raises(RuntimeError, match=f"input {unused} .*does not reach"):
        mg.autograd.grad(out, inputs, retain_graph=True)
    grads = mg.autograd.grad(out, inputs, allow_unused=True)
    assert grads[unused] is None and all(g is not None for i, g in enumerate(grads) if i != unused)
