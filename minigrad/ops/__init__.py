"""The primitives and composites of minigrad, by chapter:

- ``shape``: broadcasting and its adjoint ``sum_to``, reshapes, flips, splits, padding,
  indexing, devices;
- ``arithmetic``: + - * / ** @;
- ``contraction``: einsum, whose vjp is another einsum;
- ``elementwise``: exp, log, erf, activations, maximum/minimum/clip/where, and the
  functions with no gradient: sign/floor/ceil/round, isnan/isinf/isfinite, comparisons;
- ``reductions``: sum, mean, var, std, norm, prod, max, min, argmax, argmin, any, all,
  logsumexp, softmax, log_softmax, cumsum;
- ``convolution``: im2col and its adjoint col2im, conv2d, conv_transpose2d, max/avg pooling;
- ``creation``: zeros, ones, full, arange, eye;
- ``fused``: linear, bernoulli_log_prob, kl_to_standard_normal: composites done as one op
  for speed, each beside the composite it replaces.
"""
from .arithmetic import add, div, matmul, mul, neg, pow, sub
from .common import as_tensor
from .contraction import einsum
from .convolution import avg_pool2d, col2im, conv2d, conv_transpose2d, im2col, max_pool2d
from .creation import arange, eye, full, full_like, ones, ones_like, zeros, zeros_like
from .elementwise import (abs, ceil, clip, cos, elu, equal, erf, exp, expm1, floor, gelu, greater, greater_equal,
                          isfinite, isinf, isnan, leaky_relu, less, less_equal, log, log1p, log_sigmoid, maximum,
                          minimum, not_equal, relu, round, sigmoid, sign, silu, sin, softplus, sqrt, square, tanh,
                          where)
from .fused import bernoulli_log_prob, kl_to_standard_normal, linear
from .reductions import (all, any, argmax, argmin, cumsum, log_softmax, logsumexp, max, mean, min, norm, prod,
                         softmax, std, sum, var)
from .shape import (astype, broadcast_to, cat, concatenate, copy, expand_dims, flip, getitem, index_data, pad,
                    reshape, scatter_add, split, squeeze, stack, sum_to, swapaxes, take_along_axis, to_device,
                    transpose)

__all__ = ["avg_pool2d", "col2im", "conv2d", "conv_transpose2d", "im2col", "max_pool2d", "add", "div", "matmul",
           "mul", "neg", "pow", "sub", "as_tensor", "einsum", "arange", "eye", "full", "full_like", "ones",
           "ones_like", "zeros", "zeros_like", "abs", "ceil", "clip", "cos", "elu", "equal", "erf", "exp", "expm1",
           "floor", "gelu", "greater", "greater_equal", "isfinite", "isinf", "isnan", "leaky_relu", "less",
           "less_equal", "log", "log1p", "log_sigmoid", "maximum", "minimum", "not_equal", "relu", "round",
           "sigmoid", "sign", "silu", "sin", "softplus", "sqrt", "square", "tanh", "where", "bernoulli_log_prob",
           "kl_to_standard_normal", "linear", "all", "any", "argmax", "argmin", "cumsum", "log_softmax",
           "logsumexp", "max", "mean", "min", "norm", "prod", "softmax", "std", "sum", "var", "astype",
           "broadcast_to", "concatenate", "copy", "expand_dims", "flip", "getitem", "index_data", "pad", "reshape",
           "scatter_add", "split", "squeeze", "stack", "sum_to", "swapaxes", "take_along_axis", "to_device",
           "transpose",
           "cat"]
