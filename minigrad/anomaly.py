"""Anomaly detection: find the first op whose value or gradient stops being finite.

A NaN rarely shows up where it is made: it spreads through every later op and is
noticed in the loss, far from its cause. Inside ``with mg.detect_anomaly():`` every
op checks its output, and every vjp its gradient, for NaN and Inf; the first that
finds one raises, naming the op and the line of your code that created it.
It is slow (one extra pass over each value and a stack trace per op): use it to debug.
"""
import os
import traceback

from . import autograd

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


class AnomalyError(RuntimeError):
    """An op produced NaN or Inf inside detect_anomaly()."""


class detect_anomaly:
    """Context manager: raise at the first op (forward or backward) that produces NaN or Inf."""

    def __enter__(self):
        self.previous, autograd._anomaly_enabled = autograd._anomaly_enabled, True

    def __exit__(self, *exc):
        autograd._anomaly_enabled = self.previous


def _user_line():
    """'file:line in function: code' for the innermost frame outside minigrad itself."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE):
            return f"{frame.filename}:{frame.lineno} in {frame.name}: {frame.line}"
    return "(unknown)"


def _bad(t):
    """A description of the non-finite values in t, or None if all are finite."""
    if t.dtype.kind not in "fc":
        return None
    xp = t.xp
    finite = xp.isfinite(t.data)
    if bool(finite.all()):
        return None
    nans = int(xp.isnan(t.data).sum())
    return f"{nans} NaN and {int((~finite).sum()) - nans} Inf of {t.size} values"


def check_forward(op, out):
    out._trace = _user_line()
    problem = _bad(out)
    if problem:
        raise AnomalyError(f"detect_anomaly: the forward pass of {op!r} produced {problem} "
                           f"(output shape {out.shape}), created at {out._trace}")


def check_backward(t, gx):
    problem = _bad(gx)
    if problem:
        raise AnomalyError(f"detect_anomaly: the backward pass of {t._op!r} produced {problem} in an input's "
                           f"gradient (shape {gx.shape}); the op was created at "
                           f"{getattr(t, '_trace', '(before detect_anomaly was entered)')}")
