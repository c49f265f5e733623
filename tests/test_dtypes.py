"""Dtypes: which dtypes carry gradients, and what dtype mixed integer and float arithmetic gives.

Only floating tensors require grad: a cast to an integer or boolean dtype leaves the tape (its
result is a constant, as in PyTorch), a cast between floating dtypes stays on it. An integer
tensor meeting a Python float gives the default float dtype, as PyTorch does, where NumPy would
give float64.
"""
import numpy as np
import pytest

import minigrad as mg


def t(values, device, requires_grad=True, dtype=mg.float64):
    return mg.tensor(values, requires_grad=requires_grad, dtype=dtype, device=device)


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


# ---------------------------------------------------------------- dtypes of mixed integer and float arithmetic

@pytest.mark.parametrize("default", [mg.float32, mg.float64])
def test_an_integer_tensor_with_a_python_float_gives_the_default_float(device, default):
    mg.set_default_dtype(default)
    i = mg.tensor([1, 2, 3], device=device)
    for result in (i * 0.5, 0.5 * i, i + 0.5, i - 0.5, i / 2, 2.0 / i, i ** 0.5, i.exp(), mg.sqrt(i), i.mean()):
        assert result.dtype == default, result
    assert (i * 2).dtype == np.int64 and (i + True).dtype == np.int64
    assert (i < 1.5).numpy().tolist() == [True, False, False]
