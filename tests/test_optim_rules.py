"""SGD (momentum, dampening, Nesterov), Adam and AdamW (AMSGrad) against NumPy transcriptions of PyTorch's
update rules, over several steps and hypothesis-drawn hyperparameters; parameter groups."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import optim

STEPS = 6


def torch_sgd(p, grads, lr, momentum, dampening, weight_decay, nesterov):
    """torch.optim.SGD (single-tensor path), written out: the parameters after each step."""
    buf, trajectory = None, []
    for g in grads:
        d_p = g + weight_decay * p if weight_decay else g
        if momentum:
            buf = d_p.copy() if buf is None else momentum * buf + (1 - dampening) * d_p
            d_p = d_p + momentum * buf if nesterov else buf
        p = p - lr * d_p
        trajectory.append(p)
    return trajectory


def torch_adam(p, grads, lr, betas, eps, weight_decay, amsgrad, decoupled):
    """torch.optim.Adam / AdamW (single-tensor path), written out: the parameters after each step."""
    beta1, beta2 = betas
    m, v, v_max, trajectory = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p), []
    for t, g in enumerate(grads, start=1):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * p
        m = m + (1 - beta1) * (g - m)                     # exp_avg.lerp_(grad, 1 - beta1)
        v = beta2 * v + (1 - beta2) * g * g
        bias_correction1, bias_correction2 = 1 - beta1 ** t, 1 - beta2 ** t
        if amsgrad:
            v_max = np.maximum(v_max, v)
            denom = np.sqrt(v_max) / np.sqrt(bias_correction2) + eps
        else:
            denom = np.sqrt(v) / np.sqrt(bias_correction2) + eps
        p = p - (lr / bias_correction1) * m / denom
        trajectory.append(p)
    return trajectory


def gradient_sequence(seed, scales):
    """Gradients whose size changes from step to step (a large one, then small ones: AMSGrad's case)."""
    rng = np.random.default_rng(seed)
    return [scale * rng.standard_normal((2, 3)) for scale in scales]


def run(make, start, grads, device):
    p = mg.nn.Parameter(mg.tensor(start, device=device))
    optimizer = make([p])
    trajectory = []
    for g in grads:
        p.grad = mg.tensor(g, device=device)
        optimizer.step()
        trajectory.append(p.numpy())
    return trajectory


scales = st.lists(st.sampled_from([1e-3, 0.1, 1.0, 30.0]), min_size=STEPS, max_size=STEPS)


@given(seed=st.integers(0, 2 ** 16), scales=scales, lr=st.floats(1e-4, 0.5), momentum=st.floats(0.0, 0.99),
       dampening=st.sampled_from([0.0, 0.0, 0.3]), weight_decay=st.sampled_from([0.0, 1e-4, 0.1]),
       nesterov=st.booleans())
def test_sgd_matches_pytorchs_rule(device, seed, scales, lr, momentum, dampening, weight_decay, nesterov):
    if nesterov and (momentum == 0 or dampening != 0):
        nesterov = False                                  # refused, see below
    start, grads = np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.25]]), gradient_sequence(seed, scales)
    ours = run(lambda ps: optim.SGD(ps, lr=lr, momentum=momentum, dampening=dampening,
                                    weight_decay=weight_decay, nesterov=nesterov), start, grads, device)
    for t, (a, b) in enumerate(zip(ours, torch_sgd(start, grads, lr, momentum, dampening, weight_decay, nesterov))):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"step {t + 1}")


@given(seed=st.integers(0, 2 ** 16), scales=scales, lr=st.floats(1e-4, 0.5),
       betas=st.tuples(st.sampled_from([0.0, 0.5, 0.9]), st.sampled_from([0.9, 0.99, 0.999])),
       eps=st.sampled_from([1e-8, 1e-3]), weight_decay=st.sampled_from([0.0, 1e-3, 0.1]),
       amsgrad=st.booleans(), decoupled=st.booleans(), fused=st.booleans())
def test_adam_and_adamw_match_pytorchs_rule(device, seed, scales, lr, betas, eps, weight_decay, amsgrad, decoupled,
                                            fused):
    start, grads = np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.25]]), gradient_sequence(seed, scales)
    kind = optim.AdamW if decoupled else optim.Adam
    ours = run(lambda ps: kind(ps, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                               fused=fused), start, grads, device)
    reference = torch_adam(start, grads, lr, betas, eps, weight_decay, amsgrad, decoupled)
    for t, (a, b) in enumerate(zip(ours, reference)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"step {t + 1}")


@pytest.mark.parametrize("kind", [optim.Adam, optim.AdamW])
@pytest.mark.parametrize("dtype, rtol", [(mg.float64, 1e-10), (mg.float32, 2e-4)])
def test_fused_adam_is_the_rule_written_out_over_many_steps(device, kind, dtype, rtol):
    # Adam.step writes Algorithm 1's lines; fused=True computes them in place, with eps moved inside the
    # bias correction. Over 300 steps, with weight decay, amsgrad in one group, gradients of changing size
    # and parameters that skip steps (grad None), both give the same parameters and the same state
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (5,), (2, 2, 2)]
    starts = [rng.standard_normal(shape) for shape in shapes]
    trajectories, states = [], []
    for fused in (False, True):
        params = [mg.nn.Parameter(mg.tensor(start, dtype=dtype, device=device)) for start in starts]
        optimizer = kind([{"params": params[:2], "amsgrad": True}, {"params": params[2:], "lr": 0.05}],
                         lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1, fused=fused)
        draws = np.random.default_rng(1)   # the same gradients and skips for both
        trajectory = []
        for _ in range(300):
            for p in params:
                skip = draws.random() < 0.3
                g = draws.choice([1e-3, 1.0, 20.0]) * draws.standard_normal(p.shape)
                p.grad = None if skip else mg.tensor(g, dtype=dtype, device=device)
            optimizer.step()
            trajectory.append([p.numpy() for p in params])
        trajectories.append(trajectory)
        states.append(optimizer.state_dict()["state"])
    for step, (plain, fused) in enumerate(zip(*trajectories)):
        for a, b in zip(plain, fused):
            np.testing.assert_allclose(b, a, rtol=rtol, atol=rtol * 1e-2, err_msg=f"step {step + 1}")
    assert states[0].keys() == states[1].keys()
    for index in states[0]:
        assert states[0][index]["step"] == states[1][index]["step"] < 300   # every parameter skipped some steps
        assert states[0][index].keys() == states[1][index].keys()
        for name in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            if name in states[0][index]:
                np.testing.assert_allclose(states[1][index][name], states[0][index][name], rtol=rtol, atol=1e-12)


def test_amsgrad_keeps_the_largest_second_moment_and_so_takes_smaller_steps(device):
    # one large gradient, then small ones: v decays, v_max does not, so AMSGrad's steps stay small
    grads = [np.full((2, 3), 10.0)] + [np.full((2, 3), 0.01)] * 5
    start = np.zeros((2, 3))
    plain = run(lambda ps: optim.Adam(ps, lr=0.1, betas=(0.5, 0.9)), start, grads, device)
    ams = run(lambda ps: optim.Adam(ps, lr=0.1, betas=(0.5, 0.9), amsgrad=True), start, grads, device)
    np.testing.assert_array_equal(plain[0], ams[0])        # the same first step: v_max = v
    assert np.all(np.abs(np.diff(ams, axis=0)) < np.abs(np.diff(plain, axis=0)))

    p = mg.nn.Parameter(mg.tensor(start, device=device))
    adam = optim.Adam([p], lr=0.1, betas=(0.5, 0.9), amsgrad=True)
    for g in grads:
        p.grad = mg.tensor(g, device=device)
        adam.step()
    v = 0.9 ** 5 * 10.0 + sum(0.9 ** k * (1 - 0.9) * 0.01 ** 2 for k in range(5))   # v_1 = (1 - 0.9) 10^2
    np.testing.assert_allclose(adam.state_dict()["state"][0]["exp_avg_sq"], v, rtol=1e-12)
    np.testing.assert_allclose(adam.state_dict()["state"][0]["max_exp_avg_sq"], 10.0, rtol=1e-12)   # v_1


def test_nesterov_looks_ahead_of_plain_momentum():
    # constant gradient 1 from p = 0, lr 1, momentum 0.5: b = 1, 1.5, 1.75; plain moves by b, Nesterov by 1 + 0.5 b
    plain = run(lambda ps: optim.SGD(ps, lr=1.0, momentum=0.5), np.zeros(1), [np.ones(1)] * 3, "cpu")
    nesterov = run(lambda ps: optim.SGD(ps, lr=1.0, momentum=0.5, nesterov=True), np.zeros(1), [np.ones(1)] * 3, "cpu")
    np.testing.assert_allclose(np.concatenate(plain), [-1.0, -2.5, -4.25])
    np.testing.assert_allclose(np.concatenate(nesterov), [-1.5, -3.25, -5.125])


@pytest.mark.parametrize("kwargs", [dict(nesterov=True), dict(nesterov=True, momentum=0.9, dampening=0.1)])
def test_nesterov_without_momentum_or_with_dampening_is_refused(kwargs):
    with pytest.raises(ValueError, match="Nesterov momentum needs momentum > 0 and dampening = 0"):
        optim.SGD([mg.tensor([1.0], requires_grad=True)], **kwargs)


# ---------------------------------------------------------------- parameter groups

def test_groups_override_the_defaults_and_keep_the_rest():
    a, b = mg.tensor([1.0], requires_grad=True), mg.tensor([2.0], requires_grad=True)
    sgd = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5, "name": "head"}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in sgd.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in sgd.param_groups] == [0.9, 0.9]
    assert sgd.param_groups[1]["name"] == "head"                       # other keys are kept, as in PyTorch
    assert sgd.param_groups[0]["params"] == [a] and sgd.params == [a, b]
    assert "Parameter Group 1" in repr(sgd) and "lr: 0.5" in repr(sgd)


@pytest.mark.parametrize("kind", [optim.SGD, optim.Adam, optim.AdamW])
def test_each_group_steps_with_its_own_lr_as_a_separate_optimizer_would(kind, device):
    start, grads = np.array([0.5, -1.0]), gradient_sequence(3, [1.0] * STEPS)
    grads = [g[0, :2] for g in grads]
    a, b = (mg.nn.Parameter(mg.tensor(start, device=device)) for _ in range(2))
    grouped = kind([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.2)
    for g in grads:
        a.grad = b.grad = mg.tensor(g, device=device)
        grouped.step()
    np.testing.assert_array_equal(a.numpy(), run(lambda ps: kind(ps, lr=0.2), start, grads, device)[-1])
    np.testing.assert_array_equal(b.numpy(), run(lambda ps: kind(ps, lr=0.05), start, grads, device)[-1])
    assert not np.allclose(a.numpy(), b.numpy())


def test_a_change_to_group_lr_takes_effect_at_the_next_step():
    p = mg.tensor([0.0], requires_grad=True)
    sgd = optim.SGD([p], lr=1.0)
    for lr in (1.0, 0.5, 0.25):
        sgd.param_groups[0]["lr"] = lr
        p.grad = mg.tensor([1.0])
        sgd.step()
    assert p.numpy()[0] == -1.75


def test_add_param_group_adds_parameters_with_their_own_lr():
    a, b = mg.tensor([0.0], requires_grad=True), mg.tensor([0.0], requires_grad=True)
    sgd = optim.SGD([a], lr=1.0)
    sgd.add_param_group({"params": [b], "lr": 0.1})
    a.grad = b.grad = mg.tensor([1.0])
    sgd.step()
    assert (a.numpy()[0], b.numpy()[0]) == (-1.0, -0.1)
    with pytest.raises(ValueError, match=r"parameter 2 \(shape \(1,\)\) is the same tensor as parameter 1"):
        sgd.add_param_group({"params": [b]})


def test_bad_groups_are_refused_with_a_reason():
    a, b = mg.tensor([1.0], requires_grad=True), mg.tensor([2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"parameter 1 \(shape \(1,\)\) is the same tensor as parameter 0.*one group"):
        optim.Adam([{"params": [a]}, {"params": [a]}])
    with pytest.raises(TypeError, match="mixes tensors and parameter groups"):
        optim.Adam([a, {"params": [b]}])
    with pytest.raises(TypeError, match=r"pass a list of groups: \[\{'params': \.\.\.\}\]"):
        optim.Adam({"params": [a]})
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([{"params": [a]}, {"params": [b], "betas": (0.9, 1.5)}])
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([{"params": []}])
    model = mg.nn.MLP([2, 3, 1])
    with pytest.raises(TypeError, match=r"call it: model\.parameters\(\)"):
        optim.SGD([{"params": model.parameters}])
