"""Errors that teach: a call that cannot work names the operation and the shapes involved, and what would fit."""
import pytest

import minigrad as mg


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow", "maximum", "minimum"])
def test_shapes_that_do_not_broadcast_name_the_op_and_shapes(device, op):
    a, b = mg.ones((2, 3), device=device), mg.ones((4,), device=device)
    with pytest.raises(ValueError, match=rf"{op}.*\(2, 3\).*\(4,\)"):
        getattr(mg, op)(a, b)


def test_matmul_that_does_not_contract_names_both_shapes(device):
    with pytest.raises(ValueError, match=r"matmul.*\(2, 3\).*\(4, 5\).*inner"):
        mg.ones((2, 3), device=device) @ mg.ones((4, 5), device=device)


def test_out_of_range_axes_and_bad_indices(device):
    x = mg.ones((2, 3), device=device)
    with pytest.raises(IndexError, match=r"sum.*axis 2.*2 dimensions"):
        x.sum(axis=2)
    with pytest.raises(IndexError, match=r"getitem.*shape \(2, 3\)"):
        x[5]
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\).*\(4,\)"):
        x.reshape(4)
