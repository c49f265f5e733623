"""Saving and loading: tensors, state dicts and RNG state, in a file that runs no code.

``mg.save(obj, path)`` writes a NumPy ``.npz`` archive: every array is one entry, and
one more entry, ``__structure__``, holds the nesting (dicts, lists, numbers, strings)
as JSON. ``mg.load`` reads it with ``allow_pickle=False``, so a checkpoint from a
stranger can at worst fail to load; it cannot execute anything (pickle can).

Writes are atomic: the archive goes to a temporary file beside the target, is
flushed to disk (fsync), and only then renamed over the target. A crash or a kill
in the middle of saving leaves the previous checkpoint as it was.

The format is versioned: ``save`` writes ``minigrad-checkpoint-2``, whose state dicts
have PyTorch's names and layouts (Sequential children ``0``, ``1``, ...; Linear weights
(out_features, in_features)). ``load`` also reads ``minigrad-checkpoint-1``, written by
earlier minigrad, whose Sequential children were ``layers.0``, ... and whose Linear
weights were (in_features, out_features). Every dict it reads from such a file comes
back as a :class:`LegacyDict`, a dict that remembers the format, and
``Module.load_state_dict`` converts a state dict so marked
(``mg.nn.module.upgrade_legacy_state_dict``). The version, not the shapes, must decide:
a square Linear weight has the same shape in both layouts. An optimizer's state from
such a file is converted by ``mg.nn.module.upgrade_legacy_optimizer_state(model,
optimizer, state)``, which transposes the moment buffers of the Linear weights.
"""
import json
import os
import tempfile

import numpy

from . import backend
from .tensor import Tensor

_FORMAT = "minigrad-checkpoint-2"
LEGACY_FORMAT = "minigrad-checkpoint-1"   # Sequential's `layers.N.` keys, Linear weights (in, out)


class LegacyDict(dict):
    """A dict read from a checkpoint of format ``minigrad-checkpoint-1`` (``format`` says so).

    It behaves as a dict in every way; the mark lets ``Module.load_state_dict`` convert
    the names and layouts of that format (see the top of this page).
    """
    format = LEGACY_FORMAT


def save(obj, path):
    """Write ``obj`` (tensors, arrays, numbers, strings, None, and dicts/lists/tuples of them) to ``path``."""
    arrays = {}

    def encode(value, where):
        if isinstance(value, Tensor):
            key = f"a{len(arrays)}"
            arrays[key] = value.numpy()
            return {"__tensor__": key, "device": value.device, "requires_grad": value.requires_grad}
        if isinstance(value, numpy.generic):
            return value.item()
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, dict):
            return {"__dict__": [[encode(k, where), encode(v, f"{where}[{k!r}]")] for k, v in value.items()]}
        if isinstance(value, (list, tuple)):
            tag = "__list__" if isinstance(value, list) else "__tuple__"
            return {tag: [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if callable(getattr(value, "state_dict", None)):   # a Module or an optimizer: its state is what to save
            kind, article = ("optimizer", "an") if hasattr(value, "step") else ("model", "a")
            raise TypeError(f"save: {where} is {article} {kind} ({type(value).__name__}), not a state dict; save "
                            f"its state with mg.save({kind}.state_dict(), path) and restore it with "
                            f"{kind}.load_state_dict(mg.load(path))")
        try:
            device = backend.device_of(value)
        except TypeError:
            raise TypeError(f"save: cannot save {where}, a {type(value).__name__}; only tensors, arrays, "
                            "numbers, strings, None and dicts/lists/tuples of them can be saved") from None
        key = f"a{len(arrays)}"
        arrays[key] = numpy.asarray(device.to_host(value))
        return {"__array__": key, "device": device.name}

    structure = {"format": _FORMAT, "object": encode(obj, "obj")}
    arrays["__structure__"] = numpy.frombuffer(json.dumps(structure).encode(), dtype=numpy.uint8)
    _atomic_write(path, arrays)


def _atomic_write(path, arrays):
    """Write to a temporary file in the same folder, fsync it, then rename it over ``path``."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            numpy.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)       # atomic on POSIX and Windows
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    if hasattr(os, "O_DIRECTORY"):        # make the rename itself durable
        dir_fd = os.open(folder, os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def load(path, device=None):
    """Read what :func:`save` wrote. Tensors go back to their device, or to ``device`` if given."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no checkpoint at {path!r}")
    try:
        with numpy.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        structure = json.loads(arrays.pop("__structure__").tobytes().decode())
    except Exception as e:
        raise ValueError(f"load: {path!r} is not a readable minigrad checkpoint ({type(e).__name__}: {e})") from None
    if structure.get("format") not in (_FORMAT, LEGACY_FORMAT):
        raise ValueError(f"load: {path!r} has format {structure.get('format')!r}, expected {_FORMAT!r} (or "
                         f"{LEGACY_FORMAT!r}, of earlier minigrad)")
    as_dict = LegacyDict if structure["format"] == LEGACY_FORMAT else dict

    def decode(value):
        if not isinstance(value, dict):
            return value
        if "__tensor__" in value:
            data = backend.to_device(arrays[value["__tensor__"]], device or value["device"])
            return Tensor(data, requires_grad=value["requires_grad"])
        if "__array__" in value:
            return backend.to_device(arrays[value["__array__"]], device or value["device"])
        if "__dict__" in value:
            return as_dict((_hashable(decode(k)), decode(v)) for k, v in value["__dict__"])
        if "__list__" in value:
            return [decode(v) for v in value["__list__"]]
        return tuple(decode(v) for v in value["__tuple__"])

    return decode(structure["object"])


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key
