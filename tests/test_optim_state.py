"""Optimizer state: PyTorch's layout, saved with mg.save mid-training and loaded into fresh objects, training
continues exactly as an uninterrupted run; states in earlier minigrad's flat layout still load; bad states change
nothing."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim import lr_scheduler

OPTIMIZERS = {
    "sgd nesterov": lambda groups: optim.SGD(groups, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "sgd dampening": lambda groups: optim.SGD(groups, lr=0.05, momentum=0.8, dampening=0.2),
    "adam amsgrad": lambda groups: optim.Adam(groups, lr=0.05, amsgrad=True, weight_decay=1e-3),
    "adamw amsgrad": lambda groups: optim.AdamW(groups, lr=0.05, betas=(0.8, 0.99), amsgrad=True),
}


def setup(make, seed, device):
    """An MLP whose two layers are two parameter groups (the second with its own lr), and a cosine schedule."""
    mg.random.seed(seed)
    model = mg.nn.MLP([3, 4, 2], dtype=mg.float64, device=device)
    first, second = model.parameters()[:2], model.parameters()[2:]
    optimizer = make([{"params": first}, {"params": second, "lr": 0.01}])
    return model, optimizer, lr_scheduler.CosineAnnealingLR(optimizer, T_max=4, eta_min=1e-3)


def train(model, optimizer, scheduler, x, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        (model(x) ** 2).mean().backward()
        optimizer.step()
        scheduler.step()


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_saved_mid_training_and_loaded_into_fresh_objects_training_continues_identically(name, device, tmp_path):
    x = mg.tensor(np.random.default_rng(0).standard_normal((5, 3)), device=device)
    model, optimizer, scheduler = setup(OPTIMIZERS[name], 0, device)
    train(model, optimizer, scheduler, x, 3)
    mg.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
            tmp_path / "checkpoint.npz")
    train(model, optimizer, scheduler, x, 4)                         # the uninterrupted run

    fresh, fresh_optimizer, fresh_scheduler = setup(OPTIMIZERS[name], 1, device)   # other weights, overwritten
    checkpoint = mg.load(tmp_path / "checkpoint.npz")
    fresh.load_state_dict(checkpoint["model"])
    fresh_optimizer.load_state_dict(checkpoint["optimizer"])
    fresh_scheduler.load_state_dict(checkpoint["scheduler"])
    train(fresh, fresh_optimizer, fresh_scheduler, x, 4)
    for p, q in zip(model.parameters(), fresh.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert fresh_scheduler.get_last_lr() == scheduler.get_last_lr()
    for saved, group in zip(checkpoint["optimizer"]["param_groups"], fresh_optimizer.param_groups):
        assert saved.keys() == group.keys()


def test_the_state_dict_has_pytorchs_layout_with_the_amsgrad_buffer():
    a, b = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0], requires_grad=True)
    adam = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, amsgrad=True)
    a.grad = mg.tensor([0.5, -0.5])
    adam.step()                                                    # b has no gradient: no state for it
    state = adam.state_dict()
    assert state["param_groups"] == [
        {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": True, "params": [0]},
        {"lr": 0.5, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": True, "params": [1]}]
    assert list(state["state"]) == [0]
    assert sorted(state["state"][0]) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]
    assert state["state"][0]["step"] == 1
    np.testing.assert_allclose(state["state"][0]["max_exp_avg_sq"], 0.001 * 0.25)
    state["state"][0]["exp_avg"][:] = 7.0                          # a copy: the optimizer's buffer is not touched
    assert adam.state[a]["exp_avg"][0] != 7.0


def test_load_puts_the_buffers_on_each_parameters_device_and_dtype(device):
    p = mg.nn.Parameter(mg.zeros((2,), dtype=mg.float32, device=device))
    sgd = optim.SGD([p], lr=0.1, momentum=0.9)
    sgd.load_state_dict({"state": {0: {"momentum_buffer": np.array([1.0, 2.0])}},
                         "param_groups": [dict(sgd.state_dict()["param_groups"][0])]})
    buffer = sgd.state[p]["momentum_buffer"]
    assert mg.backend.device_of(buffer).name == device and buffer.dtype == np.float32


def flat_state_of_earlier_minigrad(optimizer, names):
    """What state_dict() wrote before parameter groups, for this one-group optimizer: a flat dict."""
    group, state = optimizer.param_groups[0], optimizer.state_dict()["state"]
    flat = {key: value for key, value in group.items() if key in ("lr", "momentum", "eps", "weight_decay")}
    if "betas" in group:
        flat["beta1"], flat["beta2"] = group["betas"]
    flat["steps"] = np.array([state.get(i, {}).get("step", 1) for i in range(len(optimizer.params))])
    for i, buffers in state.items():
        for new, old in names.items():
            flat[f"{old}.{i}"] = buffers[new]
    return flat


@pytest.mark.parametrize("make, names", [
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), {"momentum_buffer": "momentum"}),
    (lambda ps: optim.Adam(ps, lr=0.1), {"exp_avg": "exp_avg", "exp_avg_sq": "exp_avg_sq"})])
def test_a_state_in_the_flat_layout_of_earlier_minigrad_still_loads(make, names):
    start = [np.array([1.0, -2.0]), np.array([0.5])]
    grads = [[np.array([0.3, -0.1]), np.array([2.0])], [np.array([-0.2, 0.4]), np.array([1.0])]]
    ps, qs = ([mg.tensor(s, requires_grad=True) for s in start] for _ in range(2))
    old, new = make(ps), make(qs)
    for p, g in zip(ps, grads[0]):
        p.grad = mg.tensor(g)
    old.step()
    flat = flat_state_of_earlier_minigrad(old, names)
    assert all(isinstance(v, (float, np.ndarray)) for v in flat.values())
    for q, p in zip(qs, ps):
        q.data = p.data.copy()
    new.load_state_dict(flat)
    for optimizer, params in ((old, ps), (new, qs)):
        for p, g in zip(params, grads[1]):
            p.grad = mg.tensor(g)
        optimizer.step()
    for p, q in zip(ps, qs):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_a_state_for_other_groups_is_refused_and_changes_nothing():
    a, b = mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([3.0], requires_grad=True)
    adam = optim.Adam([{"params": [a]}, {"params": [b]}], lr=0.1)
    before = adam.state_dict()
    with pytest.raises(ValueError, match="the state has 1 parameter groups, this optimizer 2"):
        adam.load_state_dict(optim.Adam([a, b]).state_dict())
    with pytest.raises(ValueError, match="group 0 of the state has 2 parameters, this optimizer's has 1"):
        adam.load_state_dict(optim.Adam([{"params": [a, b]}, {"params": []}]).state_dict())
    lacking = adam.state_dict()
    del lacking["param_groups"][1]["amsgrad"]
    with pytest.raises(ValueError, match=r"group 1 of the state lacks the hyperparameters \['amsgrad'\]"):
        adam.load_state_dict(lacking)
    assert adam.state_dict() == before
