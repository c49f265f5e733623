"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: each ``step()`` sets ``group["lr"]``.

    optimizer = mg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = mg.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        for x, y in loader:
            ...
            optimizer.step()
        scheduler.step()                 # once per epoch, after that epoch's optimizer steps

Counting as in PyTorch: a new scheduler is at epoch 0, where each group keeps the lr it
had (its base lr, remembered in ``group["initial_lr"]``); the t-th call of ``step()``
moves to epoch t and sets every group's lr to the schedule at t, here computed from the
base lr in closed form (``get_lr()``). ``get_last_lr()`` returns the lrs last set.

Unlike PyTorch, which computes most schedules recursively from the current lr (so that
several schedulers can be chained on one optimizer), every lr here is the closed form.
The numbers are the same up to rounding while one scheduler drives the lr; a change made
by hand to ``group["lr"]`` lasts until the next ``step()`` here, where PyTorch would carry
it forward. There is no chaining (ChainedScheduler, SequentialLR), no ReduceLROnPlateau
and no ``step(epoch)``.

Saving: ``scheduler.state_dict()`` holds the epoch count, the base lrs and the schedule's
own numbers (not the optimizer's: save that too, as PyTorch does). To resume, build the
optimizer and the scheduler as before, then load both states.
"""
import math

from .optimizer import Optimizer


class LRScheduler:
    """The base of the schedulers: a subclass says what the lr is at epoch ``last_epoch`` in ``get_lr()``.

    ``last_epoch`` is the epoch count; -1 (the default) starts a new schedule. Another value
    resumes one (PyTorch's convention): the groups must then hold ``"initial_lr"``.
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            missing = [i for i, group in enumerate(optimizer.param_groups) if "initial_lr" not in group]
            if missing:
                raise KeyError(f"{type(self).__name__}: last_epoch={last_epoch} resumes a schedule, but the parameter "
                               f"groups {missing} have no 'initial_lr' (their lr when the schedule began); load the "
                               "optimizer's state first, or start anew with last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()                      # to epoch last_epoch + 1: epoch 0 for a new schedule

    def get_lr(self):
        """The lr of each group at epoch ``self.last_epoch``."""
        raise NotImplementedError

    def step(self):
        """Move to the next epoch and set every group's lr to the schedule there."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The lrs that the last step() (or the constructor) set, one per group."""
        return list(self._last_lr)

    def state_dict(self):
        """Every attribute but the optimizer, as PyTorch: epoch count, base lrs, last lrs, the schedule's numbers."""
        return {key: list(value) if isinstance(value, list) else value
                for key, value in vars(self).items() if key not in self._not_saved}

    _not_saved = ("optimizer",)

    def load_state_dict(self, state_dict):
        """Restore what :meth:`state_dict` returned, from a scheduler of the same kind on as many groups."""
        expected = set(self.state_dict())
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

    The functions are not saved by state_dict() (code is not data): build the scheduler
    with the same ones before loading its state.
    """

    _not_saved = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        groups = len(optimizer.param_groups)
        self.lr_lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        if not all(callable(f) for f in self.lr_lambdas):
            raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch or a list of them, got {lr_lambda!r}")
        if len(self.lr_lambdas) != groups:
            raise ValueError(f"LambdaLR: got {len(self.lr_lambdas)} functions for {groups} parameter groups")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base_lr * f(self.last_epoch) for base_lr, f in zip(self.base_lrs, self.lr_lambdas)]


class StepLR(LRScheduler):
    """lr = base_lr * gamma^(epoch // step_size): multiplied by gamma every step_size epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if not (step_size >= 1 and step_size == int(step_size)):
            raise ValueError(f"StepLR: step_size must be a whole number of epochs >= 1, got {step_size!r}")
        self.step_size, self.gamma = step_size, float(gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma^epoch: multiplied by gamma every epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = float(gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """The cosine schedule of SGDR (Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with
    Warm Restarts", ICLR 2017, arXiv:1608.03983, eq. 5) without its restarts:

        lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2

    from base_lr at epoch 0 down to eta_min at epoch T_max. As in PyTorch, stepping past
    T_max follows the same cosine back up (a period of 2 T_max); stop stepping at T_max to
    stay at eta_min.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if not T_max > 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be > 0, got {T_max!r}")
        self.T_max, self.eta_min = T_max, float(eta_min)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # the formula rearranged, c base_lr + (1 - c) eta_min: exactly base_lr at epoch 0, exactly eta_min at T_max
        c = (1.0 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2.0
        return [c * base_lr + (1.0 - c) * self.eta_min for base_lr in self.base_lrs]
