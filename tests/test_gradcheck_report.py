"""What a failing gradcheck says: the input, the element and both values, as plain numbers."""
import re

import pytest

import minigrad as mg
from minigrad.gradcheck import GradcheckError


def test_a_wrong_gradient_is_reported_with_plain_numbers():
    """f(x) = x * stop_gradient(x) has the value x^2 but the vjp g * x: half the true derivative 2x.
    The report must name the element and print both values as numbers a reader can compare
    (under NumPy 2, repr of a NumPy scalar reads "np.float64(0.76...)")."""
    x = mg.tensor([0.5, -1.25, 2.0], dtype=mg.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as caught:
        mg.gradcheck(lambda x: x * x.detach(), (x,))
    message = str(caught.value)
    assert "np.float64" not in message and "float64(" not in message
    assert "input 0 (shape (3,))" in message and "at 3 of 3 elements" in message
    analytic = float(re.search(r"analytic (-?[0-9.e+-]+),", message).group(1))
    numeric = float(re.search(r"numeric (-?[0-9.e+-]+) ", message).group(1))
    assert numeric == pytest.approx(2 * analytic, rel=1e-6)   # the true derivative is twice the reported one
