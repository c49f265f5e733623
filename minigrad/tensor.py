"""The Tensor: an array of the backend plus what reverse mode needs to differentiate it.

A tensor holds ``data`` (a NumPy or CuPy array), ``requires_grad``, ``grad`` and, when
it is the output of a recorded op, the op's name and its edges: one ``(input, vjp)``
pair per input (see :mod:`minigrad.autograd`). Methods here are thin: each one calls
the function of the same name in :mod:`minigrad.ops`, where the maths lives.
"""
import numpy

from . import backend


class Tensor:
    __slots__ = ("_data", "_changed_at", "requires_grad", "grad", "_edges", "_op", "_recorded_at", "_trace",
                 "__weakref__")
    __array_ufunc__ = None   # numpy_array + tensor calls Tensor.__radd__ instead of converting the tensor

    def __init__(self, data, requires_grad=False):
        if not data.ndim:
            data = backend.as_array0d(data)
        self._data = data
        self._changed_at = 0     # when its values were last overwritten; see autograd.changed_in_place
        self.requires_grad = requires_grad
        self.grad = None
        self._edges = None       # None for a leaf; ((input, vjp), ...) for a recorded op's output
        self._op = None

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

    def __setitem__(self, index, value):
        """In place: t[index] = value (no gradient flows through it; counted as an in-place change)."""
        if self.requires_grad and self._edges is None and autograd.is_grad_enabled():
            raise RuntimeError("setitem: a leaf tensor that requires grad cannot be changed in place outside "
                               "mg.no_grad() (the change would be invisible to its gradient)")
        value = value._data if isinstance(value, Tensor) else value
        try:
            self._data[ops.shape.index_data(index)] = value
        except (IndexError, ValueError, TypeError) as e:
            raise type(e)(f"setitem: cannot assign {getattr(value, 'shape', type(value).__name__)} to index "
                          f"{index!r} of a tensor of shape {self.shape} on {self.device}: {e}") from None
        autograd.changed_in_place(self)

    # ------------------------------------------------------------ what it is
    shape = property(lambda self: self._data.shape)
    ndim = property(lambda self: self._data.ndim)
    size = property(lambda self: self._data.size, doc="number of elements (NumPy's size)")
    dtype = property(lambda self: self._data.dtype)
    device = property(lambda self: backend.device_of(self._data).name)
    xp = property(lambda self: backend.device_of(self._data).xp, doc="the array module of .data")
    is_leaf = property(lambda self: self._edges is None)

    def __repr__(self):
        extra = f", grad_fn={self._op}" if self._op else (", requires_grad=True" if self.requires_grad else "")
        device = "" if self.device == "cpu" else f", device={self.device!r}"
        body = numpy.array2string(self.numpy(), separator=", ", prefix="tensor(")
        return f"tensor({body}{device}{extra})"

    def __len__(self):
        if not self.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __bool__(self):
        if self.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.size} elements is ambiguous; "
                             "use .any() or .all() on .data, or compare a scalar")
        return bool(self.item())

    __hash__ = object.__hash__   # == is elementwise, so hash by identity (as PyTorch does)

    # ------------------------------------------------------------ host and devices
    def numpy(self):
        """A NumPy copy of the data on the host (no graph)."""
        return numpy.array(backend.device_of(self._data).to_host(self._data))

    def item(self):
        if self.size != 1:
            raise ValueError(f"item(): only a tensor with one element can become a Python number, "
                             f"this one has shape {self.shape}")
        return self.numpy().reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def detach(self):
        """The same values, cut from the graph (shares data, like PyTorch)."""
        return Tensor(self._data)

    def requires_grad_(self, requires_grad=True):
        if requires_grad:
            _check_differentiable_dtype(self.dtype, "requires_grad_")
        self.requires_grad = requires_grad
        return self

    def to(self, device):
        """This tensor on ``device``; differentiable (the gradient moves back)."""
        return ops.to_device(self, device)

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def astype(self, dtype):
        return ops.astype(self, dtype)

    def float(self):
        return ops.astype(self, backend.get_default_dtype())

    def backward(self, grad=None, retain_graph=False, create_graph=False):
        """Accumulate the gradient of this tensor into the ``.grad`` of every leaf it depends on."""
        autograd.backward(self, grad, retain_graph, create_graph)

    # ------------------------------------------------------------ arithmetic
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

    # ------------------------------------------------------------ elementwise functions
    def exp(self): return ops.exp(self)
    def log(self): return ops.log(self)
    def log1p(self): return ops.log1p(self)
    def expm1(self): return ops.expm1(self)
    def sqrt(self): return ops.sqrt(self)
    def sin(self): return ops.sin(self)
    def cos(self): return ops.cos(self)
    def tanh(self): return ops.tanh(self)
    def sigmoid(self): return ops.sigmoid(self)
    def relu(self): return ops.relu(self)
    def softplus(self): return ops.softplus(self)
    def abs(self): return ops.abs(self)
    def clip(self, min=None, max=None): return ops.clip(self, min, max)
    clamp = clip

    # ------------------------------------------------------------ reductions
    def sum(self, axis=None, keepdims=False): return ops.sum(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return ops.mean(self, axis, keepdims)
    def var(self, axis=None, keepdims=False, ddof=0): return ops.var(self, axis, keepdims, ddof)
    def max(self, axis=None, keepdims=False): return ops.max(self, axis, keepdims)
    def min(self, axis=None, keepdims=False): return ops.min(self, axis, keepdims)
    def logsumexp(self, axis=None, keepdims=False): return ops.logsumexp(self, axis, keepdims)
    def softmax(self, axis=-1): return ops.softmax(self, axis)
    def log_softmax(self, axis=-1): return ops.log_softmax(self, axis)

    # ------------------------------------------------------------ shapes
    def reshape(self, *shape):
        return ops.reshape(self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape)

    def transpose(self, *axes):
        return ops.transpose(self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else (axes or None))

    T = property(lambda self: ops.transpose(self))
    def flatten(self): return ops.reshape(self, (-1,))
    def squeeze(self, axis=None): return ops.squeeze(self, axis)
    def expand_dims(self, axis): return ops.expand_dims(self, axis)
    unsqueeze = expand_dims
    def broadcast_to(self, shape): return ops.broadcast_to(self, shape)


def _check_differentiable_dtype(dtype, caller):
    if numpy.dtype(dtype).kind not in "fc":
        raise TypeError(f"{caller}: only floating tensors can require grad, this one has dtype {dtype}; "
                        "convert it first, e.g. mg.tensor(data, dtype=mg.float32, requires_grad=True)")


def tensor(data, requires_grad=False, dtype=None, device=None):
    """A new leaf tensor holding a copy of ``data`` (a number, nested list, NumPy/CuPy array or Tensor).

    Python floats become the default dtype (float32 unless set); arrays keep their
    dtype (float64 stays float64). ``device`` defaults to where ``data`` is (for an
    array) or to the default device.
    """
    if isinstance(data, Tensor):
        data = data.data
    if device is None:
        device = backend.device_of(data).name if _is_backend_array(data) else backend.get_default_device()
    target = backend.get_device(device)
    if _is_backend_array(data):
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
        _check_differentiable_dtype(array.dtype, "tensor(requires_grad=True)")
    return Tensor(array, requires_grad=requires_grad)


def _is_backend_array(data):
    try:
        backend.device_of(data)
        return True
    except TypeError:
        return False


from . import autograd, ops  # noqa: E402  (both import Tensor from here)
