"""einsum (minigrad/ops/einsum.py): random contractions and the ones the layers use, against numpy.einsum.

Each contraction is checked with ``mg.testing.check_op`` on every device: the forward against
numpy.einsum, the first and second derivatives against finite differences in float64. An
operand used twice gets both contributions; what einsum does not support (a repeated index in
one operand, as for a diagonal) is refused with the subscripts named.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.testing as mgt

from strategies import arrays, float_dtypes


def tensor(array, device, requires_grad=True):
    return mg.tensor(array, requires_grad=requires_grad, device=device)


@st.composite
def einsum_problems(draw):
    """A random contraction: 1 to 3 operands, each a permutation of some of the indices 'abcd' (lengths 1 to 3),
    and an output of some of the indices they use; with the operands drawn to fit."""
    lengths = dict(zip("abcd", draw(st.lists(st.integers(1, 3), min_size=4, max_size=4))))
    inputs = [draw(st.permutations(draw(st.lists(st.sampled_from("abcd"), unique=True, max_size=3))))
              for _ in range(draw(st.integers(1, 3)))]
    used = sorted(set("".join("".join(s) for s in inputs)))
    output = draw(st.permutations(draw(st.lists(st.sampled_from(used), unique=True)) if used else []))
    subscripts = ",".join("".join(s) for s in inputs) + "->" + "".join(output)
    operands = [draw(arrays(tuple(lengths[i] for i in s))) for s in inputs]
    return subscripts, operands


@given(problem=einsum_problems(), dtype=float_dtypes)
def test_einsum_of_random_contractions(device, problem, dtype):
    subscripts, arrays = problem
    operands = [tensor(a.astype(dtype), device) for a in arrays]
    mgt.check_op(lambda *vs: mg.einsum(subscripts, *vs), lambda *xs: np.einsum(subscripts, *xs), *operands)


LAYER_CONTRACTIONS = [
    ("nchw,oc->nohw", [(2, 3, 2, 2), (4, 3)]),   # mixing channels (a 1x1 convolution)
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),    # a batch of matrix products
    ("ij,jk->ik", [(2, 3), (3, 4)]),             # matmul
    ("ni,oi->no", [(3, 4), (2, 4)]),             # x W^T, PyTorch's weight layout
    ("i,i->", [(5,), (5,)]),                     # a dot product
    ("i,j->ij", [(3,), (2,)]),                   # an outer product
    ("ij->ji", [(2, 3)]),                        # a transpose
    ("ijk->j", [(2, 3, 2)]),                     # a sum over two axes
    ("...ij,jk->...ik", [(2, 2, 3), (3, 2)]),    # matmul over any leading axes
    ("...i,...i->...", [(2, 3), (1, 3)]),        # rows' dot products, broadcast
    ("ij,jk", [(2, 3), (3, 4)]),                 # implicit output: 'ik'
    ("bA,Ab", [(2, 3), (3, 2)]),                 # implicit output: nothing left (a trace of a product)
]


@pytest.mark.parametrize("subscripts, shapes", LAYER_CONTRACTIONS, ids=[s for s, _ in LAYER_CONTRACTIONS])
def test_einsum_contractions_the_layers_use(device, subscripts, shapes):
    rng = np.random.default_rng(0)
    operands = [tensor(rng.standard_normal(shape), device) for shape in shapes]
    mgt.check_op(lambda *vs: mg.einsum(subscripts, *vs), lambda *xs: np.einsum(subscripts, *xs), *operands)


def test_einsum_equals_matmul_and_accumulates_an_operand_used_twice(device):
    a, b = tensor(np.arange(6.0).reshape(2, 3), device), tensor(np.arange(12.0).reshape(3, 4) / 5, device)
    np.testing.assert_allclose(mg.einsum("ij,jk->ik", a, b).numpy(), (a @ b).numpy())
    x = tensor(np.array([1.0, -2.0, 3.0]), device)
    (gx,) = mg.autograd.grad(mg.einsum("i,i->", x, x), x)   # |x|^2: both uses add up to 2x
    np.testing.assert_array_equal(gx.numpy(), 2 * x.numpy())


def test_einsum_refuses_what_it_does_not_support(device):
    x = tensor(np.ones((3, 3)), device)
    with pytest.raises(ValueError, match="repeats the index 'i'"):
        mg.einsum("ii->i", x)   # a diagonal
    with pytest.raises(ValueError, match="names 2 operands, but 1"):
        mg.einsum("ij,jk->ik", x)
    with pytest.raises(ValueError, match="output"):
        mg.einsum("ij->kk", x)
    with pytest.raises(ValueError, match="names 3 axes"):
        mg.einsum("ijk->i", x)
    with pytest.raises(ValueError, match="does not fit"):
        mg.einsum("ij,jk->ik", x, tensor(np.ones((2, 2)), device))
    with pytest.raises(TypeError, match="subscripts"):
        mg.einsum(x, "ij->")
