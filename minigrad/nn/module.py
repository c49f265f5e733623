"""Module and Parameter: what a layer owns, and the containers that hold layers.

A :class:`Module` is an object whose attributes may be :class:`Parameter` s (tensors the
optimizer updates), buffers (tensors it keeps but does not train, such as BatchNorm's
running mean: see :meth:`Module.register_buffer`) and other modules (its children).
Nothing is registered by magic: ``parameters()`` looks through the attributes
(``vars(self)``): first a module's own Parameters, then each sub-module in the order the
attributes were set, including modules kept in a list or tuple attribute and in the
containers :class:`Sequential`, :class:`ModuleList` and :class:`ModuleDict`.

The names are PyTorch's, so a state dict moves between minigrad and ``torch.nn`` both
ways: ``encoder.0.weight`` for the first layer of a Sequential attribute ``encoder``,
``blocks.1.bias`` in a ModuleList, ``heads.mu.weight`` in a ModuleDict, and BatchNorm's
buffers ``running_mean``, ``running_var``, ``num_batches_tracked``.

A Parameter attribute can be replaced by another Parameter (or None), never by a plain
tensor: ``m.weight = m.weight - lr * m.weight.grad`` would silently drop ``weight`` from
``parameters()`` and ``state_dict()``, so it raises, as PyTorch does, and names the
in-place update under ``mg.no_grad()`` that was meant.

A module or parameter used in two places (tied weights: ``Sequential(lin, lin)``) is
listed once, under the first name met, as in PyTorch: an optimizer given it twice
would update it twice per step.
"""
import numpy

from .. import backend
from ..serialization import LEGACY_FORMAT
from ..tensor import Tensor, tensor


class Parameter(Tensor):
    """A tensor that a module owns and an optimizer updates: a leaf that requires grad."""
    __slots__ = ()

    def __init__(self, data):
        data = data.data if isinstance(data, Tensor) else data
        super().__init__(data, requires_grad=True)

    def __repr__(self):
        return "Parameter(" + super().__repr__() + ")"


class Module:
    """Base class of layers and models: override ``forward``; call the module like a function."""

    training = True   # train() / eval() set it on every module below; Dropout and BatchNorm read it

    def forward(self, *args, **kwargs):
        """The module's computation: the output of ``module(*args)``; each layer states its shapes.

        Every subclass overrides it; calling the module (``layer(x)``, not ``layer.forward(x)``)
        runs it, as in PyTorch.
        """
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def __setattr__(self, name, value):
        """Set an attribute, refusing to rebind a Parameter to a tensor that is not one (PyTorch's rule)."""
        if isinstance(vars(self).get(name), Parameter) and not (value is None or isinstance(value, Parameter)):
            raise TypeError(
                f"{type(self).__name__}: cannot assign a {type(value).__name__} as parameter {name!r} "
                f"(mg.nn.Parameter or None expected): the new tensor would not be a parameter, so {name!r} would "
                f"drop out of parameters() and state_dict() and the optimizer would never see it. To update the "
                f"weights in place, as an optimizer does, write `with mg.no_grad(): module.{name} -= lr * "
                f"module.{name}.grad`; to replace the parameter, assign mg.nn.Parameter(new_values)")
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------ what it owns
    def named_children(self):
        """(name, module) for each direct sub-module; a list attribute ``blocks`` gives ``blocks.0``, ..."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def children(self):
        """The direct sub-modules, a list, in the order of :meth:`named_children`."""
        return [module for _, module in self.named_children()]

    def named_modules(self, prefix=""):
        """(dotted name, module) for this module (named ``prefix``, "" by default) and every module below it.

        Parents come before their children; a module met twice is listed once, under its first name.
        """
        seen = set()

        def visit(name, module):
            if id(module) not in seen:
                seen.add(id(module))
                yield name, module
                for child_name, child in module.named_children():
                    yield from visit(f"{name}.{child_name}" if name else child_name, child)

        yield from visit(prefix, self)

    def modules(self):
        """This module and every module below it, parents first; a module met twice is listed once."""
        return [module for _, module in self.named_modules()]

    def apply(self, fn):
        """Call ``fn(module)`` on every module below this one and then on this one; returns self.

        Children come before their parents, as in PyTorch (``model.apply(init_weights)``);
        a shared module is visited once (PyTorch visits it at every use).
        """
        seen = set()

        def visit(module):
            if id(module) not in seen:
                seen.add(id(module))
                for child in module.children():
                    visit(child)
                fn(module)

        visit(self)
        return self

    def named_parameters(self, prefix=""):
        """(dotted name, parameter) for every parameter of this module and its sub-modules.

        Each parameter comes once, under the first name it is met by (a shared layer's
        weights are named after its first use), as PyTorch's ``named_parameters`` does.
        """
        yield from _first_names(self._all_named_tensors(prefix, buffers=False))

    def parameters(self):
        """Every parameter once (see named_parameters): the list to give an optimizer."""
        return [p for _, p in self.named_parameters()]

    def register_buffer(self, name, value, persistent=True):
        """Keep the tensor ``value`` as attribute ``name``: state of the module that is not trained.

        BatchNorm's running mean is one: no optimizer updates it, but it is saved by
        ``state_dict`` (unless ``persistent=False``), moved by ``.to(device)`` and listed
        by ``buffers()``. ``value`` may be None (no buffer for now); assigning a new
        tensor to the attribute later keeps it a buffer.
        """
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"register_buffer: the name must be an attribute name, got {name!r}")
        if isinstance(value, Parameter) or not (value is None or isinstance(value, Tensor)):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor (not a Parameter) or None, "
                            f"got {type(value).__name__}")
        vars(self).setdefault("_buffer_names", {})[name] = persistent
        setattr(self, name, value)

    def named_buffers(self, prefix=""):
        """(dotted name, buffer) for every buffer of this module and its sub-modules, each once."""
        yield from _first_names(self._all_named_tensors(prefix, parameters=False))

    def buffers(self):
        """Every buffer once (see :meth:`named_buffers`): the tensors a module keeps but does not train."""
        return [b for _, b in self.named_buffers()]

    def _own_buffers(self, persistent_only=False):
        for name, persistent in vars(self).get("_buffer_names", {}).items():
            value = getattr(self, name, None)
            if isinstance(value, Tensor) and (persistent or not persistent_only):
                yield name, value

    def _all_named_tensors(self, prefix, parameters=True, buffers=True, persistent_only=False):
        """(dotted name, tensor) for every path to a parameter or buffer: a shared one once per path.

        In PyTorch's order: a module's own parameters, then its own buffers, then each child's.
        """
        if parameters:
            for name, value in vars(self).items():
                if isinstance(value, Parameter):
                    yield prefix + name, value
        if buffers:
            for name, value in self._own_buffers(persistent_only):
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child._all_named_tensors(prefix + name + ".", parameters, buffers, persistent_only)

    # ------------------------------------------------------------ modes and gradients
    def train(self, mode=True):
        """Set training mode (``mode=True``) or evaluation mode on this module and every module below it."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        """Evaluation mode: Dropout passes its input through, BatchNorm uses its running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Switch gradients of every parameter on or off (``requires_grad_(False)`` freezes a module)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Forget the gradients of every parameter, as PyTorch's ``Module.zero_grad``.

        ``set_to_none=True`` (PyTorch's default) sets each ``p.grad`` to None; ``False`` gives
        a parameter that has a gradient a fresh gradient of zeros (see ``Optimizer.zero_grad``).
        """
        for p in self.parameters():
            p.grad = None if set_to_none or p.grad is None else Tensor(p.grad.xp.zeros_like(p.grad.data))

    def to(self, device):
        """Move every parameter and buffer to ``device`` (in place; returns the module)."""
        for p in self.parameters():
            p.data = backend.to_device(p.data, device)
            p.grad = None
        for b in self.buffers():
            b.data = backend.to_device(b.data, device)
        return self

    # ------------------------------------------------------------ saving and loading
    def state_dict(self):
        """{dotted name: NumPy copy}: every parameter and persistent buffer, as host arrays any device can load.

        The names are those of named_parameters() and named_buffers(): a shared tensor is
        saved once, under its first name, and loading that one entry restores every use of
        it (they are one tensor).
        """
        return {name: t.numpy() for name, t in self._named_state()}

    def _named_state(self):
        return _first_names(self._all_named_tensors("", persistent_only=True))

    def load_state_dict(self, state, strict=True):
        """Copy the arrays of ``state`` into the parameters and buffers of the same names (and shapes).

        With ``strict`` (the default) the names must match exactly; otherwise missing and
        unexpected names are skipped. Each tensor keeps its own device and dtype.
        All or nothing: every name and shape is checked before anything changes.

        A shared parameter may also come under its other names (``1.weight`` for
        ``Sequential(lin, lin)``, as a PyTorch state dict lists it): any one of them loads
        it, and names of the same parameter must then hold the same values.

        A state dict that ``mg.load`` read from a checkpoint of earlier minigrad (format
        ``minigrad-checkpoint-1``: it comes back as a :class:`~minigrad.serialization.LegacyDict`)
        is first converted by :func:`upgrade_legacy_state_dict`: old names, old Linear layout.
        """
        if getattr(state, "format", None) == LEGACY_FORMAT:
            state = upgrade_legacy_state_dict(self, state)
        own = dict(self._named_state())
        first_name = {id(t): name for name, t in own.items()}
        alias_of = {name: first_name[id(t)] for name, t in self._all_named_tensors("", persistent_only=True)
                    if name not in own}
        given = {}                                    # first name -> [(name in state, value), ...]
        for name, value in state.items():
            if name in own or name in alias_of:
                given.setdefault(alias_of.get(name, name), []).append((name, value))
        missing = [name for name in own if name not in given]
        unexpected = [name for name in state if name not in own and name not in alias_of]
        if strict and (missing or unexpected):
            raise ValueError(f"load_state_dict: missing parameters {missing}, unexpected parameters {unexpected}")
        arrays = {}
        for name, t in own.items():
            for key, value in given.get(name, ()):
                array = value.numpy() if isinstance(value, Tensor) else numpy.asarray(value)
                if array.shape != t.shape:
                    raise ValueError(f"load_state_dict: {key} has shape {t.shape} in the model but "
                                     f"{array.shape} in the state dict; nothing was loaded")
                if name in arrays and not numpy.array_equal(array, arrays[name]):
                    raise ValueError(f"load_state_dict: {key} and {given[name][0][0]} name one shared parameter "
                                     "but hold different values in the state dict; nothing was loaded")
                arrays.setdefault(name, array)
        for name, value in arrays.items():
            t = own[name]
            t.data = tensor(value, dtype=t.dtype, device=t.device).data
        return self

    def __repr__(self):
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in self.named_children()]
        inside = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({inside})"
        return f"{type(self).__name__}({inside}\n" + "\n".join(lines) + "\n)"

    def extra_repr(self):
        """The settings printed inside the module's repr, as ``Linear(in_features=3, ...)``; "" unless overridden."""
        return ""


def _first_names(named):
    """Each tensor of (name, tensor) pairs once, under the first name it comes with."""
    seen = set()
    for name, t in named:
        if id(t) not in seen:
            seen.add(id(t))
            yield name, t


# ---------------------------------------------------------------- containers

class Sequential(Module):
    """Modules applied one after the other: Sequential(a, b, c)(x) = c(b(a(x))).

    Its children are named by position, as in PyTorch, so the parameters of
    ``Sequential(Conv2d(1, 4, 3), ReLU(), Flatten(), Linear(144, 10))`` are ``0.weight``,
    ``0.bias``, ``3.weight``, ``3.bias``: the keys of the same ``torch.nn.Sequential``.
    Given one dict instead (``Sequential({"conv": Conv2d(1, 4, 3), "relu": ReLU()})``, or
    PyTorch's ``OrderedDict``), the children take its keys as names.
    """

    def __init__(self, *layers):
        self._modules = {}
        if len(layers) == 1 and isinstance(layers[0], dict):
            for key, module in layers[0].items():
                self._add(key, module)
        else:
            for module in layers:
                self.append(module)

    def _add(self, key, module):
        if not isinstance(key, str) or not key or "." in key:
            raise KeyError(f"Sequential: names of layers must be non-empty strings without '.', got {key!r}")
        self._modules[key] = _checked(module, "Sequential")

    def named_children(self):
        yield from self._modules.items()

    def forward(self, x):
        """Each layer applied in turn to the output of the one before; the shapes are the layers'."""
        for layer in self._modules.values():
            x = layer(x)
        return x

    def __getitem__(self, i):
        """The i-th layer; a slice gives a Sequential of those layers, under the same names."""
        items = list(self._modules.items())
        return Sequential(dict(items[i])) if isinstance(i, slice) else items[i][1]

    def __setitem__(self, i, module):
        key = list(self._modules)[i]
        self._modules[key] = _checked(module, "Sequential")

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add ``module`` at the end, named by its position (``str(len(self))``)."""
        self._add(str(len(self._modules)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters belong to the module holding it (PyTorch's ``nn.ModuleList``).

    Its children are named by position, so ``self.blocks = ModuleList([...])`` names
    parameters ``blocks.0.weight``, ... (as a plain list attribute would, and as PyTorch
    does). It has no forward: the module holding it decides how the layers are called.
    """

    def __init__(self, modules=()):
        self._list = []
        self.extend(modules)

    def named_children(self):
        for i, module in enumerate(self._list):
            yield str(i), module

    def append(self, module):
        """Add ``module`` at the end, named by its position; returns the list."""
        self._list.append(_checked(module, "ModuleList"))
        return self

    def extend(self, modules):
        """Append each module of the iterable ``modules`` in turn; returns the list."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Put ``module`` before position ``index``; the modules after it are renamed by their new positions."""
        self._list.insert(index, _checked(module, "ModuleList"))

    def __getitem__(self, i):
        return ModuleList(self._list[i]) if isinstance(i, slice) else self._list[i]

    def __setitem__(self, i, module):
        self._list[i] = _checked(module, "ModuleList")

    def __len__(self):
        return len(self._list)

    def __iter__(self):
        return iter(self._list)


class ModuleDict(Module):
    """Modules by name, whose parameters belong to the module holding it (PyTorch's ``nn.ModuleDict``).

    ``self.heads = ModuleDict({"mu": Linear(8, 2), "sigma": Linear(8, 2)})`` names parameters
    ``heads.mu.weight``, ... Keys keep the order they were inserted in.
    """

    def __init__(self, modules=None):
        self._dict = {}
        if modules is not None:
            self.update(modules)

    def named_children(self):
        yield from self._dict.items()

    def __getitem__(self, key):
        return self._dict[key]

    def __setitem__(self, key, module):
        if not isinstance(key, str) or not key or "." in key:
            raise KeyError(f"ModuleDict: keys must be non-empty strings without '.', got {key!r}")
        self._dict[key] = _checked(module, "ModuleDict")

    def __delitem__(self, key):
        del self._dict[key]

    def __contains__(self, key):
        return key in self._dict

    def __len__(self):
        return len(self._dict)

    def __iter__(self):
        return iter(self._dict)

    def keys(self):
        """The names, in insertion order."""
        return self._dict.keys()

    def values(self):
        """The modules, in insertion order."""
        return self._dict.values()

    def items(self):
        """(name, module) pairs, in insertion order."""
        return self._dict.items()

    def update(self, modules):
        """Add or replace modules from a mapping or an iterable of (name, module) pairs."""
        items = modules.items() if hasattr(modules, "items") else modules
        for key, module in items:
            self[key] = module


def _checked(module, container):
    if not isinstance(module, Module):
        raise TypeError(f"{container}: expected a Module, got {type(module).__name__}")
    return module


# ---------------------------------------------------------------- checkpoints of earlier minigrad

def upgrade_legacy_state_dict(model, state):
    """``state``, a state dict of ``model`` saved in format ``minigrad-checkpoint-1``, in today's names and layouts.

    Two things have changed since that format, both to PyTorch's conventions:

    - a Sequential kept its layers in a list attribute ``layers``, so its children were
      ``layers.0``, ``layers.1``, ...; they are now ``0``, ``1``, ... (``encoder.layers.2.bias``
      becomes ``encoder.2.bias``; a plain list attribute of a model is named as before);
    - a Linear stored its weight as (in_features, out_features); it is now
      (out_features, in_features), so each Linear weight is transposed.

    The file's format decides, never the shapes: a square Linear weight has the same shape
    in both layouts, so only knowing that the file is of format 1 says that it must be
    transposed. ``mg.load`` marks what it reads from such a file (see
    :class:`~minigrad.serialization.LegacyDict`) and :meth:`Module.load_state_dict` calls
    this function on a marked state dict, so ``model.load_state_dict(mg.load(path))``
    loads an old checkpoint unchanged. Names the model does not know are passed on as
    they are, for ``load_state_dict`` to report.
    """
    new_name, transposed = _legacy_layout(model)
    upgraded = {}
    for key, value in state.items():
        name = new_name.get(key, key)
        if name in transposed:
            value = (value.numpy() if isinstance(value, Tensor) else numpy.asarray(value)).T
        upgraded[name] = value
    return upgraded


def upgrade_legacy_optimizer_state(model, optimizer, state):
    """An optimizer's ``state`` saved in format ``minigrad-checkpoint-1``, its buffers in today's layouts.

    The optimizer's buffers (Adam's ``exp_avg`` and ``exp_avg_sq``, SGD's momentum) have
    the shape of their parameter, so those of each Linear weight of ``model`` were stored
    as (in_features, out_features) and are transposed, as
    :func:`upgrade_legacy_state_dict` transposes the weight itself. Which parameter a
    buffer belongs to is read from ``optimizer``, which must hold ``model``'s parameters
    in the order it was built with then. An optimizer cannot do this alone (it does not
    know which of its parameters are Linear weights), so ``Optimizer.load_state_dict``
    refuses a state from a format-1 file and names this function.
    """
    if "steps" in state and "param_groups" not in state:      # the flat layout of still earlier minigrad
        state = optimizer.from_flat_state_dict(state)
    _, transposed = _legacy_layout(model)
    transposed_ids = {id(t) for name, t in model._all_named_tensors("", persistent_only=True) if name in transposed}
    index_of = {}
    for saved, group in zip(state["param_groups"], optimizer.param_groups):
        index_of.update(zip(saved["params"], group["params"]))
    buffers = {}
    for i, entries in state["state"].items():
        p = index_of.get(i)
        if p is not None and id(p) in transposed_ids:
            entries = {name: value if isinstance(value, int) else numpy.asarray(value).T
                       for name, value in entries.items()}
        buffers[i] = dict(entries)
    return {"state": buffers, "param_groups": [dict(group) for group in state["param_groups"]]}


def _legacy_layout(model):
    """({name in format 1: name today}, {today's names of Linear weights}) for every parameter and buffer of model."""
    from .layers import Linear  # layers.py is built on this file, so the import cannot be at the top
    new_name, transposed = {}, set()

    def visit(module, prefix, old_prefix):
        own = [name for name, value in vars(module).items() if isinstance(value, Parameter)]
        for name in own + [name for name, _ in module._own_buffers(persistent_only=True)]:
            new_name[old_prefix + name] = prefix + name
            if isinstance(module, Linear) and name == "weight":
                transposed.add(prefix + name)
        for name, child in module.named_children():
            old = f"layers.{name}" if isinstance(module, Sequential) else name
            visit(child, f"{prefix}{name}.", f"{old_prefix}{old}.")

    visit(model, "", "")
    return new_name, transposed
