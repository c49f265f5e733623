"""minigrad: a reverse-mode autodiff engine you can read in an afternoon, on NumPy or CuPy.

    import minigrad as mg
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()          # x.grad == 2 x
"""
__version__ = "0.2.0"

import importlib

# First: the tensor module ties itself to autograd and ops at its end (see there).
from .tensor import Tensor, from_numpy, tensor  # isort: split

# Then the rest; each module imports what it is built on (distributions, estimators, linalg
# on the tensor and its ops; nn, optim, data and models on those), so the order here is free.
from . import autograd, backend, data, distributions, estimators, linalg, models, nn, optim, random, utils, viz
from .anomaly import AnomalyError, detect_anomaly
from .autograd import enable_grad, is_grad_enabled, no_grad
from .backend import (
    bool_, devices, float16, float32, float64, get_default_device, get_default_dtype, int8, int16, int32, int64,
    set_default_device, set_default_dtype, uint8,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops import (
    abs, add, all, any, arange, argmax, argmin, astype, bernoulli_log_prob, broadcast_to, cat, ceil, clip, concatenate,
    copy, cos, cumsum, div, einsum, elu, equal, erf, exp, expand_dims, expm1, eye, flip, floor, full, full_like,
    gelu, getitem, greater, greater_equal, isfinite, isinf, isnan, leaky_relu, less, less_equal, linear, log, log1p,
    log_sigmoid, log_softmax, logsumexp, matmul, max, maximum, mean, min, minimum, mul, neg, norm, not_equal, ones,
    ones_like, pad, pow, prod, relu, reshape, round, sigmoid, sign, silu, sin, softmax, softplus, split, sqrt,
    square, squeeze, stack, std, sub, sum, sum_to, swapaxes, take_along_axis, tanh, to_device, transpose, var,
    where, zeros, zeros_like,
)
from .random import manual_seed, rand, randn
from .serialization import load, save

importlib.import_module("minigrad.autograd.functional")   # mg.autograd.functional: vjp, jvp, hvp, jacobian, ...


def __getattr__(name):
    """mg.testing, imported on first use: it needs hypothesis, a test extra (PEP 562)."""
    if name == "testing":
        return importlib.import_module("minigrad.testing")
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")


__all__ = ["Tensor", "tensor", "autograd", "backend", "random", "AnomalyError", "detect_anomaly", "enable_grad",
           "is_grad_enabled", "no_grad", "bool_", "devices", "float16", "float32", "float64", "get_default_device",
           "get_default_dtype", "int8", "int16", "int32", "int64", "set_default_device", "set_default_dtype",
           "uint8", "GradcheckError", "gradcheck", "gradgradcheck", "abs", "add", "all", "any", "arange", "argmax",
           "argmin", "astype", "bernoulli_log_prob", "broadcast_to", "ceil", "clip", "concatenate", "copy", "cos",
           "cumsum", "div", "einsum", "elu", "equal", "erf", "exp", "expand_dims", "expm1", "eye", "flip", "floor",
           "full", "full_like", "gelu", "getitem", "greater", "greater_equal", "isfinite", "isinf", "isnan",
           "leaky_relu", "less", "less_equal", "linear", "log", "log1p", "log_sigmoid", "log_softmax", "logsumexp",
           "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg", "norm", "not_equal", "ones",
           "ones_like", "pad", "pow", "prod", "relu", "reshape", "round", "sigmoid", "sign", "silu", "sin",
           "softmax", "softplus", "split", "sqrt", "square", "squeeze", "stack", "std", "sub", "sum", "sum_to",
           "swapaxes", "take_along_axis", "tanh", "to_device", "transpose", "var", "where", "zeros", "zeros_like",
           "load", "save", "distributions", "estimators", "linalg", "data", "models", "nn", "optim", "viz",
           "utils", "cat", "from_numpy", "manual_seed", "rand", "randn"]
