"""Anomaly detection: find the first op whose value or gradient stops being finite.

A NaN rarely shows up where it is made: it spreads through every later op and is
noticed in the loss, far from its cause. Inside ``with mg.detect_anomaly():`` every
op checks its output, and every vjp its gradient, for NaN and Inf; the first that
finds one raises, naming the op and the line of your code that created it.
It is slow (one extra pass over each value and a stack trace per op): use it to debug.
"""
import os
import traceback

_PACKAGE = os.path.dirname(os.path.abspath(__file__))

enabled = False   # read by autograd.apply at every op and by the backward pass; set by the contexts below


class AnomalyError(RuntimeError):
    """An op produced NaN or Inf inside detect_anomaly()."""


class _Setting:
    """Context manager that sets ``enabled`` for its body and restores it after."""

    def __init__(self, value):
        self.value = value

    def __enter__(self):
        global enabled
        self.previous, enabled = enabled, self.value

    def __exit__(self, *exc):
        global enabled
        enabled = self.previous


def detect_anomaly():
    """Raise at the first op (forward or backward) that produces NaN or Inf: ``with mg.detect_anomaly(): ...``"""
    return _Setting(True)


def paused():
    """No checks inside (the backward pass checks each vjp's result as a whole, not the ops inside it)."""
    return _Setting(False)


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
    """Inside detect_anomaly(), called by autograd.apply: note where ``out`` was made; raise if it holds NaN or Inf."""
    out._trace = _user_line()
    problem = _bad(out)
    if problem:
        raise AnomalyError(f"detect_anomaly: the forward pass of {op!r} produced {problem} "
                           f"(output shape {out.shape}), created at {out._trace}")


def check_backward(t, gx):
    """Inside detect_anomaly(), called by the backward pass: raise if ``gx``, a gradient of an input of
    ``t``'s op, holds NaN or Inf, naming the op and the line that made it."""
    problem = _bad(gx)
    if problem:
        raise AnomalyError(f"detect_anomaly: the backward pass of {t._op!r} produced {problem} in an input's "
                           f"gradient (shape {gx.shape}); the op was created at "
                           f"{t._trace or '(before detect_anomaly was entered)'}")
