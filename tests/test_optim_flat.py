"""Adam's small parameters stepped together on flat arrays give, to the last bit, what stepping each alone gives:
mixed with large ones, with a gradient missing in some steps, with step counts that differ, with the state loaded,
replaced or changed in place by the user in the middle of training."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import optim

SHAPES = [(), (0,), (3, 0), (5,), (4, 3), (40,), (2, 1, 3), (30,)]
KINDS = {
    "adam": lambda groups: optim.Adam(groups, lr=0.01),
    "adam amsgrad l2": lambda groups: optim.Adam(groups, lr=0.01, betas=(0.8, 0.95), amsgrad=True, weight_decay=0.1),
    "adamw amsgrad": lambda groups: optim.AdamW(groups, lr=0.01, eps=1e-6, amsgrad=True, weight_decay=0.1),
}


def make(kind, dtype, device, limit, shapes=SHAPES, seed=0):
    """Parameters in two groups (the second with its own lr) and the optimizer, stepping together those below limit."""
    rng = np.random.default_rng(seed)
    params = [mg.tensor(rng.standard_normal(s).astype(dtype), device=device, requires_grad=True) for s in shapes]
    half = len(params) // 2
    optimizer = KINDS[kind]([{"params": params[:half]}, {"params": params[half:], "lr": 0.003}])
    optimizer.flat_size_limit = limit
    return params, optimizer


def step(params, optimizer, rng, missing=()):
    """Give each parameter a random gradient (none to those whose index is in missing), then step."""
    for i, p in enumerate(params):
        g = rng.standard_normal(p.shape).astype(p.dtype)
        p.grad = None if i in missing else mg.tensor(g, device=p.device)
    optimizer.step()


def assert_same(params, optimizer, ref_params, ref_optimizer):
    """Same parameters and same state, bitwise."""
    for p, q in zip(params, ref_params):
        np.testing.assert_array_equal(p.numpy(), q.numpy(), strict=True)
    state, ref_state = optimizer.state_dict()["state"], ref_optimizer.state_dict()["state"]
    assert state.keys() == ref_state.keys()
    for i in state:
        assert state[i].keys() == ref_state[i].keys()
        for name in state[i]:
            np.testing.assert_array_equal(state[i][name], ref_state[i][name], strict=True)


def twins(kind, dtype, device, limit, **kwargs):
    """The same parameters and optimizer twice: stepping together those below limit, and each alone (limit 0)."""
    return make(kind, dtype, device, limit, **kwargs), make(kind, dtype, device, 0, **kwargs)


def step_both(twin, ref_twin, rng, ref_rng, missing=()):
    """One step of each twin, with the same gradients; then the two must be the same, bitwise."""
    step(*twin, rng, missing)
    step(*ref_twin, ref_rng, missing)
    assert_same(*twin, *ref_twin)


@pytest.mark.parametrize("limit", [20, optim.Adam.flat_size_limit])   # 20: (30,) and (40,) are stepped alone
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", KINDS)
def test_stepped_together_is_bitwise_stepped_alone(kind, dtype, limit, device):
    twin, ref_twin = twins(kind, dtype, device, limit)
    rng, ref_rng = np.random.default_rng(1), np.random.default_rng(1)
    for _ in range(5):
        step_both(twin, ref_twin, rng, ref_rng)


@pytest.mark.parametrize("kind", KINDS)
def test_a_missing_gradient_keeps_the_moments(kind, device):
    # the set of parameters stepped together changes from step to step; parameter 4 starts late, so its t lags
    missing = [{4}, {1, 4}, {4}, set(), {1, 6}, set(), {0, 1, 2, 3, 5, 6, 7}, set()]
    twin, ref_twin = twins(kind, np.float64, device, 100)
    (params, optimizer), rng, ref_rng = twin, np.random.default_rng(1), np.random.default_rng(1)
    for gone in missing:
        step_both(twin, ref_twin, rng, ref_rng, gone)
    assert optimizer.state[params[4]]["step"] == len(missing) - 3
    for gone in missing * 3:            # a layout no longer used is dropped: each parameter's moments live once
        step(params, optimizer, rng, gone)
        assert sum(len(key) for key in optimizer._flats) <= len(params)


def test_a_group_added_later_has_its_own_step_count(device):
    twin, ref_twin = twins("adam amsgrad l2", np.float32, device, 100)
    rng, ref_rng = np.random.default_rng(1), np.random.default_rng(1)
    for t in range(6):
        if t == 2:   # the same shapes again, as a third group whose t starts at 1
            for ps, opt in (twin, ref_twin):
                more, _ = make("adam", np.float32, device, 0, seed=3)
                opt.add_param_group({"params": more})
                ps.extend(more)
        step_both(twin, ref_twin, rng, ref_rng)
    params, optimizer = twin
    assert {optimizer.state[p]["step"] for p in params} == {6, 4}


def test_loaded_in_the_middle_of_training_the_loaded_moments_are_used(device):
    twin, ref_twin = twins("adamw amsgrad", np.float64, device, 100)
    (params, optimizer), rng, ref_rng = twin, np.random.default_rng(1), np.random.default_rng(1)
    for _ in range(3):
        step_both(twin, ref_twin, rng, ref_rng)
    saved, weights = optimizer.state_dict(), [p.numpy().copy() for p in params]
    for _ in range(2):                  # a detour, then back to step 3: weights and moments
        step(params, optimizer, np.random.default_rng(9))
    for p, w in zip(params, weights):
        p.data[...] = mg.tensor(w, device=device).data
    optimizer.load_state_dict(saved)
    for _ in range(3):
        step_both(twin, ref_twin, rng, ref_rng)


def test_the_state_is_per_parameter_arrays_that_user_code_may_change_or_replace(device):
    twin, ref_twin = twins("adam amsgrad l2", np.float32, device, 100)
    rng, ref_rng = np.random.default_rng(1), np.random.default_rng(1)
    for t in range(5):
        for ps, opt in (twin, ref_twin):
            state = opt.state.get(ps[3])
            if t == 2:                   # changed in place
                assert state["exp_avg"].shape == ps[3].shape
                state["exp_avg"][...] = 0
            if t == 3:                   # replaced
                state["exp_avg_sq"] = ps[3].xp.ones_like(state["exp_avg_sq"])
        step_both(twin, ref_twin, rng, ref_rng)


def test_amsgrad_turned_on_in_the_middle_of_training(device):
    twin, ref_twin = twins("adam", np.float64, device, 100)
    rng, ref_rng = np.random.default_rng(1), np.random.default_rng(1)
    for t in range(5):
        if t == 2:
            for _, opt in (twin, ref_twin):
                opt.param_groups[0]["amsgrad"] = True
        step_both(twin, ref_twin, rng, ref_rng)


@pytest.mark.parametrize("limit", [0, optim.Adam.flat_size_limit])
def test_a_graph_that_saved_a_parameter_refuses_backward_after_the_step(limit, device):
    # the step changes each parameter in place, through its data setter, stamped as PyTorch's version counter is
    params, optimizer = make("adam", np.float64, device, limit, shapes=[(3,), (2, 2)])
    for p in params:
        p.grad = mg.ones_like(p)
    losses = [(p * p).sum() for p in params]
    optimizer.step()
    for loss in losses:
        with pytest.raises(RuntimeError, match="changed in place"):
            loss.backward()
