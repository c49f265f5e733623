"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: each ``step()`` sets ``group["lr"]``.

    optimizer = mg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = mg.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        for x, y in loader:
            ...
            optimizer.step()
        scheduler.step()                 # once per epoch, after that epoch's optimizer steps

The rules are PyTorch's, so that a training loop carries over unchanged:

- **Counting.** ``last_epoch`` counts the calls of ``step()``. A new scheduler is at
  epoch 0 (the constructor makes the first step, from -1); the t-th ``step()`` moves to
  epoch t and sets each group's lr. ``get_last_lr()`` returns the lrs last set.
- **Base lrs.** The first scheduler built on an optimizer records each group's lr as
  ``group["initial_lr"]``; every scheduler reads its ``base_lrs`` from there. A group
  that already has one keeps it (a second scheduler, or an optimizer state that was
  loaded), so a resumed schedule keeps its original base.
- **Chainable.** StepLR, ExponentialLR and CosineAnnealingLR compute the next lr from
  the lr the group holds *now* (``get_lr()``, a recursion: StepLR multiplies the current
  lr by gamma every step_size epochs). So the constructor leaves the current lr as it is;
  an lr set by hand is carried forward by the next ``step()``; and two schedulers on one
  optimizer compose, each applying its factor to what the other left (step both, once
  per epoch). Alone and untouched, each follows its closed form, given in its
  docstring, up to rounding. LambdaLR is the exception, as in PyTorch: its lr is always
  the closed form base_lr * lr_lambda(epoch), overwriting any other change.
- **Saving.** ``state_dict()`` holds the scheduler's own numbers (epoch count, base lrs,
  last lrs, the schedule's parameters), not the optimizer's: save both. To resume, build
  the optimizer and the scheduler, then load both states, in either order: the
  optimizer's state brings back each group's lr and initial_lr, and the scheduler,
  being chainable, starts from them. Loading a scheduler's state does not set any lr.

The keys of a state dict are PyTorch's: one saved by ``torch.optim.lr_scheduler`` loads
here and the other way round. Not here: ``step(epoch)`` (deprecated in PyTorch), the
warning PyTorch gives when ``scheduler.step()`` comes before ``optimizer.step()``, the
other schedules, and ChainedScheduler / SequentialLR (step the schedulers themselves).
"""
import math
import types

from .optimizer import Optimizer


class LRScheduler:
    """The base of the schedulers: a subclass says in ``get_lr()`` what the lrs are at epoch ``last_epoch``.

    ``last_epoch`` is the epoch count; -1 (the default) starts a new schedule. Another value
    resumes one (PyTorch's convention): the groups must then hold ``"initial_lr"``, and the
    constructor's step goes from there to epoch last_epoch + 1.
    """

    # PyTorch keeps these flags as attributes (always False between steps), so its state dicts hold them
    _pytorch_flags = ("_is_initial", "_get_lr_called_within_step")

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])   # only the first scheduler on an optimizer sets it
        else:
            missing = [i for i, group in enumerate(optimizer.param_groups) if "initial_lr" not in group]
            if missing:
                raise KeyError(f"{type(self).__name__}: last_epoch={last_epoch} resumes a schedule, but the parameter "
                               f"groups {missing} have no 'initial_lr' (their lr when the schedule began); load the "
                               "optimizer's state first, or start anew with last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0             # calls of step(), the constructor's included (PyTorch's count)
        self._step(self._first_lrs)      # to epoch last_epoch + 1: epoch 0 for a new schedule

    def get_lr(self):
        """The lr of each group at epoch ``self.last_epoch``, from the lrs the groups hold now (see the module)."""
        raise NotImplementedError

    def _first_lrs(self):
        """The lrs the constructor's step sets: by default the schedule's rule, as any step."""
        return self.get_lr()

    def _current_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self, epoch=None):
        """Move to the next epoch and set every group's lr to the schedule there (call it after optimizer.step())."""
        if epoch is not None:
            raise TypeError(f"{type(self).__name__}.step: step(epoch) is deprecated in PyTorch and not supported "
                            "here; call step() once per epoch (to resume at an epoch, load a saved state_dict)")
        self._step(self.get_lr)

    def _step(self, rule):
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, rule(), strict=True):
            group["lr"] = lr
        self._last_lr = self._current_lrs()

    def get_last_lr(self):
        """The lrs that the last step() (or the constructor) set, one per group."""
        return list(self._last_lr)

    _not_saved = ("optimizer",)

    def state_dict(self):
        """Every attribute but the optimizer, as PyTorch: epoch count, base lrs, last lrs, the schedule's numbers."""
        return {key: list(value) if isinstance(value, list) else value
                for key, value in vars(self).items() if key not in self._not_saved}

    def load_state_dict(self, state_dict):
        """Restore what :meth:`state_dict` returned (here or in PyTorch), from a scheduler of the same kind.

        The optimizer's lrs are left as they are: they come back with the optimizer's state.
        """
        state_dict = {k: v for k, v in state_dict.items() if k not in self._pytorch_flags}
        expected = set(LRScheduler.state_dict(self))   # the attributes (LambdaLR restores its functions itself)
        if set(state_dict) != expected:
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected the keys {sorted(expected)}, got "
                             f"{sorted(state_dict)}")
        if len(state_dict["base_lrs"]) != len(self.base_lrs):
            raise ValueError(f"{type(self).__name__}.load_state_dict: the state is for {len(state_dict['base_lrs'])} "
                             f"parameter groups, the optimizer has {len(self.base_lrs)}")
        for key, value in state_dict.items():
            setattr(self, key, list(value) if isinstance(value, (list, tuple)) else value)

    def __repr__(self):
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self._last_lr})"


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch), with one function for all groups or a list of one per group.

    Not chainable, as in PyTorch: every step, the constructor's included, sets this closed
    form, whatever the lr was. state_dict() saves, as PyTorch, None for a plain function
    (code is not data: build the scheduler with the same functions before loading) and
    the attributes (``__dict__``) of a callable object, which load_state_dict() restores.
    """

    _not_saved = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        groups = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        self.lr_lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        if not all(callable(f) for f in self.lr_lambdas):
            raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch or a list of them, got {lr_lambda!r}")
        if isinstance(optimizer, Optimizer) and len(self.lr_lambdas) != groups:
            raise ValueError(f"LambdaLR: got {len(self.lr_lambdas)} functions for {groups} parameter groups")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base_lr * f(self.last_epoch) for base_lr, f in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self):
        state = super().state_dict()
        state["lr_lambdas"] = [None if isinstance(f, types.FunctionType) else dict(vars(f)) for f in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        saved = state_dict.pop("lr_lambdas", None)
        if saved is None or len(saved) != len(self.lr_lambdas):
            raise ValueError(f"LambdaLR.load_state_dict: expected 'lr_lambdas', one entry per function "
                             f"({len(self.lr_lambdas)}), got {saved!r:.80}")
        super().load_state_dict(state_dict)
        for f, attributes in zip(self.lr_lambdas, saved):
            if attributes is not None:
                vars(f).update(attributes)


class StepLR(LRScheduler):
    """Multiply the lr by gamma every step_size epochs:

        lr_t = lr_{t-1} * gamma   if t is a multiple of step_size (t > 0),   lr_{t-1} otherwise

    Alone, from base_lr: lr_t = base_lr * gamma^(t // step_size). As in PyTorch, the
    constructor's step applies the same rule (it changes nothing at epoch 0).
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if not (step_size >= 1 and step_size == int(step_size)):
            raise ValueError(f"StepLR: step_size must be a whole number of epochs >= 1, got {step_size!r}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the lr by gamma every epoch:  lr_t = lr_{t-1} * gamma;  alone, lr_t = base_lr * gamma^t."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _first_lrs(self):
        return self._current_lrs()      # the constructor's step keeps the lr (also when resuming)

    def get_lr(self):
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    """The cosine schedule of SGDR (Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with
    Warm Restarts", ICLR 2017, arXiv:1608.03983, eq. 5) without its restarts. Its closed form,

        lr_t = eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2,

    goes from base_lr at epoch 0 down to eta_min at epoch T_max. Chainable as PyTorch's, each
    step scales the distance to eta_min by the ratio of two consecutive values of the cosine:

        lr_t = eta_min + (lr_{t-1} - eta_min) (1 + cos(pi t / T_max)) / (1 + cos(pi (t - 1) / T_max))

    except just after a minimum (t - 1 = T_max, 3 T_max, ...), where that ratio is 0/0 and
    the step adds the closed form's rise instead: (base_lr - eta_min) (1 - cos(pi / T_max)) / 2.
    As in PyTorch, stepping past T_max follows the cosine back up (a period of 2 T_max);
    stop stepping at T_max to stay at eta_min.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if not T_max > 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be > 0, got {T_max!r}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def _first_lrs(self):
        return self._current_lrs()      # the constructor's step keeps the lr (also when resuming)

    def get_lr(self):
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if (t - 1 - T) % (2 * T) == 0:
            return [lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for lr, base_lr in zip(self._current_lrs(), self.base_lrs)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]
