"""Module and Parameter: what a layer owns, and the containers that hold layers.

A :class:`Module` is an object whose attributes may be :class:`Parameter` s (tensors the
optimizer updates), buffers (tensors it keeps but does not train, such as BatchNorm's
running mean: see :meth:`Module.register_buffer`) and other modules (its children).
Nothing is registered by magic: ``parameters()`` looks through the attributes
(``vars(self)``): first a module's own Parameters, then each sub-module in the order the
attributes were set, including modules kept in a list or tuple attribute (as
:class:`Sequential` does) and in the containers :class:`ModuleList` and :class:`ModuleDict`.

A module or parameter used in two places (tied weights: ``Sequential(lin, lin)``) is
listed once, under the first name met, as in PyTorch: an optimizer given it twice
would update it twice per step.
"""
import numpy

from .. import backend
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
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------ what it owns
    def named_children(self):
        """(name, module) for each direct sub-module; a list attribute ``layers`` gives ``layers.0``, ..."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def children(self):
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

    def zero_grad(self):
        """Forget the gradients (set them to None, as PyTorch does by default)."""
        for p in self.parameters():
            p.grad = None

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

        A shared parameter may also come under its other names (``layers.1.weight`` for
        ``Sequential(lin, lin)``, as a PyTorch state dict lists it): any one of them loads
        it, and names of the same parameter must then hold the same values.
        """
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

    They are kept in the list ``layers``, so their parameters are named ``layers.0.weight``, ...
    """

    def __init__(self, *layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def append(self, module):
        self.layers.append(_checked(module, "Sequential"))
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
        self._list.append(_checked(module, "ModuleList"))
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
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
        return self._dict.keys()

    def values(self):
        return self._dict.values()

    def items(self):
        return self._dict.items()

    def update(self, modules):
        items = modules.items() if hasattr(modules, "items") else modules
        for key, module in items:
            self[key] = module


def _checked(module, container):
    if not isinstance(module, Module):
        raise TypeError(f"{container}: expected a Module, got {type(module).__name__}")
    return module
