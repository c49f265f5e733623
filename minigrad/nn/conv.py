"""Convolution and pooling layers on images (N, C, H, W), with PyTorch's arguments and weight layouts.

The maths is in ``minigrad/ops/convolution.py`` (im2col, col2im, conv2d, conv_transpose2d)
and ``functional.py`` (the pools); these modules own the weights and remember the
arguments.
"""
import math

from ..ops.convolution import as_pair
from ..ops.creation import zeros
from . import functional as F
from . import init
from .layers import check_count, check_input_dtype
from .module import Module, Parameter


class _ConvNd(Module):
    """What Conv2d and ConvTranspose2d share: the arguments, and PyTorch's initialisation."""

    def _setup(self, layer, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
               padding_mode, weight_shape, dtype, device):
        check_count(in_channels, "in_channels", layer, 1)
        check_count(out_channels, "out_channels", layer, 1)
        if groups != 1:
            raise ValueError(f"{layer}: only groups=1 is supported, got groups={groups!r}")
        if padding_mode != "zeros":
            raise ValueError(f"{layer}: only padding_mode='zeros' is supported, got {padding_mode!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = as_pair(kernel_size, "kernel_size", layer, 1)
        self.stride, self.dilation = as_pair(stride, "stride", layer, 1), as_pair(dilation, "dilation", layer, 1)
        self.padding = padding if isinstance(padding, str) else as_pair(padding, "padding", layer, 0)
        self.weight = Parameter(zeros(weight_shape + self.kernel_size, dtype, device))
        self.bias = Parameter(zeros((self.out_channels,), dtype, device)) if bias else None
        # PyTorch's reset_parameters: weights ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform_ with a =
        # sqrt(5)), and so is the bias; fan_in is computed from the weight's shape (init.fans)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = init.fans(self.weight)[0]
            bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, bias={self.bias is not None}")


class Conv2d(_ConvNd):
    """out = conv2d(x, weight, bias): in_channels -> out_channels, weight (out, in, kh, kw).

    Input (N, in_channels, H, W), output (N, out_channels, H_out, W_out) with
    H_out = floor((H + 2 padding - dilation (kh - 1) - 1) / stride) + 1, and W_out alike.
    ``padding`` may also be "valid" or "same" (stride 1). Only ``groups=1`` and
    ``padding_mode="zeros"``. Initialised as in PyTorch (see _ConvNd).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", dtype=None, device=None):
        self._setup("Conv2d", in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                    padding_mode, (out_channels, in_channels), dtype, device)

    def forward(self, x):
        """x (N, in_channels, H, W) -> (N, out_channels, H_out, W_out); see ``F.conv2d`` for H_out and W_out."""
        check_input_dtype(self, x, self.weight)
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)


class ConvTranspose2d(_ConvNd):
    """out = conv_transpose2d(x, weight, bias): in_channels -> out_channels, weight (in, out, kh, kw).

    The adjoint of a Conv2d(out_channels, in_channels) of the same kernel, stride, padding
    and dilation: it maps that layer's output size back to its input size
    (``output_padding`` picks among the sizes when the stride leaves several). Input
    (N, in_channels, H, W), output (N, out_channels, H_out, W_out) with
    H_out = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1, and W_out alike.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", dtype=None, device=None):
        self.output_padding = as_pair(output_padding, "output_padding", "ConvTranspose2d", 0)
        self._setup("ConvTranspose2d", in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                    bias, padding_mode, (in_channels, out_channels), dtype, device)

    def forward(self, x):
        """x (N, in_channels, H, W) -> (N, out_channels, H_out, W_out); see the class for H_out and W_out."""
        check_input_dtype(self, x, self.weight)
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding, 1,
                                  self.dilation)

    def extra_repr(self):
        return super().extra_repr() + f", output_padding={self.output_padding}"


class MaxPool2d(Module):
    """The maximum of each kernel_size window of each channel (``F.max_pool2d``); stride defaults to kernel_size.

    Input (N, C, H, W) or (C, H, W), output (N, C, H_out, W_out) or (C, H_out, W_out) with
    H_out = floor((H + 2 padding - dilation (k - 1) - 1) / stride) + 1, and W_out alike.
    ``ceil_mode`` and ``return_indices`` (PyTorch's arguments) are refused.
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x):
        """x (N, C, H, W) -> the window maxima (N, C, H_out, W_out); see the class for H_out and W_out."""
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """The mean of each kernel_size window of each channel (``F.avg_pool2d``); stride defaults to kernel_size.

    Input (N, C, H, W) or (C, H, W), output (N, C, H_out, W_out) or (C, H_out, W_out) with
    H_out = floor((H + 2 padding - k) / stride) + 1, and W_out alike. ``ceil_mode`` is refused.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override

    def forward(self, x):
        """x (N, C, H, W) -> the window means (N, C, H_out, W_out); see the class for H_out and W_out."""
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
