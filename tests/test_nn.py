"""Modules: what they own, how they compute, and saving/loading their weights."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn


def test_linear_computes_x_at_w_transposed_plus_b(device):
    mg.random.seed(0)
    layer = nn.Linear(5, 3, dtype=mg.float64, device=device)
    x = np.random.default_rng(1).standard_normal((4, 5))
    y = layer(mg.tensor(x, device=device))
    expected = x @ layer.weight.numpy().T + layer.bias.numpy()
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12)
    assert y.device == device and layer.weight.shape == (3, 5) and layer.bias.shape == (3,)   # PyTorch's (out, in)



def test_linear_weights_copy_to_and_from_torch_unchanged():
    """A Linear's weight and bias go into torch.nn.Linear as they are (no transpose) and give the same outputs,
    both ways; a square layer checks the layout by value, where shapes cannot tell."""
    torch = pytest.importorskip("torch")
    mg.random.seed(0)
    for n_in, n_out in [(5, 3), (4, 4)]:
        ours = nn.Linear(n_in, n_out, dtype=mg.float64)
        theirs = torch.nn.Linear(n_in, n_out, dtype=torch.float64)
        assert tuple(theirs.weight.shape) == ours.weight.shape
        theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()}, strict=True)
        x = np.random.default_rng(1).standard_normal((6, n_in))
        expected = theirs(torch.from_numpy(x)).detach().numpy()
        np.testing.assert_allclose(ours(mg.tensor(x)).numpy(), expected, rtol=1e-12)
        np.testing.assert_allclose(F.linear(mg.tensor(x), ours.weight, ours.bias).numpy(), expected, rtol=1e-12)
        back = nn.Linear(n_in, n_out, dtype=mg.float64)
        back.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
        np.testing.assert_allclose(back(mg.tensor(x)).numpy(), expected, rtol=1e-12)

def test_linear_init_is_uniform_within_one_over_sqrt_fan_in():
    mg.random.seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = layer.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(layer.bias.numpy()).max() <= bound
    # U(-a, a) has variance a^2 / 3
    assert w.var() == pytest.approx(bound ** 2 / 3, rel=0.02)


def test_linear_without_bias():
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None and len(layer.parameters()) == 1


def test_mlp_layers_names_and_order():
    model = nn.MLP([4, 8, 8, 2], activation="tanh")
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]   # no activation after the last layer
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias",
                     "4.weight", "4.bias"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())


def test_parameters_of_nested_modules_are_found_through_attributes_and_lists():
    class Net(nn.Module):
        def __init__(self):
            self.body = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
            self.heads = [nn.Linear(3, 1), nn.Linear(3, 1)]
            self.scale = nn.Parameter(mg.ones(()))

        def forward(self, x):
            h = self.body(x)
            return (self.heads[0](h) + self.heads[1](h)) * self.scale

    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["scale", "body.0.weight", "body.0.bias", "heads.0.weight", "heads.0.bias",
                     "heads.1.weight", "heads.1.bias"]
    assert len(net.modules()) == 6   # net, body, Linear, ReLU, two heads
    net(mg.ones((5, 2))).sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in net.parameters())


def test_mlp_gradient_matches_finite_differences(device):
    mg.random.seed(0)
    model = nn.MLP([3, 4, 2], activation="tanh", dtype=mg.float64, device=device)
    x = mg.tensor(np.random.default_rng(0).standard_normal((5, 3)), device=device)
    w = model[0].weight
    (model(x) ** 2).sum().backward()
    analytic = w.grad.numpy()[1, 2]
    eps, base = 1e-6, w.numpy()
    numeric = []
    for sign in (1, -1):
        shifted = base.copy()
        shifted[1, 2] += sign * eps
        with mg.no_grad():
            w.data = mg.tensor(shifted, device=device).data
            numeric.append((model(x) ** 2).sum().item())
    assert analytic == pytest.approx((numeric[0] - numeric[1]) / (2 * eps), rel=1e-6)


def test_a_layer_used_twice_gets_both_gradients():
    layer = nn.Linear(2, 2, bias=False)
    x = mg.ones((1, 2))
    layer(layer(x)).sum().backward()
    # L = sum(x W W) = x W W 1: W appears twice, so dL/dW = x^T (1^T W^T) + (x W)^T 1^T
    w, xv, ones = layer.weight.numpy(), np.ones((1, 2)), np.ones((1, 2))
    expected = xv.T @ (ones @ w.T) + (xv @ w).T @ ones
    np.testing.assert_allclose(layer.weight.grad.numpy(), expected, rtol=1e-6)


def test_zero_grad_and_train_eval():
    model = nn.MLP([2, 3, 1])
    model(mg.ones((1, 2))).sum().backward()
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.eval()
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_state_dict_round_trip(device):
    mg.random.seed(0)
    a = nn.MLP([3, 5, 2], device=device)
    mg.random.seed(1)
    b = nn.MLP([3, 5, 2], device=device)
    x = mg.ones((4, 3), device=device)
    assert not np.allclose(a(x).numpy(), b(x).numpy())
    state = a.state_dict()
    assert all(isinstance(v, np.ndarray) for v in state.values())   # host arrays: any device can load them
    b.load_state_dict(state)
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    state["0.weight"][:] = 0            # the state dict is a copy, not a view of the weights
    assert a[0].weight.numpy().any()


def test_load_state_dict_names_what_is_wrong():
    model = nn.MLP([3, 5, 2])
    state = model.state_dict()
    del state["2.bias"]
    with pytest.raises(ValueError, match="2.bias"):
        model.load_state_dict(state)
    model.load_state_dict(state, strict=False)   # skips what is missing
    state["0.weight"] = np.zeros((3, 5))   # (in, out): the transpose of Linear(3, 5)'s (out, in)
    with pytest.raises(ValueError, match="shape"):
        model.load_state_dict(state, strict=False)


def test_a_refused_state_dict_changes_nothing():
    model = nn.MLP([3, 5, 2])
    before = {name: p.numpy() for name, p in model.named_parameters()}
    state = {name: np.zeros_like(value) for name, value in before.items()}
    state["2.bias"] = np.zeros(7)       # the last entry is wrong: the first must not be loaded either
    with pytest.raises(ValueError, match="nothing was loaded"):
        model.load_state_dict(state)
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.numpy(), before[name])


def test_activation_modules():
    x = mg.tensor([-2.0, 0.5])
    np.testing.assert_allclose(nn.ReLU()(x).numpy(), [0.0, 0.5])
    np.testing.assert_allclose(nn.LeakyReLU(0.1)(x).numpy(), [-0.2, 0.5])
    np.testing.assert_allclose(nn.Tanh()(x).numpy(), np.tanh([-2.0, 0.5]), rtol=1e-6)
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp([2.0, -0.5])), rtol=1e-6)
    np.testing.assert_allclose(nn.Softplus()(x).numpy(), np.log1p(np.exp([-2.0, 0.5])), rtol=1e-6)
    with pytest.raises(ValueError, match="unknown activation"):
        nn.MLP([2, 2, 2], activation="swishy")


# ---------------------------------------------------------------- shared modules (tied weights)

def test_a_module_used_twice_lists_its_parameters_once():
    lin = nn.Linear(2, 2)
    model = nn.Sequential(lin, lin)
    assert len(model.parameters()) == 2                                  # not 4: each tensor once
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]   # first name wins
    assert model.modules() == [model, lin]

    class Tied(nn.Module):                               # the same Parameter under two attributes
        def __init__(self):
            self.encoder = nn.Linear(3, 2, bias=False)
            self.decoder_weight = self.encoder.weight
    assert [name for name, _ in Tied().named_parameters()] == ["decoder_weight"]   # own attributes come first


def test_a_shared_module_saves_once_and_loads_into_every_use(device):
    lin = nn.Linear(2, 2, device=device)
    model = nn.Sequential(lin, lin, nn.Linear(2, 1, device=device))
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    other_lin = nn.Linear(2, 2, device=device)
    other = nn.Sequential(other_lin, other_lin, nn.Linear(2, 1, device=device))
    other.load_state_dict(state)
    assert other[0] is other[1]                            # still tied
    x = mg.ones((3, 2), device=device)
    np.testing.assert_array_equal(other(x).numpy(), model(x).numpy())
    # a state dict naming the shared weights under every name (as PyTorch writes it) loads too ...
    aliases = dict(state, **{"1.weight": state["0.weight"], "1.bias": state["0.bias"]})
    other.load_state_dict(aliases)
    # ... but two names of one tensor must agree, else nothing is loaded
    aliases["1.bias"] = aliases["1.bias"] + 1.0
    with pytest.raises(ValueError, match=r"1.bias and 0.bias name one shared parameter"):
        other.load_state_dict(aliases)


def test_saving_a_module_itself_says_to_save_its_state_dict(tmp_path):
    model = nn.MLP([2, 3, 1])
    with pytest.raises(TypeError, match=r"mg\.save\(model\.state_dict\(\), path\)"):
        mg.save(model, tmp_path / "model.npz")
    with pytest.raises(TypeError, match=r"obj\['opt'\] is an optimizer .*mg\.save\(optimizer\.state_dict\(\), path\)"):
        mg.save({"opt": mg.optim.Adam(model.parameters())}, tmp_path / "model.npz")
    assert not list(tmp_path.iterdir())                                 # nothing written
    mg.save(model.state_dict(), tmp_path / "model.npz")
    nn.MLP([2, 3, 1]).load_state_dict(mg.load(tmp_path / "model.npz"))


# ---------------------------------------------------------------- layers with no inputs or no outputs

def test_linear_with_zero_features_has_empty_weights_and_the_right_gradients(device):
    # as torch.nn.Linear: Linear(0, n) maps to its bias (initialised to 0, the bound 1/sqrt(0) taken as 0)
    no_inputs = nn.Linear(0, 2, dtype=mg.float64, device=device)
    assert no_inputs.weight.shape == (2, 0)
    np.testing.assert_array_equal(no_inputs.bias.numpy(), [0.0, 0.0])
    x = mg.zeros((5, 0), dtype=mg.float64, device=device, requires_grad=True)
    y = no_inputs(x)
    assert y.shape == (5, 2)
    (y * 3.0).sum().backward()
    assert x.grad.shape == (5, 0) and no_inputs.weight.grad.shape == (2, 0)
    np.testing.assert_array_equal(no_inputs.bias.grad.numpy(), [15.0, 15.0])      # sum over 5 rows of 3

    no_outputs = nn.Linear(2, 0, dtype=mg.float64, device=device)
    assert no_outputs.weight.shape == (0, 2) and no_outputs.bias.shape == (0,)
    x = mg.ones((5, 2), dtype=mg.float64, device=device, requires_grad=True)
    y = no_outputs(x)
    assert y.shape == (5, 0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((5, 2)))
    assert no_outputs.weight.grad.shape == (0, 2) and no_outputs.bias.grad.shape == (0,)


@pytest.mark.parametrize("sizes", [(-1, 2), (2, -3), (2.5, 2)])
def test_linear_refuses_sizes_that_are_not_counts(sizes):
    with pytest.raises(ValueError, match=r"Linear: (in|out)_features must be an integer >= 0"):
        nn.Linear(*sizes)


# ---------------------------------------------------------------- the package: old imports keep working

def test_the_nn_package_keeps_its_old_names():
    import minigrad.nn as nn_module
    from minigrad.nn import Module, Parameter
    assert nn_module is mg.nn and Module is mg.nn.Module and Parameter is mg.nn.Parameter
    assert mg.nn.Linear is nn.layers.Linear and mg.nn.functional.relu is mg.relu
    assert {"relu", "leaky_relu", "tanh", "sigmoid", "softplus", "identity"} <= set(nn.ACTIVATIONS)


# ---------------------------------------------------------------- named_modules, apply, requires_grad_

class Encoder(nn.Module):
    def __init__(self):
        self.body = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
        self.heads = nn.ModuleDict({"loc": nn.Linear(3, 2), "scale": nn.Linear(3, 2)})
        self.blocks = nn.ModuleList([nn.Linear(2, 2), nn.Dropout(0.5)])

    def forward(self, x):
        h = self.body(x)
        loc = self.heads["loc"](h)
        for block in self.blocks:
            loc = block(loc)
        return loc, self.heads["scale"](h)


def test_named_modules_lists_every_module_once_parents_first():
    model = Encoder()
    names = [name for name, _ in model.named_modules()]
    assert names == ["", "body", "body.0", "body.1", "heads", "heads.loc", "heads.scale", "blocks",
                     "blocks.0", "blocks.1"]
    assert [m for _, m in model.named_modules()] == model.modules()
    lin = nn.Linear(2, 2)
    assert [name for name, _ in nn.Sequential(lin, nn.ReLU(), lin).named_modules("net")] == [
        "net", "net.0", "net.1"]                        # the shared layer once, first name


def test_containers_register_their_parameters_under_pytorchs_names():
    model = Encoder()
    assert [name for name, _ in model.named_parameters()] == [
        "body.0.weight", "body.0.bias", "heads.loc.weight", "heads.loc.bias", "heads.scale.weight",
        "heads.scale.bias", "blocks.0.weight", "blocks.0.bias"]
    loc, scale = model(mg.ones((5, 4)))
    (loc.sum() + scale.sum()).backward()
    assert all(p.grad is not None for p in model.parameters())
    assert len(model.blocks) == 2 and isinstance(model.blocks[-1], nn.Dropout)
    assert isinstance(model.blocks[:1], nn.ModuleList) and len(model.blocks[:1]) == 1
    model.blocks.append(nn.Linear(2, 2))
    model.heads["extra"] = nn.Linear(3, 1)
    assert "extra" in model.heads and list(model.heads) == ["loc", "scale", "extra"]
    assert "blocks.2.weight" in model.state_dict() and "heads.extra.bias" in model.state_dict()
    with pytest.raises(TypeError, match="expected a Module"):
        model.blocks.append(lambda x: x)
    with pytest.raises(KeyError, match="without '.'"):
        model.heads["a.b"] = nn.Linear(1, 1)


def test_apply_visits_children_before_parents_each_once():
    lin = nn.Linear(2, 2)
    model = nn.Sequential(lin, nn.Sequential(nn.ReLU(), lin))
    visited = []
    assert model.apply(visited.append) is model
    assert [type(m).__name__ for m in visited] == ["Linear", "ReLU", "Sequential", "Sequential"]
    assert visited[-1] is model

    def init_weights(module):                                          # the usual use: initialise by type
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.weight)
    model.apply(init_weights)
    assert not lin.weight.numpy().any()


def test_requires_grad_freezes_and_unfreezes_parameters():
    model = nn.MLP([3, 4, 2])
    model[0].requires_grad_(False)
    assert not any(p.requires_grad for p in model[0].parameters())
    model(mg.ones((2, 3))).sum().backward()
    assert model[0].weight.grad is None and model[2].weight.grad is not None
    assert model.requires_grad_() is model and all(p.requires_grad for p in model.parameters())


def test_train_and_eval_reach_modules_inside_containers():
    model = Encoder()
    model.eval()
    assert not model.blocks[1].training and not model.heads["loc"].training
    x = mg.ones((4, 4))
    np.testing.assert_array_equal(model(x)[0].numpy(), model(x)[0].numpy())   # no dropout in eval
    model.train()
    assert all(m.training for m in model.modules())


# ---------------------------------------------------------------- buffers

class Counter(nn.Module):
    def __init__(self, device=None):
        self.scale = nn.Parameter(mg.ones(2, device=device))
        self.register_buffer("count", mg.zeros(2, device=device))
        self.register_buffer("cache", mg.ones(3, device=device), persistent=False)
        self.register_buffer("nothing", None)

    def forward(self, x):
        with mg.no_grad():
            self.count += 1.0
        return x * self.scale


def test_buffers_are_kept_saved_and_loaded_but_not_trained(device):
    model = nn.Sequential(Counter(device), Counter(device))
    assert [name for name, _ in model.named_buffers()] == ["0.count", "0.cache", "1.count",
                                                          "1.cache"]
    assert [name for name, _ in model.named_parameters()] == ["0.scale", "1.scale"]
    model(mg.ones(2, device=device))
    state = model.state_dict()
    assert list(state) == ["0.scale", "0.count", "1.scale", "1.count"]   # not cache
    np.testing.assert_array_equal(state["1.count"], [1.0, 1.0])
    other = nn.Sequential(Counter(device), Counter(device)).load_state_dict(state)
    np.testing.assert_array_equal(other[0].count.numpy(), [1.0, 1.0])
    assert other[0].count.device == device
    with pytest.raises(ValueError, match="0.count"):
        other.load_state_dict({k: v for k, v in state.items() if k != "0.count"})
    model[0].count = mg.full((2,), 7.0, device=device)           # a new tensor stays a buffer
    assert model.state_dict()["0.count"].tolist() == [7.0, 7.0]


def test_to_moves_buffers_with_parameters():
    model = Counter("strict")
    model.to("cpu")
    assert all(t.device == "cpu" for t in model.parameters() + model.buffers())


def test_register_buffer_refuses_what_is_not_a_buffer():
    module = nn.Module()
    with pytest.raises(TypeError, match="not a Parameter"):
        module.register_buffer("w", nn.Parameter(mg.ones(2)))
    with pytest.raises(TypeError, match="must be a Tensor"):
        module.register_buffer("w", [1.0])
    with pytest.raises(ValueError, match="attribute name"):
        module.register_buffer("a.b", mg.ones(2))


# ---------------------------------------------------------------- rebinding a parameter

def test_rebinding_a_parameter_to_a_plain_tensor_is_refused_naming_the_in_place_update():
    m = nn.Linear(3, 2)
    m(mg.ones((4, 3))).sum().backward()
    before = m.weight
    with pytest.raises(TypeError, match=r"cannot assign a Tensor as parameter 'weight'.*mg\.no_grad\(\).*"
                                        r"module\.weight -= lr \* module\.weight\.grad.*mg\.nn\.Parameter"):
        m.weight = m.weight - 0.1 * m.weight.grad        # would drop weight from parameters() and state_dict()
    assert m.weight is before and [name for name, _ in m.named_parameters()] == ["weight", "bias"]
    with pytest.raises(TypeError, match="cannot assign a ndarray as parameter 'bias'"):
        m.bias = np.zeros(2)
    values, grad = m.weight.numpy().copy(), m.weight.grad.numpy()
    with mg.no_grad():                                   # what was meant: the update in place
        m.weight -= 0.1 * m.weight.grad
    assert m.weight is before
    np.testing.assert_allclose(m.weight.numpy(), values - 0.1 * grad, rtol=1e-6)
    m.weight = nn.Parameter(mg.zeros((3, 2)))            # replacing it by a Parameter, or None, is allowed
    assert list(m.state_dict()) == ["weight", "bias"] and not m.weight.numpy().any()
    m.bias = None
    assert list(m.state_dict()) == ["weight"]
    m.scale = mg.ones(2)                                 # a plain attribute that held no Parameter: anything goes
    m.scale = mg.zeros(2)


def test_sequential_names_its_layers_by_position_or_by_the_keys_of_a_dict():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    model.append(nn.Linear(3, 1))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [type(m).__name__ for m in model[1:]] == ["ReLU", "Linear"]
    assert list(model[1:].state_dict()) == ["2.weight", "2.bias"]        # a slice keeps the names, as in PyTorch
    named = nn.Sequential({"hidden": nn.Linear(2, 3), "act": nn.Tanh(), "out": nn.Linear(3, 1)})
    assert list(named.state_dict()) == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert named[2] is named[-1] and len(named) == 3
    with pytest.raises(KeyError, match="without '.'"):
        nn.Sequential({"a.b": nn.ReLU()})
