"""Two ops a reader adds to minigrad, and their property tests (the chapter "Testing gradients").

    python -m pytest docs/examples          # needs the test extra: pip install -e ".[test]"

``atan`` is elementwise; ``atan2`` takes two inputs that broadcast, so each vjp ends in
``sum_to``. Both vjps are written with minigrad ops, so ``check_op`` can check second
derivatives too.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.testing as mgt


def atan(x):
    """arctan x.   d/dx = 1 / (1 + x^2)."""
    return mg.autograd.apply("atan", x.xp.arctan(x.data), (x, lambda g, out: g / (1.0 + x * x)))


def atan2(y, x):
    """The angle of the point (x, y).   d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2)."""
    y, x = mg.ops.operands.operands(y, x, "atan2")   # numbers become tensors; the shapes must broadcast
    return mg.autograd.apply("atan2", x.xp.arctan2(y.data, x.data),
                             (y, lambda g, out: mg.sum_to(g * x / (x * x + y * y), y.shape)),
                             (x, lambda g, out: mg.sum_to(-g * y / (x * x + y * y), x.shape)))


@given(x=mgt.tensors(elements=mgt.floats(-3.0, 3.0)))
def test_atan_matches_numpy_and_its_first_and_second_derivatives_match_finite_differences(x):
    mgt.check_op(atan, np.arctan, x)


@pytest.mark.parametrize("device", mg.devices())
@given(data=st.data(), dtype=mgt.float_dtypes)
def test_atan_on_every_device_in_float32_and_float64(device, dtype, data):
    x = data.draw(mgt.tensors(elements=mgt.floats(-3.0, 3.0), dtype=dtype, device=device))
    mgt.check_op(atan, np.arctan, x)


# x stays in [0.5, 3]: away from the origin, where atan2 has no derivative, and from the
# negative x axis, where it jumps by 2 pi.
@given(yx=mgt.broadcastable_tensors((mgt.floats(-3.0, 3.0), mgt.floats(0.5, 3.0))))
def test_atan2_of_broadcastable_shapes(yx):
    mgt.check_op(atan2, np.arctan2, *yx)
