"""Property tests for ops, yours included: hypothesis strategies and a one-call check.

minigrad's own op tests draw their inputs from the strategies here, and they are
public so that a new primitive can be tested the same way: over many drawn shapes and
values, its forward against NumPy, its first derivatives against finite differences
(:func:`minigrad.gradcheck`), and its second derivatives too (:func:`minigrad.gradgradcheck`).

Test your own op in a few lines
-------------------------------
A primitive is its forward and its vjp side by side (see ``minigrad/autograd/__init__.py``).
Here is x^3, written as a user would, and its whole test::

    import numpy as np
    import pytest
    from hypothesis import given
    from hypothesis import strategies as st

    import minigrad as mg
    import minigrad.testing as mgt


    def cube(x):   # x^3.   d/dx = 3 x^2, written with minigrad ops so that it can be differentiated again
        return mg.autograd.apply("cube", x.data ** 3, (x, lambda g, out: g * 3.0 * x * x))


    @given(x=mgt.tensors(elements=mgt.floats(-3.0, 3.0)))
    def test_cube(x):
        mgt.check_op(cube, lambda a: a ** 3, x)


    @pytest.mark.parametrize("device", mg.devices())
    @given(data=st.data(), dtype=mgt.float_dtypes)
    def test_cube_on_every_device_in_float32_and_float64(device, dtype, data):
        x = data.draw(mgt.tensors(elements=mgt.floats(-3.0, 3.0), dtype=dtype, device=device))
        mgt.check_op(cube, lambda a: a ** 3, x)


    @given(xy=mgt.broadcastable_tensors((mgt.floats(), mgt.floats(0.5, 3.0))))
    def test_div_of_broadcastable_shapes(xy):
        mgt.check_op(mg.div, np.divide, *xy)

``check_op`` runs four checks in turn and stops at the first that fails, with a message
that starts ``check_op(cube): <the check>``: the forward against the NumPy
``reference`` run on host copies of the inputs; one backward pass in the inputs' own
dtype and device; ``mg.gradcheck``; and ``mg.gradgradcheck`` (``second_order=False``
leaves it out, for an op whose vjp is not written with minigrad ops). A vjp that forgets
the factor 3 fails the gradcheck; one computed from raw arrays, as
``g * mg.tensor(3 * x.data ** 2)``, passes it and fails the gradgradcheck.

There is on purpose no factory that writes the test function for you: with the test
written out, its body says what is drawn and what is checked.

Shapes and values
-----------------
Shapes are small: ``gradcheck`` runs two forward passes per input element, and
``gradgradcheck`` two backward passes. Three axes of length up to 3 (27 elements)
already cover 0-d, 1-d and n-d tensors and every broadcasting pattern.

Values are drawn inside the op's domain (``floats(0.1, 10.0)`` for log). Where an op has
a kink (abs at 0, max where two elements tie) finite differences are meaningless, so
the values keep away from it: ``away_from_zero`` for abs and relu, and ``grid`` for
max/min, whose distinct values lie at least one step apart.

hypothesis is a test extra, not a dependency of minigrad: ``import minigrad`` never
imports it, and importing this module without it says what to install.
"""
import numpy as np

from . import autograd
from .backend import get_default_device
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops import ones_like
from .tensor import Tensor, tensor

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as error:
    raise ImportError('minigrad.testing needs hypothesis, a test extra that is not installed: '
                      'pip install hypothesis (or pip install "minigrad[test]")') from error

__all__ = ["TOLERANCE", "float_dtypes", "shapes", "floats", "away_from_zero", "grid", "arrays",
           "broadcastable_arrays", "axes", "arrays_and_axes", "tensors", "broadcastable_tensors", "check_op"]

# Forward results are compared with NumPy to these tolerances, by dtype.
TOLERANCE = {np.dtype(np.float32): dict(rtol=1e-5, atol=1e-6),
             np.dtype(np.float64): dict(rtol=1e-10, atol=1e-12)}

float_dtypes = st.sampled_from([np.float32, np.float64])


# ---------------------------------------------------------------- shapes and values

def shapes(min_dims=0, max_dims=3, max_side=3):
    """Array shapes from ``min_dims`` up to ``max_dims`` axes, each of length 1 to ``max_side``."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def floats(low=-3.0, high=3.0):
    """Finite floats in [low, high]."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def away_from_zero(low=0.1, high=3.0):
    """Floats with low <= |x| <= high, for ops with a kink at 0."""
    return floats(low, high) | floats(-high, -low)


def grid(low=-3.0, high=3.0, step=0.25, offset=0.0):
    """Values k * step + offset in [low, high]: two different draws are at least ``step`` apart.

    (Exactly so for steps and offsets that binary floats hold exactly, such as 0.25 or 0.5.)
    """
    k_low, k_high = int(np.ceil((low - offset) / step)), int(np.floor((high - offset) / step))
    return st.integers(k_low, k_high).map(lambda k: k * step + offset)


def arrays(shape=None, elements=None, dtype=np.float64, unique=False):
    """NumPy arrays of ``shape`` (a tuple or a strategy for one; default ``shapes()``) with the given elements.

    ``elements`` defaults to ``floats()``.
    """
    shape = shapes() if shape is None else shape
    elements = floats() if elements is None else elements
    return hnp.arrays(dtype, shape, elements=elements, unique=unique)


@st.composite
def broadcastable_arrays(draw, elements=None, dtypes=None, max_dims=3, max_side=3):
    """One array per entry of ``elements`` (default two of ``floats()``), with mutually broadcastable shapes.

    The arrays are float64 unless ``dtypes`` (one per array) says otherwise.
    """
    elements = (floats(), floats()) if elements is None else elements
    drawn = draw(hnp.mutually_broadcastable_shapes(num_shapes=len(elements), min_dims=0, max_dims=max_dims,
                                                   max_side=max_side))
    dtypes = dtypes or [np.float64] * len(elements)
    return tuple(draw(arrays(shape, values, dtype))
                 for shape, values, dtype in zip(drawn.input_shapes, elements, dtypes))


def axes(ndim):
    """NumPy's ``axis`` argument for a tensor of ``ndim`` axes: None, an int or a tuple, negatives included."""
    one_axis = st.integers(-ndim, ndim - 1)
    some_axes = st.lists(one_axis, max_size=ndim, unique_by=lambda a: a % ndim).map(tuple)
    return st.none() | one_axis | some_axes if ndim else st.none() | st.just(())


@st.composite
def arrays_and_axes(draw, elements=None, unique=False, max_dims=3, max_side=3):
    """An array (elements default ``floats()``), an ``axis`` argument that fits it, and ``keepdims``."""
    x = draw(arrays(shapes(max_dims=max_dims, max_side=max_side), elements, unique=unique))
    return x, draw(axes(x.ndim)), draw(st.booleans())


# ---------------------------------------------------------------- tensors

def _as_tensor(draw, array, dtype, device, requires_grad):
    """A leaf tensor of ``array`` cast to ``dtype`` on ``device`` (None: the default device, at draw time)."""
    dtype = np.dtype(draw(dtype) if isinstance(dtype, st.SearchStrategy) else dtype)
    return tensor(array.astype(dtype), dtype=dtype, device=get_default_device() if device is None else device,
                  requires_grad=requires_grad and dtype.kind in "fc")   # only floating tensors have gradients


@st.composite
def tensors(draw, shape=None, elements=None, dtype=np.float64, device=None, requires_grad=True):
    """minigrad tensors of ``shape`` (a tuple or a strategy; default ``shapes()``) with values from ``elements``.

    ``elements`` (default ``floats()``) keeps the values in the op's domain. The values are
    drawn in float64 and then rounded to ``dtype`` (a dtype, or a strategy such as
    ``float_dtypes``); rounding keeps order, so they lie between the bounds rounded to
    ``dtype`` (float32(3.1) is 3.0999999). ``device`` None means the default device when
    the tensor is drawn. The tensors are leaves; floating ones require grad unless
    ``requires_grad`` is False.
    """
    return _as_tensor(draw, draw(arrays(shape, elements)), dtype, device, requires_grad)


@st.composite
def broadcastable_tensors(draw, elements=None, dtype=np.float64, device=None, requires_grad=True, max_dims=3,
                          max_side=3):
    """Tensors, one per entry of ``elements`` (default two of ``floats()``), of mutually broadcastable shapes.

    They share ``dtype`` (a dtype, or a strategy drawn once for all), ``device`` and
    ``requires_grad``, as for :func:`tensors`.
    """
    dtype = draw(dtype) if isinstance(dtype, st.SearchStrategy) else dtype
    drawn = draw(broadcastable_arrays(elements, max_dims=max_dims, max_side=max_side))
    return tuple(_as_tensor(draw, array, dtype, device, requires_grad) for array in drawn)


# ---------------------------------------------------------------- the one-call check

def check_op(op, reference, *inputs, second_order=True, rtol=None, atol=None, eps=1e-6, grad_atol=1e-5,
             grad_rtol=1e-3):
    """Check ``op`` at the tensors ``inputs``: its forward against NumPy, then its first and second derivatives.

    ``op`` maps the tensors to a tensor (or a tuple of them); ``reference`` is the same
    function on NumPy arrays. Other arguments of the op (a number, an axis) go into a
    lambda: ``check_op(lambda x: mg.sum(x, axis=0), lambda a: a.sum(axis=0), x)``.
    The checks, in order:

    1. forward: ``op(*inputs)`` has the shape and dtype of ``reference`` run on the host
       copies ``x.numpy()``, equal values to ``rtol``/``atol`` (default: ``TOLERANCE`` of
       its dtype), and sits on the inputs' device;
    2. backward: one backward pass in the inputs' own dtype and device gives each input
       that requires grad a gradient of its shape, dtype and device;
    3. gradcheck: the vjps equal central finite differences in float64 (``mg.gradcheck``
       with ``eps``, ``grad_atol``, ``grad_rtol``);
    4. gradgradcheck, if ``second_order``: so do the vjps of the vjps (``mg.gradgradcheck``).

    Returns True; raises AssertionError at the first failing check (GradcheckError, a
    subclass, for 3 and 4), with a message that starts ``check_op(<op>): <check>``.
    """
    name = f"check_op({getattr(op, '__name__', repr(op))})"
    if not inputs:
        raise TypeError(f"{name}: no inputs to check")
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: input {i} must be a Tensor, got {type(x).__name__}; pass other "
                            "arguments of the op inside a lambda")
    if not any(x.requires_grad for x in inputs):
        raise ValueError(f"{name}: no input requires grad; create the inputs to check with requires_grad=True")
    outputs = _check_forward(name, op, reference, inputs, rtol, atol)
    _check_backward(name, inputs, outputs)
    checks = [("gradcheck (first derivatives)", gradcheck)]
    if second_order:
        checks.append(("gradgradcheck (second derivatives)", gradgradcheck))
    for check, function in checks:   # both in float64, against central differences
        try:
            function(op, list(inputs), eps=eps, atol=grad_atol, rtol=grad_rtol)
        except GradcheckError as e:
            raise GradcheckError(f"{name}: {check} failed: {e}") from None
        except Exception as e:   # e.g. a vjp that cannot be differentiated again says so
            raise AssertionError(f"{name}: {check}: {type(e).__name__}: {e}") from e
    return True


def _check_forward(name, op, reference, inputs, rtol, atol):
    """Check 1: op(*inputs) against reference(*host copies); returns the op's outputs as a tuple."""
    device = inputs[0].device
    try:
        outputs = _as_tuple(op(*inputs))
    except Exception as e:
        raise AssertionError(f"{name}: forward: the op raised {type(e).__name__}: {e}") from e
    expected = _as_tuple(reference(*(x.numpy() for x in inputs)))
    if len(outputs) != len(expected):
        raise AssertionError(f"{name}: forward: the op gives {len(outputs)} outputs, the reference {len(expected)}")
    for k, (out, want) in enumerate(zip(outputs, expected)):
        where = f"output {k}" if len(outputs) > 1 else "the output"
        want = np.asarray(want)
        if not isinstance(out, Tensor):
            raise AssertionError(f"{name}: forward: {where} is a {type(out).__name__}, not a Tensor")
        if out.shape != want.shape or out.dtype != want.dtype or out.device != device:
            raise AssertionError(f"{name}: forward: {where} has shape {out.shape}, dtype {out.dtype} on "
                                 f"{out.device!r}; the reference has shape {want.shape}, dtype {want.dtype}, "
                                 f"and the inputs are on {device!r}")
        tolerance = dict(TOLERANCE.get(np.dtype(out.dtype), dict(rtol=0.0, atol=0.0)))   # exact for non-floats
        tolerance.update({key: value for key, value in (("rtol", rtol), ("atol", atol)) if value is not None})
        try:
            np.testing.assert_allclose(out.numpy(), want, **tolerance)
        except AssertionError as e:
            raise AssertionError(f"{name}: forward: {where} disagrees with the reference\n{e}") from None
    return outputs


def _check_backward(name, inputs, outputs):
    """Check 2: one backward pass, in the inputs' own dtype and device, gives gradients shaped as the inputs."""
    wrt = [x for x in inputs if x.requires_grad]
    if any(not out.requires_grad for out in outputs):
        raise AssertionError(f"{name}: backward: an output does not require grad although an input does: "
                             "did the op record its inputs with mg.autograd.apply?")
    try:
        grads = autograd.grad(list(outputs), wrt, grad_outputs=[ones_like(out) for out in outputs],
                              materialize_grads=True)
    except Exception as e:   # a vjp that forgot sum_to, or mixed host arrays into a device's
        raise AssertionError(f"{name}: backward: the vjps raised {type(e).__name__}: {e}") from e
    for x, gx in zip(wrt, grads):
        if (gx.shape, gx.dtype, gx.device) != (x.shape, x.dtype, x.device):
            i = next(i for i, y in enumerate(inputs) if y is x)
            raise AssertionError(f"{name}: backward: the gradient of input {i} has shape {gx.shape}, dtype "
                                 f"{gx.dtype} on {gx.device!r}; the input has shape {x.shape}, dtype {x.dtype} "
                                 f"on {x.device!r}")


def _as_tuple(values):
    return tuple(values) if isinstance(values, (tuple, list)) else (values,)
