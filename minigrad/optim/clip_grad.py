"""Gradient clipping by the norm of all gradients together, as ``torch.nn.utils.clip_grad_norm_``."""
import math

import numpy

from ..autograd import no_grad
from ..tensor import Tensor


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale the gradients so that their joint norm is at most ``max_norm``; return that norm before clipping.

    As ``torch.nn.utils.clip_grad_norm_``: the norm of order ``norm_type`` (2: Euclidean,
    ``float("inf")``: the largest |g|) is taken over all gradients together, as if they
    were one long vector, and every gradient is multiplied by

        clip_coef = min(max_norm / (total_norm + 1e-6), 1)

    Every one, always: so a NaN norm makes every gradient NaN and an infinite one makes the
    finite gradients 0, rather than leaving some scaled and some not (a step half
    applied). With ``error_if_nonfinite=True`` a NaN or infinite norm raises a
    RuntimeError instead, naming the parameters whose gradients are not finite, and no
    gradient is changed.

    Unlike PyTorch: the return value is a Python float (0.0 when no parameter has a
    gradient); gradients are replaced by scaled copies, not changed in place (an
    optimizer, too, never writes into p.grad); the norm is summed in float64, so float32
    gradients with a norm above ~1.8e19 (whose squares overflow float32) are not reported
    as an infinite norm, which would zero them all; and a parameter given twice counts once.
    ``parameters`` may be one tensor, a list or a generator.
    """
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not max_norm >= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm}")
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be positive (or inf), got {norm_type}")
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads, seen = [], set()                     # (position in parameters, parameter), each parameter once
    for i, p in enumerate(parameters):
        if p.grad is not None and id(p) not in seen:
            seen.add(id(p))
            grads.append((i, p))
    if not grads:
        return 0.0
    total = _total_norm([p.grad for _, p in grads], norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        bad = [f"parameter {i} (shape {p.shape})" for i, p in grads if not bool(p.xp.isfinite(p.grad.data).all())]
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}, so they cannot "
            f"be clipped; non-finite gradients: {', '.join(bad) or 'none (the norm overflowed)'}. No gradient "
            "was changed. To scale them by the non-finite norm anyway, set error_if_nonfinite=False")
    clip_coef = max_norm / (total + 1e-6)
    if not clip_coef >= 1.0:                    # NaN included: then every gradient becomes NaN
        with no_grad():
            for _, p in grads:
                p.grad = p.grad * clip_coef
    return total


def _total_norm(grads, norm_type):
    """The norm of all of ``grads`` as one vector: max |g| for inf, else (sum |g|^p)^(1/p), summed in float64."""
    if math.isinf(norm_type):
        return float(numpy.max([float(g.xp.abs(g.data).max()) if g.size else 0.0 for g in grads]))   # NaN wins
    total = 0.0
    for g in grads:
        a = g.xp.abs(g.data.astype(numpy.float64))
        total += float((a * a).sum() if norm_type == 2.0 else (a ** norm_type).sum())
    return total ** (1.0 / norm_type)
