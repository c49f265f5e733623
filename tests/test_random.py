"""mg.random: NumPy's argument order (the distribution's parameters first, the shape last),
the shape by ``size`` or ``shape``, parameters that are tensors, and PyTorch's randn/rand."""
import numpy as np
import pytest

import minigrad as mg


def draws(make, seed=0):
    mg.random.seed(seed)
    return make().numpy()


# ---------------------------------------------------------------- the location first, as NumPy and PyTorch

@pytest.mark.parametrize("draw", [lambda: mg.random.normal(0, 1), lambda: mg.random.normal(2.0, 3.0),
                                  lambda: mg.random.uniform(0, 1), lambda: mg.random.uniform(-1.0, 1.0),
                                  lambda: mg.random.normal(), lambda: mg.random.uniform()],
                         ids=["normal(0, 1)", "normal(2., 3.)", "uniform(0, 1)", "uniform(-1., 1.)", "normal()",
                              "uniform()"])
def test_numbers_first_are_the_parameters_and_give_one_draw(device, draw):
    mg.set_default_device(device)
    x = draw()
    assert x.shape == () and x.size == 1 and x.device == device


def test_the_parameters_are_used_and_the_shape_is_size(device):
    eps = draws(lambda: mg.random.normal(size=(4, 3), dtype=mg.float64, device=device))
    x = draws(lambda: mg.random.normal(2.0, 3.0, (4, 3), dtype=mg.float64, device=device))
    np.testing.assert_allclose(x, 2.0 + 3.0 * eps, rtol=1e-12)
    u = draws(lambda: mg.random.uniform(size=(4, 3), dtype=mg.float64, device=device))
    v = draws(lambda: mg.random.uniform(-1.0, 3.0, (4, 3), dtype=mg.float64, device=device))
    np.testing.assert_allclose(v, -1.0 + 4.0 * u, rtol=1e-12)
    assert u.min() >= 0.0 and u.max() < 1.0


@pytest.mark.parametrize("op", ["normal", "uniform"])
def test_size_and_shape_are_one_argument(device, op):
    draw = getattr(mg.random, op)
    by_size = draws(lambda: draw(size=(2, 5), device=device))
    by_shape = draws(lambda: draw(shape=(2, 5), device=device))
    positional = draws(lambda: draw(0, 1, (2, 5), device=device))
    np.testing.assert_array_equal(by_size, by_shape)
    np.testing.assert_array_equal(by_size, positional)
    assert draws(lambda: draw(size=7, device=device)).shape == (7,)
    with pytest.raises(TypeError, match=rf"mg.random.{op}: got size=\(2, 5\) and shape=\(2, 5\).*give one"):
        draw(size=(2, 5), shape=(2, 5))


def test_keyword_callers_of_uniform_keep_working(device):
    # how a layer's initialization reads: everything by keyword, the shape first
    w = mg.random.uniform(shape=(300, 2), low=-0.5, high=0.25, dtype=mg.float64, device=device).numpy()
    assert w.shape == (300, 2) and w.min() >= -0.5 and w.max() < 0.25 and w.min() < -0.4 and w.max() > 0.15
    mg.random.seed(1)
    a = mg.random.uniform(shape=(4,), low=-2.0, high=2.0).numpy()
    mg.random.seed(1)
    np.testing.assert_array_equal(a, mg.random.uniform(-2.0, 2.0, size=(4,)).numpy())


@pytest.mark.parametrize("call, write", [
    (lambda: mg.random.normal((2, 3)), r"mg.random.normal\(size=\(2, 3\)\)"),
    (lambda: mg.random.normal([4], 0.0, 1.0), r"mg.random.normal\(size=\(4,\)\)"),
    (lambda: mg.random.uniform((2, 3), -1.0, 1.0), r"mg.random.uniform\(size=\(2, 3\)\)"),
    (lambda: mg.random.normal(0.0, (2, 3)), r"mg.random.normal\(size=\(2, 3\)\)"),
], ids=["normal(shape)", "normal(list, loc, scale)", "uniform(shape, low, high)", "a shape as scale"])
def test_a_shape_in_place_of_a_parameter_is_refused_naming_size(call, write):
    # the shape-first habit: NumPy would read (2, 3) as two locations and draw two numbers
    with pytest.raises(TypeError, match=rf"the shape comes last: write {write}"):
        call()


def test_a_parameter_of_another_type_is_refused():
    with pytest.raises(TypeError, match="mg.random.normal: scale must be a number or a tensor, got str"):
        mg.random.normal(0.0, "1")
    with pytest.raises(TypeError, match=r"got ndarray; wrap an array: mg.tensor\(array\)"):
        mg.random.uniform(np.zeros(3))


# ---------------------------------------------------------------- tensors as parameters broadcast as in NumPy

def test_tensor_parameters_give_one_draw_per_entry_and_their_dtype_and_device(device):
    loc = mg.tensor([[0.0], [10.0], [20.0]], dtype=mg.float64, device=device)    # (3, 1)
    scale = mg.tensor([1.0, 2.0, 3.0, 4.0], dtype=mg.float64, device=device)     # (4,)
    x = draws(lambda: mg.random.normal(loc, scale))
    eps = draws(lambda: mg.random.normal(size=(3, 4), dtype=mg.float64, device=device))
    assert x.shape == (3, 4) and x.dtype == np.float64
    np.testing.assert_allclose(x, loc.numpy() + scale.numpy() * eps, rtol=1e-12)
    assert mg.random.normal(loc, scale).device == device
    # with size, the parameters broadcast to it (the leading axis is new)
    assert mg.random.normal(loc, scale, size=(5, 3, 4)).shape == (5, 3, 4)
    with pytest.raises(ValueError, match=r"shapes \[\(3, 1\), \(4,\)\] do not broadcast to size=\(4,\)"):
        mg.random.normal(loc, scale, size=(4,))


def test_the_draw_is_differentiable_in_tensor_parameters(device):
    # x = loc + scale * eps: dx/dloc = 1, dx/dscale = eps (the reparameterization trick)
    loc = mg.tensor([1.0, -1.0], dtype=mg.float64, device=device, requires_grad=True)
    scale = mg.tensor(2.0, dtype=mg.float64, device=device, requires_grad=True)
    mg.random.seed(4)
    x = mg.random.normal(loc, scale)
    x.sum().backward()
    eps = draws(lambda: mg.random.normal(size=(2,), dtype=mg.float64, device=device), seed=4)
    np.testing.assert_array_equal(loc.grad.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(), rtol=1e-12)


def test_bernoulli_draws_one_per_probability_or_the_size_given(device):
    p = mg.tensor([0.0, 1.0, 0.0], dtype=mg.float64, device=device)
    b = mg.random.bernoulli(p)
    assert b.shape == (3,) and b.dtype == np.float64 and b.device == device
    np.testing.assert_array_equal(b.numpy(), [0.0, 1.0, 0.0])
    assert mg.random.bernoulli(0.5, (2, 3), device=device).shape == (2, 3)
    np.testing.assert_array_equal(mg.random.bernoulli(1.0, shape=(2, 4), device=device).numpy(), np.ones((2, 4)))


# ---------------------------------------------------------------- PyTorch's randn, rand and manual_seed

@pytest.mark.parametrize("ours, same", [
    (lambda d: mg.randn(2, 3, device=d), lambda d: mg.random.normal(size=(2, 3), device=d)),
    (lambda d: mg.randn((2, 3), device=d), lambda d: mg.random.normal(size=(2, 3), device=d)),
    (lambda d: mg.random.randn(4, device=d), lambda d: mg.random.normal(size=4, device=d)),
    (lambda d: mg.rand(2, 3, device=d), lambda d: mg.random.uniform(size=(2, 3), device=d)),
    (lambda d: mg.rand(5, dtype=mg.float64, device=d), lambda d: mg.random.uniform(size=5, dtype=mg.float64, device=d)),
], ids=["randn(2, 3)", "randn((2, 3))", "random.randn(4)", "rand(2, 3)", "rand(5, float64)"])
def test_randn_and_rand_are_the_same_draws_as_normal_and_uniform(device, ours, same):
    np.testing.assert_array_equal(draws(lambda: ours(device)), draws(lambda: same(device)))


def test_randn_can_make_a_leaf_that_requires_grad():
    w = mg.randn(3, 2, requires_grad=True)
    assert w.requires_grad and w.is_leaf and w.shape == (3, 2)
    with pytest.raises(TypeError, match="randn: the shape is made of integers, got 2.5"):
        mg.randn(3, 2.5)


def test_manual_seed_is_seed(device):
    mg.manual_seed(7)
    a = mg.randn(5, device=device).numpy()
    mg.random.seed(7)
    np.testing.assert_array_equal(a, mg.randn(5, device=device).numpy())


@pytest.mark.parametrize("op", ["normal", "uniform"])
@pytest.mark.parametrize("size, error", [((-1,), ValueError), (-3, ValueError), ((2.5,), TypeError), ("ab", TypeError),
                                         ((2, True), TypeError), (2.0, TypeError)])
def test_a_bad_size_is_refused_naming_the_draw_and_size(op, size, error):
    # every size is checked, with number parameters too (where no broadcast check looks at it)
    with pytest.raises(error, match=f"mg.random.{op}: size must be a non-negative int or a tuple of them"):
        getattr(mg.random, op)(size=size)
