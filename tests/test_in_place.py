"""In-place changes: what the tape allows, what it refuses, and why.

A vjp may read the values its op saved (exp's reads its output, mul's its inputs). Changed in
place between the forward pass and ``backward``, those values are no longer the ones the graph
computed, so ``backward`` refuses instead of returning a wrong gradient; once ``backward`` has
run, they may change. A leaf that requires grad changes only under ``no_grad`` (the hand-written
SGD step), and a value that requires grad is not written into a buffer where its gradient would
be lost. The in-place methods (``add_``, ``copy_``, ``+=``, ...) give NumPy's results and refuse
what would not fit.
"""
import math

import numpy as np
import pytest

import minigrad as mg


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


# ---------------------------------------------------------------- saved values changed through .data or setitem

def test_in_place_change_through_data_after_forward_is_caught(device):
    w = mg.tensor([1.0, 2.0], requires_grad=True, device=device)
    loss = (w * w).sum()
    w.data -= 0.1 * w.data                  # a hand-written SGD step before backward
    with pytest.raises(RuntimeError, match="changed in place after the forward pass"):
        loss.backward()


def test_in_place_setitem_of_a_saved_input_is_caught(device):
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    h = x * 2.0
    y = (h * h).sum()                        # mul saved h
    with mg.no_grad():
        h[0] = 5.0
    with pytest.raises(RuntimeError, match="changed in place"):
        y.backward()


def test_changing_data_after_backward_is_fine(device):
    w = mg.tensor([1.0, 2.0], requires_grad=True, device=device)
    (w * w).sum().backward()
    w.data -= 0.5 * w.grad.data
    (w * w).sum().backward()                 # a new graph saves the new version
    np.testing.assert_allclose(w.numpy(), [0.0, 0.0])


def test_setitem_on_a_leaf_that_requires_grad_is_refused(device):
    w = mg.tensor([1.0, 2.0], requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="leaf"):
        w[0] = 3.0
    with mg.no_grad():
        w[0] = 3.0
    assert w.numpy()[0] == 3.0


def test_assigning_data_of_another_shape_is_refused(device):
    w = mg.tensor([1.0, 2.0], device=device)
    with pytest.raises(ValueError, match=r"shape \(3,\).*shape \(2,\)"):
        w.data = mg.zeros(3, device=device).data
