"""Exercise 11: im2col against minigrad's, col2im as its adjoint, conv2d against F.conv2d and gradcheck."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad.ops.convolution import im2col as reference_im2col

values = st.floats(-2.0, 2.0)


@st.composite
def images_and_kernel(draw):
    """(x, k, stride): float64 images (N, C, H, W) with N, C in [1, 2], H, W in [k, k + 4], a kernel k in [1, 3]."""
    k, stride = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(k, k + 4)), draw(st.integers(k, k + 4)))
    return draw(hnp.arrays(np.float64, shape, elements=values)), k, stride


@given(case=images_and_kernel())
def test_im2col_matches_minigrad(impl, case):
    x, k, stride = case
    cols = impl.im2col(mg.tensor(x), k, stride)
    expected = reference_im2col(mg.tensor(x), k, stride).numpy()
    assert cols.shape == expected.shape
    np.testing.assert_array_equal(cols.numpy(), expected)


@given(case=images_and_kernel(), seed=st.integers(0, 2**16))
def test_col2im_is_the_adjoint_of_im2col(impl, case, seed):
    """<im2col(x), c> = <x, col2im(c)> for every x and every c: what makes col2im im2col's vjp."""
    x, k, stride = case
    cols_shape = impl.im2col(mg.tensor(x), k, stride).shape
    c = np.random.default_rng(seed).standard_normal(cols_shape)
    left = (impl.im2col(mg.tensor(x), k, stride).numpy() * c).sum()
    back = impl.col2im(mg.tensor(c), x.shape, stride)
    assert back.shape == x.shape
    np.testing.assert_allclose(left, (x * back.numpy()).sum(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("with_bias", [False, True])
@given(case=images_and_kernel(), seed=st.integers(0, 2**16))
def test_conv2d_matches_minigrad(impl, with_bias, case, seed):
    x, k, stride = case
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((3, x.shape[1], k, k))
    bias = mg.tensor(rng.standard_normal(3)) if with_bias else None
    out = impl.conv2d(mg.tensor(x), mg.tensor(weight), bias, stride)
    expected = mg.nn.functional.conv2d(mg.tensor(x), mg.tensor(weight), bias, stride=stride).numpy()
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-10)


@given(case=images_and_kernel(), seed=st.integers(0, 2**16))
def test_conv2d_gradients_match_finite_differences(impl, case, seed):
    """mg.gradcheck in the images, the weight and the bias: the vjps are col2im and matmul's."""
    x, k, stride = case
    rng = np.random.default_rng(seed)
    weight, bias = rng.standard_normal((2, x.shape[1], k, k)), rng.standard_normal(2)
    mg.gradcheck(lambda a, w, b: impl.conv2d(a, w, b, stride),
                 [mg.tensor(x, requires_grad=True), mg.tensor(weight, requires_grad=True),
                  mg.tensor(bias, requires_grad=True)])


def test_conv2d_second_derivatives(impl):
    """mg.gradgradcheck: passes only if col2im's vjp calls im2col and im2col's calls col2im (tensors, not arrays)."""
    rng = np.random.default_rng(0)
    mg.gradgradcheck(lambda a, w: impl.conv2d(a, w, None, 1),
                     [mg.tensor(rng.standard_normal((1, 2, 4, 4)), requires_grad=True),
                      mg.tensor(rng.standard_normal((2, 2, 2, 2)), requires_grad=True)])


def test_im2col_is_one_recorded_primitive(impl):
    x = mg.tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
    cols = impl.im2col(x, 2)
    assert cols._op == "im2col" and len(cols._edges) == 1 and cols._edges[0][0] is x, \
        "call apply('im2col', cols, (x, vjp)) yourself"
    back = impl.col2im(cols, x.shape)
    assert back._op == "col2im", "call apply('col2im', images, (cols, vjp)) yourself"


def test_an_edge_detector_finds_the_edge(impl):
    """The picture: a vertical step from 0 to 1, convolved with [[-1, 1], [-1, 1]], is 2 on the step and 0 elsewhere."""
    x = np.zeros((1, 1, 4, 6))
    x[..., 3:] = 1.0
    out = impl.conv2d(mg.tensor(x), mg.tensor(np.array([[[[-1.0, 1.0], [-1.0, 1.0]]]])), None, 1).numpy()
    expected = np.zeros((1, 1, 3, 5))
    expected[..., 2] = 2.0
    np.testing.assert_array_equal(out, expected)
