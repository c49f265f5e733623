"""mg.nn.functional: losses against NumPy transcriptions of PyTorch's formulas, and dropout's statistics.

The cross-entropy reference follows the structure of PyTorch's own code (aten's
LossNLL.cpp: nll_loss plus a separate label-smoothing term, each divided by the weight of
the counted targets), which differs from minigrad's (one dot product of the log-
probabilities with a smoothed, weighted target distribution): the two agreeing is the test.
"""
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
import minigrad.testing as mgt

from strategies import arrays, floats, shapes


def tensor(array, device, requires_grad=True):
    return mg.tensor(array, device=device, requires_grad=requires_grad)


# ---------------------------------------------------------------- cross-entropy, nll: PyTorch's formulas in NumPy

def log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def nll_reference(log_p, target, weight, ignore_index, reduction):
    """PyTorch's nll_loss: -w[t] log_p[t] per counted target; "mean" divides by the sum of w[t] counted."""
    c = log_p.shape[1]
    w = np.ones(c) if weight is None else weight
    rows = np.moveaxis(log_p, 1, -1).reshape(-1, c)
    t = target.reshape(-1)
    counted = t != ignore_index
    safe = np.where(counted, t, 0)
    losses = -w[safe] * rows[np.arange(len(t)), safe] * counted
    if reduction == "none":
        return losses.reshape(target.shape)
    return losses.sum() if reduction == "sum" else losses.sum() / (w[safe] * counted).sum()


def cross_entropy_reference(logits, target, weight, ignore_index, reduction, smoothing):
    """PyTorch's cross_entropy for class indices: (1 - e) nll + e/C (-sum_c w_c log_p_c), as LossNLL.cpp computes it."""
    log_p = log_softmax(logits, axis=1)
    c = logits.shape[1]
    nll = nll_reference(log_p, target, weight, ignore_index, reduction)
    if smoothing == 0:
        return nll
    w = np.ones(c) if weight is None else weight
    counted = target != ignore_index
    smooth = -(log_p * w.reshape((1, c) + (1,) * (log_p.ndim - 2))).sum(axis=1) * counted
    if reduction == "mean":
        safe = np.where(counted, target, 0)
        smooth = smooth.sum() / (w[safe] * counted).sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - smoothing) * nll + smooth * (smoothing / c)


def cross_entropy_probabilities_reference(logits, q, weight, reduction, smoothing):
    """PyTorch's cross_entropy for class probabilities: -sum_c w_c q'_c log_p_c, q' = (1 - e) q + e/C.

    "mean" divides by the number of examples, whatever the weights."""
    c = logits.shape[1]
    q = q * (1 - smoothing) + smoothing / c
    w = np.ones(c) if weight is None else weight
    losses = -(log_softmax(logits, axis=1) * q * w.reshape((1, c) + (1,) * (logits.ndim - 2))).sum(axis=1)
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


@st.composite
def classification(draw):
    """Logits (N, C, d...), class indices (N, d...) some equal to ignore_index, and the loss's options."""
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    extra = draw(shapes(max_dims=2))
    logits = draw(arrays((n, c) + extra, floats(-5.0, 5.0)))
    ignore_index = draw(st.sampled_from([-100, 0, c - 1]))
    target = np.array(draw(arrays((n,) + extra, st.integers(0, c - 1) | st.just(ignore_index))), dtype=np.int64)
    weight = draw(st.none() | arrays((c,), floats(0.1, 3.0)))
    reduction = draw(st.sampled_from(["mean", "sum", "none"]))
    smoothing = draw(st.sampled_from([0.0, 0.1]) | floats(0.0, 1.0))
    return logits, target, weight, ignore_index, reduction, smoothing


@given(case=classification())
def test_cross_entropy_is_pytorchs(device, case):
    logits, target, weight, ignore_index, reduction, smoothing = case
    assume(reduction != "mean" or (target != ignore_index).any())   # every target ignored: NaN, tested below
    out = F.cross_entropy(tensor(logits, device), mg.tensor(target, device=device),
                          None if weight is None else mg.tensor(weight, device=device), ignore_index, reduction,
                          smoothing)
    expected = cross_entropy_reference(logits, target, weight, ignore_index, reduction, smoothing)
    assert out.shape == np.shape(expected) and out.device == device
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)


@given(case=classification())
def test_nll_loss_is_pytorchs_and_cross_entropy_is_nll_of_log_softmax(device, case):
    logits, target, weight, ignore_index, reduction, _ = case
    assume(reduction != "mean" or (target != ignore_index).any())
    log_p = log_softmax(logits, axis=1)
    w = None if weight is None else mg.tensor(weight, device=device)
    t = mg.tensor(target, device=device)
    out = F.nll_loss(tensor(log_p, device), t, w, ignore_index, reduction)
    np.testing.assert_allclose(out.numpy(), nll_reference(log_p, target, weight, ignore_index, reduction),
                               rtol=1e-10, atol=1e-12)
    x = tensor(logits, device)
    np.testing.assert_allclose(F.cross_entropy(x, t, w, ignore_index, reduction).numpy(),
                               F.nll_loss(mg.log_softmax(x, axis=1), t, w, ignore_index, reduction).numpy(),
                               rtol=1e-10, atol=1e-12)


@given(data=st.data(), reduction=st.sampled_from(["mean", "sum", "none"]), smoothing=floats(0.0, 1.0),
       weighted=st.booleans())
def test_cross_entropy_with_class_probabilities_is_pytorchs(device, data, reduction, smoothing, weighted):
    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 5))
    logits = data.draw(arrays((n, c), floats(-5.0, 5.0)))
    q = data.draw(arrays((n, c), floats(0.0, 1.0)))
    weight = data.draw(arrays((c,), floats(0.1, 3.0))) if weighted else None
    out = F.cross_entropy(tensor(logits, device), tensor(q, device),
                          None if weight is None else mg.tensor(weight, device=device), reduction=reduction,
                          label_smoothing=smoothing)
    np.testing.assert_allclose(out.numpy(), cross_entropy_probabilities_reference(logits, q, weight, reduction,
                                                                                  smoothing), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("ignore_index", [0, 2, 7])
def test_cross_entropy_with_probabilities_refuses_an_ignore_index_as_pytorch(ignore_index):
    # PyTorch: "ignore_index is not supported for floating point target", for any index >= 0
    logits, q = mg.zeros((3, 4)), mg.softmax(mg.tensor(np.arange(12.0).reshape(3, 4)), axis=1)
    with pytest.raises(ValueError, match="cross_entropy: ignore_index is not supported for floating point target"):
        F.cross_entropy(logits, q, ignore_index=ignore_index)
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        torch.nn.functional.cross_entropy(torch.zeros(3, 4), torch.from_numpy(q.numpy()), ignore_index=ignore_index)


@pytest.mark.parametrize("ignore_index", [-100, -1])
def test_cross_entropy_with_probabilities_accepts_a_negative_ignore_index_as_pytorch(ignore_index):
    # a negative index names no class, so PyTorch lets it pass (the default, -100, is one): the loss is unchanged
    logits = mg.tensor(np.random.default_rng(0).standard_normal((3, 4)))
    q = mg.softmax(mg.tensor(np.arange(12.0).reshape(3, 4)), axis=1)
    assert F.cross_entropy(logits, q, ignore_index=ignore_index).item() == F.cross_entropy(logits, q).item()


@settings(max_examples=10)
@given(case=classification())
def test_cross_entropy_has_first_and_second_derivatives(device, case):
    logits, target, weight, ignore_index, _, smoothing = case
    assume((target != ignore_index).any())
    t = mg.tensor(target, device=device)
    w = None if weight is None else mg.tensor(weight, device=device)
    mgt.check_op(lambda x: F.cross_entropy(x, t, w, ignore_index, "mean", smoothing),
                 lambda a: cross_entropy_reference(a, target, weight, ignore_index, "mean", smoothing),
                 tensor(logits, device))


def test_cross_entropy_of_one_example_and_of_a_batch_of_it_agree(device):
    logits = np.array([0.5, -1.0, 2.0])
    one = F.cross_entropy(tensor(logits, device), mg.tensor(2, device=device))
    batch = F.cross_entropy(tensor(logits[None], device), mg.tensor([2], device=device))
    assert one.shape == () and one.item() == pytest.approx(batch.item(), rel=1e-12)
    assert one.item() == pytest.approx(-log_softmax(logits, 0)[2], rel=1e-12)


def test_cross_entropy_with_every_target_ignored_is_nan_with_zero_gradient(device):
    x = tensor(np.zeros((2, 3)), device)
    loss = F.cross_entropy(x, mg.tensor([-100, -100], device=device))
    assert math.isnan(loss.item())                      # 0 / 0, as PyTorch
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


def test_cross_entropy_refuses_bad_targets(device):
    x = mg.zeros((2, 3), device=device)
    with pytest.raises(IndexError, match=r"class indices must lie in \[0, 3\)"):
        F.cross_entropy(x, mg.tensor([0, 3], device=device))
    with pytest.raises(ValueError, match=r"must have shape \(2,\)"):
        F.cross_entropy(x, mg.tensor([[0, 1]], device=device))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(x, mg.tensor([0, 1], device=device), reduction="average")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, mg.tensor([0, 1], device=device), label_smoothing=1.5)
    with pytest.raises(TypeError, match="class indices"):
        F.nll_loss(x, mg.tensor([0.0, 1.0], device=device))


# ---------------------------------------------------------------- binary cross-entropy and squared error

def bce_with_logits_reference(x, t, weight, pos_weight):
    """PyTorch's: -w [pw t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))], with log sigmoid(x) = -log1p(e^-x) stably."""
    log_sig = -(np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x))))      # log sigmoid(x)
    log_one_minus = -(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))  # log sigmoid(-x)
    pw = 1.0 if pos_weight is None else pos_weight
    return -(pw * t * log_sig + (1 - t) * log_one_minus) * (1.0 if weight is None else weight)


@given(data=st.data(), reduction=st.sampled_from(["mean", "sum", "none"]), weighted=st.booleans(),
       positive=st.booleans())
def test_binary_cross_entropy_with_logits_is_pytorchs(device, data, reduction, weighted, positive):
    shape = data.draw(shapes(min_dims=1))
    x = data.draw(arrays(shape, floats(-50.0, 50.0)))
    t = data.draw(arrays(shape, floats(0.0, 1.0)))
    weight = data.draw(arrays(shape, floats(0.0, 2.0))) if weighted else None
    pos_weight = data.draw(arrays(shape[-1:], floats(0.1, 3.0))) if positive else None
    out = F.binary_cross_entropy_with_logits(tensor(x, device), tensor(t, device),
                                             None if weight is None else mg.tensor(weight, device=device), reduction,
                                             None if pos_weight is None else mg.tensor(pos_weight, device=device))
    losses = bce_with_logits_reference(x, t, weight, pos_weight)
    expected = {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_bce_with_logits_is_minus_bernoulli_log_prob_and_finite_for_huge_logits(device):
    x, t = tensor(np.array([-1e4, -3.0, 0.0, 3.0, 1e4]), device), tensor(np.array([1.0, 0.0, 0.5, 1.0, 0.0]), device)
    losses = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_array_equal(losses.numpy(), (-mg.bernoulli_log_prob(x, t)).numpy())
    assert np.isfinite(losses.numpy()).all() and losses.numpy()[0] == pytest.approx(1e4)
    losses.sum().backward()
    sigmoid = np.array([0.0, 1 / (1 + np.exp(3.0)), 0.5, 1 / (1 + np.exp(-3.0)), 1.0])
    np.testing.assert_allclose(x.grad.numpy(), sigmoid - t.numpy(), atol=1e-12)   # d/dx = sigmoid(x) - t


@given(data=st.data(), reduction=st.sampled_from(["mean", "sum", "none"]))
def test_mse_loss_is_the_reduced_squared_error(device, data, reduction):
    shape = data.draw(shapes())
    x, y = data.draw(arrays(shape)), data.draw(arrays(shape))
    out = F.mse_loss(tensor(x, device), tensor(y, device), reduction)
    squared = (x - y) ** 2
    np.testing.assert_allclose(out.numpy(), {"mean": squared.mean(), "sum": squared.sum(), "none": squared}[reduction],
                               rtol=1e-12, atol=1e-12)


def test_losses_refuse_targets_of_another_shape():
    with pytest.raises(ValueError, match=r"target has shape \(3, 1\), the input \(3,\)"):
        F.mse_loss(mg.zeros(3), mg.zeros((3, 1)))
    with pytest.raises(ValueError, match="they must be equal"):
        F.binary_cross_entropy_with_logits(mg.zeros(3), mg.zeros((3, 1)))


# ---------------------------------------------------------------- dropout

def test_dropout_keeps_the_mean_and_drops_a_fraction_p(device):
    mg.random.seed(0)
    n, p = 200_000, 0.3
    x = mg.ones(n, dtype=mg.float64, device=device, requires_grad=True)
    y = F.dropout(x, p, training=True)
    values = y.numpy()
    kept = values != 0
    # each element is 1/(1-p) with probability 1-p, else 0: mean 1, variance p/(1-p); 5 standard errors
    assert abs(values.mean() - 1.0) < 5 * math.sqrt(p / (1 - p) / n)
    assert abs((~kept).mean() - p) < 5 * math.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(values[kept], 1 / (1 - p))
    y.sum().backward()                                   # the gradient is the same mask, scaled
    np.testing.assert_array_equal(x.grad.numpy(), values)


def test_dropout_is_the_identity_in_eval_and_zero_with_p_one(device):
    x = mg.tensor(np.arange(1.0, 5.0), device=device, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    zeros = F.dropout(x, 1.0)
    np.testing.assert_array_equal(zeros.numpy(), np.zeros(4))
    zeros.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(4))   # no NaN from 1/(1 - p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)


def test_dropout_module_follows_train_and_eval(device):
    layer = mg.nn.Dropout(0.5)
    x = mg.ones(1000, device=device)
    assert (layer(x).numpy() == 0).any()
    layer.eval()
    assert layer(x) is x
    layer.train()
    assert (layer(x).numpy() == 0).any()


# ---------------------------------------------------------------- the activations are minigrad's ops

def test_activations_and_softmax_are_the_ops(device):
    x = mg.tensor(np.linspace(-3, 3, 7), device=device)
    for name in ("relu", "sigmoid", "tanh", "softplus", "elu", "gelu", "silu"):
        np.testing.assert_array_equal(getattr(F, name)(x).numpy(), getattr(mg, name)(x).numpy())
        module = mg.nn.ACTIVATIONS[name]()
        np.testing.assert_array_equal(module(x).numpy(), getattr(mg, name)(x).numpy())
    np.testing.assert_array_equal(F.leaky_relu(x, 0.2).numpy(), mg.leaky_relu(x, 0.2).numpy())
    np.testing.assert_array_equal(mg.nn.GELU("tanh")(x).numpy(), mg.gelu(x, "tanh").numpy())
    np.testing.assert_array_equal(mg.nn.ELU(0.5)(x).numpy(), mg.elu(x, 0.5).numpy())
    np.testing.assert_allclose(F.softmax(x, axis=0).numpy().sum(), 1.0)
    np.testing.assert_allclose(F.log_softmax(x, axis=0).numpy(), log_softmax(x.numpy(), 0), rtol=1e-6)
