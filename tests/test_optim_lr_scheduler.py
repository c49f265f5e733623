"""Learning-rate schedulers: their lr sequences against closed forms (and PyTorch's recursive forms),
what the optimizer steps with, and saving and resuming a schedule."""
import math

import numpy as np
import pytest
from hypothesis import given
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


def test_last_epoch_resumes_from_the_initial_lr_in_the_groups():
    optimizer = sgd([1.0])
    lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    optimizer.param_groups[0]["lr"] = 123.0              # whatever it is now: the schedule starts from initial_lr
    resumed = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5, last_epoch=3)
    assert resumed.last_epoch == 4 and resumed.get_last_lr() == [0.25]
    with pytest.raises(KeyError, match="no 'initial_lr'"):
        lr_scheduler.StepLR(sgd([1.0]), step_size=2, last_epoch=3)


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
