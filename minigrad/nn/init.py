"""Initial weights, as PyTorch's ``torch.nn.init``: each function fills a tensor in place and returns it.

Why the scale matters: a layer y = W x with fan_in inputs per output multiplies the
variance of its inputs by fan_in Var(W). To keep signals (forward) and gradients
(backward, through fan_out outputs) at one size through many layers,

- Glorot & Bengio (2010), "Understanding the difficulty of training deep feedforward
  neural networks", https://proceedings.mlr.press/v9/glorot10a.html, compromise between
  the two: Var(W) = 2 / (fan_in + fan_out) (``xavier_*``, for tanh and sigmoid layers);
- He, Zhang, Ren & Sun (2015), "Delving Deep into Rectifiers", https://arxiv.org/abs/1502.01852,
  account for ReLU zeroing half its inputs: Var(W) = 2 / fan_in (``kaiming_*``);

each times gain^2, where the gain corrects for the activation that follows
(:func:`calculate_gain`). A uniform U(-a, a) has variance a^2 / 3, which gives the bounds.

Fans follow PyTorch (its ``_calculate_fan_in_and_fan_out``): a weight of shape
(out, in, k1, k2, ...) has fan_in = in k1 k2 ... and fan_out = out k1 k2 ...; a 2-D
weight, a Linear layer's (out_features, in_features), has fan_in = in_features and
fan_out = out_features. Any tensor is read this way, whatever layer it belongs to.
"""
import math

from .. import random as mgrandom
from ..autograd import no_grad

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_", "xavier_uniform_",
           "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]


def calculate_gain(nonlinearity, param=None):
    """The gain for the activation that follows the layer (PyTorch's values).

    linear, conv, sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu with negative slope a
    (``param``, default 0.01): sqrt(2 / (1 + a^2)); selu: 3/4.
    """
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                        "conv_transpose3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative slope {param!r} is not a number")
        return math.sqrt(2.0 / (1.0 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def fans(tensor):
    """(fan_in, fan_out) of a weight (out, in, *kernel): (in * receptive field, out * receptive field).

    The receptive field is the product of the kernel's sizes, 1 for a Linear weight (out, in).
    """
    if tensor.ndim < 2:
        raise ValueError(f"init: fan in and fan out cannot be computed for a tensor of shape {tensor.shape} "
                         "(fewer than 2 dimensions)")
    receptive_field = math.prod(tensor.shape[2:])   # 1 for a 2-D weight
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _fill(tensor, values):
    with no_grad():   # initialising is not part of any graph, as in PyTorch
        tensor.copy_(values)
    return tensor


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with draws from U(a, b)."""
    return _fill(tensor, mgrandom.uniform(a, b, tensor.shape, dtype=tensor.dtype, device=tensor.device))


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with draws from N(mean, std^2)."""
    return _fill(tensor, mgrandom.normal(mean, std, tensor.shape, dtype=tensor.dtype, device=tensor.device))


def constant_(tensor, value):
    """Fill with ``value``."""
    with no_grad():
        tensor.fill_(value)
    return tensor


def zeros_(tensor):
    """Fill with 0, in place, outside any graph; returns the tensor."""
    return constant_(tensor, 0.0)


def ones_(tensor):
    """Fill with 1, in place, outside any graph; returns the tensor."""
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0):
    """U(-a, a) with a = gain sqrt(6 / (fan_in + fan_out)): variance gain^2 2 / (fan_in + fan_out) (Glorot & Bengio)."""
    fan_in, fan_out = fans(tensor)
    if tensor.size == 0:   # nothing to fill (PyTorch: a no-op)
        return tensor
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """N(0, std^2) with std = gain sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio)."""
    fan_in, fan_out = fans(tensor)
    if tensor.size == 0:
        return tensor
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor, a, mode, nonlinearity):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fans(tensor)[0 if mode == "fan_in" else 1]
    if fan == 0:   # an empty tensor: nothing will be drawn (PyTorch: a no-op)
        return 0.0
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """U(-b, b) with b = sqrt(3) gain / sqrt(fan): variance gain^2 / fan (He et al.).

    ``a`` is the negative slope of a leaky ReLU that follows (0: a ReLU); ``mode`` picks
    fan_in (keeps the forward signal's size) or fan_out (the backward gradients').
    PyTorch's default for Linear and Conv2d is ``a=sqrt(5)``, which gives b = 1/sqrt(fan_in).
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """N(0, std^2) with std = gain / sqrt(fan) (He et al.; ``a``, ``mode`` as kaiming_uniform_)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))
