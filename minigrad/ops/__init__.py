"""The primitives and composites of minigrad, by chapter:

- ``shape``: broadcasting and its adjoint ``sum_to``, reshapes, flips, splits, padding,
  indexing, devices;
- ``arithmetic``: + - * / ** @;
- ``einsum``: einsum, whose vjp is another einsum;
- ``elementwise``: exp, log, erf, activations, maximum/minimum/clip/where, and the
  functions with no gradient: sign/floor/ceil/round, isnan/isinf/isfinite, comparisons;
- ``reductions``: sum, mean, var, std, norm, prod, max, min, argmax, argmin, any, all,
  logsumexp, softmax, log_softmax, cumsum;
- ``convolution``: im2col and its adjoint col2im, conv2d, conv_transpose2d, max/avg pooling;
- ``creation``: zeros, ones, full, arange, eye;
- ``fused``: linear, bernoulli_log_prob, kl_to_standard_normal: composites done as one op
  for speed, each beside the composite it replaces;
- ``linalg``: tril, triu, diagonal, solve_triangular (public as ``mg.linalg``, as
  ``numpy.linalg``);

and ``operands``, what every op does before it computes: numbers become tensors, operands
meet on one device and dtype, axes are normalized.

What is exported. ``__all__`` lists every op and helper of the package. The array
operations among them are exported again at the top level (``mg.exp``, as ``numpy.exp``);
``NOT_AT_TOP_LEVEL`` names the others and says where each is reached instead, and
tests/test_engine.py checks that ``mg.__all__`` holds exactly the rest.
"""
from .arithmetic import add, div, matmul, mul, neg, pow, sub
from .convolution import avg_pool2d, col2im, conv2d, conv_transpose2d, im2col, max_pool2d
from .creation import arange, eye, full, full_like, ones, ones_like, zeros, zeros_like
from .einsum import einsum
from .elementwise import (abs, ceil, clip, cos, elu, equal, erf, exp, expm1, floor, gelu, greater, greater_equal,
                          isfinite, isinf, isnan, leaky_relu, less, less_equal, log, log1p, log_sigmoid, maximum,
                          minimum, not_equal, relu, round, sigmoid, sign, silu, sin, softplus, sqrt, square, tanh,
                          where)
from .fused import bernoulli_log_prob, kl_to_standard_normal, linear
from .operands import as_tensor
from .reductions import (all, any, argmax, argmin, cumsum, log_softmax, logsumexp, max, mean, min, norm, prod,
                         softmax, std, sum, var)
from .shape import (astype, broadcast_to, cat, concatenate, copy, expand_dims, flip, getitem, index_data, pad,
                    reshape, scatter_add, split, squeeze, stack, sum_to, swapaxes, take_along_axis, to_device,
                    transpose)

from . import linalg  # noqa: F401  (the submodule: mg.ops.linalg, public as mg.linalg)

__all__ = [
    # arithmetic and einsum
    "add", "sub", "mul", "div", "pow", "neg", "matmul", "einsum",
    # elementwise
    "abs", "ceil", "clip", "cos", "elu", "equal", "erf", "exp", "expm1", "floor", "gelu", "greater", "greater_equal",
    "isfinite", "isinf", "isnan", "leaky_relu", "less", "less_equal", "log", "log1p", "log_sigmoid", "maximum",
    "minimum", "not_equal", "relu", "round", "sigmoid", "sign", "silu", "sin", "softplus", "sqrt", "square", "tanh",
    "where",
    # reductions
    "all", "any", "argmax", "argmin", "cumsum", "log_softmax", "logsumexp", "max", "mean", "min", "norm", "prod",
    "softmax", "std", "sum", "var",
    # shapes, indexing, devices
    "astype", "broadcast_to", "cat", "concatenate", "copy", "expand_dims", "flip", "getitem", "pad", "reshape",
    "split", "squeeze", "stack", "sum_to", "swapaxes", "take_along_axis", "to_device", "transpose",
    # creation
    "arange", "eye", "full", "full_like", "ones", "ones_like", "zeros", "zeros_like",
    # fused
    "bernoulli_log_prob", "kl_to_standard_normal", "linear",
    # convolution
    "avg_pool2d", "col2im", "conv2d", "conv_transpose2d", "im2col", "max_pool2d",
    # helpers
    "as_tensor", "index_data", "scatter_add",
]

# The names of __all__ that are not exported as mg.<name>, and where each is reached instead.
NOT_AT_TOP_LEVEL = {
    "as_tensor": "a helper of the ops (ops/operands.py): a number or list as a tensor beside another",
    "index_data": "a helper of getitem and setitem: an index with tensors in it, as the backend's index",
    "scatter_add": "the adjoint of getitem (its vjp), not an operation a model calls",
    "im2col": "the patches of a convolution, on which conv2d is built (mg.ops.im2col)",
    "col2im": "the adjoint of im2col (mg.ops.col2im)",
    "conv2d": "a layer's function: mg.nn.functional.conv2d, where PyTorch has it",
    "conv_transpose2d": "a layer's function: mg.nn.functional.conv_transpose2d, where PyTorch has it",
    "max_pool2d": "a layer's function: mg.nn.functional.max_pool2d, where PyTorch has it",
    "avg_pool2d": "a layer's function: mg.nn.functional.avg_pool2d, where PyTorch has it",
    "kl_to_standard_normal": "the VAE's fused KL term (mg.ops.kl_to_standard_normal); "
                             "mg.distributions.kl_divergence is the general one",
}
