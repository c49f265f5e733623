"""Layers: modules that own parameters, as in PyTorch's ``torch.nn``.

A :class:`Module` is an object whose attributes may be :class:`Parameter` s (tensors
the optimizer updates) and other modules (its children). Nothing is registered by
magic: ``parameters()`` looks through the attributes (``vars(self)``): first a module's
own Parameters, then each sub-module in the order the attributes were set, including
modules kept in a list or tuple attribute (as :class:`Sequential` does).

A module or parameter used in two places (tied weights: ``Sequential(lin, lin)``) is
listed once, under the first name met, as in PyTorch: an optimizer given it twice
would update it twice per step.

    model = mg.nn.MLP([784, 400, 10], activation="relu")
    loss = model(x).logsumexp(axis=1).mean()
    loss.backward()                 # fills p.grad for p in model.parameters()

Weights are stored as (in_features, out_features), so a layer is ``x @ W + b`` with no
transpose (PyTorch stores the transpose, (out, in), and computes ``x @ W.T + b``).
"""
import math

import numpy

from . import backend, ops
from . import random as mgrandom
from .tensor import Tensor, tensor


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

    training = True   # train() / eval() set it on the instance; layers such as dropout would read it

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

    def modules(self):
        """This module and every module below it, parents first; a module met twice is listed once."""
        result, seen = [], set()

        def visit(module):
            if id(module) not in seen:
                seen.add(id(module))
                result.append(module)
                for child in module.children():
                    visit(child)

        visit(self)
        return result

    def named_parameters(self, prefix=""):
        """(dotted name, parameter) for every parameter of this module and its sub-modules.

        Each parameter comes once, under the first name it is met by (a shared layer's
        weights are named after its first use), as PyTorch's ``named_parameters`` does.
        """
        seen = set()
        for name, p in self._all_named_parameters(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _all_named_parameters(self, prefix):
        """(dotted name, parameter) for every path to a parameter: a shared one once per path."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child._all_named_parameters(prefix + name + ".")

    def parameters(self):
        """Every parameter once (see named_parameters): the list to give an optimizer."""
        return [p for _, p in self.named_parameters()]

    # ------------------------------------------------------------ modes and gradients
    def train(self, mode=True):
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self):
        """Forget the gradients (set them to None, as PyTorch does by default)."""
        for p in self.parameters():
            p.grad = None

    def to(self, device):
        """Move every parameter to ``device`` (in place; returns the module)."""
        for p in self.parameters():
            p.data = backend.to_device(p.data, device)
            p.grad = None
        return self

    # ------------------------------------------------------------ saving and loading
    def state_dict(self):
        """{dotted name: NumPy copy of the parameter}: host arrays, so any device can load them.

        The names are those of named_parameters(): a shared parameter is saved once, under its
        first name, and loading that one entry restores every use of it (they are one tensor).
        """
        return {name: p.numpy() for name, p in self.named_parameters()}

    def load_state_dict(self, state, strict=True):
        """Copy the arrays of ``state`` into the parameters of the same names (and shapes).

        With ``strict`` (the default) the names must match exactly; otherwise missing and
        unexpected names are skipped.  Each parameter keeps its own device and dtype.
        All or nothing: every name and shape is checked before any parameter changes.

        A shared parameter may also come under its other names (``layers.1.weight`` for
        ``Sequential(lin, lin)``, as a PyTorch state dict lists it): any one of them loads
        it, and names of the same parameter must then hold the same values.
        """
        own = dict(self.named_parameters())
        first_name = {id(p): name for name, p in own.items()}
        alias_of = {name: first_name[id(p)] for name, p in self._all_named_parameters("") if name not in own}
        given = {}                                    # first name -> [(name in state, value), ...]
        for name, value in state.items():
            if name in own or name in alias_of:
                given.setdefault(alias_of.get(name, name), []).append((name, value))
        missing = [name for name in own if name not in given]
        unexpected = [name for name in state if name not in own and name not in alias_of]
        if strict and (missing or unexpected):
            raise ValueError(f"load_state_dict: missing parameters {missing}, unexpected parameters {unexpected}")
        arrays = {}
        for name, p in own.items():
            for key, value in given.get(name, ()):
                array = value.numpy() if isinstance(value, Tensor) else numpy.asarray(value)
                if array.shape != p.shape:
                    raise ValueError(f"load_state_dict: {key} has shape {p.shape} in the model but "
                                     f"{array.shape} in the state dict; nothing was loaded")
                if name in arrays and not numpy.array_equal(array, arrays[name]):
                    raise ValueError(f"load_state_dict: {key} and {given[name][0][0]} name one shared parameter "
                                     "but hold different values in the state dict; nothing was loaded")
                arrays.setdefault(name, array)
        for name, value in arrays.items():
            p = own[name]
            p.data = tensor(value, dtype=p.dtype, device=p.device).data
        return self

    def __repr__(self):
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in self.named_children()]
        inside = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({inside})"
        return f"{type(self).__name__}({inside}\n" + "\n".join(lines) + "\n)"

    def extra_repr(self):
        return ""


class Linear(Module):
    """y = x @ weight + bias, with weight of shape (in_features, out_features).

    Initialisation: every weight and bias is drawn from U(-1/sqrt(in), 1/sqrt(in)), which
    has variance 1/(3 in).  Scaling the variance by 1/fan-in keeps the size of the outputs
    independent of the layer's width (LeCun, Bottou, Orr & Mueller, "Efficient BackProp",
    1998, section 4.6); this uniform version is PyTorch's default for ``nn.Linear`` (its
    ``kaiming_uniform_(a=sqrt(5))``, He et al. 2015), so results compare with PyTorch's.

    A layer with no inputs (in_features = 0) has an empty weight and a bias of zeros (the
    bound 1/sqrt(0) is taken as 0, as PyTorch does); one with no outputs gives empty outputs.
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None, device=None):
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, (int, numpy.integer)) or isinstance(n, bool) or n < 0:
                raise ValueError(f"Linear: {name} must be an integer >= 0, got {n!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        bound = 1.0 / math.sqrt(in_features) if in_features > 0 else 0.0
        self.weight = Parameter(mgrandom.uniform((in_features, out_features), -bound, bound, dtype, device))
        self.bias = Parameter(mgrandom.uniform((out_features,), -bound, bound, dtype, device)) if bias else None

    def forward(self, x):
        return ops.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Sequential(Module):
    """Modules applied one after the other: Sequential(a, b, c)(x) = c(b(a(x)))."""

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


# ---------------------------------------------------------------- activations

class ReLU(Module):
    """max(x, 0)."""
    def forward(self, x): return ops.relu(x)


class LeakyReLU(Module):
    """x for x > 0, else negative_slope * x."""
    def __init__(self, negative_slope=0.01): self.negative_slope = negative_slope
    def forward(self, x): return ops.leaky_relu(x, self.negative_slope)
    def extra_repr(self): return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    def forward(self, x): return ops.tanh(x)


class Sigmoid(Module):
    def forward(self, x): return ops.sigmoid(x)


class Softplus(Module):
    """log(1 + e^x), a smooth ReLU."""
    def forward(self, x): return ops.softplus(x)


class Identity(Module):
    def forward(self, x): return x


ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "tanh": Tanh, "sigmoid": Sigmoid, "softplus": Softplus,
               "identity": Identity}


def _activation(activation):
    """An activation module from a name ("relu"), a Module class (ReLU) or a module (ReLU())."""
    if isinstance(activation, Module):
        return activation
    if isinstance(activation, type) and issubclass(activation, Module):
        return activation()
    if activation in ACTIVATIONS:
        return ACTIVATIONS[activation]()
    raise ValueError(f"unknown activation {activation!r}; use one of {sorted(ACTIVATIONS)} or a Module")


class MLP(Sequential):
    """A multilayer perceptron: Linear layers of the given sizes with an activation between them.

    MLP([784, 400, 40]) = Linear(784, 400), ReLU, Linear(400, 40); no activation after the last layer.
    """

    def __init__(self, sizes, activation="relu", dtype=None, device=None):
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: need at least an input and an output size, got {sizes}")
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            if i > 0:
                layers.append(_activation(activation))
            layers.append(Linear(n_in, n_out, dtype=dtype, device=device))
        super().__init__(*layers)
        self.sizes = sizes
