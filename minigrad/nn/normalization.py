"""Normalization layers: BatchNorm1d/2d (statistics of the batch, running averages for evaluation) and LayerNorm.

BatchNorm (Ioffe & Szegedy 2015, https://arxiv.org/abs/1502.03167) normalizes each
channel with the mean and variance of the current batch while training, and keeps
running averages of them, as buffers, to use in evaluation, when a batch may be a single
example. LayerNorm (Ba, Kiros & Hinton 2016, https://arxiv.org/abs/1607.06450) normalizes
each example over its own features, the same way in training and evaluation.
"""
from .. import backend
from ..ops.creation import ones, zeros
from ..tensor import tensor
from . import functional as F
from .layers import check_count, check_input_dtype
from .module import Module, Parameter


class _BatchNorm(Module):
    """BatchNorm over axis 1 (the channels) of inputs with ``dims`` axes, as PyTorch's.

    Training: y = (x - mean) / sqrt(var + eps) * weight + bias with the batch's mean and
    biased variance per channel, and the running statistics (buffers, saved in
    ``state_dict``) updated as

        running_mean = (1 - momentum) running_mean + momentum mean
        running_var  = (1 - momentum) running_var  + momentum var n / (n - 1)   (unbiased, n values per channel)

    ``momentum=None`` makes them plain averages of all batches so far (momentum 1 /
    num_batches_tracked). Evaluation (``eval()``): the running statistics replace the
    batch's, and nothing is updated. With ``track_running_stats=False`` there are no
    running statistics and the batch's are used in both modes.

    The buffers are PyTorch's, so a state dict moves to ``torch.nn.BatchNorm*d`` and back:
    ``running_mean`` and ``running_var`` of the parameters' dtype, and
    ``num_batches_tracked``, an int64 scalar counting the batches seen in training mode.
    """

    dims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, dtype=None,
                 device=None):
        check_count(num_features, "num_features", type(self).__name__, 1)
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(ones((num_features,), dtype, device)) if affine else None
        self.bias = Parameter(zeros((num_features,), dtype, device)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", zeros((num_features,), dtype, device))
            self.register_buffer("running_var", ones((num_features,), dtype, device))
            device = device if device is not None else backend.get_default_device()
            self.register_buffer("num_batches_tracked", tensor(0, dtype=backend.int64, device=device))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def forward(self, x):
        if x.ndim not in self.dims:
            raise ValueError(f"{type(self).__name__}: expected an input with {' or '.join(map(str, self.dims))} "
                             f"dimensions (N, C, ...), got shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}: expected {self.num_features} channels (axis 1), got shape "
                             f"{x.shape}")
        # the dtype the layer computes in: its parameters', or its running statistics' if it has no parameters
        check_input_dtype(self, x, self.weight if self.weight is not None else self.running_mean)
        if not self.track_running_stats:   # the batch's statistics in both modes, nothing kept
            return F.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)
        if not self.training:              # evaluation: the running statistics, nothing updated
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)
        self.num_batches_tracked.data += 1
        momentum = self.momentum
        if momentum is None:               # a plain average of every batch so far
            momentum = 1.0 / float(self.num_batches_tracked.item())
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, True, momentum, self.eps)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.fill_(0.0)
            self.running_var.fill_(1.0)
            self.num_batches_tracked.fill_(0)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """BatchNorm of features (N, C) or sequences (N, C, L), per channel C (see _BatchNorm)."""
    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """BatchNorm of images (N, C, H, W), per channel C over the batch and the pixels (see _BatchNorm)."""
    dims = (4,)


class LayerNorm(Module):
    """Normalize each example over its last axes, those of ``normalized_shape``, then scale and shift.

    weight (ones) and bias (zeros) have ``normalized_shape`` (``elementwise_affine=False``:
    none; ``bias=False``: no bias). The same in training and evaluation (``F.layer_norm``).
    Input (..., *normalized_shape), output of the same shape.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=None, device=None):
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        for n in shape:
            check_count(n, "normalized_shape", "LayerNorm", 1)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        self.weight = Parameter(ones(shape, dtype, device)) if elementwise_affine else None
        self.bias = Parameter(zeros(shape, dtype, device)) if elementwise_affine and bias else None

    def forward(self, x):
        """x (..., *normalized_shape) -> (x - mean) / sqrt(var + eps) * weight + bias, of x's shape."""
        check_input_dtype(self, x, self.weight)
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
