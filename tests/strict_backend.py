"""A test-only device, "strict", whose arrays behave like CuPy's where it matters on a CPU.

CI has no GPU, yet code that works on NumPy can still break on CuPy: a stray
``numpy.zeros`` mixed with device arrays, or an implicit ``numpy.asarray(device_array)``.
CuPy refuses both with a TypeError; so does :class:`StrictArray`. It wraps a NumPy
array and

- refuses implicit conversion to NumPy (``__array__`` raises, as CuPy's does);
- refuses to mix with plain NumPy arrays in any ufunc or NumPy function;
- otherwise computes with NumPy and wraps every array result, so 0-d results are
  arrays (never NumPy scalars), as on CuPy.

Its array module ``xp`` mirrors the NumPy namespace with the same rules.
Running the whole suite on "strict" as well as "cpu" catches device bugs on CI.
"""
import types

import numpy

from minigrad import backend


class StrictArray:
    __slots__ = ("_a",)

    def __init__(self, array):
        self._a = array

    # --- what CuPy refuses
    def __array__(self, *args, **kwargs):
        raise TypeError("Implicit conversion to a NumPy array is not allowed (strict device, like CuPy); "
                        "use .get() or minigrad's backend.to_device")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if "out" in kwargs:
            kwargs["out"] = tuple(_unwrap(o) for o in kwargs["out"])
        result = getattr(ufunc, method)(*map(_unwrap, inputs), **kwargs)
        if method == "at":       # in place, like ufunc.at, returns None
            return None
        return _wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        return _wrap(func(*_unwrap_nested(args), **_unwrap_nested(kwargs)))

    def get(self):
        """The NumPy copy, explicitly (as cupy.ndarray.get)."""
        return self._a.copy()

    # --- everything else behaves as the wrapped array
    shape = property(lambda self: self._a.shape)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    dtype = property(lambda self: self._a.dtype)
    strides = property(lambda self: self._a.strides)
    T = property(lambda self: StrictArray(self._a.T))

    def __getattr__(self, name):   # methods: reshape, sum, astype, copy, transpose, max, ...
        attr = getattr(self._a, name)
        if callable(attr):
            return lambda *args, **kwargs: _wrap(attr(*_unwrap_nested(args), **_unwrap_nested(kwargs)))
        return attr

    def __getitem__(self, index):   # CuPy, too, accepts NumPy arrays inside an index
        return _wrap(self._a[_unwrap_index(index)])

    def __setitem__(self, index, value):
        self._a[_unwrap_index(index)] = _unwrap(value)

    def __len__(self):
        return len(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __bool__(self):
        return bool(self._a)

    def __repr__(self):
        return f"strict({self._a!r})"

    def __iter__(self):
        return (_wrap(row) for row in self._a)

    def item(self):
        return self._a.item()


def _binary(name):
    ufunc = getattr(numpy, name)
    return (lambda self, other: ufunc(self, other)), (lambda self, other: ufunc(other, self))


for _op, _ufunc in [("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("truediv", "true_divide"),
                    ("floordiv", "floor_divide"), ("mod", "remainder"), ("pow", "power"), ("matmul", "matmul"),
                    ("and", "bitwise_and"), ("or", "bitwise_or"), ("xor", "bitwise_xor")]:
    _forward, _reflected = _binary(_ufunc)
    setattr(StrictArray, f"__{_op}__", _forward)
    setattr(StrictArray, f"__r{_op}__", _reflected)
for _op, _ufunc in [("lt", "less"), ("le", "less_equal"), ("gt", "greater"), ("ge", "greater_equal"),
                    ("eq", "equal"), ("ne", "not_equal")]:
    setattr(StrictArray, f"__{_op}__", _binary(_ufunc)[0])
for _op, _ufunc in [("neg", "negative"), ("abs", "absolute"), ("invert", "invert"), ("pos", "positive")]:
    setattr(StrictArray, f"__{_op}__", (lambda u: lambda self: u(self))(getattr(numpy, _ufunc)))
for _op in ["iadd", "isub", "imul", "itruediv", "ipow", "iand", "ior"]:
    def _inplace(self, other, _name=_op[1:]):
        ufunc = {"add": numpy.add, "sub": numpy.subtract, "mul": numpy.multiply, "truediv": numpy.true_divide,
                 "pow": numpy.power, "and": numpy.bitwise_and, "or": numpy.bitwise_or}[_name]
        ufunc(self._a, _unwrap(other), out=self._a)
        return self
    setattr(StrictArray, f"__{_op}__", _inplace)
StrictArray.__hash__ = None


def _unwrap(value):
    if isinstance(value, StrictArray):
        return value._a
    if isinstance(value, numpy.ndarray):
        raise TypeError(f"Unsupported type {type(value)}: a plain NumPy array cannot be mixed with arrays of "
                        "the strict device (as with CuPy); move it to the device first")
    return value


def _unwrap_nested(value):
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap_nested(v) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap_nested(v) for k, v in value.items()}
    return _unwrap(value)


def _unwrap_index(index):
    if isinstance(index, tuple):
        return tuple(_unwrap_index(i) for i in index)
    return index._a if isinstance(index, StrictArray) else index


def _wrap(value):
    if isinstance(value, (numpy.ndarray, numpy.generic)):
        return StrictArray(numpy.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _module_function(function):
    return lambda *args, **kwargs: _wrap(function(*_unwrap_nested(args), **_unwrap_nested(kwargs)))


class _StrictNamespace(types.SimpleNamespace):
    """The array module of the strict device: NumPy's functions, with strict arguments and results."""

    def __getattr__(self, name):
        value = getattr(numpy, name)
        if isinstance(value, numpy.ufunc):
            return _StrictUfunc(value)
        if callable(value) and not isinstance(value, type):
            return _module_function(value)
        return value   # dtypes, constants, ndarray-independent classes


class _StrictUfunc:
    def __init__(self, ufunc):
        self.ufunc = ufunc

    def __call__(self, *args, **kwargs):
        return _wrap(self.ufunc(*_unwrap_nested(args), **_unwrap_nested(kwargs)))

    def at(self, target, index, values):
        self.ufunc.at(target._a, _unwrap_nested(index), _unwrap(values))

    def __getattr__(self, name):
        return _module_function(getattr(self.ufunc, name))


xp = _StrictNamespace()
xp.ndarray = StrictArray


def _scatter_add(target, index, values):
    numpy.add.at(target._a, _unwrap_nested(index), _unwrap(values))


class _StrictGenerator:
    def __init__(self, seed):
        self.rng = numpy.random.default_rng(seed)

    def standard_normal(self, size, dtype):
        return StrictArray(numpy.asarray(self.rng.standard_normal(size, dtype=dtype)))

    def random(self, size, dtype):
        return StrictArray(numpy.asarray(self.rng.random(size, dtype=dtype)))


def register():
    """Make "strict" a minigrad device (idempotent)."""
    if "strict" not in backend.devices():
        backend.register_device(backend.Device(
            "strict", xp, StrictArray, to_host=lambda a: a._a.copy(),
            from_host=lambda a: StrictArray(numpy.array(a)), new_rng=_StrictGenerator, scatter_add=_scatter_add,
            get_rng_state=lambda g: g.rng.bit_generator.state,
            set_rng_state=lambda g, state: setattr(g.rng.bit_generator, "state", state)))
