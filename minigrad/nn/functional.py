"""The functions behind the layers, as PyTorch's ``torch.nn.functional`` (``import minigrad.nn.functional as F``).

Every function here is a composite of minigrad's primitives (``im2col``/``col2im`` for
the convolutions) or one of them (``max_pool2d``), with vjps written in minigrad's ops,
so each has gradients of every order and runs on any device. Chapters: activations;
dropout; padding; linear and convolution layers; pooling; normalization; embedding; losses.

Names and arguments are PyTorch's, with one difference that follows minigrad's own:
The weights are PyTorch's: (out_features, in_features) for linear (``x @ weight.T + bias``),
(out, in, kh, kw) for conv2d, (in, out, kh, kw) for conv_transpose2d. ``pad`` is PyTorch's
``F.pad`` (a flat tuple of widths, last axis first); the array operation ``mg.pad`` keeps
NumPy's ``pad_width``.
"""
import math

from .. import random as mgrandom
from ..ops.convolution import avg_pool2d, conv2d, conv_transpose2d, max_pool2d
from ..ops.elementwise import elu, gelu, leaky_relu, log_sigmoid, relu, sigmoid, silu, softplus, sqrt, tanh
from ..ops.fused import bernoulli_log_prob, linear
from ..ops.operands import as_float, as_tensor, operands
from ..ops.reductions import log_softmax, mean, softmax, sum
from ..ops.shape import expand_dims, getitem, reshape, squeeze
from ..ops.shape import pad as numpy_pad
from ..tensor import Tensor, tensor

__all__ = ["relu", "leaky_relu", "sigmoid", "tanh", "softplus", "elu", "gelu", "silu", "softmax", "log_softmax",
           "dropout", "pad", "linear", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "batch_norm",
           "layer_norm", "embedding", "cross_entropy", "nll_loss", "binary_cross_entropy_with_logits", "mse_loss"]

# ---------------------------------------------------------------- activations
# relu, leaky_relu, sigmoid, tanh, softplus, elu, gelu, silu, softmax and log_softmax are minigrad's ops,
# imported above.


# ---------------------------------------------------------------- dropout

def dropout(x, p=0.5, training=True):
    """Zero each element with probability ``p`` and scale the rest by 1/(1 - p) ("inverted" dropout).

    The scaling keeps the expected value of every element, so nothing changes at test
    time: with ``training=False`` the input passes through. p = 1 gives zeros.
    (Srivastava et al. 2014, "Dropout: A Simple Way to Prevent Neural Networks from
    Overfitting", https://jmlr.org/papers/v15/srivastava14a.html.)
    """
    x = as_float(as_tensor(x))
    if not (isinstance(p, (int, float)) and 0.0 <= p <= 1.0):
        raise ValueError(f"dropout: p is a probability, between 0 and 1, got {p!r}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = 1.0 - p
    mask = mgrandom.bernoulli(keep, x.shape, dtype=x.dtype, device=x.device)   # a constant: no gradient
    return x * (mask / keep)


# ---------------------------------------------------------------- padding

PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}   # NumPy's names


def pad(input, pad, mode="constant", value=None):
    """``input`` padded as PyTorch's ``F.pad``: ``pad`` holds (before, after) widths, last axis first.

        pad(x, (left, right))                          pads the last axis
        pad(x, (left, right, top, bottom))             the last two
        pad(x, (left, right, top, bottom, front, back)) the last three

    This is the reverse of NumPy's ``pad_width`` (``mg.pad``), which lists every axis from
    the first: F.pad(x, (1, 2)) on an image batch (N, C, H, W) is mg.pad(x, ((0, 0), (0, 0),
    (0, 0), (1, 2))). ``mode`` is "constant" (filled with ``value``, default 0), "reflect"
    (mirrored without repeating the edge), "replicate" (the edge repeated) or "circular"
    (wrapped around); NumPy calls the last two "edge" and "wrap". A negative width crops
    that many elements, in mode "constant" only here.

    As in PyTorch, the other modes pad the last 1, 2 or 3 axes of a tensor with at most one
    or two axes more (batch and channels), "reflect" by less than the axis' length and
    "circular" by at most it. Built on ``mg.pad`` (and indexing to crop): its vjp is theirs.
    """
    input = as_tensor(input)
    if isinstance(pad, (int, float)) or not isinstance(pad, (tuple, list)) or not all(
            isinstance(w, int) and not isinstance(w, bool) for w in pad):
        raise TypeError(f"pad: pad must be a flat tuple of ints, (left, right, top, bottom, ...) from the last axis "
                        f"backwards, as in PyTorch; got {pad!r}. For NumPy's pad_width (one (before, after) per axis, "
                        "from the first), use mg.pad")
    if len(pad) % 2:
        raise ValueError(f"pad: Padding length must be divisible by 2, got pad={tuple(pad)}: (before, after) "
                         "widths for each padded axis, last axis first")
    if len(pad) > 2 * input.ndim:
        raise ValueError(f"pad: Padding length should be less than or equal to two times the input dimension but "
                         f"got padding length {len(pad)} and input of dimension {input.ndim} (shape {input.shape})")
    if mode not in PAD_MODES:
        hint = {"edge": " (PyTorch's name: 'replicate')", "wrap": " (PyTorch's name: 'circular')",
                "symmetric": " (not in PyTorch: use mg.pad)"}.get(mode, "")
        raise ValueError(f"pad: mode {mode!r} is not one of PyTorch's {tuple(PAD_MODES)}{hint}")
    k = len(pad) // 2                                   # how many axes are padded: the last k
    widths = [(0, 0)] * (input.ndim - k) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(k))]
    if mode != "constant":
        _check_non_constant_pad(input, pad, mode, value, widths)
        return numpy_pad(input, widths, PAD_MODES[mode])
    crop = tuple(slice(max(-before, 0), n - max(-after, 0)) for n, (before, after) in zip(input.shape, widths))
    if any(c.stop < c.start for c in crop):
        raise ValueError(f"pad: pad={tuple(pad)} crops more than the input of shape {input.shape} holds")
    if any(before < 0 or after < 0 for before, after in widths):
        input = getitem(input, crop)
    return numpy_pad(input, [(max(before, 0), max(after, 0)) for before, after in widths],
                     constant_values=0 if value is None else value)


def _check_non_constant_pad(input, pad, mode, value, widths):
    """PyTorch's limits on the modes that repeat values of the input (see pad)."""
    if value is not None:
        raise ValueError(f'pad: Padding mode "{mode}" doesn\'t take in value argument (got value={value!r})')
    k = len(pad) // 2
    if input.ndim not in (k + 1, k + 2):
        raise ValueError(f"pad: padding size {len(pad)} in mode {mode!r} pads the last {k} axes of a tensor with "
                         f"{k + 1} or {k + 2} dimensions (as in PyTorch), got shape {input.shape}")
    for axis, (n, (before, after)) in enumerate(zip(input.shape, widths)):
        if before < 0 or after < 0:
            raise ValueError(f"pad: a negative width (cropping) is supported in mode 'constant' only, got pad="
                             f"{tuple(pad)} in mode {mode!r}; crop by indexing first")
        if (before or after) and n == 0:
            raise ValueError(f"pad: mode {mode!r} has nothing to repeat in axis {axis} of length 0 (shape "
                             f"{input.shape})")
        if mode == "reflect" and (before >= n or after >= n) and (before or after):
            raise ValueError(f"pad: Padding size should be less than the corresponding input dimension, but got: "
                             f"padding {(before, after)} at dimension {axis} of input {list(input.shape)}")
        if mode == "circular" and (before > n or after > n):
            raise ValueError(f"pad: Padding value causes wrapping around more than once: padding {(before, after)} "
                             f"at dimension {axis} of input {list(input.shape)}")


# ---------------------------------------------------------------- linear and convolution layers
# linear (x @ weight.T + bias, weight (out, in)), conv2d and conv_transpose2d are imported above, from
# minigrad.ops.fused and minigrad.ops.convolution.


# ---------------------------------------------------------------- pooling
# max_pool2d (a primitive) and avg_pool2d (a composite of im2col) are in minigrad.ops.convolution, imported above.


# ---------------------------------------------------------------- normalization

def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalize each channel (axis 1) of x over the batch and the other axes, then scale and shift it.

        y = (x - mean) / sqrt(var + eps) * weight + bias      (Ioffe & Szegedy 2015, https://arxiv.org/abs/1502.03167)

    In training, mean and var (biased: divided by n) are the batch's, and the running
    statistics, if given, get new values (the same tensors), as PyTorch updates them: running = (1 - momentum)
    running + momentum batch, with the unbiased variance (divided by n - 1). Otherwise
    the running statistics are used. The update is bookkeeping, not part of the graph.
    """
    x = as_float(as_tensor(x))
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected x of shape (N, C, ...), got shape {x.shape}")
    c = x.shape[1]
    axes = (0,) + tuple(range(2, x.ndim))
    per_channel = (1, c) + (1,) * (x.ndim - 2)   # a (C,) vector against x
    if training:
        count = x.size // c if c else 0
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input of shape "
                             f"{x.shape}")
        batch_mean = mean(x, axes, keepdims=True)
        centred = x - batch_mean
        batch_var = mean(centred * centred, axes, keepdims=True)
        if running_mean is not None:
            running_mean.data = ((1.0 - momentum) * running_mean.data
                                 + momentum * batch_mean.data.reshape(c)).astype(running_mean.dtype)
        if running_var is not None:
            unbiased = batch_var.data.reshape(c) * (count / (count - 1))
            running_var.data = ((1.0 - momentum) * running_var.data + momentum * unbiased).astype(running_var.dtype)
        y = centred / sqrt(batch_var + eps)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: without training=True, the running statistics are needed")
        y = (x - reshape(running_mean, per_channel)) / sqrt(reshape(running_var, per_channel) + eps)
    if weight is not None:
        y = y * reshape(weight, per_channel)
    if bias is not None:
        y = y + reshape(bias, per_channel)
    return y


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the last axes (those of ``normalized_shape``) of each example, then scale and shift.

        y = (x - mean) / sqrt(var + eps) * weight + bias     (Ba, Kiros & Hinton 2016, https://arxiv.org/abs/1607.06450)

    mean and (biased) var are taken over the normalized axes of each example, the same
    way in training and evaluation; weight and bias have ``normalized_shape``.
    """
    x = as_float(as_tensor(x))
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or x.shape[x.ndim - k:] != normalized_shape:
        raise ValueError(f"layer_norm: the last axes of x (shape {x.shape}) must be normalized_shape "
                         f"{normalized_shape}")
    axes = tuple(range(x.ndim - k, x.ndim))
    centred = x - mean(x, axes, keepdims=True)
    y = centred / sqrt(mean(centred * centred, axes, keepdims=True) + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


# ---------------------------------------------------------------- embedding

def embedding(indices, weight):
    """Rows of ``weight`` (num_embeddings, dim) picked by the integer ``indices``: shape indices.shape + (dim,).

    A lookup is indexing, so its vjp scatter-adds g into the rows: a row picked twice gets both cotangents.
    """
    indices = _on_device_of(weight, indices, "embedding")
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {indices.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be (num_embeddings, dim), got shape {weight.shape}")
    if indices.size and bool(((indices.data < 0) | (indices.data >= weight.shape[0])).any()):
        raise IndexError(f"embedding: indices must lie in [0, {weight.shape[0]}), got values from "
                         f"{int(indices.data.min())} to {int(indices.data.max())}")
    return getitem(weight, indices)


def _on_device_of(like, values, op):
    """``values`` (a tensor, list or array) as a tensor on like's device; a tensor elsewhere is an error."""
    if isinstance(values, Tensor):
        if values.device != like.device:
            raise ValueError(f"{op}: the input is on {values.device!r} but the weights are on {like.device!r}; "
                             "move them to one device first with .to(device)")
        return values
    return tensor(values, device=like.device)


# ---------------------------------------------------------------- losses

REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses, reduction):
    if reduction == "mean":
        return mean(losses)
    return sum(losses) if reduction == "sum" else losses


def check_reduction(reduction, op):
    """Raise ValueError naming ``op`` unless ``reduction`` is one of PyTorch's: "mean", "sum" or "none"."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """-log softmax(input)[target]: the loss of a classifier with logits ``input``, as PyTorch's ``F.cross_entropy``.

    input: logits (N, C), (N, C, d1, ...) or one example (C,); classes on axis 1.
    target: class indices (N,) / (N, d1, ...) / (), or class probabilities of input's shape.
    With q the target distribution (the one-hot of the class, or the given probabilities),
    smoothed as (1 - label_smoothing) q + label_smoothing / C (Szegedy et al. 2016,
    "Rethinking the Inception Architecture", https://arxiv.org/abs/1512.00567, section 7),
    and w the class ``weight`` (default 1), each example's loss is

        loss = -sum_c w_c q_c log softmax(input)_c.

    Class indices equal to ``ignore_index`` count nothing; with probabilities, an
    ``ignore_index`` that could name a class (>= 0) is an error, as in PyTorch. ``reduction="mean"`` divides the sum
    by the weight of the counted targets, sum of w_target (their number when unweighted),
    as PyTorch does; with probabilities, by the number of examples. ``"sum"``, ``"none"``
    (one loss per target). ``weight`` is a constant, as in PyTorch (no gradient).
    """
    input = as_float(as_tensor(input))
    check_reduction(reduction, "cross_entropy")
    if not (isinstance(label_smoothing, (int, float)) and 0.0 <= label_smoothing <= 1.0):
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], got {label_smoothing!r}")
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have a class axis: (C,), (N, C) or (N, C, d1, ...)")
    log_p = log_softmax(input, axis=1 if input.ndim > 1 else 0)
    return _expected_negative_log(log_p, target, weight, ignore_index, reduction, label_smoothing, "cross_entropy")


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """-input[target]: the negative log-likelihood of class indices, given log-probabilities ``input``.

    cross_entropy(logits, target) = nll_loss(log_softmax(logits, axis=1), target): the
    same shapes, ``weight``, ``ignore_index`` and reductions (see there), as PyTorch's
    ``F.nll_loss``. Targets are class indices.
    """
    input = as_float(as_tensor(input))
    check_reduction(reduction, "nll_loss")
    if input.ndim == 0:
        raise ValueError("nll_loss: input must have a class axis: (C,), (N, C) or (N, C, d1, ...)")
    target = _on_device_of(input, target, "nll_loss")
    if target.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must be class indices (integers), got dtype {target.dtype}")
    return _expected_negative_log(input, target, weight, ignore_index, reduction, 0.0, "nll_loss")


def _expected_negative_log(log_p, target, weight, ignore_index, reduction, smoothing, op):
    """-sum_c w_c q_c log_p_c per example, q the (smoothed) target distribution: see cross_entropy."""
    if log_p.ndim == 1:   # one example: a batch of one
        target = _on_device_of(log_p, target, op)
        losses = _expected_negative_log(expand_dims(log_p, 0), reshape(target, (1,) + target.shape), weight,
                                        ignore_index, reduction, smoothing, op)
        return squeeze(losses, 0) if reduction == "none" else losses
    xp, c = log_p.xp, log_p.shape[1]
    per_class = (1, c) + (1,) * (log_p.ndim - 2)   # a (C,) vector against log_p
    target = _on_device_of(log_p, target, op)
    w = None
    if weight is not None:
        w = _on_device_of(log_p, weight, op)
        if w.shape != (c,):
            raise ValueError(f"{op}: weight must have one entry per class, shape ({c},), got {w.shape}")
        w = w.data.astype(log_p.dtype).reshape(per_class)
    if target.dtype.kind == "f":   # class probabilities
        if target.shape != log_p.shape:
            raise ValueError(f"{op}: class probabilities must have the input's shape {log_p.shape}, got "
                             f"{target.shape}")
        if ignore_index >= 0:   # PyTorch's rule: a negative one matches no class, so it may stay (the default)
            raise ValueError(f"{op}: ignore_index is not supported for floating point target: got ignore_index="
                             f"{ignore_index} with class probabilities of shape {target.shape}; ignore_index "
                             "picks out class indices (integer targets). To leave examples out, give them "
                             "probabilities 0 or drop them from the batch")
        q = target if smoothing == 0.0 else target * (1.0 - smoothing) + smoothing / c
        weighted = log_p * q if w is None else log_p * q * Tensor(w)
        return _reduce(-sum(weighted, axis=1), reduction)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must be class indices (integers) or probabilities (floats), got dtype "
                        f"{target.dtype}")
    expected = (log_p.shape[0],) + log_p.shape[2:]
    if target.shape != expected:
        raise ValueError(f"{op}: class indices for input of shape {log_p.shape} must have shape {expected}, "
                         f"got {target.shape}")
    y = target.data
    counted = y != ignore_index
    if bool((counted & ((y < 0) | (y >= c))).any()):
        raise IndexError(f"{op}: class indices must lie in [0, {c}) (or equal ignore_index={ignore_index}), got "
                         f"values from {int(y.min())} to {int(y.max())}")
    y = xp.where(counted, y, 0)
    one_hot = xp.arange(c).reshape(per_class) == xp.expand_dims(y, 1)
    q = (1.0 - smoothing) * one_hot + smoothing / c                    # the smoothed target distribution
    coefficients = q * xp.expand_dims(counted, 1)                      # ignored targets count nothing
    weights = xp.expand_dims(counted, 1) * (1.0 if w is None else w)   # w_c of every counted example
    if w is not None:
        coefficients = coefficients * w
    losses = -sum(log_p * Tensor(coefficients.astype(log_p.dtype)), axis=1)
    if reduction == "mean":   # divided by the weight of the counted targets, sum of w_target
        total_weight = xp.asarray((weights * one_hot).sum(), dtype=log_p.dtype)
        if not bool(total_weight):   # every target ignored: NaN, with gradient 0 (as PyTorch)
            return sum(losses) + math.nan
        return sum(losses) / Tensor(total_weight)
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """-[t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))] for logits x and targets t in [0, 1], elementwise.

    It is exactly -mg.bernoulli_log_prob(x, t), finite for any logit. ``weight``
    multiplies each element's loss; ``pos_weight`` (one per class, the last axis)
    multiplies the positive term, t log sigmoid(x), as in PyTorch's
    ``F.binary_cross_entropy_with_logits``. Target and input have one shape.
    """
    check_reduction(reduction, "binary_cross_entropy_with_logits")
    input, target = operands(input, target, "binary_cross_entropy_with_logits")
    if input.shape != target.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target has shape {target.shape}, the input "
                         f"{input.shape}; they must be equal")
    if pos_weight is None:
        losses = -bernoulli_log_prob(input, target)
    else:
        losses = -(pos_weight * target * log_sigmoid(input) + (1.0 - target) * log_sigmoid(-input))
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


def mse_loss(input, target, reduction="mean"):
    """(input - target)^2, elementwise, reduced: the mean squared error.

    Input and target must have one shape (PyTorch broadcasts them with a warning: a
    target of shape (N, 1) against outputs (N,) silently makes an (N, N) loss).
    """
    check_reduction(reduction, "mse_loss")
    input, target = operands(input, target, "mse_loss")
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: target has shape {target.shape}, the input {input.shape}; they must be equal")
    difference = input - target
    return _reduce(difference * difference, reduction)

