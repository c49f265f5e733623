"""Reverse-mode automatic differentiation: the tape and the backward pass.

Every op computes its output array and then calls :func:`apply`, handing over, for
each input, a vector-Jacobian product (vjp): a function ``vjp(g, out)`` that maps the
cotangent ``g`` of the output (dL/d out) to the cotangent of that input (dL/d input).
``apply`` stores those (input, vjp) pairs on the output tensor - that is the whole
tape. Nothing is recorded when grad mode is off or when no input requires a gradient.

The backward pass is the chain rule read right to left. Sort the graph so that each
tensor comes after everything it was computed from, walk it in reverse, and hand
each tensor's accumulated cotangent to the vjps of its inputs:

    dL/dx  =  sum over uses y = f(..., x, ...) of  vjp_f,x(dL/dy)

Cotangents are *summed* (a tensor used twice gets both contributions). The vjps are
written with minigrad ops, so running them with grad mode on records a graph of the
backward pass itself: differentiate that again and you get Hessian-vector products
(``create_graph=True``).
"""
import functools

_grad_enabled = True     # the one flag: checked in apply(), the only place that records
_anomaly_enabled = False  # set by detect_anomaly(): check every value for NaN/Inf
_clock = 0                # counts in-place changes; see changed_in_place()


class _GradMode:
    """Context manager and decorator that sets grad mode for its body."""

    def __init__(self, enabled):
        self.enabled = enabled

    def __enter__(self):
        global _grad_enabled
        self.previous, _grad_enabled = _grad_enabled, self.enabled

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self.previous

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with _GradMode(self.enabled):
                return function(*args, **kwargs)
        return wrapper


def no_grad():
    """Record nothing inside: ``with mg.no_grad(): ...`` or ``@mg.no_grad()``."""
    return _GradMode(False)


def enable_grad():
    """Record again inside a no_grad region (used to build graphs of gradients)."""
    return _GradMode(True)


def is_grad_enabled():
    return _grad_enabled


def apply(op, data, *edges):
    """The output tensor of ``op`` with value ``data``; record ``edges`` = (input, vjp) pairs.

    ``vjp(g, out)`` receives the output's cotangent ``g`` and the output tensor itself
    (so vjps such as exp's ``g * out`` can reuse it without a reference cycle).
    The output notes the clock (the count of in-place changes so far), so that
    backward can refuse to use an input that was changed in place after it was saved.
    """
    out = Tensor(data)
    if _grad_enabled:
        for x, _ in edges:
            if x.requires_grad:
                out.requires_grad = True
                out._edges = edges
                out._op = op
                out._recorded_at = _clock
                break
    if _anomaly_enabled:
        anomaly.check_forward(op, out)
    return out


_RELEASED = ()  # what a tensor's edges become once backward has freed them


def _topological_order(roots):
    """Every tensor that requires grad and leads to ``roots``, inputs before outputs.

    Iterative depth-first search (a recursive one would overflow Python's stack on a
    chain of 100,000 ops): a tensor is appended once all its inputs have been.
    """
    order, seen = [], set()
    stack = [(root, False) for root in roots]
    while stack:
        t, inputs_done = stack.pop()
        if inputs_done:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t._edges is _RELEASED:
            raise RuntimeError(
                f"backward through the graph a second time: the values saved by {t._op!r} "
                "were freed by the first backward; pass retain_graph=True to the first "
                "backward() (or autograd.grad) if you need to go through it again")
        stack.append((t, True))
        if t._edges is not None:
            for x, _ in t._edges:
                if x.requires_grad and id(x) not in seen:
                    stack.append((x, False))
    return order


def _backpropagate(roots, root_grads, retain_graph, create_graph):
    """Run the chain rule from ``roots``; return {id(tensor): (tensor, cotangent)} for every tensor reached."""
    grads = {}
    for root, g in zip(roots, root_grads):
        previous = grads.get(id(root))
        grads[id(root)] = (root, g if previous is None else previous[1] + g)
    global _anomaly_enabled
    check_anomalies, _anomaly_enabled = _anomaly_enabled, False   # vjps are checked as a whole, below
    try:
        with _GradMode(create_graph):
            _run_vjps(_topological_order(roots), grads, retain_graph, check_anomalies)
    finally:
        _anomaly_enabled = check_anomalies
    return grads


def _run_vjps(order, grads, retain_graph, check_anomalies):
    """The reverse loop: hand each tensor's cotangent to the vjps of its inputs, summing per input."""
    for t in reversed(order):
        edges = t._edges
        if edges is None or id(t) not in grads:   # a leaf, or nothing flows into t
            continue
        g = grads[id(t)][1]
        for x, vjp in edges:
            if x._changed_at > t._recorded_at:
                _raise_modified(t, x)
            if not x.requires_grad:
                continue
            gx = vjp(g, t)
            if gx._data.shape != x._data.shape:  # every vjp must undo broadcasting (see sum_to)
                raise RuntimeError(f"internal error: the vjp of {t._op!r} returned a gradient of "
                                   f"shape {gx.shape} for an input of shape {x.shape}")
            if check_anomalies:
                anomaly.check_backward(t, gx)
            previous = grads.get(id(x))
            grads[id(x)] = (x, gx if previous is None else previous[1] + gx)
        if not retain_graph:
            t._edges = _RELEASED   # drop the vjps and the values they saved


def changed_in_place(t):
    """Note that t's values were overwritten (t.data = ..., t[i] = ...).

    In-place changes are counted by one clock. Each tensor remembers the clock at its
    last change and each recorded op the clock when it was recorded; an input changed
    after the op that saved it was recorded makes backward raise instead of silently
    using the new values (PyTorch keeps a version counter per tensor for the same end).
    """
    global _clock
    _clock += 1
    t._changed_at = _clock


def _raise_modified(t, x):
    raise RuntimeError(
        f"backward: an input of {t._op!r} (shape {x.shape}) was changed in place after the forward pass "
        f"saved it (change number {x._changed_at}; the op was recorded after change {t._recorded_at}), "
        "so the saved value is gone and the "
        "gradient would be wrong. Change it only after backward (e.g. call optimizer.step() after "
        "loss.backward()), or compute on a copy instead of writing into .data.")


def _as_list(tensors):
    return list(tensors) if isinstance(tensors, (tuple, list)) else [tensors]


def _initial_grads(outputs, grad_outputs, caller):
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    grad_outputs = _as_list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"{caller}: got {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    result = []
    for out, g in zip(outputs, grad_outputs):
        if g is None:
            if out.size != 1:
                raise RuntimeError(
                    f"{caller}: the gradient can only be implied for a scalar output, but the output "
                    f"has shape {out.shape}; pass a gradient of that shape (e.g. mg.ones_like(out)) "
                    "or reduce the output to a scalar first (out.sum())")
            g = Tensor(out.xp.ones_like(out.data))
        else:
            g = g if isinstance(g, Tensor) else tensor(g, dtype=out.dtype, device=out.device)
            if g.shape != out.shape:
                raise ValueError(f"{caller}: the gradient has shape {g.shape} but the output has "
                                 f"shape {out.shape}; they must be equal")
            if g.device != out.device:
                raise ValueError(f"{caller}: the gradient is on {g.device} but the output is on {out.device}")
        result.append(g)
    return result


def backward(output, grad=None, retain_graph=False, create_graph=False):
    """Accumulate d output / d leaf into ``leaf.grad`` for every leaf that requires grad.

    ``grad`` is the cotangent of ``output`` (ones for a scalar output).
    """
    if not output.requires_grad:
        raise RuntimeError(
            f"backward: this tensor (shape {output.shape}) does not require grad, so no graph "
            "leads to it; create the inputs with requires_grad=True and compute it outside no_grad()")
    (g,) = _initial_grads([output], None if grad is None else [grad], "backward")
    grads = _backpropagate([output], [g], retain_graph or create_graph, create_graph)
    for t, gt in grads.values():
        if t._edges is None:  # a leaf
            t.grad = gt if t.grad is None else t.grad + gt


def grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple (like torch.autograd.grad).

    ``.grad`` attributes are left untouched. An input that does not influence the
    outputs gets zeros. With ``create_graph=True`` the result is itself differentiable.
    """
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError(f"autograd.grad: input {i} does not require grad; create it with "
                               "requires_grad=True (or call .requires_grad_()) before computing the outputs")
    if retain_graph is None:
        retain_graph = create_graph
    root_grads = _initial_grads(outputs, grad_outputs, "autograd.grad")
    live = [(out, g) for out, g in zip(outputs, root_grads) if out.requires_grad]
    grads = _backpropagate([o for o, _ in live], [g for _, g in live], retain_graph, create_graph) if live else {}
    result = []
    for x in inputs:
        found = grads.get(id(x))
        result.append(found[1] if found is not None else Tensor(x.xp.zeros_like(x.data)))
    return tuple(result)


from . import anomaly  # noqa: E402  (these modules import this one too)
from .tensor import Tensor, tensor  # noqa: E402
