"""Losses as modules, each holding its options and calling the function of ``functional.py``.

    criterion = mg.nn.CrossEntropyLoss(label_smoothing=0.1)
    loss = criterion(model(x), y)        # logits (N, C), class indices (N,)
"""
from ..tensor import Tensor
from . import functional as F
from .module import Module


class _WeightedLoss(Module):
    """A loss with a per-class ``weight``: a buffer, as in PyTorch (saved in state_dict, moved by .to())."""

    def __init__(self, weight, reduction):
        F.check_reduction(reduction, type(self).__name__)
        if weight is not None and not isinstance(weight, Tensor):
            raise TypeError(f"{type(self).__name__}: weight must be a Tensor or None, got {type(weight).__name__}")
        self.register_buffer("weight", weight)
        self.reduction = reduction


class CrossEntropyLoss(_WeightedLoss):
    """F.cross_entropy(logits, target): class indices or probabilities, ``weight``, ``ignore_index``,
    ``label_smoothing``, ``reduction``.

    logits (N, C) (or (N, C, d1, ...), or (C,)), target class indices (N,) (or (N, d1, ...), or ())
    or class probabilities of the logits' shape; the loss is a 0-d tensor with ``reduction="mean"``
    or ``"sum"``, one loss per example with ``"none"``.
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(weight, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        """The cross-entropy of logits ``input`` (N, C) against ``target`` (N,) or (N, C); see the class."""
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """F.nll_loss(log_probabilities, target): the negative log-likelihood of class indices.

    log-probabilities (N, C) (or (N, C, d1, ...)), class indices (N,) (or (N, d1, ...)); the loss
    is a 0-d tensor with ``reduction="mean"`` or ``"sum"``, one loss per example with ``"none"``.
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        """-input[n, target[n]], reduced: log-probabilities ``input`` (N, C), class indices ``target`` (N,)."""
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class BCEWithLogitsLoss(Module):
    """F.binary_cross_entropy_with_logits(logits, target) = -mg.bernoulli_log_prob(logits, target), reduced.

    ``weight`` (per element) and ``pos_weight`` (per class) are buffers, as in PyTorch. Logits and
    targets (in [0, 1]) have one shape, any; the loss is a 0-d tensor, or of that shape with
    ``reduction="none"``.
    """

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        F.check_reduction(reduction, "BCEWithLogitsLoss")
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)
        self.reduction = reduction

    def forward(self, input, target):
        """The binary cross-entropy of logits ``input`` against ``target`` of the same shape, reduced."""
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)


class MSELoss(Module):
    """F.mse_loss(input, target): the squared error, reduced.

    Input and target have one shape, any; the loss is a 0-d tensor (the mean or the sum of
    (input - target)^2), or of that shape with ``reduction="none"``.
    """

    def __init__(self, reduction="mean"):
        F.check_reduction(reduction, "MSELoss")
        self.reduction = reduction

    def forward(self, input, target):
        """(input - target)^2 elementwise, reduced; input and target of one shape."""
        return F.mse_loss(input, target, self.reduction)
