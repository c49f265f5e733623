"""The layers of mg.nn: normalization against NumPy transcriptions of PyTorch's formulas, lookups, convolution
and pooling modules, loss modules, and a small CNN that learns."""
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
import minigrad.testing as mgt
from minigrad import nn

from strategies import arrays, floats


def tensor(array, device, requires_grad=True):
    return mg.tensor(array, device=device, requires_grad=requires_grad)


# ---------------------------------------------------------------- BatchNorm

class BatchNormReference:
    """PyTorch's BatchNorm in NumPy: batch statistics and their running averages.

    The biased variance normalizes the batch; the unbiased one goes into the running average."""

    def __init__(self, c, momentum, eps=1e-5):
        self.mean, self.var, self.batches, self.momentum, self.eps = np.zeros(c), np.ones(c), 0, momentum, eps

    def __call__(self, x, weight, bias, training):
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        if training:
            mean, var = x.mean(axis=axes), x.var(axis=axes)
            n = x.size // x.shape[1]
            self.batches += 1
            m = 1 / self.batches if self.momentum is None else self.momentum
            self.mean = (1 - m) * self.mean + m * mean
            self.var = (1 - m) * self.var + m * var * n / (n - 1)
        else:
            mean, var = self.mean, self.var
        return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + self.eps) * weight.reshape(shape) \
            + bias.reshape(shape)


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (4, 3, 2, 5)])
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batch_norm_is_pytorchs_in_train_and_eval(device, shape, momentum):
    rng = np.random.default_rng(0)
    layer = (nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d)(3, momentum=momentum, dtype=mg.float64,
                                                                     device=device)
    weight, bias = rng.standard_normal(3), rng.standard_normal(3)
    layer.weight.data, layer.bias.data = (mg.tensor(v, device=device).data for v in (weight, bias))
    reference = BatchNormReference(3, momentum)
    for _ in range(3):                                         # train: normalized by the batch, stats updated
        x = rng.standard_normal(shape) * 3 + 1
        y = layer(mg.tensor(x, device=device))
        np.testing.assert_allclose(y.numpy(), reference(x, weight, bias, True), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.running_mean.numpy(), reference.mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var.numpy(), reference.var, rtol=1e-12)
    assert layer.num_batches_tracked.item() == 3
    layer.eval()                                               # eval: running stats used, not changed
    x = rng.standard_normal(shape)
    before = layer.running_mean.numpy(), layer.running_var.numpy()
    np.testing.assert_allclose(layer(mg.tensor(x, device=device)).numpy(), reference(x, weight, bias, False),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(layer.running_mean.numpy(), before[0])
    np.testing.assert_array_equal(layer.running_var.numpy(), before[1])
    assert layer.num_batches_tracked.item() == 3


def test_batch_norm_normalizes_each_channel_in_training(device):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 4, 3, 3)) * np.array([1, 10, 0.1, 5]).reshape(1, 4, 1, 1) + 7
    y = nn.BatchNorm2d(4, dtype=mg.float64, device=device)(mg.tensor(x, device=device)).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), x.var(axis=(0, 2, 3)) / (x.var(axis=(0, 2, 3)) + 1e-5))


def test_batch_norm_buffers_are_saved_loaded_and_moved(device):
    layer = nn.BatchNorm1d(3, device=device)
    layer(mg.tensor(np.random.default_rng(0).standard_normal((10, 3)), dtype=mg.float32, device=device))
    state = layer.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]   # PyTorch's order
    assert state["num_batches_tracked"] == 1 and state["num_batches_tracked"].dtype == np.int64
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]   # buffers are not trained
    other = nn.BatchNorm1d(3, device=device).load_state_dict(state)
    np.testing.assert_array_equal(other.running_var.numpy(), layer.running_var.numpy())
    assert other.running_var.device == device
    if device != "cpu":
        layer.to("cpu")
        assert all(b.device == "cpu" for b in layer.buffers())


def test_batch_norm_options(device):
    x = mg.tensor(np.random.default_rng(0).standard_normal((6, 2)), dtype=mg.float32, device=device)
    no_stats = nn.BatchNorm1d(2, track_running_stats=False, affine=False, device=device)
    assert no_stats.parameters() == [] and no_stats.buffers() == [] and no_stats.state_dict() == {}
    no_stats.eval()                                            # no running stats: the batch's, in eval too
    np.testing.assert_allclose(no_stats(x).numpy().mean(axis=0), 0, atol=1e-6)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(2, device=device)(x[:1])
    with pytest.raises(ValueError, match="expected 2 channels"):
        nn.BatchNorm1d(2, device=device)(mg.ones((4, 3), device=device))
    with pytest.raises(ValueError, match="4 dimensions"):
        nn.BatchNorm2d(2, device=device)(mg.ones((4, 2), device=device))


@settings(max_examples=10)
@given(x=arrays(st.tuples(st.integers(2, 4), st.just(2), st.integers(1, 3)), floats(-3.0, 3.0)), data=st.data())
def test_batch_norm_in_training_has_first_and_second_derivatives(device, x, data):
    weight, bias = data.draw(arrays((2,), floats(0.5, 2.0))), data.draw(arrays((2,)))
    assume((x.var(axis=(0, 2)) > 0.1).all())   # nearly constant channels: 1/sqrt(var) is too steep for differences
    mgt.check_op(lambda t, w, b: F.batch_norm(t, None, None, w, b, training=True),
                 lambda t, w, b: BatchNormReference(2, 0.1)(t, w, b, True),
                 tensor(x, device), tensor(weight, device), tensor(bias, device))


# ---------------------------------------------------------------- LayerNorm

def layer_norm_reference(x, k, weight, bias, eps=1e-5):
    axes = tuple(range(x.ndim - k, x.ndim))
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


@settings(max_examples=10)
@given(x=arrays(st.tuples(st.integers(1, 3), st.integers(2, 3), st.integers(2, 3)), floats(-3.0, 3.0)),
       k=st.integers(1, 2), data=st.data())
def test_layer_norm_is_its_formula_with_derivatives(device, x, k, data):
    assume((x.reshape(x.shape[:x.ndim - k] + (-1,)).var(axis=-1) > 0.1).all())
    normalized = x.shape[x.ndim - k:]
    weight, bias = data.draw(arrays(normalized, floats(0.5, 2.0))), data.draw(arrays(normalized))
    layer = nn.LayerNorm(normalized, dtype=mg.float64, device=device)
    layer.weight.data, layer.bias.data = (mg.tensor(v, device=device).data for v in (weight, bias))
    np.testing.assert_allclose(layer(mg.tensor(x, device=device)).numpy(), layer_norm_reference(x, k, weight, bias),
                               rtol=1e-10, atol=1e-12)
    layer.eval()                                               # the same in evaluation
    np.testing.assert_allclose(layer(mg.tensor(x, device=device)).numpy(), layer_norm_reference(x, k, weight, bias),
                               rtol=1e-10, atol=1e-12)
    mgt.check_op(lambda t, w, b: F.layer_norm(t, normalized, w, b), lambda t, w, b: layer_norm_reference(t, k, w, b),
                 tensor(x, device), tensor(weight, device), tensor(bias, device))


def test_layer_norm_options_and_errors():
    assert nn.LayerNorm(4, elementwise_affine=False).parameters() == []
    assert [name for name, _ in nn.LayerNorm(4, bias=False).named_parameters()] == ["weight"]
    with pytest.raises(ValueError, match="normalized_shape"):
        nn.LayerNorm((3, 4))(mg.ones((2, 4, 3)))


# ---------------------------------------------------------------- Embedding, Flatten

def test_embedding_looks_up_rows_and_scatter_adds_their_gradients(device):
    mg.random.seed(0)
    layer = nn.Embedding(5, 3, dtype=mg.float64, device=device)
    indices = mg.tensor([[1, 3, 1], [0, 1, 4]], device=device)
    out = layer(indices)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.numpy(), layer.weight.numpy()[indices.numpy()])
    g = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(mg.tensor(g, device=device))
    expected = np.zeros((5, 3))
    np.add.at(expected, indices.numpy(), g)                     # row 1, used three times, gets three cotangents
    np.testing.assert_allclose(layer.weight.grad.numpy(), expected, rtol=1e-12)
    assert not layer.weight.grad.numpy()[2].any()
    np.testing.assert_array_equal(layer([4, 0]).numpy(), layer.weight.numpy()[[4, 0]])   # a list works too


def test_embedding_refuses_bad_indices(device):
    layer = nn.Embedding(4, 2, device=device)
    with pytest.raises(IndexError, match=r"indices must lie in \[0, 4\)"):
        layer(mg.tensor([0, 4], device=device))
    with pytest.raises(TypeError, match="integers"):
        layer(mg.tensor([0.0, 1.0], device=device))
    if device != "cpu":
        with pytest.raises(ValueError, match="different|on 'cpu'"):
            layer(mg.tensor([0, 1], device="cpu"))


def test_embedding_init_is_standard_normal():
    mg.random.seed(0)
    w = nn.Embedding(1000, 100, dtype=mg.float64).weight.numpy()
    assert abs(w.mean()) < 5 / math.sqrt(w.size) and abs(w.var() - 1) < 5 * math.sqrt(2 / w.size)


def test_flatten_merges_the_axes_from_start_to_end():
    x = mg.ones((2, 3, 4, 5))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    assert nn.Flatten()(mg.ones((2, 0, 3))).shape == (2, 0)


# ---------------------------------------------------------------- convolution and pooling modules

def test_conv_modules_are_the_functions_with_pytorchs_layouts(device):
    mg.random.seed(0)
    conv = nn.Conv2d(3, 8, (3, 5), stride=2, padding=(1, 2), dilation=1, device=device)
    assert conv.weight.shape == (8, 3, 3, 5) and conv.bias.shape == (8,)
    x = mg.tensor(np.random.default_rng(0).standard_normal((2, 3, 9, 10)), dtype=mg.float32, device=device)
    y = conv(x)
    np.testing.assert_allclose(y.numpy(), F.conv2d(x, conv.weight, conv.bias, 2, (1, 2)).numpy(), rtol=1e-6)
    assert y.shape == (2, 8, 5, 5)
    up = nn.ConvTranspose2d(8, 3, (3, 5), stride=2, padding=(1, 2), output_padding=(0, 1), device=device)
    assert up.weight.shape == (8, 3, 3, 5)
    assert up(y).shape == x.shape                                # back to the size conv started from
    assert nn.Conv2d(3, 4, 3, padding="same", bias=False, device=device)(x).shape == (2, 4, 9, 10)
    assert "kernel_size=(3, 5), stride=(2, 2)" in repr(conv)


def test_pool_modules_are_the_functions(device):
    x = mg.tensor(np.random.default_rng(0).standard_normal((2, 3, 6, 7)), device=device)
    np.testing.assert_array_equal(nn.MaxPool2d(2)(x).numpy(), F.max_pool2d(x, 2, 2).numpy())
    np.testing.assert_array_equal(nn.AvgPool2d(3, 2, 1)(x).numpy(), F.avg_pool2d(x, 3, 2, 1).numpy())
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 3, 3)


# ---------------------------------------------------------------- loss modules

def test_loss_modules_call_the_functions(device):
    rng = np.random.default_rng(0)
    logits = mg.tensor(rng.standard_normal((5, 4)), device=device)
    target = mg.tensor(rng.integers(0, 4, 5), device=device)
    weight = mg.tensor([1.0, 2.0, 0.5, 1.0], dtype=mg.float64, device=device)
    criterion = nn.CrossEntropyLoss(weight=weight, ignore_index=2, label_smoothing=0.1)
    assert criterion(logits, target).item() == F.cross_entropy(logits, target, weight, 2, "mean", 0.1).item()
    assert list(criterion.state_dict()) == ["weight"]          # a buffer, as in PyTorch
    log_p = mg.log_softmax(logits, axis=1)
    assert nn.NLLLoss(reduction="sum")(log_p, target).item() == F.nll_loss(log_p, target, reduction="sum").item()
    probabilities = mg.tensor(rng.uniform(size=(5, 4)), device=device)
    assert nn.BCEWithLogitsLoss()(logits, probabilities).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(logits, probabilities).item())
    assert nn.MSELoss(reduction="none")(logits, probabilities).shape == (5, 4)
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")


# ---------------------------------------------------------------- a CNN learns

def test_a_small_cnn_fits_a_batch(device):
    mg.random.seed(0)
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, device=device), nn.BatchNorm2d(4, device=device), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(4, 8, 3, padding=1, device=device), nn.ReLU(),
                          nn.AvgPool2d(2), nn.Flatten(), nn.Dropout(0.1), nn.Linear(8 * 2 * 2, 3, device=device))
    x = mg.tensor(rng.standard_normal((12, 1, 8, 8)), dtype=mg.float32, device=device)
    y = mg.tensor(rng.integers(0, 3, 12), device=device)
    optimizer = mg.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(40):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]
    model.eval()
    accuracy = (model(x).numpy().argmax(axis=1) == y.numpy()).mean()
    assert accuracy >= 0.9


# ---------------------------------------------------------------- an input of another dtype than the layer's

@pytest.mark.parametrize("make, shape", [
    (lambda dtype: nn.Linear(3, 2, dtype=dtype), (4, 3)),
    (lambda dtype: nn.MLP([3, 5, 2], dtype=dtype), (4, 3)),
    (lambda dtype: nn.Conv2d(1, 2, 3, dtype=dtype), (2, 1, 5, 5)),
    (lambda dtype: nn.ConvTranspose2d(1, 2, 3, dtype=dtype), (2, 1, 5, 5)),
    (lambda dtype: nn.BatchNorm1d(3, dtype=dtype), (4, 3)),
    (lambda dtype: nn.BatchNorm1d(3, affine=False, dtype=dtype), (4, 3)),   # its running statistics' dtype
    (lambda dtype: nn.BatchNorm2d(1, dtype=dtype), (2, 1, 5, 5)),
    (lambda dtype: nn.LayerNorm(3, dtype=dtype), (4, 3)),
])
def test_a_layer_refuses_an_input_of_another_dtype_than_its_parameters(device, make, shape):
    """A float64 batch into a float32 layer would be computed in float64 (NumPy promotes), silently; PyTorch
    raises, and so does every layer with parameters, naming itself, both dtypes and the fix."""
    layer = make(mg.float32).to(device)
    name = type(layer[0] if isinstance(layer, nn.MLP) else layer).__name__
    x = np.random.default_rng(0).standard_normal(shape)
    with pytest.raises(TypeError, match=rf"{name}: the input has dtype float64 but the layer's parameters are "
                                        r"float32: convert the input with x\.astype\(mg\.float32\), or build the "
                                        rf"layer for float64 data \({name}\(\.\.\., dtype=mg\.float64\)\)"):
        layer(mg.tensor(x, device=device))
    with pytest.raises(TypeError, match=r"the input has dtype float32 but the layer's parameters are float64"):
        make(mg.float64).to(device)(mg.tensor(x, dtype=mg.float32, device=device))
    assert layer(mg.tensor(x, dtype=mg.float32, device=device)).dtype == mg.float32
    assert make(mg.float64).to(device)(mg.tensor(x, device=device)).dtype == mg.float64


def test_an_integer_input_is_refused_with_the_cast_to_write():
    with pytest.raises(TypeError, match=r"Linear: the input has dtype int64 but the layer's parameters are float32: "
                                        r"convert the input with x\.astype\(mg\.float32\)$"):
        nn.Linear(3, 2)(mg.tensor(np.arange(3)))
