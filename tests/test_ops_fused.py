"""Each fused primitive is the composite it replaces: same value, gradient and second derivative.

The fused ops (``minigrad/ops/fused.py``) exist for speed only. For hypothesis-drawn
inputs, the value, the vjp for a random cotangent and the vjp of that vjp (second
derivatives, by double backward) of the fused op equal those of the composite of
plain primitives written beside it.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.ops import fused

from strategies import arrays, broadcastable_arrays, floats, shapes


def tensor(array, device):
    return mg.tensor(array, requires_grad=True, device=device)


def assert_same_function(fast, slow, inputs, seed=0):
    """Values, first derivatives and second derivatives (along random directions) of fast and slow agree."""
    rng = np.random.default_rng(seed)
    out_fast, out_slow = fast(*inputs), slow(*inputs)
    np.testing.assert_allclose(out_fast.numpy(), out_slow.numpy(), rtol=1e-10, atol=1e-12)
    g = mg.tensor(rng.standard_normal(out_fast.shape), device=inputs[0].device, requires_grad=True)
    firsts = []
    for f in (fast, slow):
        grads = mg.autograd.grad(f(*inputs), inputs, grad_outputs=g, create_graph=True, materialize_grads=True)
        firsts.append(grads)
    for a, b in zip(*firsts):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-12)
    directions = [mg.tensor(rng.standard_normal(x.shape), device=x.device) for x in inputs]
    seconds = []
    for grads in firsts:   # d/d(inputs, g) of sum_i <grad_i, direction_i>: Hessian-vector products
        scalar = sum(((gi * d).sum() for gi, d in zip(grads, directions)), mg.zeros((), dtype=mg.float64,
                                                                                     device=g.device))
        seconds.append(mg.autograd.grad(scalar, list(inputs) + [g], allow_unused=True))
    for a, b in zip(*seconds):
        if a is None or b is None:   # no path in one: the other must give zeros there
            assert (a is None or not a.numpy().any()) and (b is None or not b.numpy().any())
        else:
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-11)


@given(data=st.data(), batch=shapes(max_dims=2), has_bias=st.booleans())
def test_linear_is_matmul_plus_bias(device, data, batch, has_bias):
    n_in, n_out = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    x = tensor(data.draw(arrays(batch + (n_in,))), device)
    w = tensor(data.draw(arrays((n_out, n_in))), device)   # PyTorch's layout: (out_features, in_features)
    inputs = [x, w] + ([tensor(data.draw(arrays((n_out,))), device)] if has_bias else [])
    assert_same_function(fused.linear, fused.linear_composite, inputs)


@given(lx=broadcastable_arrays((floats(-8.0, 8.0), floats(0.0, 1.0))))
def test_bernoulli_log_prob_is_x_l_minus_softplus_l(device, lx):
    logits, x = (tensor(v, device) for v in lx)
    assert_same_function(fused.bernoulli_log_prob, fused.bernoulli_log_prob_composite, [logits, x])


@given(ls=broadcastable_arrays((floats(), floats(0.2, 3.0))))
def test_kl_to_standard_normal_is_the_formula(device, ls):
    shape = np.broadcast_shapes(*(v.shape for v in ls))   # elementwise on parameters of one shape, as a Normal's
    loc, scale = (tensor(np.broadcast_to(v, shape).copy(), device) for v in ls)
    assert_same_function(fused.kl_to_standard_normal, fused.kl_to_standard_normal_composite, [loc, scale])


@given(ls=broadcastable_arrays((floats(), floats(0.2, 3.0))))
def test_kl_to_standard_normal_equals_kl_divergence_to_a_standard_normal(device, ls):
    loc, scale = (tensor(v, device) for v in ls)
    q = mg.distributions.Normal(loc, scale)
    prior = mg.distributions.Normal(mg.zeros((), dtype=mg.float64, device=device),
                                    mg.ones((), dtype=mg.float64, device=device))
    expected = mg.distributions.kl_divergence(q, prior)
    np.testing.assert_allclose(fused.kl_to_standard_normal(q.loc, q.scale).numpy(), expected.numpy(),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("op", [fused.linear, fused.bernoulli_log_prob, fused.kl_to_standard_normal])
def test_the_fused_ops_are_the_ones_the_package_uses(op):
    assert getattr(mg.ops, op.__name__) is op
