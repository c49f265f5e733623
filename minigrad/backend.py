"""The one place that knows about array libraries.

minigrad computes with whatever array module holds a tensor's data: NumPy on the
CPU, CuPy on an NVIDIA GPU. The two share an API, so an op written as

    xp = x.xp
    y = xp.exp(x.data)

serves both (Chainer's ``get_array_module`` idea). Everything that differs between
backends - which device an array lives on, moving arrays between devices, random
number generators, scatter-add, the error function CuPy has and NumPy lacks - is
answered here and nowhere else. No other file imports cupy or calls ``numpy.random``.

A device is a name: ``"cpu"``, ``"cuda"`` when CuPy and a GPU are present, and any
name a test registers with :func:`register_device`.
"""
import numpy

float16, float32, float64 = numpy.float16, numpy.float32, numpy.float64
int8, int16, int32, int64 = numpy.int8, numpy.int16, numpy.int32, numpy.int64
uint8, bool_ = numpy.uint8, numpy.bool_


class Device:
    """What minigrad needs to know of one backend."""

    def __init__(self, name, xp, array_type, to_host, from_host, new_rng, scatter_add,
                 get_rng_state=None, set_rng_state=None, erf=None):
        self.name = name
        self.xp = xp                    # the array module: numpy, cupy, ...
        self.array_type = array_type    # the class of its arrays
        self.to_host = to_host          # backend array -> numpy.ndarray
        self.from_host = from_host      # numpy.ndarray -> backend array
        self.new_rng = new_rng          # seed -> generator with .standard_normal(size, dtype), .random(size, dtype)
        self.scatter_add = scatter_add  # (target, index, values): target[index] += values, repeats add
        self.rng = new_rng(None)
        self.get_rng_state = get_rng_state  # generator -> JSON-able state (None: not supported)
        self.set_rng_state = set_rng_state  # (generator, state) -> None
        self.erf = erf                  # array -> erf(array), where the backend has its own (None: mg.erf's formula)


def _numpy_scatter_add(target, index, values):
    numpy.add.at(target, index, values)


_devices = {}        # name -> Device
_by_type = {}        # array class -> Device


def register_device(device):
    """Make a backend available under ``device.name`` (used for CuPy and by the tests)."""
    _devices[device.name] = device
    _by_type[device.array_type] = device


register_device(Device("cpu", numpy, numpy.ndarray, to_host=lambda a: a, from_host=lambda a: a,
                       new_rng=numpy.random.default_rng, scatter_add=_numpy_scatter_add,
                       get_rng_state=lambda g: g.bit_generator.state,
                       set_rng_state=lambda g, state: setattr(g.bit_generator, "state", state)))


def _register_cuda():
    """Register CuPy as ``"cuda"`` if it imports and sees a GPU; stay silent otherwise."""
    try:
        import cupy
        import cupyx
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return
    except Exception:  # no cupy, no driver, no device: CPU only
        return

    class CupyGenerator:
        """CuPy's RandomState under the two names numpy.random.Generator uses."""

        def __init__(self, seed):
            self.state = cupy.random.RandomState(seed)

        def standard_normal(self, size, dtype):
            return self.state.standard_normal(size, dtype=dtype)

        def random(self, size, dtype):
            return self.state.random_sample(size, dtype=dtype)

    def erf(array):   # cupyx.scipy.special is imported on first use, not with minigrad: few programs need it
        import cupyx.scipy.special
        return cupyx.scipy.special.erf(array)

    register_device(Device("cuda", cupy, cupy.ndarray, to_host=cupy.asnumpy, from_host=cupy.asarray,
                           new_rng=CupyGenerator, scatter_add=cupyx.scatter_add, erf=erf))


_register_cuda()


def devices():
    """Names of the devices available in this process."""
    return list(_devices)


def get_device(name):
    """The :class:`Device` called ``name``; a clear error for unknown names."""
    if isinstance(name, Device):
        return name
    try:
        return _devices[name]
    except KeyError:
        hint = " (CuPy is not installed or no GPU was found)" if name == "cuda" else ""
        raise ValueError(f"unknown device {name!r}{hint}; available devices: {devices()}") from None


def device_of(array):
    """The :class:`Device` whose arrays ``array`` belongs to (NumPy scalars count as cpu)."""
    device = _by_type.get(type(array))
    if device is None:
        if isinstance(array, numpy.generic):
            return _devices["cpu"]
        raise TypeError(f"expected an array of one of the devices {devices()}, got {type(array).__name__}")
    return device


def is_array(value):
    """Whether ``value`` is an array of one of the devices (NumPy, CuPy, a registered test device)."""
    return type(value) in _by_type or isinstance(value, numpy.generic)


def as_array0d(value):
    """NumPy ufuncs turn 0-d arrays into NumPy scalars; turn them back so .data is always an array."""
    if isinstance(value, numpy.generic):
        return numpy.asarray(value)
    return value


def broadcast_to(array, shape):
    """A read-only view of ``array`` broadcast to ``shape``: the backend's ``broadcast_to``, made faster on NumPy.

    Every reduction's vjp broadcasts its cotangent back over the reduced axes, so this runs
    at every backward step. ``numpy.broadcast_to`` finds the strides with an iterator (about
    2.5 us of Python a call, a fifth of a small op). For a C-contiguous NumPy array they are
    known without it: the view reads the same buffer, with stride 0 along the axes that are
    broadcast (new leading axes, and length-1 axes stretched) and the array's own strides
    elsewhere. Other arrays, and shapes that do not broadcast (for the backend's error), go
    to the backend's own ``broadcast_to``.
    """
    shape = tuple(shape)
    lead = len(shape) - array.ndim
    if type(array) is numpy.ndarray and lead >= 0 and array.size and array.flags.c_contiguous:
        strides = [0] * lead
        for n, m, stride in zip(array.shape, shape[lead:], array.strides):
            if n == m:
                strides.append(stride)
            elif n == 1:
                strides.append(0)
            else:
                break
        else:
            view = numpy.ndarray(shape, array.dtype, array, 0, tuple(strides))
            view.flags.writeable = False
            return view
    return device_of(array).xp.broadcast_to(array, shape)


def to_device(array, name):
    """Copy ``array`` to device ``name`` (a no-op when it is already there)."""
    source, target = device_of(array), get_device(name)
    if source is target:
        return array
    return target.from_host(source.to_host(array))


# ---------------------------------------------------------------- defaults

_default = {"device": "cpu", "dtype": numpy.dtype(numpy.float32)}


def set_default_device(name):
    """Where new tensors are created when no device is given ("cpu" or "cuda")."""
    _default["device"] = get_device(name).name


def get_default_device():
    """The device new tensors are created on when none is given ("cpu" unless set)."""
    return _default["device"]


def set_default_dtype(dtype):
    """The floating dtype of tensors made from Python floats (float32 unless set)."""
    dtype = numpy.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype (float16/32/64), got {dtype}")
    _default["dtype"] = dtype


def get_default_dtype():
    """The floating dtype of tensors made from Python floats (float32 unless set), a numpy.dtype."""
    return _default["dtype"]


# ---------------------------------------------------------------- random numbers

def seed(s):
    """Seed the generator of every device: the same seed draws the same numbers again on each device.

    (Each device has its own generator: NumPy's PCG64 and CuPy's differ, so the CPU and
    the GPU draw different numbers from one seed.)
    """
    for device in _devices.values():
        device.rng = device.new_rng(s)


def rng(name):
    """The random generator of device ``name``."""
    return get_device(name).rng


def get_rng_state():
    """The state of every device's generator that can report it ({device: state}); CuPy's cannot."""
    return {name: d.get_rng_state(d.rng) for name, d in _devices.items() if d.get_rng_state is not None}


def set_rng_state(states):
    """Restore generator states saved by :func:`get_rng_state`."""
    for name, state in states.items():
        device = get_device(name)
        if device.set_rng_state is None:
            raise ValueError(f"set_rng_state: the generator of device {name!r} cannot be restored")
        device.set_rng_state(device.rng, state)


def host_generator(seed):
    """A private NumPy generator (for tools such as gradcheck that must not disturb seeded streams)."""
    return numpy.random.default_rng(seed)
