"""minigrad.testing: the worked example runs, check_op catches wrong ops, the strategies draw what they say.

The worked example is taken from the module's docstring and run as it stands, so the
documentation cannot drift from the code. Every strategy is checked as a property over
many draws; the tensor strategies on every device.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.testing as mgt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------- the worked example

def worked_example():
    """The worked example of minigrad.testing's docstring, run as a module: its names in a dict."""
    lines = mgt.__doc__.split("and its whole test::\n", 1)[1].splitlines()
    code = []
    for line in lines:
        if line and not line.startswith("    "):   # the first unindented line ends the example
            break
        code.append(line)
    namespace = {"__name__": "worked_example"}
    exec(compile(textwrap.dedent("\n".join(code)), "<minigrad.testing docstring>", "exec"), namespace)
    return namespace


def test_the_worked_example_passes(device):
    example = worked_example()
    example["test_cube"]()
    example["test_cube_on_every_device_in_float32_and_float64"](device=device)
    example["test_div_of_broadcastable_shapes"]()


def test_the_worked_example_fails_on_a_vjp_without_the_factor_3():
    example = worked_example()
    example["cube"] = lambda x: mg.autograd.apply("cube", x.data ** 3, (x, lambda g, out: g * x * x))
    with pytest.raises(mg.GradcheckError, match=r"check_op\(<lambda>\): gradcheck \(first derivatives\) failed"):
        example["test_cube"]()


def test_the_worked_example_fails_on_a_vjp_that_cannot_be_differentiated_again():
    example = worked_example()   # right first derivative, but from raw arrays: the second derivative is lost
    example["cube"] = lambda x: mg.autograd.apply("cube", x.data ** 3,
                                                  (x, lambda g, out: g * mg.tensor(3.0 * x.data ** 2)))
    with pytest.raises(mg.GradcheckError, match=r"gradgradcheck \(second derivatives\) failed"):
        example["test_cube"]()


# ---------------------------------------------------------------- check_op

def cube(x):   # x^3.   d/dx = 3 x^2
    return mg.autograd.apply("cube", x.data ** 3, (x, lambda g, out: g * 3.0 * x * x))


def cube_without_the_3(x):
    return mg.autograd.apply("cube", x.data ** 3, (x, lambda g, out: g * x * x))


def cube_from_raw_arrays(x):   # right first derivative, written with arrays: nothing to differentiate again
    return mg.autograd.apply("cube", x.data ** 3, (x, lambda g, out: g * mg.tensor(3.0 * x.data ** 2)))


def cube_plus_a_bit(x):
    return cube(x) + 1e-3


def cube_without_the_tape(x):   # forgets apply: the result is a constant
    return mg.tensor(x.data ** 3)


def cube_in_float64(x):
    return cube(x.astype(mg.float64))


def mul_without_sum_to(a, b):   # the vjps forget to undo broadcasting
    return mg.autograd.apply("mul", a.data * b.data, (a, lambda g, out: g * b), (b, lambda g, out: g * a))


def x32(device):
    return mg.tensor(np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32), requires_grad=True, device=device)


@pytest.mark.parametrize("op, reference, domain", [
    pytest.param(cube, lambda a: a ** 3, mgt.floats(), id="cube"),
    pytest.param(mg.log, np.log, mgt.floats(0.1, 10.0), id="log"),
    pytest.param(mg.abs, np.abs, mgt.away_from_zero(), id="abs"),
    pytest.param(lambda x: mg.sum(x, axis=-1), lambda a: a.sum(axis=-1), mgt.floats(), id="sum(axis=-1)"),
])
@given(data=st.data(), dtype=mgt.float_dtypes)
def test_check_op_passes_right_ops(device, op, reference, domain, dtype, data):
    x = data.draw(mgt.tensors(shape=mgt.shapes(min_dims=1), elements=domain, dtype=dtype, device=device))
    assert mgt.check_op(op, reference, x)


@given(data=st.data())
def test_check_op_passes_right_ops_of_two_broadcastable_inputs(device, data):
    a, b = data.draw(mgt.broadcastable_tensors((mgt.floats(), mgt.floats(0.5, 3.0)), device=device))
    assert mgt.check_op(mg.mul, np.multiply, a, b)
    assert mgt.check_op(mg.div, np.divide, a, b)


def test_check_op_names_the_gradcheck_when_a_vjp_is_wrong(device):
    with pytest.raises(mg.GradcheckError,
                       match=r"^check_op\(cube_without_the_3\): gradcheck \(first derivatives\) failed: gradcheck: "
                             r"input 0 .* disagrees with finite differences"):
        mgt.check_op(cube_without_the_3, lambda a: a ** 3, x32(device))


def test_check_op_names_the_gradgradcheck_when_only_second_derivatives_are_wrong(device):
    with pytest.raises(mg.GradcheckError,
                       match=r"^check_op\(cube_from_raw_arrays\): gradgradcheck \(second derivatives\) failed"):
        mgt.check_op(cube_from_raw_arrays, lambda a: a ** 3, x32(device))
    assert mgt.check_op(cube_from_raw_arrays, lambda a: a ** 3, x32(device), second_order=False)


def test_check_op_names_the_forward_when_the_values_differ_from_the_reference(device):
    with pytest.raises(AssertionError,
                       match=r"^check_op\(cube_plus_a_bit\): forward: the output disagrees with the reference") as e:
        mgt.check_op(cube_plus_a_bit, lambda a: a ** 3, x32(device))
    assert not isinstance(e.value, mg.GradcheckError)
    assert "rtol=1e-05, atol=1e-06" in str(e.value)   # float32's tolerance
    assert mgt.check_op(cube_plus_a_bit, lambda a: a ** 3, x32(device), atol=2e-3)


def test_check_op_names_the_forward_when_the_dtype_differs_from_the_reference(device):
    with pytest.raises(AssertionError, match=r"^check_op\(cube_in_float64\): forward: the output has shape "
                                             r"\(2, 2\), dtype float64 .* the reference has shape \(2, 2\), "
                                             r"dtype float32"):
        mgt.check_op(cube_in_float64, lambda a: a ** 3, x32(device))


def test_check_op_names_the_backward_when_the_op_is_not_on_the_tape(device):
    with pytest.raises(AssertionError, match=r"^check_op\(cube_without_the_tape\): backward: an output does not "
                                             r"require grad .* mg.autograd.apply"):
        mgt.check_op(cube_without_the_tape, lambda a: a ** 3, x32(device))


def test_check_op_names_the_backward_when_a_vjp_forgets_to_undo_broadcasting(device):
    a = mg.tensor(np.ones((2, 3)), requires_grad=True, device=device)
    b = mg.tensor(np.arange(3.0), requires_grad=True, device=device)
    with pytest.raises(AssertionError, match=r"^check_op\(mul_without_sum_to\): backward: the vjps raised "
                                             r"RuntimeError: .*shape \(2, 3\) for an input of shape \(3,\)"):
        mgt.check_op(mul_without_sum_to, np.multiply, a, b)


def test_check_op_refuses_inputs_that_are_not_tensors_or_do_not_require_grad(device):
    with pytest.raises(TypeError, match=r"input 1 must be a Tensor, got float; .* inside a lambda"):
        mgt.check_op(mg.mul, np.multiply, x32(device), 2.0)
    with pytest.raises(ValueError, match="no input requires grad"):
        mgt.check_op(cube, lambda a: a ** 3, mg.tensor([1.0, 2.0], device=device))


# ---------------------------------------------------------------- without hypothesis

def run_python(code):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_importing_minigrad_does_not_import_hypothesis():
    result = run_python("""
        import sys
        import minigrad
        print("hypothesis" in sys.modules)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_importing_minigrad_testing_without_hypothesis_says_what_to_install():
    result = run_python("""
        import sys
        sys.modules["hypothesis"] = None   # as if it were not installed: importing it raises ImportError
        import minigrad
        try:
            import minigrad.testing
        except ImportError as e:
            print(e)
        else:
            print("imported")
    """)
    assert result.returncode == 0, result.stderr
    assert "minigrad.testing needs hypothesis" in result.stdout
    assert "pip install hypothesis" in result.stdout and 'pip install "minigrad[test]"' in result.stdout


def test_mg_testing_is_the_module_once_imported():
    assert mg.testing is mgt


# ---------------------------------------------------------------- the strategies draw what they say

@given(data=st.data(), min_dims=st.integers(0, 2), more_dims=st.integers(0, 2), max_side=st.integers(1, 4))
def test_shapes_have_the_asked_number_and_length_of_axes(data, min_dims, more_dims, max_side):
    shape = data.draw(mgt.shapes(min_dims, min_dims + more_dims, max_side))
    assert min_dims <= len(shape) <= min_dims + more_dims
    assert all(1 <= side <= max_side for side in shape)


@given(data=st.data(), low=st.floats(-10.0, 10.0), width=st.floats(0.0, 10.0))
def test_floats_lie_in_the_interval(data, low, width):
    x = data.draw(mgt.floats(low, low + width))
    assert low <= x <= low + width and np.isfinite(x)


@given(x=mgt.away_from_zero(0.5, 2.0))
def test_away_from_zero_keeps_its_distance(x):
    assert 0.5 <= abs(x) <= 2.0


@given(data=st.data(), step=st.sampled_from([0.125, 0.25, 0.5, 1.0]), offset=st.sampled_from([0.0, 0.125, 0.25]),
       low=st.integers(-8, 0).map(lambda k: k / 4), high=st.integers(1, 8).map(lambda k: k / 4))
def test_grid_values_lie_in_the_interval_at_least_one_step_apart(data, step, offset, low, high):
    values = data.draw(st.lists(mgt.grid(low, high, step, offset), min_size=2, max_size=5, unique=True))
    assert all(low <= v <= high for v in values)
    assert min(abs(u - v) for u in values for v in values if u != v) >= step
    assert all(((v - offset) / step).is_integer() for v in values)


@given(x=mgt.arrays(mgt.shapes(max_dims=2), mgt.floats(-1.0, 1.0), dtype=np.float32))
def test_arrays_have_the_asked_dtype_and_elements(x):
    assert x.dtype == np.float32 and x.ndim <= 2
    assert ((-1.0 <= x) & (x <= 1.0)).all()


@given(xs=mgt.broadcastable_arrays((mgt.floats(0.0, 1.0), mgt.floats(2.0, 3.0), mgt.floats(-1.0, 0.0))))
def test_broadcastable_arrays_broadcast_and_keep_each_ones_elements(xs):
    assert len(xs) == 3
    np.broadcast_shapes(*(x.shape for x in xs))   # raises if they do not
    for x, (low, high) in zip(xs, [(0.0, 1.0), (2.0, 3.0), (-1.0, 0.0)]):
        assert x.dtype == np.float64 and ((low <= x) & (x <= high)).all()


@given(x_axis_keepdims=mgt.arrays_and_axes())
def test_arrays_and_axes_give_an_axis_numpy_accepts(x_axis_keepdims):
    x, axis, keepdims = x_axis_keepdims
    y = np.sum(x, axis=axis, keepdims=keepdims)   # raises for an axis out of range or repeated
    reduced = range(x.ndim) if axis is None else [axis] if isinstance(axis, int) else axis
    assert isinstance(keepdims, bool)
    assert y.ndim == (x.ndim if keepdims else x.ndim - len(reduced))


@given(data=st.data(), dtype=mgt.float_dtypes, low=st.floats(-5.0, 5.0), width=st.floats(0.1, 5.0))
def test_tensors_are_on_the_asked_device_and_dtype_with_elements_in_the_domain(device, data, dtype, low, width):
    x = data.draw(mgt.tensors(elements=mgt.floats(low, low + width), dtype=dtype, device=device))
    assert isinstance(x, mg.Tensor) and x.device == device and x.dtype == dtype and x.requires_grad
    assert x.ndim <= 3 and all(1 <= side <= 3 for side in x.shape)
    # values are drawn in float64 and rounded to dtype; rounding keeps order, so the rounded bounds hold
    values = x.numpy()
    assert ((dtype(low) <= values) & (values <= dtype(low + width))).all()


@given(data=st.data(), shape=mgt.shapes())
def test_tensors_of_a_given_shape_without_grad(device, data, shape):
    x = data.draw(mgt.tensors(shape=shape, device=device, requires_grad=False))
    assert x.shape == shape and x.dtype == mg.float64 and not x.requires_grad and x.device == device


@given(data=st.data())
def test_tensors_go_to_the_default_device_when_drawn(device, data):
    mg.set_default_device(device)   # the conftest fixture puts the default back
    assert data.draw(mgt.tensors()).device == device


@given(data=st.data(), dtype=mgt.float_dtypes)
def test_broadcastable_tensors_broadcast_on_the_asked_device_and_dtype(device, data, dtype):
    xs = data.draw(mgt.broadcastable_tensors((mgt.floats(0.0, 1.0), mgt.floats(2.0, 3.0)), dtype=dtype,
                                             device=device))
    assert len(xs) == 2
    np.broadcast_shapes(*(x.shape for x in xs))
    for x, (low, high) in zip(xs, [(0.0, 1.0), (2.0, 3.0)]):
        assert x.device == device and x.dtype == dtype and x.requires_grad
        assert ((low <= x.numpy()) & (x.numpy() <= high)).all()
