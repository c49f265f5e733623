"""Checking gradients against finite differences.

For f: R^n -> R^m and a random cotangent u in R^m, reverse mode gives the vector
u^T J (one backward pass). Each of its entries is a directional derivative of the
scalar u . f(x), which central differences estimate to O(eps^2):

    d/dx_j (u . f(x))  ~  (u . f(x + eps e_j) - u . f(x - eps e_j)) / (2 eps)

Both sides are computed in float64, element by element, so a failure can name the
input, the element and the two values. ``gradgradcheck`` applies the same test to the
function (x, u) -> u^T J(x), which checks second derivatives: Hessian-vector products
(through x) and the vjp of the vjp (through u).
"""
import numpy

from . import autograd, backend
from .tensor import Tensor


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with finite differences."""


def _as_tuple(values):
    return tuple(values) if isinstance(values, (tuple, list)) else (values,)


def _float64_copies(inputs):
    copies = []
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"gradcheck: input {i} must be a Tensor, got {type(x).__name__}")
        copies.append(Tensor(x.data.astype(numpy.float64), requires_grad=x.requires_grad))
    if not any(x.requires_grad for x in copies):
        raise ValueError("gradcheck: no input requires grad; mark the inputs to check with requires_grad=True")
    return copies


def _random_like(outputs, seed):
    """Fixed random cotangents, one per output, on the outputs' devices, in float64."""
    rng = backend.host_generator(seed)
    return [Tensor(backend.to_device(rng.standard_normal(out.shape), out.device)) for out in outputs]


def _dot(outputs, cotangents):
    """sum_k <u_k, out_k> as a Python float."""
    return sum(float((out.data.astype(numpy.float64) * u.data).sum()) for out, u in zip(outputs, cotangents))


def gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check the vjps of ``f`` at ``inputs`` (the ones with requires_grad=True) by central differences.

    ``f`` maps tensors to a tensor or a tuple of tensors. Inputs are converted to
    float64 first. Returns True, or raises :class:`GradcheckError` naming the input,
    the worst element and both values.
    """
    xs = _float64_copies(_as_tuple(inputs))
    return _check(f, xs, [f"input {i}" for i in range(len(xs))], eps, atol, rtol, seed)


def _check(f, xs, names, eps, atol, rtol, seed):
    """gradcheck of f at the float64 leaves xs, naming xs[i] ``names[i]`` in a failure."""
    outputs = _as_tuple(f(*xs))
    us = _random_like(outputs, seed)
    checked = [i for i, x in enumerate(xs) if x.requires_grad]
    analytic = autograd.grad(list(outputs), [xs[i] for i in checked], grad_outputs=us, materialize_grads=True)
    for i, a in zip(checked, analytic):
        x = xs[i]
        if a.shape != x.shape:
            raise GradcheckError(f"gradcheck: the gradient of {names[i]} has shape {a.shape}, the input {x.shape}")
        numeric = numpy.zeros(x.shape)
        for j in numpy.ndindex(*x.shape):
            values = []
            for step in (eps, -eps):
                data = x.data.copy()
                data[j] += step
                moved = [Tensor(data, requires_grad=True) if k == i else xk for k, xk in enumerate(xs)]
                values.append(_dot(_as_tuple(f(*moved)), us))
            numeric[j] = (values[0] - values[1]) / (2 * eps)
        _compare(names[i], x.shape, a.numpy().astype(numpy.float64), numeric, atol, rtol)
    return True


def _compare(name, shape, analytic, numeric, atol, rtol):
    excess = numpy.abs(analytic - numeric) - (atol + rtol * numpy.abs(numeric))
    bad = ~(excess <= 0)   # NaN counts as a failure
    if bad.any():
        j = numpy.unravel_index(numpy.argmax(numpy.where(numpy.isnan(excess), numpy.inf, excess)), shape)
        raise GradcheckError(
            f"gradcheck: {name} (shape {shape}): the analytic gradient disagrees with finite differences "
            f"at {int(bad.sum())} of {bad.size} elements; worst at index {tuple(int(k) for k in j)}: "
            f"analytic {_number(analytic[j])}, numeric {_number(numeric[j])} (tolerance atol + rtol*|numeric| = "
            f"{float(atol + rtol * abs(numeric[j])):.3g})")


def _number(value):
    """A plain number for a message: ``0.761594``, never NumPy 2's ``np.float64(0.761594...)``."""
    return f"{float(value):.8g}"


def gradgradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check second derivatives: gradcheck of (x, u) -> u^T J_f(x), a vjp taken with create_graph=True.

    The cotangent u is an input of the checked function too, as in PyTorch's
    gradgradcheck, so both ways a vjp can go wrong to second order are seen:

    - its dependence on x (the Hessian-vector products: d/dx of u^T J(x));
    - its dependence on u, the vjp of the vjp (d/du of u^T J(x) is J(x), applied to a
      random direction): for an op linear in x (sum, mean, reshape, pad) the first is
      zero, and this is the only second-order path; a vjp that gives the right values
      for every u but is built from an op with a wrong vjp of its own fails here.

    A failure names the input (``input i``) or the cotangent of an output (``cotangent of
    output k``).
    """
    xs = _float64_copies(_as_tuple(inputs))
    outputs = _as_tuple(f(*xs))
    us = [Tensor(u.data, requires_grad=True) for u in _random_like(outputs, seed + 1)]
    n = len(xs)

    def first_derivatives(*args):
        inputs, cotangents = args[:n], args[n:]
        wrt = [a for a in inputs if a.requires_grad]
        return autograd.grad(list(_as_tuple(f(*inputs))), wrt, grad_outputs=list(cotangents), create_graph=True,
                             materialize_grads=True)

    names = [f"input {i}" for i in range(n)] + [f"cotangent of output {k}" for k in range(len(us))]
    return _check(first_derivatives, xs + us, names, eps, atol, rtol, seed)
