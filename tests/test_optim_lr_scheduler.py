"""Learning-rate schedulers: their lr sequences against closed forms (and PyTorch's recursive forms),
what the optimizer steps with, saving and resuming a schedule, an lr set by hand, chains of two
schedulers, and all of it against torch.optim.lr_scheduler over random sequences of those events."""
import copy
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import optim
from minigrad.optim import lr_scheduler


def sgd(lrs=(0.1,)):
    """SGD with one parameter group per lr."""
    return optim.SGD([{"params": [mg.tensor([0.0], requires_grad=True)], "lr": lr} for lr in lrs])


def lrs_over(scheduler, epochs):
    """[the lrs at epoch 0, at epoch 1, ...]: epoch 0 is the scheduler as made, each step() one epoch on."""
    sequence = [scheduler.get_last_lr()]
    for _ in range(epochs):
        scheduler.step()
        sequence.append(scheduler.get_last_lr())
        assert sequence[-1] == [g["lr"] for g in scheduler.optimizer.param_groups]   # what the optimizer uses
    return sequence


lr = st.floats(1e-4, 1.0)


@given(base=lr, step_size=st.integers(1, 7), gamma=st.floats(0.05, 1.0))
def test_step_lr_is_lr_times_gamma_to_the_number_of_whole_steps(base, step_size, gamma):
    sequence = lrs_over(lr_scheduler.StepLR(sgd([base, 2 * base]), step_size=step_size, gamma=gamma), 30)
    for epoch, lrs in enumerate(sequence):
        expected = base * gamma ** (epoch // step_size)
        assert lrs == pytest.approx([expected, 2 * expected], rel=1e-12)


@given(base=lr, T_max=st.integers(1, 12), eta_min=st.sampled_from([0.0, 1e-5, 1e-3]))
def test_cosine_annealing_is_the_sgdr_cosine_from_lr_down_to_eta_min(base, T_max, eta_min):
    sequence = lrs_over(lr_scheduler.CosineAnnealingLR(sgd([base]), T_max=T_max, eta_min=eta_min), 3 * T_max)
    for t, (lr_t,) in enumerate(sequence):
        assert lr_t == pytest.approx(eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2, rel=1e-12)
    assert sequence[0] == [base] and sequence[T_max] == [eta_min]                # exactly, at both ends
    assert sequence[2 * T_max][0] == pytest.approx(base, rel=1e-12)            # past T_max: back up, as PyTorch


def torch_cosine(base, eta_min, T_max, epochs):
    """PyTorch's CosineAnnealingLR.get_lr(): recursive from the current lr (the 'chainable' form)."""
    lr, sequence = base, [base]
    for epoch in range(1, epochs + 1):
        if (epoch - 1 - T_max) % (2 * T_max) == 0:
            lr = lr + (base - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
        else:
            lr = ((1 + math.cos(math.pi * epoch / T_max)) / (1 + math.cos(math.pi * (epoch - 1) / T_max))
                  * (lr - eta_min) + eta_min)
        sequence.append(lr)
    return sequence


@given(base=lr, T_max=st.integers(1, 12), eta_min=st.sampled_from([0.0, 1e-5, 1e-3]))
def test_the_closed_form_gives_pytorchs_recursive_numbers_up_to_rounding(base, T_max, eta_min):
    ours = [lrs[0] for lrs in lrs_over(lr_scheduler.CosineAnnealingLR(sgd([base]), T_max, eta_min), 3 * T_max)]
    np.testing.assert_allclose(ours, torch_cosine(base, eta_min, T_max, 3 * T_max), rtol=1e-9, atol=1e-12 * base)


@given(base=lr, gamma=st.floats(0.5, 1.0))
def test_exponential_and_lambda_lr(base, gamma):
    for epoch, (lr_t,) in enumerate(lrs_over(lr_scheduler.ExponentialLR(sgd([base]), gamma=gamma), 10)):
        assert lr_t == pytest.approx(base * gamma ** epoch, rel=1e-12)
    warmup = lr_scheduler.LambdaLR(sgd([base, base]), [lambda e: min(1.0, (e + 1) / 4), lambda e: 0.5 ** e])
    for epoch, lrs in enumerate(lrs_over(warmup, 10)):
        assert lrs == pytest.approx([base * min(1.0, (epoch + 1) / 4), base * 0.5 ** epoch], rel=1e-12)


def test_the_optimizer_steps_with_the_scheduled_lr():
    # gradient 1 and plain SGD: each step moves p by the lr of its epoch
    p = mg.tensor([0.0], requires_grad=True)
    optimizer = optim.SGD([p], lr=1.0)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    for _epoch in range(5):
        for _ in range(3):
            p.grad = mg.tensor([1.0])
            optimizer.step()
        scheduler.step()
    assert p.numpy()[0] == pytest.approx(-3 * (1 + 1 + 0.5 + 0.5 + 0.25))


def test_a_scheduler_remembers_the_initial_lr_in_each_group():
    optimizer = sgd([0.1, 0.2])
    scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    scheduler.step()
    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.1, 0.2] == scheduler.base_lrs
    assert scheduler.get_last_lr() == [0.05, 0.1]


@pytest.mark.parametrize("make", [lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.3),
                                  lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=1e-3),
                                  lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9),
                                  lambda o: lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + e))])
def test_a_saved_schedule_continues_where_it_stopped(make, tmp_path):
    optimizer = sgd([0.1, 0.4])
    scheduler = make(optimizer)
    for _ in range(5):
        scheduler.step()
    mg.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, tmp_path / "state.npz")
    later = lrs_over(scheduler, 6)

    fresh_optimizer = sgd([0.1, 0.4])                    # built as before, then loaded
    fresh = make(fresh_optimizer)
    state = mg.load(tmp_path / "state.npz")
    fresh_optimizer.load_state_dict(state["optimizer"])
    fresh.load_state_dict(state["scheduler"])
    assert fresh.last_epoch == 5 and fresh.get_last_lr() == later[0]
    assert lrs_over(fresh, 6) == later


def test_last_epoch_resumes_from_the_current_lr_with_the_initial_lr_as_base():
    # PyTorch's rules: base_lrs come from initial_lr; the constructor's step (to epoch 4) applies StepLR's rule
    # to the lr the group holds now, and 4 is a multiple of step_size
    optimizer = sgd([1.0])
    lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    optimizer.param_groups[0]["lr"] = 123.0
    resumed = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5, last_epoch=3)
    assert resumed.last_epoch == 4 and resumed.base_lrs == [1.0] and resumed.get_last_lr() == [61.5]
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, last_epoch=3)   # keeps the lr it finds
    assert cosine.last_epoch == 4 and cosine.get_last_lr() == [61.5]
    with pytest.raises(KeyError, match="no 'initial_lr'"):
        lr_scheduler.StepLR(sgd([1.0]), step_size=2, last_epoch=3)


def stepped_step_lr():
    """SGD at lr 1 and a StepLR(step_size=1, gamma=0.1) after two epochs: lr 0.01."""
    optimizer = sgd([1.0])
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.1)
    for _ in range(2):
        optimizer.step()
        scheduler.step()
    return optimizer, scheduler


@pytest.mark.parametrize("optimizer_first", [True, False])
def test_resuming_keeps_the_lr_whichever_state_is_loaded_first(optimizer_first):
    # the case: load the optimizer's state, build the StepLR, load its state: lr 0.01 (it was reset to 1.0)
    optimizer, scheduler = stepped_step_lr()
    saved = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}
    fresh_optimizer = sgd([1.0])
    if optimizer_first:
        fresh_optimizer.load_state_dict(saved["optimizer"])
        fresh = lr_scheduler.StepLR(fresh_optimizer, step_size=1, gamma=0.1)
    else:
        fresh = lr_scheduler.StepLR(fresh_optimizer, step_size=1, gamma=0.1)
        fresh_optimizer.load_state_dict(saved["optimizer"])
    fresh.load_state_dict(saved["scheduler"])
    assert fresh_optimizer.param_groups[0]["lr"] == pytest.approx(0.01, rel=1e-12)
    assert fresh.base_lrs == [1.0] and fresh.last_epoch == 2
    fresh.step()
    assert fresh_optimizer.param_groups[0]["lr"] == pytest.approx(0.001, rel=1e-12)


def test_an_lr_set_by_hand_is_carried_forward_by_the_next_step():
    # the case: StepLR at lr 0.01, set to 0.5 by hand; PyTorch's next step gives 0.05 (it was 0.001)
    optimizer, scheduler = stepped_step_lr()
    optimizer.param_groups[0]["lr"] = 0.5
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.05, rel=1e-12) and scheduler.get_last_lr() == [0.05]
    exponential = lr_scheduler.ExponentialLR(optimizer, gamma=0.5)   # a new scheduler keeps the lr it finds
    assert exponential.get_last_lr() == [0.05] and exponential.base_lrs == [1.0]
    exponential.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.025, rel=1e-12)
    warmup = lr_scheduler.LambdaLR(optimizer, lambda epoch: 0.5 ** epoch)   # closed form, as PyTorch's: base * f(0)
    assert warmup.get_last_lr() == [1.0]


def test_two_schedulers_on_one_optimizer_multiply_their_factors():
    optimizer = sgd([1.0])
    step = lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.1)
    exponential = lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    for epoch in range(1, 10):
        step.step()
        exponential.step()
        assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 ** (epoch // 3) * 0.5 ** epoch, rel=1e-12)


def test_step_with_an_epoch_is_refused():
    scheduler = lr_scheduler.StepLR(sgd(), step_size=2)
    with pytest.raises(TypeError, match="step\\(epoch\\) is deprecated"):
        scheduler.step(3)


# ---------------------------------------------------------------- against PyTorch

LAMBDAS = [lambda e: 1.0 / (1 + e), lambda e: 0.9 ** e, lambda e: min(1.0, (e + 1) / 4)]


@st.composite
def scheduler_specs(draw):
    """(name, keyword arguments) of a scheduler, with numbers drawn."""
    name = draw(st.sampled_from(["LambdaLR", "StepLR", "ExponentialLR", "CosineAnnealingLR"]))
    if name == "LambdaLR":
        return name, {"lr_lambda": draw(st.sampled_from(LAMBDAS))}
    if name == "StepLR":
        return name, {"step_size": draw(st.integers(1, 4)), "gamma": draw(st.floats(0.1, 1.0))}
    if name == "ExponentialLR":
        return name, {"gamma": draw(st.floats(0.5, 1.0))}
    return name, {"T_max": draw(st.integers(1, 6)), "eta_min": draw(st.sampled_from([0.0, 1e-4, 0.01]))}


EVENTS = st.one_of(st.just(("step",)), st.tuples(st.just("set"), st.integers(0, 1), st.floats(1e-3, 1.0)),
                   st.tuples(st.just("resume"), st.booleans()))


class Run:
    """One optimizer and its schedulers, in minigrad or in torch, driven by the same events."""

    def __init__(self, lib, lrs, specs):
        self.lib, self.lrs, self.specs = lib, lrs, specs
        self.optimizer = self.new_optimizer()
        self.schedulers = self.new_schedulers()

    def new_optimizer(self):
        if self.lib == "torch":
            import torch
            return torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in self.lrs])
        return sgd(self.lrs)

    def new_schedulers(self):
        module = lr_scheduler
        if self.lib == "torch":
            import torch
            module = torch.optim.lr_scheduler
        return [getattr(module, name)(self.optimizer, **kwargs) for name, kwargs in self.specs]

    def apply(self, event):
        if event[0] == "step":
            self.optimizer.step()
            for scheduler in self.schedulers:
                scheduler.step()
        elif event[0] == "set":
            self.optimizer.param_groups[min(event[1], len(self.lrs) - 1)]["lr"] = event[2]
        else:   # save both states, then build afresh and load them, the optimizer's first or last
            saved = copy.deepcopy((self.optimizer.state_dict(), [s.state_dict() for s in self.schedulers]))
            self.optimizer = self.new_optimizer()
            if event[1]:
                self.optimizer.load_state_dict(saved[0])
            self.schedulers = self.new_schedulers()
            if not event[1]:
                self.optimizer.load_state_dict(saved[0])
            for scheduler, state in zip(self.schedulers, saved[1]):
                scheduler.load_state_dict(state)

    def lrs_now(self):
        return [g["lr"] for g in self.optimizer.param_groups] + [lr for s in self.schedulers for lr in s.get_last_lr()]


@settings(max_examples=100)
@given(lrs=st.lists(st.floats(1e-3, 1.0), min_size=1, max_size=2), specs=st.lists(scheduler_specs(), min_size=1,
       max_size=2), events=st.lists(EVENTS, max_size=25))
def test_schedulers_and_their_chains_give_pytorchs_lrs(lrs, specs, events):
    pytest.importorskip("torch")
    ours, theirs = Run("minigrad", lrs, specs), None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # PyTorch's warning about the order of optimizer.step() and scheduler.step()
        theirs = Run("torch", lrs, specs)
        np.testing.assert_allclose(ours.lrs_now(), theirs.lrs_now(), rtol=1e-13)
        for i, event in enumerate(events):
            ours.apply(event)
            theirs.apply(event)
            np.testing.assert_allclose(ours.lrs_now(), theirs.lrs_now(), rtol=1e-13, atol=1e-300,
                                       err_msg=f"after {events[:i + 1]}")
            for mine, torchs in zip(ours.schedulers, theirs.schedulers):
                assert mine.last_epoch == torchs.last_epoch


@pytest.mark.parametrize("spec", [("StepLR", {"step_size": 2, "gamma": 0.5}), ("LambdaLR", {"lr_lambda": LAMBDAS[1]}),
                                  ("CosineAnnealingLR", {"T_max": 3, "eta_min": 0.01})])
def test_a_state_dict_carries_over_to_and_from_pytorch(spec):
    torch = pytest.importorskip("torch")
    name, kwargs = spec
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for source, target in (("torch", "minigrad"), ("minigrad", "torch")):
            run = Run(source, [0.5], [spec])
            for _ in range(4):
                run.apply(("step",))
            state = run.schedulers[0].state_dict()
            other = Run(target, [0.5], [spec])
            other.optimizer.param_groups[0]["lr"] = run.optimizer.param_groups[0]["lr"]
            other.schedulers[0].load_state_dict(state)
            for _ in range(3):
                run.apply(("step",))
                other.apply(("step",))
                assert other.lrs_now() == pytest.approx(run.lrs_now(), rel=1e-13)
    assert torch is not None


def test_bad_schedules_and_states_are_refused():
    with pytest.raises(ValueError, match="step_size"):
        lr_scheduler.StepLR(sgd(), step_size=0)
    with pytest.raises(ValueError, match="T_max"):
        lr_scheduler.CosineAnnealingLR(sgd(), T_max=0)
    with pytest.raises(ValueError, match="2 functions for 1 parameter groups"):
        lr_scheduler.LambdaLR(sgd(), [lambda e: 1.0, lambda e: 1.0])
    with pytest.raises(TypeError, match="expected an optimizer"):
        lr_scheduler.StepLR([mg.tensor([1.0], requires_grad=True)], step_size=1)
    scheduler = lr_scheduler.StepLR(sgd(), step_size=2)
    with pytest.raises(ValueError, match="expected the keys"):
        scheduler.load_state_dict(lr_scheduler.CosineAnnealingLR(sgd(), T_max=3).state_dict())
    with pytest.raises(ValueError, match="2 parameter groups"):
        scheduler.load_state_dict(lr_scheduler.StepLR(sgd([0.1, 0.2]), step_size=2).state_dict())
