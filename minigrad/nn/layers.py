"""Basic layers: Linear, the activations, MLP, Flatten, Dropout and Embedding.

Weights of Linear are stored as in PyTorch, (out_features, in_features), and the layer is
``x @ W.T + b``: row j of W holds the coefficients of output j, so a weight copied to or
from ``torch.nn.Linear`` needs no transpose.

A layer with parameters computes in its parameters' dtype and refuses an input of another
(:func:`check_input_dtype`), as PyTorch does: NumPy would promote a float32 layer fed
float64 data to float64 without a word, at twice the memory and time.
"""
import math

import numpy

from .. import random as mgrandom
from ..ops.shape import reshape
from . import functional as F
from .module import Module, Parameter, Sequential

# the public names, those of the API page; check_input_dtype and check_count serve the layers of mg.nn
__all__ = ["Linear", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Softplus", "ELU", "GELU", "SiLU", "Identity",
           "ACTIVATIONS", "MLP", "Flatten", "Dropout", "Embedding"]


def check_input_dtype(layer, x, parameter):
    """Refuse an input ``x`` whose dtype is not ``parameter``'s (None: a layer without parameters, no check).

    ``layer`` is the module, named in the message. Every layer with parameters calls it first.
    """
    dtype = getattr(x, "dtype", None)
    if parameter is None or dtype is None or dtype == parameter.dtype:
        return
    name, want, got = type(layer).__name__, parameter.dtype, numpy.dtype(dtype)
    fix = f"convert the input with x.astype(mg.{want})"
    if got.kind == "f":   # a float input: the layer could be built for it instead
        fix += f", or build the layer for {got} data ({name}(..., dtype=mg.{got}))"
    raise TypeError(f"{name}: the input has dtype {got} but the layer's parameters are {want}: {fix}")


class Linear(Module):
    """y = x @ weight.T + bias, with weight of shape (out_features, in_features) as in PyTorch.

    Input of shape (..., in_features), output of shape (..., out_features): the leading axes
    (a batch) pass through.

    Initialisation: every weight and bias is drawn from U(-1/sqrt(in), 1/sqrt(in)), which
    has variance 1/(3 in).  Scaling the variance by 1/fan-in keeps the size of the outputs
    independent of the layer's width (LeCun, Bottou, Orr & Mueller, "Efficient BackProp",
    1998, section 4.6); this uniform version is PyTorch's default for ``nn.Linear`` (its
    ``kaiming_uniform_(a=sqrt(5))``, He et al. 2015), so results compare with PyTorch's.

    A layer with no inputs (in_features = 0) has an empty weight and a bias of zeros (the
    bound 1/sqrt(0) is taken as 0, as PyTorch does); one with no outputs gives empty outputs.
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None, device=None):
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            check_count(n, name, "Linear", 0)
        self.in_features, self.out_features = int(in_features), int(out_features)
        bound = 1.0 / math.sqrt(in_features) if in_features > 0 else 0.0
        self.weight = Parameter(mgrandom.uniform(shape=(out_features, in_features), low=-bound, high=bound,
                                                 dtype=dtype, device=device))
        self.bias = Parameter(mgrandom.uniform(shape=(out_features,), low=-bound, high=bound, dtype=dtype,
                                               device=device)) if bias else None

    def forward(self, x):
        """x of shape (..., in_features) -> x @ weight.T + bias, of shape (..., out_features)."""
        check_input_dtype(self, x, self.weight)
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def check_count(n, name, layer, low):
    """Raise ValueError naming ``layer`` unless ``n`` (a size such as in_features) is an integer >= ``low``."""
    if not isinstance(n, (int, numpy.integer)) or isinstance(n, bool) or n < low:
        raise ValueError(f"{layer}: {name} must be an integer >= {low}, got {n!r}")


# ---------------------------------------------------------------- activations
# Each applies its function elementwise: the input may have any shape, the output has the same.

class ReLU(Module):
    """max(x, 0) elementwise; the output has the input's shape (any shape)."""
    def forward(self, x): return F.relu(x)


class LeakyReLU(Module):
    """x for x > 0, else negative_slope * x, elementwise; the output has the input's shape."""
    def __init__(self, negative_slope=0.01): self.negative_slope = negative_slope
    def forward(self, x): return F.leaky_relu(x, self.negative_slope)
    def extra_repr(self): return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    """tanh(x) elementwise, in (-1, 1); the output has the input's shape."""
    def forward(self, x): return F.tanh(x)


class Sigmoid(Module):
    """1 / (1 + e^-x) elementwise, in (0, 1); the output has the input's shape."""
    def forward(self, x): return F.sigmoid(x)


class Softplus(Module):
    """log(1 + e^x) elementwise, a smooth ReLU; the output has the input's shape."""
    def forward(self, x): return F.softplus(x)


class ELU(Module):
    """x for x > 0, else alpha (e^x - 1), elementwise; the output has the input's shape."""
    def __init__(self, alpha=1.0): self.alpha = alpha
    def forward(self, x): return F.elu(x, self.alpha)
    def extra_repr(self): return f"alpha={self.alpha}"


class GELU(Module):
    """x Phi(x) elementwise, Phi the standard normal CDF (approximate="tanh": the tanh approximation).

    The output has the input's shape.
    """
    def __init__(self, approximate="none"): self.approximate = approximate
    def forward(self, x): return F.gelu(x, self.approximate)
    def extra_repr(self): return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x sigmoid(x) elementwise (swish); the output has the input's shape."""
    def forward(self, x): return F.silu(x)


class Identity(Module):
    """The input itself, unchanged (a placeholder where a layer is optional)."""
    def forward(self, x): return x


ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "tanh": Tanh, "sigmoid": Sigmoid, "softplus": Softplus,
               "elu": ELU, "gelu": GELU, "silu": SiLU, "identity": Identity}


def _activation(activation):
    """An activation module from a name ("relu"), a Module class (ReLU) or a module (ReLU())."""
    if isinstance(activation, Module):
        return activation
    if isinstance(activation, type) and issubclass(activation, Module):
        return activation()
    if activation in ACTIVATIONS:
        return ACTIVATIONS[activation]()
    raise ValueError(f"unknown activation {activation!r}; use one of {sorted(ACTIVATIONS)} or a Module")


class MLP(Sequential):
    """A multilayer perceptron: Linear layers of the given sizes with an activation between them.

    MLP([784, 400, 40]) = Linear(784, 400), ReLU, Linear(400, 40); no activation after the last layer.
    """

    def __init__(self, sizes, activation="relu", dtype=None, device=None):
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: need at least an input and an output size, got {sizes}")
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            if i > 0:
                layers.append(_activation(activation))
            layers.append(Linear(n_in, n_out, dtype=dtype, device=device))
        super().__init__(*layers)
        self.sizes = sizes


# ---------------------------------------------------------------- reshaping, dropout, lookup

class Flatten(Module):
    """Axes start_dim to end_dim (PyTorch's names) merged into one: (N, C, H, W) -> (N, C H W) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        """x with axes start_dim to end_dim merged into one axis of their product's length."""
        start, end = self.start_dim % x.ndim, self.end_dim % x.ndim
        if start > end:
            raise ValueError(f"Flatten: start_dim {self.start_dim} comes after end_dim {self.end_dim} for a tensor "
                             f"of shape {x.shape}")
        return reshape(x, x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:])

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Zero each element with probability p in training, scaling the rest by 1/(1 - p); the identity in eval().

    Input of any shape, output of the same. See ``F.dropout``. Call ``model.eval()`` before
    evaluating and ``model.train()`` after.
    """

    def __init__(self, p=0.5):
        if not (isinstance(p, (int, float)) and 0.0 <= p <= 1.0):
            raise ValueError(f"Dropout: p is a probability, between 0 and 1, got {p!r}")
        self.p = p

    def forward(self, x):
        """x with elements zeroed (training) or x itself (eval); the output has x's shape."""
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class Embedding(Module):
    """A lookup table: integer indices (any shape) -> rows of ``weight`` (num_embeddings, embedding_dim).

    The rows start as draws from N(0, 1), as in PyTorch. A row looked up several times in
    a batch gets the sum of its cotangents (``F.embedding``).
    """

    def __init__(self, num_embeddings, embedding_dim, dtype=None, device=None):
        check_count(num_embeddings, "num_embeddings", "Embedding", 1)
        check_count(embedding_dim, "embedding_dim", "Embedding", 1)
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.weight = Parameter(mgrandom.normal(size=(num_embeddings, embedding_dim), dtype=dtype, device=device))

    def forward(self, indices):
        """Integer ``indices`` of any shape S -> the rows ``weight[indices]``, of shape S + (embedding_dim,)."""
        return F.embedding(indices, self.weight)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"
