"""The Tensor: an array of the backend plus what reverse mode needs to differentiate it.

A tensor holds ``data`` (a NumPy or CuPy array), ``requires_grad``, ``grad`` and, when
it is the output of a recorded op, the op's name and its edges: one ``(input, vjp)``
pair per input (see :mod:`minigrad.autograd`). Methods here are thin: each one calls
the function of the same name in :mod:`minigrad.ops`, where the maths lives.

The class reads in six parts: its state (the array and the tape's fields), ``backward``,
the operators and methods that call the ops, conversions to Python numbers and other
devices, in-place changes, and NumPy interop (``numpy.asarray(t)``, ``numpy.exp(t)``).
"""
import numpy

from . import backend
from .pytorch_keywords import refuse_pytorch_keywords

# the public names, those of the API page; check_differentiable_dtype is a helper of the package
__all__ = ["Tensor", "ElementCount", "from_numpy", "tensor"]


class Tensor:
    """An n-dimensional array of the backend (NumPy or CuPy) that records how it was computed.

    Make one with :func:`tensor` (``mg.tensor([1.0, 2.0], requires_grad=True)``) or an op such
    as ``mg.zeros``; ``Tensor(array)`` wraps an existing backend array without copying. A tensor
    made by an op from inputs that require grad remembers the op and one vjp per input, so
    :meth:`backward` can run the chain rule back to the leaves and fill their ``.grad``.

    The array attributes (``shape``, ``ndim``, ``size``, ``dtype``) and the methods that compute
    (``x.sum(axis)``) keep NumPy's names and meanings; the autodiff ones (``requires_grad``,
    ``grad``, ``backward``, ``detach``, ``no_grad``) keep PyTorch's.
    """
    # ============================================ state: the array and what the tape keeps about it
    __slots__ = ("_data", "_changed_at", "_requires_grad", "grad", "_edges", "_op", "_recorded_at", "_trace",
                 "_note", "__weakref__")

    def __init__(self, data, requires_grad=False):
        try:
            if not data.ndim:
                data = backend.as_array0d(data)
        except AttributeError:
            raise TypeError(f"Tensor({type(data).__name__}): the class wraps an array of the backend; to make a "
                            "tensor from numbers or a list, call mg.tensor(data), as torch.tensor") from None
        self._data = data
        self._changed_at = 0     # when its values were last overwritten; see autograd.changed_in_place
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True   # through the setter, which checks the dtype
        self.grad = None
        self._edges = None       # None for a leaf; ((input, vjp), ...) for a recorded op's output
        self._op = None
        self._recorded_at = 0    # the tape's clock when the op that made it was recorded
        self._trace = None       # where the op was called, kept by detect_anomaly()
        self._note = None        # a short text for pictures of the graph: what this tensor is (read by mg.viz)

    @property
    def requires_grad(self):
        """Whether gradients are computed for this tensor. Only floating tensors can require grad."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, requires_grad):
        if requires_grad:
            check_differentiable_dtype(self._data.dtype, "requires_grad")
        self._requires_grad = bool(requires_grad)

    @property
    def data(self):
        """The backend array (NumPy or CuPy) holding the values."""
        return self._data

    @data.setter
    def data(self, array):
        # Assigning - including `t.data -= lr * g`, which Python turns into an assignment -
        # counts as an in-place change: a graph that saved this tensor can no longer use it.
        if array.shape != self._data.shape:
            raise ValueError(f"data: cannot assign an array of shape {array.shape} to a tensor of shape "
                             f"{self.shape}; make a new tensor instead")
        self._data = array
        autograd.changed_in_place(self)

    @property
    def shape(self):
        """The length of each axis, a tuple of ints (NumPy's shape; PyTorch's ``x.size()``)."""
        return self._data.shape

    @property
    def ndim(self):
        """The number of axes, ``len(x.shape)``."""
        return self._data.ndim

    @property
    def size(self):
        """The number of elements (NumPy's size), an int; PyTorch's ``x.size(0)`` is ``x.shape[0]`` here."""
        return ElementCount(self._data.size, self.shape)

    @property
    def dtype(self):
        """The dtype of the values, a ``numpy.dtype`` (``mg.float32``, ``mg.int64``, ...)."""
        return self._data.dtype

    @property
    def device(self):
        """The name of the device holding the values: "cpu" or "cuda"."""
        return backend.device_of(self._data).name

    @property
    def xp(self):
        """The array module of ``.data``: numpy on the CPU, cupy on a GPU."""
        return backend.device_of(self._data).xp

    @property
    def is_leaf(self):
        """True for a tensor no recorded op made (its ``.grad`` is filled by backward), False for an op's output."""
        return self._edges is None

    def __repr__(self):
        extra = f", grad_fn={self._op}" if self._op else (", requires_grad=True" if self.requires_grad else "")
        device = "" if self.device == "cpu" else f", device={self.device!r}"
        body = numpy.array2string(self.numpy(), separator=", ", prefix="tensor(")
        return f"tensor({body}{device}{extra})"

    def __len__(self):
        if not self.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def requires_grad_(self, requires_grad=True):
        """Set :attr:`requires_grad` in place and return this tensor: ``w = mg.zeros(3).requires_grad_()``."""
        if requires_grad:
            check_differentiable_dtype(self.dtype, "requires_grad_")
        self.requires_grad = requires_grad
        return self

    # ============================================ backward: gradients of this tensor (minigrad.autograd)
    def backward(self, grad=None, retain_graph=False, create_graph=False):
        """Accumulate the gradient of this tensor into the ``.grad`` of every leaf it depends on."""
        autograd.backward(self, grad, retain_graph, create_graph)

    def detach(self):
        """The same values, cut from the graph (shares data, like PyTorch)."""
        cut = Tensor(self._data)
        cut._note = "detached"   # for mg.viz: the graph stops here
        return cut

    # ============================================ operators: each calls the op of the same name in minigrad.ops
    # ---------------------------------------------------------------- arithmetic and comparisons
    def __add__(self, other): return ops.add(self, other)
    def __radd__(self, other): return ops.add(other, self)
    def __sub__(self, other): return ops.sub(self, other)
    def __rsub__(self, other): return ops.sub(other, self)
    def __mul__(self, other): return ops.mul(self, other)
    def __rmul__(self, other): return ops.mul(other, self)
    def __truediv__(self, other): return ops.div(self, other)
    def __rtruediv__(self, other): return ops.div(other, self)
    def __pow__(self, other): return ops.pow(self, other)
    def __rpow__(self, other): return ops.pow(other, self)
    def __matmul__(self, other): return ops.matmul(self, other)
    def __rmatmul__(self, other): return ops.matmul(other, self)
    def __neg__(self): return ops.neg(self)
    def __abs__(self): return ops.abs(self)

    # comparisons give boolean tensors and no gradient
    def __lt__(self, other): return ops.less(self, other)
    def __le__(self, other): return ops.less_equal(self, other)
    def __gt__(self, other): return ops.greater(self, other)
    def __ge__(self, other): return ops.greater_equal(self, other)
    def __eq__(self, other): return ops.equal(self, other)
    def __ne__(self, other): return ops.not_equal(self, other)

    def __getitem__(self, index): return ops.getitem(self, index)

    # ---------------------------------------------------------------- elementwise functions
    def exp(self):
        """e^x elementwise; see :func:`mg.exp`."""
        return ops.exp(self)
    def log(self):
        """The natural logarithm elementwise; see :func:`mg.log`."""
        return ops.log(self)
    def log1p(self):
        """log(1 + x) elementwise, accurate for small x; see :func:`mg.log1p`."""
        return ops.log1p(self)
    def expm1(self):
        """e^x - 1 elementwise, accurate for small x; see :func:`mg.expm1`."""
        return ops.expm1(self)
    def sqrt(self):
        """The square root elementwise; see :func:`mg.sqrt`."""
        return ops.sqrt(self)
    def sin(self):
        """sin(x) elementwise; see :func:`mg.sin`."""
        return ops.sin(self)
    def cos(self):
        """cos(x) elementwise; see :func:`mg.cos`."""
        return ops.cos(self)
    def tanh(self):
        """tanh(x) elementwise; see :func:`mg.tanh`."""
        return ops.tanh(self)
    def sigmoid(self):
        """1 / (1 + e^-x) elementwise; see :func:`mg.sigmoid`."""
        return ops.sigmoid(self)
    def relu(self):
        """max(x, 0) elementwise; see :func:`mg.relu`."""
        return ops.relu(self)
    def softplus(self):
        """log(1 + e^x) elementwise; see :func:`mg.softplus`."""
        return ops.softplus(self)
    def abs(self):
        """|x| elementwise; see :func:`mg.abs`."""
        return ops.abs(self)
    def square(self):
        """x^2 elementwise; see :func:`mg.square`."""
        return ops.square(self)
    def erf(self):
        """The error function elementwise; see :func:`mg.erf`."""
        return ops.erf(self)
    def clip(self, min=None, max=None):
        """x limited to [min, max] elementwise (PyTorch's clamp); see :func:`mg.clip`."""
        return ops.clip(self, min, max)
    clamp = clip

    # no gradient: constants (see ops/elementwise.py) and boolean tests
    def sign(self):
        """-1, 0 or 1 elementwise, a constant; see :func:`mg.sign`."""
        return ops.sign(self)
    def floor(self):
        """The largest integer <= x elementwise, a constant; see :func:`mg.floor`."""
        return ops.floor(self)
    def ceil(self):
        """The smallest integer >= x elementwise, a constant; see :func:`mg.ceil`."""
        return ops.ceil(self)
    def round(self, decimals=0):
        """x rounded to ``decimals`` decimals elementwise, a constant; see :func:`mg.round`."""
        return ops.round(self, decimals)
    def isnan(self):
        """True where x is NaN (boolean, no gradient); see :func:`mg.isnan`."""
        return ops.isnan(self)
    def isinf(self):
        """True where x is +inf or -inf (boolean, no gradient); see :func:`mg.isinf`."""
        return ops.isinf(self)
    def isfinite(self):
        """True where x is neither infinite nor NaN (boolean, no gradient); see :func:`mg.isfinite`."""
        return ops.isfinite(self)

    # ---------------------------------------------------------------- reductions
    # These methods (and the shape methods below that take an axis) hand **kwargs on to the op,
    # whose decorator refuses PyTorch's dim=/keepdim= with NumPy's names: one check, in the op.
    def sum(self, axis=None, keepdims=False, **kwargs):
        """The sum over ``axis`` (all axes if None); see :func:`mg.sum`."""
        return ops.sum(self, axis, keepdims, **kwargs)
    def mean(self, axis=None, keepdims=False, **kwargs):
        """The mean over ``axis`` (all axes if None); see :func:`mg.mean`."""
        return ops.mean(self, axis, keepdims, **kwargs)
    def var(self, axis=None, keepdims=False, ddof=0, **kwargs):
        """The variance over ``axis``, divided by n - ddof (NumPy's default ddof=0); see :func:`mg.var`."""
        return ops.var(self, axis, keepdims, ddof, **kwargs)
    def std(self, axis=None, keepdims=False, ddof=0, **kwargs):
        """The standard deviation over ``axis``, sqrt of :meth:`var`; see :func:`mg.std`."""
        return ops.std(self, axis, keepdims, ddof, **kwargs)
    def prod(self, axis=None, keepdims=False, **kwargs):
        """The product over ``axis`` (all axes if None); see :func:`mg.prod`."""
        return ops.prod(self, axis, keepdims, **kwargs)
    def norm(self, ord=None, axis=None, keepdims=False, **kwargs):
        """The vector or matrix norm, as numpy.linalg.norm; see :func:`mg.norm`."""
        return ops.norm(self, ord, axis, keepdims, **kwargs)
    def max(self, axis=None, keepdims=False, return_indices=False, **kwargs):
        """The largest value over ``axis``, with its indices if ``return_indices``; see :func:`mg.max`."""
        return ops.max(self, axis, keepdims, return_indices, **kwargs)
    def min(self, axis=None, keepdims=False, return_indices=False, **kwargs):
        """The smallest value over ``axis``, with its indices if ``return_indices``; see :func:`mg.min`."""
        return ops.min(self, axis, keepdims, return_indices, **kwargs)
    def argmax(self, axis=None, keepdims=False, **kwargs):
        """The index of the largest value over ``axis`` (int64, no gradient); see :func:`mg.argmax`."""
        return ops.argmax(self, axis, keepdims, **kwargs)
    def argmin(self, axis=None, keepdims=False, **kwargs):
        """The index of the smallest value over ``axis`` (int64, no gradient); see :func:`mg.argmin`."""
        return ops.argmin(self, axis, keepdims, **kwargs)
    def any(self, axis=None, keepdims=False, **kwargs):
        """Whether any value over ``axis`` is nonzero (boolean); see :func:`mg.any`."""
        return ops.any(self, axis, keepdims, **kwargs)
    def all(self, axis=None, keepdims=False, **kwargs):
        """Whether every value over ``axis`` is nonzero (boolean); see :func:`mg.all`."""
        return ops.all(self, axis, keepdims, **kwargs)
    def cumsum(self, axis=None, **kwargs):
        """The running sum along ``axis`` (of the flattened tensor if None); see :func:`mg.cumsum`."""
        return ops.cumsum(self, axis, **kwargs)
    def logsumexp(self, axis=None, keepdims=False, **kwargs):
        """log(sum(exp(x))) over ``axis``, computed without overflow; see :func:`mg.logsumexp`."""
        return ops.logsumexp(self, axis, keepdims, **kwargs)
    def softmax(self, axis=-1, **kwargs):
        """exp(x) / sum(exp(x)) along ``axis`` (the last by default); see :func:`mg.softmax`."""
        return ops.softmax(self, axis, **kwargs)
    def log_softmax(self, axis=-1, **kwargs):
        """x - logsumexp(x) along ``axis`` (the last by default); see :func:`mg.log_softmax`."""
        return ops.log_softmax(self, axis, **kwargs)

    # ---------------------------------------------------------------- shapes
    def reshape(self, *shape):
        """The same values in a new shape, ``x.reshape(2, 3)`` or ``x.reshape((2, 3))``; see :func:`mg.reshape`."""
        return ops.reshape(self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape)

    def transpose(self, *axes):
        """The axes permuted (reversed if none given), as NumPy's x.transpose; see :func:`mg.transpose`."""
        return ops.transpose(self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else (axes or None))

    def view(self, *shape):
        """PyTorch's name for reshape: ``x.view(-1, 784)`` or ``x.view((-1, 784))``.

        As with PyTorch's view, the result shares memory with x when the layout allows (NumPy's
        reshape returns a view then); where PyTorch's view raises (after a transpose, say), this
        copies, as reshape does. PyTorch's ``x.view(dtype)``, which reads the bytes as another
        dtype, has no counterpart here and is refused.
        """
        if len(shape) == 1 and isinstance(shape[0], (type, numpy.dtype, str)):
            raise TypeError(f"Tensor.view({shape[0]!r}): minigrad's view takes a shape only (it is reshape); to "
                            f"convert the values to another dtype write x.astype({shape[0]!r})")
        return self.reshape(*shape)

    def permute(self, *axes):
        """PyTorch's name for transpose with every axis given: x.permute(2, 0, 1) or x.permute((2, 0, 1))."""
        return ops.transpose(self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes)

    @property
    def T(self):
        """The axes reversed, as NumPy's ``x.T`` (for a matrix, its transpose); see :func:`mg.transpose`."""
        return ops.transpose(self)

    def flatten(self):
        """The values as one axis, shape (size,); see :func:`mg.reshape`."""
        return ops.reshape(self, (-1,))
    def squeeze(self, axis=None, **kwargs):
        """x without its axes of length 1 (only ``axis`` if given); see :func:`mg.squeeze`."""
        return ops.squeeze(self, axis, **kwargs)
    @refuse_pytorch_keywords   # here, not only in the op: axis is required, so dim= alone never reaches the op
    def expand_dims(self, axis):
        """x with a new axis of length 1 at ``axis`` (PyTorch's unsqueeze); see :func:`mg.expand_dims`."""
        return ops.expand_dims(self, axis)
    unsqueeze = expand_dims
    def broadcast_to(self, shape):
        """x repeated along new or length-1 axes to ``shape``; see :func:`mg.broadcast_to`."""
        return ops.broadcast_to(self, shape)
    def flip(self, axis=None, **kwargs):
        """x with the order of its values reversed along ``axis`` (all axes if None); see :func:`mg.flip`."""
        return ops.flip(self, axis, **kwargs)
    @refuse_pytorch_keywords
    def split(self, *args, **kwargs):
        """Refused: PyTorch's x.split(k) cuts pieces of length k, NumPy's split cuts k pieces.

        The same name with two meanings would give a PyTorch user a silently different answer,
        so the method names the function instead: mg.split(x, sections_or_cut_points, axis).
        """
        raise TypeError("Tensor.split: PyTorch's x.split(k) cuts pieces of length k, NumPy's numpy.split(x, k) "
                        "cuts k equal pieces; minigrad follows NumPy: call mg.split(x, k, axis) for k pieces, or "
                        "mg.split(x, [i, j], axis) to cut before positions i and j")
    def take_along_axis(self, indices, axis=-1, **kwargs):
        """The values at ``indices`` along ``axis``, as numpy.take_along_axis; see :func:`mg.take_along_axis`."""
        return ops.take_along_axis(self, indices, axis, **kwargs)

    @refuse_pytorch_keywords   # as expand_dims: axis is required
    def gather(self, axis, indices):
        """PyTorch's x.gather(dim, index): take_along_axis without broadcasting (see ops.shape.gather)."""
        return ops.shape.gather(self, axis, indices)

    def copy(self):
        """A copy in a new array, differentiable (NumPy's name; PyTorch's is clone)."""
        return ops.copy(self)
    clone = copy

    def numel(self):
        """The number of elements (PyTorch's name for size)."""
        return self.size

    # ============================================ conversions: to Python numbers, the host, devices, dtypes
    def __float__(self): return float(self.item())
    def __int__(self): return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu":
            raise TypeError(f"only an integer tensor can be used as an index, this one has dtype {self.dtype}")
        return int(self.item())

    def __round__(self, ndigits=None):
        """round(t) and round(t, n) of a one-element tensor: a Python number (t.round() is the elementwise op)."""
        return round(self.item(), ndigits)

    def __format__(self, spec):
        """f"{t:.3f}" formats a one-element tensor as its number; other specs as the printed tensor."""
        if not spec:
            return str(self)
        if self.size != 1:
            raise TypeError(f"format: {spec!r} formats one number, but this tensor has shape {self.shape}; "
                            "format its elements (t.tolist()) or use numpy.array2string(t.numpy())")
        return format(self.item(), spec)

    def __bool__(self):
        if self.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.size} elements is ambiguous; "
                             "use .any() or .all(), or compare a scalar")
        return bool(self.item())

    __hash__ = object.__hash__   # == is elementwise, so hash by identity (as PyTorch does)

    def numpy(self):
        """A NumPy copy of the data on the host (no graph)."""
        return numpy.array(backend.device_of(self._data).to_host(self._data))

    def item(self):
        """The value of a one-element tensor as a Python number (float, int or bool)."""
        if self.size != 1:
            raise ValueError(f"item(): only a tensor with one element can become a Python number, "
                             f"this one has shape {self.shape}")
        return self.numpy().reshape(()).item()

    def tolist(self):
        """The values as nested Python lists of numbers (a copy, no graph)."""
        return self.numpy().tolist()

    def to(self, device):
        """This tensor on ``device``; differentiable (the gradient moves back)."""
        return ops.to_device(self, device)

    def cpu(self):
        """This tensor on the CPU; differentiable. Same as ``x.to("cpu")``."""
        return self.to("cpu")

    def cuda(self):
        """This tensor on the GPU; differentiable. Same as ``x.to("cuda")``."""
        return self.to("cuda")

    def astype(self, dtype):
        """A copy with values converted to ``dtype``; differentiable between floating dtypes; see :func:`mg.astype`."""
        return ops.astype(self, dtype)

    # PyTorch's casts, each one fixed dtype whatever the default (x.float() is float32, as in PyTorch)
    def float(self):
        """A float32 copy (PyTorch's cast; differentiable); see :meth:`astype`."""
        return ops.astype(self, numpy.float32)
    def double(self):
        """A float64 copy (PyTorch's cast; differentiable); see :meth:`astype`."""
        return ops.astype(self, numpy.float64)
    def half(self):
        """A float16 copy (PyTorch's cast; differentiable); see :meth:`astype`."""
        return ops.astype(self, numpy.float16)
    def long(self):
        """An int64 copy (PyTorch's cast; no gradient flows to an integer tensor); see :meth:`astype`."""
        return ops.astype(self, numpy.int64)
    def int(self):
        """An int32 copy (PyTorch's cast; no gradient flows to an integer tensor); see :meth:`astype`."""
        return ops.astype(self, numpy.int32)      # from here on, `int` in this class body is this method
    def bool(self):
        """A boolean copy, True where nonzero (PyTorch's cast; no gradient); see :meth:`astype`."""
        return ops.astype(self, numpy.bool_)

    # ============================================ in-place changes
    # The tape does not record in-place changes: each one stamps the tensor (autograd.changed_in_place),
    # and backward refuses any saved value that was stamped after the op that saved it.

    def _refuse_change_in_graph(self, what, value=None):
        """With grad mode on, an in-place change that involves a gradient would be invisible to it: refuse it."""
        if not autograd.is_grad_enabled():
            return
        if isinstance(value, Tensor) and value._requires_grad:
            raise RuntimeError(
                f"{what}: the value written in place requires grad, but the tape does not record in-place "
                "changes, so no gradient would reach it. Make a new tensor instead (t = t + v, "
                "t = mg.where(mask, v, t), mg.concatenate/mg.stack), or write v.detach() if none should")
        if self._requires_grad:
            kind = ("a leaf tensor that requires grad" if self._edges is None
                    else f"this tensor (the output of {self._op!r}, part of a graph that requires grad)")
            raise RuntimeError(
                f"{what}: {kind} cannot be changed in place outside mg.no_grad(): the tape does not record "
                "in-place changes, so its gradient would ignore the change. Make a new tensor instead "
                "(t = t + v, t = mg.where(mask, v, t)), or change it inside `with mg.no_grad():` "
                "(an optimizer step) if no gradient should see it")

    def __setitem__(self, index, value):
        """In place: t[index] = value (no gradient flows through it; counted as an in-place change)."""
        self._refuse_change_in_graph("setitem", value)
        value = value._data if isinstance(value, Tensor) else value
        try:
            self._data[ops.index_data(index)] = value
        except (IndexError, ValueError, TypeError) as e:
            raise type(e)(f"setitem: cannot assign {getattr(value, 'shape', type(value).__name__)} to index "
                          f"{index!r} of a tensor of shape {self.shape} on {self.device}: {e}") from None
        autograd.changed_in_place(self)

    def _update(self, op, other, what):
        """t = op(t, other), written into t's own array: +=, -=, *=, /= and add_, sub_, mul_, div_."""
        self._refuse_change_in_graph(what, other)
        with autograd.no_grad():
            result = op(self, other)
        if result.shape != self.shape:
            raise ValueError(f"{what}: the result has shape {result.shape}, but the tensor changed in place has "
                             f"shape {self.shape}; the other operand must broadcast to {self.shape}")
        if not numpy.can_cast(result.dtype, self.dtype, "same_kind"):
            raise TypeError(f"{what}: the result has dtype {result.dtype}, which a tensor of dtype {self.dtype} "
                            f"cannot hold in place; make a new tensor instead (t = t + v) or convert first "
                            f"(t = t.astype(mg.{result.dtype}))")
        self._data[...] = result._data
        autograd.changed_in_place(self)
        return self

    def __iadd__(self, other): return self._update(ops.add, other, "+=")
    def __isub__(self, other): return self._update(ops.sub, other, "-=")
    def __imul__(self, other): return self._update(ops.mul, other, "*=")
    def __itruediv__(self, other): return self._update(ops.div, other, "/=")
    def add_(self, other):
        """In place: x += other (broadcast to x's shape), outside any graph; returns x."""
        return self._update(ops.add, other, "add_")
    def sub_(self, other):
        """In place: x -= other (broadcast to x's shape), outside any graph; returns x."""
        return self._update(ops.sub, other, "sub_")
    def mul_(self, other):
        """In place: x *= other (broadcast to x's shape), outside any graph; returns x."""
        return self._update(ops.mul, other, "mul_")
    def div_(self, other):
        """In place: x /= other (broadcast to x's shape), outside any graph; returns x."""
        return self._update(ops.div, other, "div_")

    def copy_(self, source):
        """Overwrite every value with ``source`` (broadcast to this shape; moved to this device)."""
        source = source if isinstance(source, Tensor) else tensor(source, dtype=self.dtype, device=self.device)
        return self._update(lambda t, s: ops.broadcast_to(ops.to_device(s, t.device).astype(t.dtype), t.shape),
                            source, "copy_")

    def fill_(self, value):
        """Set every value to the number ``value``."""
        self._refuse_change_in_graph("fill_")
        self._data[...] = value
        autograd.changed_in_place(self)
        return self

    def zero_(self):
        """Set every value to 0 (``w.grad.zero_()``)."""
        return self.fill_(0)

    # ============================================ NumPy interop: numpy.asarray(t), numpy.exp(t), numpy.sum(t)
    def __array__(self, dtype=None, copy=None):
        """numpy.asarray(t): the values on the CPU (shares memory, as PyTorch's .numpy() does)."""
        if self.device != "cpu":
            raise TypeError(f"numpy.asarray: this tensor is on {self.device!r}, and NumPy reads host memory only; "
                            "call t.numpy() for a copy on the host (NumPy does not convert a CuPy array either)")
        array = self._data if dtype is None else self._data.astype(dtype, copy=False)
        return array.copy() if copy else array

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """numpy.exp(t), numpy_array + t: the minigrad op of the same meaning (recorded on the tape)."""
        name = _NUMPY_UFUNCS.get(ufunc.__name__)
        if name is None or method != "__call__" or kwargs:
            call = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
            hint = (f"call mg.{name}(...) instead, without {sorted(kwargs)}" if name and method == "__call__"
                    else "use minigrad's ops (mg.*) on tensors, or call it on t.numpy() (a copy, with no gradient)")
            raise TypeError(f"{call} cannot take a minigrad Tensor: {hint}")
        return getattr(ops, name)(*inputs)

    def __array_function__(self, func, types, args, kwargs):
        """numpy.sum(t), numpy.reshape(t, s), ...: the minigrad op of the same name, where there is one."""
        name = _NUMPY_FUNCTIONS.get(func.__name__)
        if name is None:
            raise TypeError(f"numpy.{func.__name__} cannot take a minigrad Tensor: use minigrad's ops (mg.*) on "
                            "tensors, or call it on t.numpy() (a copy, with no gradient)")
        return getattr(ops, name)(*args, **kwargs)

class ElementCount(int):
    """What ``x.size`` returns: NumPy's number of elements, an ordinary int in every use but one.

    PyTorch's ``x.size()`` is a method that returns the shape; NumPy's ``x.size`` is the
    number of elements. minigrad keeps NumPy's meaning (array attributes are NumPy's), and
    calling it, ``x.size(0)``, raises an error naming ``x.shape[0]`` instead of Python's
    "'int' object is not callable".
    """

    def __new__(cls, count, shape):
        self = super().__new__(cls, count)
        self.shape = shape
        return self

    def __call__(self, dim=None):
        if dim is None:
            write = f"x.shape (here {self.shape})"
        else:
            length = self.shape[dim] if isinstance(dim, int) and -len(self.shape) <= dim < len(self.shape) else "?"
            write = f"x.shape[{dim}] (here {length})"
        raise TypeError(f"Tensor.size is NumPy's number of elements ({int(self)}), an int, not PyTorch's method "
                        f"size(); for the shape write {write}; x.numel() is the number of elements too")


# NumPy's functions that have a minigrad op of the same meaning (numpy name -> minigrad name)
_NUMPY_UFUNCS = {"add": "add", "subtract": "sub", "multiply": "mul", "divide": "div", "true_divide": "div",
                 "power": "pow", "negative": "neg", "matmul": "matmul", "absolute": "abs", "exp": "exp",
                 "log": "log", "log1p": "log1p", "expm1": "expm1", "sqrt": "sqrt", "sin": "sin", "cos": "cos",
                 "tanh": "tanh", "maximum": "maximum", "minimum": "minimum", "less": "less", "square": "square",
                 "sign": "sign", "floor": "floor", "ceil": "ceil", "isnan": "isnan", "isinf": "isinf",
                 "isfinite": "isfinite",
                 "less_equal": "less_equal", "greater": "greater", "greater_equal": "greater_equal",
                 "equal": "equal", "not_equal": "not_equal"}
_NUMPY_FUNCTIONS = {name: name for name in ("sum", "mean", "var", "max", "min", "reshape", "transpose", "squeeze",
                                            "expand_dims", "swapaxes", "broadcast_to", "concatenate", "stack",
                                            "where", "clip", "std", "prod", "argmax", "argmin", "any", "all",
                                            "cumsum", "round", "einsum", "split", "flip", "take_along_axis", "pad",
                                            "copy", "norm")}   # norm: numpy.linalg.norm
_NUMPY_FUNCTIONS.update(amax="max", amin="min", around="round")


def check_differentiable_dtype(dtype, caller):
    """Raise TypeError naming ``caller`` unless ``dtype`` is floating: only those can require grad."""
    if numpy.dtype(dtype).kind not in "fc":
        raise TypeError(f"{caller}: only floating tensors can require grad, this one has dtype {dtype}; "
                        "convert it first, e.g. mg.tensor(data, dtype=mg.float32, requires_grad=True)")


def from_numpy(array):
    """A tensor on the CPU sharing memory with the NumPy array ``array`` and keeping its dtype.

    PyTorch's ``torch.from_numpy``: a change to one shows in the other, and float64 stays
    float64. :func:`tensor` copies instead, and takes numbers, lists and arrays of any device.
    """
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}; mg.tensor(data) "
                        "copies numbers, lists and arrays of any device into a tensor")
    if array.dtype.kind not in "biufc":
        raise TypeError(f"from_numpy: arrays of dtype {array.dtype} cannot be tensors (numbers and booleans only)")
    return Tensor(array)


def tensor(data, requires_grad=False, dtype=None, device=None):
    """A new leaf tensor holding a copy of ``data`` (a number, nested list, NumPy/CuPy array or Tensor).

    Python floats become the default dtype (float32 unless set); arrays keep their
    dtype (float64 stays float64). ``device`` defaults to where ``data`` is (for an
    array) or to the default device.
    """
    if isinstance(data, Tensor):
        data = data.data
    if device is None:
        device = backend.device_of(data).name if backend.is_array(data) else backend.get_default_device()
    target = backend.get_device(device)
    if backend.is_array(data):
        array = backend.to_device(data, target.name)
        array = array.astype(dtype) if dtype is not None else array.copy()
    else:
        host = numpy.asarray(data)
        if dtype is None and host.dtype.kind == "f":
            dtype = backend.get_default_dtype()
        if host.dtype.kind not in "biufc":
            raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} with dtype {host.dtype}")
        array = target.from_host(numpy.array(host, dtype=dtype))
    if requires_grad:
        check_differentiable_dtype(array.dtype, "tensor(requires_grad=True)")
    return Tensor(array, requires_grad=requires_grad)


# The one tie that runs back: Tensor's methods (x + y, x.exp(), x.backward()) call the ops and the tape,
# which are built on Tensor. Imported last, when Tensor exists; the package imports this module first.
from . import autograd, ops  # noqa: E402
