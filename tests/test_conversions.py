"""Conversions: a tensor where Python, NumPy and matplotlib expect numbers.

A one-element tensor converts to a Python number (``float``, ``int``, ``round``, an f-string
format, a list index); ``np.asarray`` gives the numbers on the host, so a list of losses
plots as it is; a tensor off the host says to call ``t.numpy()`` instead of copying silently.
NumPy's functions called on a tensor run minigrad's op, recorded on the tape, or name what to
call instead.
"""
import numpy as np
import pytest

import minigrad as mg


def t(values, device, requires_grad=True, dtype=mg.float64):
    return mg.tensor(values, requires_grad=requires_grad, dtype=dtype, device=device)


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


def test_numpy_functions_on_tensors_call_the_ops():
    x = mg.tensor(np.array([[0.5, -1.5], [2.0, 0.0]]), requires_grad=True)
    pairs = [(np.cumsum(x, axis=0), mg.cumsum(x, 0)), (np.prod(x), mg.prod(x)), (np.std(x), mg.std(x)),
             (np.argmax(x), mg.argmax(x)), (np.flip(x, 1), mg.flip(x, 1)), (np.square(x), mg.square(x)),
             (np.sign(x), mg.sign(x)), (np.isnan(x), mg.isnan(x)), (np.linalg.norm(x), mg.norm(x)),
             (np.round(x), mg.round(x)), (np.einsum("ij->j", x), mg.einsum("ij->j", x)),
             (np.pad(x, 1), mg.pad(x, 1)), (np.all(x), mg.all(x))]
    for by_numpy, by_minigrad in pairs:
        assert isinstance(by_numpy, mg.Tensor)
        np.testing.assert_array_equal(by_numpy.numpy(), by_minigrad.numpy())
