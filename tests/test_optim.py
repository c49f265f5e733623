"""Optimizers against hand computations of their update rules, and saving their state."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import optim


def parameter(values, device):
    return mg.nn.Parameter(mg.tensor(np.array(values, dtype=np.float64), device=device))


def gradients(n_steps, shape, seed=0):
    return np.random.default_rng(seed).standard_normal((n_steps,) + shape)


def test_adam_follows_algorithm_1_of_kingma_and_ba(device):
    """Algorithm 1, written out literally in NumPy, against optim.Adam over several steps."""
    lr, beta1, beta2, eps = 0.1, 0.9, 0.999, 1e-8
    start = np.array([0.5, -1.0, 2.0])
    p = parameter(start, device)
    adam = optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    theta, m, v = start.copy(), np.zeros(3), np.zeros(3)
    for t, g in enumerate(gradients(5, (3,)), start=1):
        p.grad = mg.tensor(g, device=device)
        adam.step()
        m = beta1 * m + (1 - beta1) * g                 # update biased first moment estimate
        v = beta2 * v + (1 - beta2) * g ** 2            # update biased second raw moment estimate
        m_hat = m / (1 - beta1 ** t)                    # bias-corrected first moment estimate
        v_hat = v / (1 - beta2 ** t)                    # bias-corrected second raw moment estimate
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        np.testing.assert_allclose(p.numpy(), theta, rtol=1e-12, atol=1e-14)


def test_adam_first_step_moves_every_weight_by_lr():
    # with the bias correction, m_hat = g and v_hat = g^2 at t = 1: the step is lr * sign(g)
    p = parameter([1.0, 1.0, 1.0], "cpu")
    p.grad = mg.tensor(np.array([1e-3, -5.0, 200.0]))
    optim.Adam([p], lr=0.01).step()
    np.testing.assert_allclose(p.numpy(), [0.99, 1.01, 0.99], rtol=1e-6)


def test_adam_weight_decay_is_added_to_the_gradient():
    p, q = parameter([2.0, -3.0], "cpu"), parameter([2.0, -3.0], "cpu")
    g = np.array([0.1, 0.2])
    p.grad, q.grad = mg.tensor(g), mg.tensor(g + 0.5 * np.array([2.0, -3.0]))
    optim.Adam([p], lr=0.1, weight_decay=0.5).step()
    optim.Adam([q], lr=0.1).step()
    np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-12)


def test_adamw_decays_the_weights_apart_from_the_adam_step(device):
    lr, decay = 0.1, 0.2
    start = np.array([1.0, -2.0])
    p, q = parameter(start, device), parameter(start * (1 - lr * decay), device)
    g = np.array([0.3, 0.4])
    p.grad, q.grad = mg.tensor(g, device=device), mg.tensor(g, device=device)
    optim.AdamW([p], lr=lr, weight_decay=decay).step()   # p <- p (1 - lr decay), then Adam
    optim.Adam([q], lr=lr).step()
    np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-12)


def test_sgd_with_momentum_and_weight_decay(device):
    lr, momentum, decay = 0.1, 0.9, 0.01
    theta, velocity = np.array([1.0, -1.0]), np.zeros(2)
    p = parameter(theta, device)
    sgd = optim.SGD([p], lr=lr, momentum=momentum, weight_decay=decay)
    for g in gradients(4, (2,)):
        p.grad = mg.tensor(g, device=device)
        sgd.step()
        velocity = momentum * velocity + g + decay * theta
        theta = theta - lr * velocity
        np.testing.assert_allclose(p.numpy(), theta, rtol=1e-12)


def test_plain_sgd_step():
    p = parameter([1.0, 2.0], "cpu")
    p.grad = mg.tensor(np.array([10.0, -10.0]))
    optim.SGD([p], lr=0.01).step()
    np.testing.assert_allclose(p.numpy(), [0.9, 2.1])


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: optim.Adam(ps, lr=0.1), lambda ps: optim.AdamW(ps, lr=0.1)])
def test_a_step_reads_the_gradient_and_never_writes_into_it(make):
    p = parameter([1.0, 2.0], "cpu")
    g = mg.tensor(np.array([0.5, -0.5]))
    p.grad = g
    make([p]).step()
    np.testing.assert_array_equal(g.numpy(), [0.5, -0.5])
    assert p.grad is g


def test_parameters_without_gradient_are_left_alone():
    p, q = parameter([1.0], "cpu"), parameter([2.0], "cpu")
    p.grad = mg.tensor(np.array([1.0]))
    adam = optim.Adam([p, q], lr=0.1)
    adam.step()
    assert q.numpy()[0] == 2.0 and adam.state[p]["step"] == 1 and q not in adam.state


def test_adam_minimizes_a_quadratic(device):
    p = parameter([3.0, -4.0], device)
    adam = optim.Adam([p], lr=0.1)
    for _ in range(300):
        adam.zero_grad()
        (p * p).sum().backward()
        adam.step()
    assert np.abs(p.numpy()).max() < 0.05


def test_clip_grad_norm_scales_all_gradients_together():
    p, q = parameter([0.0, 0.0], "cpu"), parameter([0.0], "cpu")
    p.grad, q.grad = mg.tensor(np.array([3.0, 0.0])), mg.tensor(np.array([4.0]))   # joint norm 5
    old = p.grad
    total = optim.clip_grad_norm_([p, q], max_norm=1.0)
    assert total == pytest.approx(5.0)
    joint = math.sqrt((p.grad.numpy() ** 2).sum() + (q.grad.numpy() ** 2).sum())
    assert joint == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(p.grad.numpy() / q.grad.numpy()[0], [0.75, 0.0])   # direction kept
    np.testing.assert_array_equal(old.numpy(), [3.0, 0.0])     # replaced, not written into
    assert optim.clip_grad_norm_([p, q], max_norm=10.0) == pytest.approx(1.0, rel=1e-5)  # below: unchanged


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
                                  lambda ps: optim.Adam(ps, lr=0.05), lambda ps: optim.AdamW(ps, lr=0.05)])
def test_state_dict_round_trip_continues_identically(make, device, tmp_path):
    """Train 3 steps, copy model and optimizer state into fresh ones through a file, train on: both agree exactly."""
    grads = gradients(6, (3, 2), seed=1)   # Linear(2, 3).weight: (out, in)
    mg.random.seed(0)
    a = mg.nn.Linear(2, 3, bias=False, dtype=mg.float64, device=device)
    opt_a = make(a.parameters())
    for g in grads[:3]:
        a.weight.grad = mg.tensor(g, device=device)
        opt_a.step()
    mg.save(opt_a.state_dict(), tmp_path / "optimizer.npz")     # no pickle: numbers, tuples, NumPy arrays
    state = mg.load(tmp_path / "optimizer.npz")

    mg.random.seed(1)
    b = mg.nn.Linear(2, 3, bias=False, dtype=mg.float64, device=device)
    b.load_state_dict(a.state_dict())
    opt_b = make(b.parameters())
    opt_b.load_state_dict(state)
    for g in grads[3:]:
        a.weight.grad = mg.tensor(g, device=device)
        b.weight.grad = mg.tensor(g, device=device)
        opt_a.step()
        opt_b.step()
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())


def test_load_state_dict_rejects_a_state_for_other_parameters():
    adam = optim.Adam([parameter([1.0, 2.0], "cpu")])
    other = optim.Adam([parameter([1.0], "cpu"), parameter([1.0], "cpu")])
    with pytest.raises(ValueError, match="parameters"):
        adam.load_state_dict(other.state_dict())


def test_bad_hyperparameters_are_refused():
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([parameter([1.0], "cpu")], betas=(1.0, 0.999))
    with pytest.raises(ValueError, match="lr"):
        optim.SGD([parameter([1.0], "cpu")], lr=-1.0)
    with pytest.raises(ValueError, match="empty"):
        optim.Adam([])


def test_a_refused_optimizer_state_changes_nothing():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    optimizer = mg.optim.Adam([w], lr=0.1)
    (w * w).sum().backward()
    optimizer.step()
    before = optimizer.state_dict()
    bad = {"param_groups": [dict(before["param_groups"][0], lr=0.5)],
           "state": {0: dict(before["state"][0], step=7, exp_avg=np.zeros(3))}}   # wrong shape: take nothing
    with pytest.raises(ValueError, match="shape"):
        optimizer.load_state_dict(bad)
    after = optimizer.state_dict()
    assert after["param_groups"][0]["lr"] == 0.1 and after["state"][0]["step"] == 1
    np.testing.assert_array_equal(after["state"][0]["exp_avg"], before["state"][0]["exp_avg"])
    with pytest.raises(ValueError, match="unexpected key 'stray'"):
        optimizer.load_state_dict({"param_groups": before["param_groups"], "state": {0: {"stray": 1.0}}})
    with pytest.raises(ValueError, match="expected the keys 'state' and 'param_groups'"):
        optimizer.load_state_dict(dict(before, stray=1.0))


# ---------------------------------------------------------------- shared parameters and what an optimizer accepts

OPTIMIZERS = [lambda ps: optim.SGD(ps, lr=0.1), lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
              lambda ps: optim.Adam(ps, lr=0.1), lambda ps: optim.AdamW(ps, lr=0.1)]


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_a_layer_used_twice_is_stepped_once(make, device):
    # Sequential(lin, lin) must step lin's weights exactly as an optimizer of lin alone does
    mg.random.seed(0)
    lin = mg.nn.Linear(2, 2, dtype=mg.float64, device=device)
    twin = mg.nn.Linear(2, 2, dtype=mg.float64, device=device)
    twin.load_state_dict(lin.state_dict())
    tied, alone = make(mg.nn.Sequential(lin, lin).parameters()), make(twin.parameters())
    for p, q in zip(lin.parameters(), twin.parameters()):
        p.grad = q.grad = mg.tensor(np.arange(p.size).reshape(p.shape) - 1.5, device=device)
    tied.step()
    alone.step()
    for p, q in zip(lin.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_a_repeated_parameter_is_refused(make):
    p, q = parameter([1.0], "cpu"), parameter([2.0, 3.0], "cpu")
    with pytest.raises(ValueError, match=r"parameter 2 \(shape \(2,\)\) is the same tensor as parameter 1"):
        make([p, q, q])


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_optimizers_say_to_call_model_parameters(make):
    model = mg.nn.MLP([2, 3, 1])
    with pytest.raises(TypeError, match=r"call it: model\.parameters\(\)"):
        make(model.parameters)
    with pytest.raises(TypeError, match=r"got the module MLP; pass its parameters: model\.parameters\(\)"):
        make(model)
    with pytest.raises(TypeError, match=r"named_parameters\(\) gives; pass model\.parameters\(\)"):
        make(model.named_parameters())
    with pytest.raises(TypeError, match=r"got one Tensor of shape \(3, 2\); pass a list"):
        make(model.parameters()[0])
    assert len(make(p for p in model.parameters()).params) == 4          # a generator is fine


# ---------------------------------------------------------------- clip_grad_norm_ as torch.nn.utils.clip_grad_norm_

@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_clip_grad_norm_with_a_non_finite_gradient_scales_every_gradient(device, bad):
    # PyTorch: clip_coef = max_norm / (total + 1e-6) multiplies every gradient, so a NaN norm makes
    # every gradient NaN and an infinite one makes the finite ones 0: never a step half clipped
    p, q = parameter([0.0, 0.0], device), parameter([0.0], device)
    p.grad, q.grad = mg.tensor(np.array([3.0, 4.0]), device=device), mg.tensor(np.array([bad]), device=device)
    with np.errstate(invalid="ignore"):                                   # inf * 0
        total = optim.clip_grad_norm_([p, q], max_norm=1.0)
    if math.isnan(bad):
        assert math.isnan(total)
        assert np.isnan(p.grad.numpy()).all() and np.isnan(q.grad.numpy()).all()
    else:
        assert total == math.inf
        np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])
        assert np.isnan(q.grad.numpy()).all()                        # inf * 0


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_clip_grad_norm_error_if_nonfinite_names_the_parameter_and_changes_nothing(device, bad):
    p, q, r = parameter([0.0, 0.0], device), parameter([0.0, 0.0, 0.0], device), parameter([0.0], device)
    p.grad, r.grad = mg.tensor(np.array([3.0, 4.0]), device=device), mg.tensor(np.array([1.0]), device=device)
    q.grad = mg.tensor(np.array([1.0, bad, 2.0]), device=device)
    before = [x.grad for x in (p, q, r)]
    with pytest.raises(RuntimeError, match=rf"norm of order 2.0 .* is {abs(bad)}.*parameter 1 \(shape \(3,\)\)"):
        optim.clip_grad_norm_([p, q, r], max_norm=1.0, error_if_nonfinite=True)
    assert [x.grad for x in (p, q, r)] == before                          # the same tensors, unchanged
    np.testing.assert_array_equal(p.grad.numpy(), [3.0, 4.0])


@given(values=st.lists(st.floats(-10.0, 10.0), min_size=1, max_size=7), split=st.integers(0, 7),
       norm_type=st.sampled_from([1.0, 2.0, 3.0, math.inf]), max_norm=st.floats(0.0, 20.0))
def test_clip_grad_norm_is_the_norm_of_all_gradients_as_one_vector(device, values, split, norm_type, max_norm):
    values = np.array(values)
    parts = [values[:split], values[split:]]
    params = [parameter(np.zeros(len(v)), device) for v in parts]
    for p, v in zip(params, parts):
        p.grad = mg.tensor(v, device=device)
    total = optim.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    expected = np.linalg.norm(values, ord=norm_type)
    assert total == pytest.approx(expected, rel=1e-12, abs=1e-300)
    coef = min(max_norm / (expected + 1e-6), 1.0)
    clipped = np.concatenate([p.grad.numpy() for p in params])
    np.testing.assert_allclose(clipped, coef * values, rtol=1e-12, atol=1e-300)


def test_clip_grad_norm_of_float32_gradients_beyond_float32_range(device):
    # each square overflows float32 (1e40 > 3.4e38), the norm does not: it is not inf, and the
    # gradients are scaled, not zeroed
    p = mg.nn.Parameter(mg.zeros((2,), dtype=mg.float32, device=device))
    p.grad = mg.tensor(np.array([3e20, 4e20]), dtype=mg.float32, device=device)
    total = optim.clip_grad_norm_([p], max_norm=1.0)
    assert total == pytest.approx(5e20, rel=1e-6)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)


def test_clip_grad_norm_counts_a_parameter_given_twice_once():
    p = parameter([0.0, 0.0], "cpu")
    p.grad = mg.tensor(np.array([3.0, 4.0]))
    assert optim.clip_grad_norm_([p, p], max_norm=1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)   # scaled once, not twice
    assert optim.clip_grad_norm_(p, max_norm=10.0) == pytest.approx(1.0, rel=1e-5)   # one tensor, as PyTorch


def test_clip_grad_norm_refuses_a_negative_max_norm():
    p = parameter([0.0], "cpu")
    p.grad = mg.tensor(np.array([3.0]))
    with pytest.raises(ValueError, match="max_norm must be >= 0, got -1.0"):
        optim.clip_grad_norm_([p], max_norm=-1.0)
