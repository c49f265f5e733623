"""Exercise 20: softplus on the "cpu" device and on the tests' "strict" device (NumPy behind CuPy's rules), and on CUDA
when there is one: values, device, dtype, gradients, extreme inputs."""
import importlib.util
import pathlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg


def _register_strict_device():
    """tests/strict_backend.py, loaded by its path, registers the device "strict" (see the GPU chapter, section 5)."""
    path = pathlib.Path(__file__).resolve().parents[3] / "tests" / "strict_backend.py"
    spec = importlib.util.spec_from_file_location("exercise_20_strict_backend", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.register()


_register_strict_device()
DEVICES = [d for d in ("cpu", "strict", "cuda") if d in mg.devices()]
arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4), elements=st.floats(-30.0, 30.0))


@pytest.mark.parametrize("device", DEVICES)
@given(a=arrays)
def test_values_on_every_device(impl, device, a):
    y = impl.softplus(mg.tensor(a, device=device))
    assert y.device == device, f"the result lives on {y.device!r}, its input on {device!r}"
    assert y.shape == a.shape
    np.testing.assert_allclose(y.numpy(), np.logaddexp(0.0, a), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("device", DEVICES)
@given(a=arrays)
def test_gradient_is_sigmoid_on_every_device(impl, device, a):
    x = mg.tensor(a, device=device, requires_grad=True)
    impl.softplus(x).sum().backward()
    assert x.grad.device == device
    np.testing.assert_allclose(x.grad.numpy(), 1 / (1 + np.exp(-a)), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("device", DEVICES)
def test_float32_stays_float32(impl, device):
    assert impl.softplus(mg.tensor([0.5, -2.0], dtype=mg.float32, device=device)).dtype == mg.float32


@given(a=arrays)
def test_derivatives_match_finite_differences(impl, a):
    mg.gradcheck(impl.softplus, [mg.tensor(a, requires_grad=True)])
    mg.gradgradcheck(impl.softplus, [mg.tensor(a, requires_grad=True)])


@pytest.mark.parametrize("device", DEVICES)
def test_extreme_inputs(impl, device):
    """To see: softplus(1000) = 1000 (not inf), softplus(-40) = 4.248354e-18 (not 0), softplus(0) = log 2."""
    y = impl.softplus(mg.tensor(np.array([1000.0, -40.0, 0.0]), device=device)).numpy()
    np.testing.assert_allclose(y, [1000.0, np.exp(-40.0), np.log(2.0)], rtol=1e-12)


def test_is_one_recorded_primitive(impl):
    x = mg.tensor([0.5], dtype=mg.float64, requires_grad=True)
    y = impl.softplus(x)
    assert y._op == "softplus" and len(y._edges) == 1 and y._edges[0][0] is x, \
        "call apply('softplus', data, (x, vjp)) yourself"
