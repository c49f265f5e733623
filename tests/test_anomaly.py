"""mg.detect_anomaly: a NaN or Inf is reported at the op that made it, forward or backward, with the user's
line; without it, NaN passes silently, as in NumPy."""
import numpy as np
import pytest

import minigrad as mg


def test_detect_anomaly_names_the_forward_op_and_the_user_line(device):
    x = mg.tensor([1.0, -1.0], requires_grad=True, device=device)
    with mg.detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(mg.AnomalyError, match=r"forward pass of 'log'.*1 NaN.*test_anomaly.py:\d+"):
            mg.log(x)


def test_detect_anomaly_names_the_op_whose_backward_fails(device):
    x = mg.tensor([0.0, 4.0], requires_grad=True, device=device)
    with mg.detect_anomaly(), np.errstate(divide="ignore"):
        y = mg.sqrt(x).sum()                 # finite forward, infinite derivative at 0
        with pytest.raises(mg.AnomalyError, match=r"backward pass of 'sqrt'.*Inf.*test_anomaly.py"):
            y.backward()


def test_without_detect_anomaly_nan_passes_silently(device):
    x = mg.tensor([-1.0], device=device)
    with np.errstate(invalid="ignore"):
        assert np.isnan(mg.log(x).item())
