"""mg.nn.init: the drawn weights have the bounds and variances of the formulas, with PyTorch's gains and fans.

Statistical checks draw large tensors and allow five standard errors: for n draws of a
variable with variance s^2 and fourth central moment m4, the sample variance has standard
error sqrt((m4 - s^4) / n), which is s^2 sqrt(2/n) for a normal (m4 = 3 s^4) and
s^2 sqrt(4/(5 n)) for a uniform (m4 = 9/5 s^4).
"""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import init


def assert_variance(values, variance, fourth_over_squared_variance):
    """The sample variance is within 5 standard errors of ``variance`` (m4 / s^4 = the given ratio), mean 0 too."""
    n = values.size
    standard_error = variance * math.sqrt((fourth_over_squared_variance - 1) / n)
    assert abs(values.var() - variance) < 5 * standard_error, (values.var(), variance, standard_error)
    assert abs(values.mean()) < 5 * math.sqrt(variance / n)


UNIFORM, NORMAL = 9 / 5, 3.0   # m4 / s^4


def test_gains_are_pytorchs():
    assert init.calculate_gain("linear") == init.calculate_gain("conv2d") == init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_fans_of_a_linear_weight_and_of_a_convolution_kernel():
    assert mg.nn.Linear(30, 20).weight.shape == (20, 30)                # PyTorch's (out, in) layout
    assert init.fans(mg.nn.Linear(30, 20).weight) == (30, 20)
    assert init.fans(mg.zeros((10, 1000))) == (1000, 10)                # any 2-D tensor: (out, in)
    assert init.fans(mg.nn.Conv2d(3, 8, (3, 5)).weight) == (3 * 15, 8 * 15)   # PyTorch's (out, in, kh, kw)
    assert init.fans(mg.zeros((6, 4, 3, 3))) == (4 * 9, 6 * 9)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.fans(mg.zeros(5))


def test_xavier_uniform_and_normal_have_glorots_variance(device):
    mg.random.seed(0)
    w = mg.nn.Parameter(mg.zeros((400, 300), dtype=mg.float64, device=device))
    gain = 5 / 3
    assert init.xavier_uniform_(w, gain) is w                            # in place, returned
    bound = gain * math.sqrt(6 / 700)
    values = w.numpy()
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.99 * bound
    assert_variance(values, gain ** 2 * 2 / 700, UNIFORM)                # U(-a, a): a^2 / 3
    init.xavier_normal_(w)
    assert_variance(w.numpy(), 2 / 700, NORMAL)
    assert w.device == device and w.dtype == mg.float64 and w.requires_grad and w.is_leaf


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity, a", [("relu", 0.0), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5))])
def test_kaiming_uniform_and_normal_have_hes_variance(device, mode, nonlinearity, a):
    mg.random.seed(1)
    w = mg.zeros((64, 32, 5, 5), dtype=mg.float64, device=device)       # fan_in 800, fan_out 1600
    fan = 32 * 25 if mode == "fan_in" else 64 * 25
    variance = init.calculate_gain(nonlinearity, a) ** 2 / fan
    init.kaiming_uniform_(w, a, mode, nonlinearity)
    assert np.abs(w.numpy()).max() <= math.sqrt(3 * variance)
    assert_variance(w.numpy(), variance, UNIFORM)
    init.kaiming_normal_(w, a, mode, nonlinearity)
    assert_variance(w.numpy(), variance, NORMAL)


def test_pytorchs_default_for_layers_is_kaiming_uniform_with_a_sqrt5(device):
    # a = sqrt(5): gain^2 = 2 / 6, bound = sqrt(3) gain / sqrt(fan_in) = 1 / sqrt(fan_in)
    mg.random.seed(2)
    conv = mg.nn.Conv2d(16, 32, 3, dtype=mg.float64, device=device)
    bound = 1 / math.sqrt(16 * 9)
    for p in (conv.weight, conv.bias):
        assert np.abs(p.numpy()).max() <= bound
    assert_variance(conv.weight.numpy(), bound ** 2 / 3, UNIFORM)
    transposed = mg.nn.ConvTranspose2d(16, 32, 3, dtype=mg.float64, device=device)
    assert transposed.weight.shape == (16, 32, 3, 3)
    assert np.abs(transposed.weight.numpy()).max() <= 1 / math.sqrt(32 * 9)   # PyTorch's fan_in: axis 1


def test_filling_and_empty_tensors(device):
    w = mg.zeros((3, 4), device=device)
    np.testing.assert_array_equal(init.ones_(w).numpy(), np.ones((3, 4)))
    np.testing.assert_array_equal(init.constant_(w, 2.5).numpy(), np.full((3, 4), 2.5))
    np.testing.assert_array_equal(init.zeros_(w).numpy(), np.zeros((3, 4)))
    mg.random.seed(0)
    values = init.uniform_(mg.zeros(10_000, dtype=mg.float64, device=device), -2.0, 3.0).numpy()
    assert values.min() >= -2.0 and values.max() < 3.0 and abs(values.mean() - 0.5) < 5 * 5 / math.sqrt(12e4)
    empty = mg.zeros((0, 5), device=device)                              # nothing to draw: a no-op, as PyTorch
    assert init.kaiming_uniform_(empty) is empty and init.xavier_normal_(empty) is empty


def test_kaiming_normal_of_a_bare_2d_tensor_reads_fan_in_from_its_second_axis(device):
    """A (10, 1000) tensor is 10 outputs of 1000 inputs each, as PyTorch reads it: std sqrt(2 / 1000) = 0.0447,
    not sqrt(2 / 10) = 0.447 (the fans of an (in, out) layout)."""
    mg.random.seed(3)
    w = init.kaiming_normal_(mg.zeros((10, 1000), dtype=mg.float64, device=device))
    assert_variance(w.numpy(), 2 / 1000, NORMAL)
    init.kaiming_normal_(w, mode="fan_out")
    assert_variance(w.numpy(), 2 / 10, NORMAL)


@pytest.mark.parametrize("shape", [(10, 1000), (1000, 10), (64, 32, 3, 3), (16, 48, 5), (300, 200)])
def test_fans_and_spreads_are_pytorchs(shape):
    """init.fans is torch.nn.init's _calculate_fan_in_and_fan_out, and each initialiser draws with torch's spread.

    The spreads are compared by the sample standard deviations of both libraries' draws (at least 10^4
    values each: a relative standard error under 1%, against a 5% tolerance)."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    mg.random.seed(0)
    reference = torch.empty(shape, dtype=torch.float64)
    assert init.fans(mg.zeros(shape)) == torch.nn.init._calculate_fan_in_and_fan_out(reference)
    pairs = [(init.xavier_uniform_, torch.nn.init.xavier_uniform_, {}),
             (init.xavier_normal_, torch.nn.init.xavier_normal_, {}),
             (init.kaiming_uniform_, torch.nn.init.kaiming_uniform_, {"a": math.sqrt(5)}),
             (init.kaiming_normal_, torch.nn.init.kaiming_normal_, {}),
             (init.kaiming_normal_, torch.nn.init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "relu"})]
    for ours, theirs, kwargs in pairs:
        mine = ours(mg.zeros(shape, dtype=mg.float64), **kwargs).numpy()
        torchs = theirs(reference, **kwargs).numpy()
        assert mine.std() == pytest.approx(torchs.std(), rel=0.05), (ours.__name__, kwargs)
