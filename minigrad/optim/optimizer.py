"""The base class of the optimizers: parameter groups, the state kept per parameter, saving both.

An optimizer holds its parameters in ``param_groups``, a list of dicts as in PyTorch:

    optimizer.param_groups == [{"params": [w1, b1, ...], "lr": 1e-3, "betas": (0.9, 0.999), ...}, ...]

Each group carries its own hyperparameters, read afresh by every ``step()``, so that a
scheduler (:mod:`minigrad.optim.lr_scheduler`) or a user may change them between steps:

    for group in optimizer.param_groups:
        group["lr"] *= 0.5

What ``step()`` keeps from one step to the next lives in ``optimizer.state``, a dict from
each parameter to its own dict of buffers (``{"step": 3, "exp_avg": array, ...}``): arrays
of the parameter's device, made the first time the parameter has a gradient.
"""
import numpy

from .. import backend
from ..serialization import LEGACY_FORMAT
from ..tensor import Tensor


class Optimizer:
    """What every optimizer shares: parameter groups, per-parameter state and saving them.

    ``params`` is either an iterable of tensors that require grad (a list, or a generator:
    it is read once), or a list of parameter groups, dicts with a key ``"params"`` and any
    hyperparameters that should differ from the optimizer's defaults (the keyword
    arguments of its constructor), as in PyTorch:

        mg.optim.SGD([{"params": model.encoder.parameters()},
                      {"params": model.decoder.parameters(), "lr": 1e-3}], lr=1e-2, momentum=0.9)

    Other keys of a group are kept as given (a name, or the ``"initial_lr"`` that a
    learning-rate scheduler adds).

    Each parameter may appear only once, in one group: a repeated one (the same tensor
    twice, as a list joined from two models that share a layer would give) is refused with
    a ValueError rather than silently deduplicated, because it would be stepped twice per
    step(), and because state_dict() numbers the parameters by their position, group after
    group. ``Module.parameters()`` lists a shared parameter once.
    """

    _state_names = ()   # the entries of optimizer.state[p] that step() keeps: checked by load_state_dict

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.param_groups = []
        self.state = {}          # parameter -> {"step": int, buffer name: array}, filled by step()
        self._scratches = {}     # parameter -> a work array reused by every step (holds nothing between steps)
        for group in _param_groups(type(self).__name__, params):
            self.add_param_group(group)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty list of parameters")

    @property
    def params(self):
        """All the parameters, group after group: the order in which state_dict() numbers them."""
        return [p for group in self.param_groups for p in group["params"]]

    def add_param_group(self, param_group):
        """Add a group ``{"params": [...], "lr": ..., ...}``; hyperparameters it lacks come from ``defaults``."""
        owner = type(self).__name__
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"{owner}: a parameter group is a dict with the key 'params', got {param_group!r:.80}")
        known = {id(p): i for i, p in enumerate(self.params)}
        params = _parameter_list(owner, param_group["params"], known)
        hyperparameters = {**self.defaults, **{k: v for k, v in param_group.items() if k != "params"}}
        self.param_groups.append({"params": params, **self._check_group(hyperparameters)})

    def _check_group(self, group):
        """The hyperparameters of a group, checked and converted (floats, bools): ValueError if out of range."""
        return dict(group)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients of the parameters before the next backward, as PyTorch's zero_grad.

        ``set_to_none=True`` (PyTorch's default) sets each ``p.grad`` to None: the next
        backward assigns a fresh gradient, and ``step()`` skips a parameter that got none.
        ``set_to_none=False`` gives each parameter that has a gradient a gradient of zeros
        instead (a new array: a gradient may be a read-only broadcast of the cotangent, or
        part of a graph after ``create_graph=True``), so ``p.grad`` stays a tensor.
        """
        for p in self.params:
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = Tensor(p.grad.xp.zeros_like(p.grad.data))

    def step(self):
        """One update of every parameter that has a ``.grad``, by the optimizer's rule; subclasses write it."""
        raise NotImplementedError

    def _scratch(self, p):
        """A work array like parameter p, reused across steps (not saved: it holds nothing between steps)."""
        scratch = self._scratches.get(p)
        if scratch is None:
            scratch = self._scratches[p] = p.xp.empty_like(p.data)
        return scratch

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"]
        return "\n".join(lines + [")"])

    # ------------------------------------------------------------ saving and loading
    def state_dict(self):
        """The state in PyTorch's layout, with parameters numbered group after group (0, 1, ...):

            {"state": {0: {"step": 3, "exp_avg": array, ...}, 1: {...}, ...},
             "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), ..., "params": [0, 1]}, ...]}

        Buffers are NumPy copies on the host (whatever the device), step counts Python ints;
        a parameter that was never stepped has no entry. ``mg.save(optimizer.state_dict(),
        path)`` writes it, ``optimizer.load_state_dict(mg.load(path))`` reads it back.
        """
        index = {id(p): i for i, p in enumerate(self.params)}
        groups = [{**{k: v for k, v in group.items() if k != "params"},
                   "params": [index[id(p)] for p in group["params"]]} for group in self.param_groups]
        state = {}
        for i, p in enumerate(self.params):
            if p in self.state:
                state[i] = {name: value if isinstance(value, int) else backend.device_of(value).to_host(value).copy()
                            for name, value in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore what :meth:`state_dict` returned, from this or an identically built optimizer.

        The hyperparameters of each group are taken from the state (the parameters stay
        this optimizer's), and the buffers go to each parameter's device and dtype. All or
        nothing: the whole state is checked before anything changes. A state in the flat
        layout of earlier minigrad (``"lr"``, ``"steps"``, ``"exp_avg.0"``, ...) is read too. A state
        that ``mg.load`` read from a file of format ``minigrad-checkpoint-1`` is refused: convert it
        with ``mg.nn.module.upgrade_legacy_optimizer_state(model, optimizer, state)``, which knows
        which buffers belong to Linear weights, whose layout has changed.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        if getattr(state_dict, "format", None) == LEGACY_FORMAT:   # a mark set by mg.load
            raise ValueError(f"{owner}: this state was read from a checkpoint of format {LEGACY_FORMAT!r}, which "
                             "stored Linear weights, and so their buffers, as (in_features, out_features); convert "
                             "it first: optimizer.load_state_dict(mg.nn.module.upgrade_legacy_optimizer_state(model, "
                             "optimizer, state))")
        if "steps" in state_dict and "param_groups" not in state_dict:
            state_dict = self.from_flat_state_dict(state_dict)
        if set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{owner}: expected the keys 'state' and 'param_groups' (as state_dict() gives), "
                             f"got {sorted(state_dict, key=str)}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{owner}: the state has {len(saved_groups)} parameter groups, this optimizer "
                             f"{len(self.param_groups)}")
        groups, parameter_of = [], {}
        for k, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{owner}: group {k} of the state has {len(saved['params'])} parameters, this "
                                 f"optimizer's has {len(group['params'])}")
            parameter_of.update(zip(saved["params"], group["params"]))
            hyperparameters = {key: value for key, value in saved.items() if key != "params"}
            missing = [key for key in self.defaults if key not in hyperparameters]
            if missing:
                raise ValueError(f"{owner}: group {k} of the state lacks the hyperparameters {missing}")
            groups.append({"params": group["params"], **self._check_group(hyperparameters)})
        state = {}
        for i, entries in state_dict["state"].items():
            if i not in parameter_of:
                raise ValueError(f"{owner}: the state has buffers for parameter {i!r}, which is in no group")
            p = parameter_of[i]
            state[p] = {}
            for name, value in entries.items():
                if name not in self._state_names:
                    raise ValueError(f"{owner}: unexpected key {name!r} in the state of parameter {i} (expected "
                                     f"some of {list(self._state_names)})")
                if name == "step":
                    state[p][name] = int(value)
                    continue
                array = value if backend.is_array(value) else numpy.asarray(value)
                if array.shape != p.shape:
                    raise ValueError(f"{owner}: buffer {name} of parameter {i} has shape {array.shape}, the "
                                     f"parameter {p.shape}")
                state[p][name] = backend.to_device(array, p.device).astype(p.dtype)   # astype copies
        self.param_groups, self.state = groups, state
        return self

    def from_flat_state_dict(self, flat):
        """A state dict in the flat layout of earlier minigrad (one group: "lr", "beta1", "steps", "exp_avg.0").

        minigrad only (PyTorch never had that layout): ``load_state_dict`` converts it with this,
        and so does ``mg.nn.module.upgrade_legacy_optimizer_state`` for still older checkpoints.
        """
        renamed = {"momentum": "momentum_buffer"}   # SGD's buffer had its own name then
        group = {key: numpy.asarray(value).item() for key, value in flat.items() if key != "steps" and "." not in key}
        if "beta1" in group and "beta2" in group:
            group["betas"] = (group.pop("beta1"), group.pop("beta2"))
        for flag, off in (("dampening", 0.0), ("nesterov", False), ("amsgrad", False)):   # not in the flat layout: off
            if flag in self.defaults:
                group.setdefault(flag, off)
        steps = [int(s) for s in numpy.asarray(flat["steps"]).reshape(-1)]
        state = {i: {"step": s} for i, s in enumerate(steps) if s and "step" in self._state_names}
        for key, value in flat.items():
            name, _, index = key.rpartition(".")
            if name:
                state.setdefault(int(index) if index.isdigit() else index, {})[renamed.get(name, name)] = value
        return {"state": state, "param_groups": [{**group, "params": list(range(len(steps)))}]}


def _param_groups(owner, params):
    """``params`` as a list of group dicts, ``[{"params": params}]`` for a plain iterable of tensors."""
    if isinstance(params, dict):
        raise TypeError(f"{owner}: params is one parameter group (a dict); pass a list of groups: [{{'params': ...}}]")
    params = _as_list(owner, params)
    if any(isinstance(g, dict) for g in params):
        if not all(isinstance(g, dict) for g in params):
            raise TypeError(f"{owner}: params mixes tensors and parameter groups (dicts); give one kind: "
                            "[p1, p2] or [{'params': [p1]}, {'params': [p2], 'lr': ...}]")
        return params
    return [{"params": params}]


def _as_list(owner, params):
    """``params`` as a list, or an error that says what to pass instead."""
    if hasattr(params, "parameters") and hasattr(params, "state_dict"):   # a Module, given instead of its parameters
        raise TypeError(f"{owner}: params must be an iterable of tensors, got the module {type(params).__name__}; "
                        "pass its parameters: model.parameters()")
    if callable(params):                        # model.parameters, not model.parameters()
        name = getattr(params, "__name__", "parameters")
        raise TypeError(f"{owner}: params is the method {name!r} itself, not the parameters it returns; "
                        f"call it: model.{name}()")
    if isinstance(params, Tensor):
        raise TypeError(f"{owner}: params must be an iterable of tensors, got one Tensor of shape "
                        f"{params.shape}; pass a list: [p]")
    try:
        return list(params)
    except TypeError:
        raise TypeError(f"{owner}: params must be an iterable of tensors, "
                        f"got an object of type {type(params).__name__}") from None


def _parameter_list(owner, params, known):
    """The tensors of one group as a list of distinct tensors that require grad, none of them ``known``.

    ``known``: {id: number} of the parameters of the groups before; this group's are numbered after them.
    """
    params = _as_list(owner, params)
    first = dict(known)
    for i, p in enumerate(params, start=len(known)):
        if isinstance(p, tuple) and len(p) == 2 and isinstance(p[1], Tensor):
            raise TypeError(f"{owner}: parameter {i} is a pair ({p[0]!r}, tensor), as named_parameters() gives; "
                            "pass model.parameters()")
        if not isinstance(p, Tensor) or not p.requires_grad:
            raise TypeError(f"{owner}: parameter {i} is not a tensor that requires grad")
        if id(p) in first:
            raise ValueError(f"{owner}: parameter {i} (shape {p.shape}) is the same tensor as parameter "
                             f"{first[id(p)]}; a repeated parameter would be updated twice per step. "
                             "Give each once, in one group (Module.parameters() already does)")
        first[id(p)] = i
    return params
