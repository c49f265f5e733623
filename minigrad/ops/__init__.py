"""The primitives and composites of minigrad, by chapter:

- ``shape``: broadcasting and its adjoint ``sum_to``, reshapes, indexing, devices;
- ``arithmetic``: + - * / ** @;
- ``elementwise``: exp, log, activations, maximum/minimum/clip/where, comparisons;
- ``reductions``: sum, mean, var, max, min, logsumexp, softmax, log_softmax;
- ``creation``: zeros, ones, full, arange, eye;
- ``fused``: linear, bernoulli_log_prob, kl_to_standard_normal: composites done as one op
  for speed, each beside the composite it replaces.
"""
from .arithmetic import add, div, matmul, mul, neg, pow, sub
from .common import as_tensor
from .creation import arange, eye, full, full_like, ones, ones_like, zeros, zeros_like
from .elementwise import (abs, clip, cos, equal, exp, expm1, greater, greater_equal,
                          leaky_relu, less, less_equal, log, log1p, log_sigmoid, maximum, minimum, not_equal,
                          relu, sigmoid, sin, softplus, sqrt, tanh, where)
from .fused import bernoulli_log_prob, kl_to_standard_normal, linear
from .reductions import log_softmax, logsumexp, max, mean, min, softmax, sum, var
from .shape import (astype, broadcast_to, concatenate, expand_dims, getitem, index_data, reshape, scatter_add, squeeze,
                    stack, sum_to, swapaxes, to_device, transpose)

__all__ = ["add", "div", "matmul", "mul", "neg", "pow", "sub", "as_tensor", "arange", "eye", "full", "full_like",
           "ones", "ones_like", "zeros", "zeros_like", "abs", "clip", "cos", "equal", "exp", "expm1", "greater",
           "greater_equal", "leaky_relu", "less", "less_equal", "log", "log1p", "log_sigmoid", "maximum",
           "minimum", "not_equal", "relu", "sigmoid", "sin", "softplus", "sqrt", "tanh", "where",
           "bernoulli_log_prob", "kl_to_standard_normal", "linear", "log_softmax", "logsumexp", "max", "mean",
           "min", "softmax", "sum", "var", "astype", "broadcast_to", "concatenate", "expand_dims", "getitem",
           "index_data", "reshape", "scatter_add", "squeeze", "stack", "sum_to", "swapaxes", "to_device",
           "transpose"]
