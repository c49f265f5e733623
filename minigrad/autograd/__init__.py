"""Reverse-mode automatic differentiation: the tape, the backward pass, and the guards around them.

Every op computes its output array and then calls :func:`apply`, handing over, for
each input, a vector-Jacobian product (vjp): a function ``vjp(g, out)`` that maps the
cotangent ``g`` of the output (dL/d out) to the cotangent of that input (dL/d input).
``apply`` stores those (input, vjp) pairs on the output tensor - that is the whole
tape. Nothing is recorded when grad mode is off or when no input requires a gradient.

The backward pass is the chain rule read right to left: visit the tensors from the
output back to the inputs, in the reverse of the order they were recorded in (so a
tensor is visited only after every op that used it), and hand each tensor's
accumulated cotangent to the vjps of its inputs:

    dL/dx  =  sum over uses y = f(..., x, ...) of  vjp_f,x(dL/dy)

Cotangents are *summed* (a tensor used twice gets both contributions). The vjps are
written with minigrad ops, so running them with grad mode on records a graph of the
backward pass itself: differentiate that again and you get Hessian-vector products
(``create_graph=True``).

The file reads in three parts: the tape (grad mode, :func:`apply`, the clock), the
backward pass (:func:`backward`, :func:`grad`), then the guards. The guards are what
the tape does besides recording, each one hook called in one place after the
recording: the checks of each backward step (freed graph, a saved value changed in
place, the gradient's shape), :func:`mark_unrecorded` (labels where a graph ends, read
by backward's error messages and by mg.viz), and ``anomaly.check_forward`` (NaN/Inf,
inside ``detect_anomaly()``).
"""
import functools
import heapq
import weakref

from .. import anomaly
from ..tensor import Tensor, tensor

# ====================================================================== the tape

_grad_enabled = True     # the one flag: checked in apply(), the only place that records
_marks_cuts = False      # inside a user's no_grad(): mark_unrecorded labels what it cuts off, for mg.viz
_clock = 0               # ticks at every recorded op and every in-place change (see changed_in_place)


class _GradMode:
    """Context manager and decorator that sets grad mode for its body (and whether cuts are labelled)."""

    def __init__(self, enabled, marks_cuts=False):
        self.enabled, self.marks_cuts = enabled, marks_cuts

    def __enter__(self):
        global _grad_enabled, _marks_cuts
        self.previous = _grad_enabled, _marks_cuts
        _grad_enabled, _marks_cuts = self.enabled, self.marks_cuts

    def __exit__(self, *exc):
        global _grad_enabled, _marks_cuts
        _grad_enabled, _marks_cuts = self.previous

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with _GradMode(self.enabled, self.marks_cuts):
                return function(*args, **kwargs)
        return wrapper


def no_grad():
    """Record nothing inside: ``with mg.no_grad(): ...`` or ``@mg.no_grad()``."""
    return _GradMode(False, marks_cuts=True)


def enable_grad():
    """Record again inside a no_grad region (used to build graphs of gradients)."""
    return _GradMode(True)


def is_grad_enabled():
    """Whether ops are recorded now: False inside ``no_grad()``, True outside it or inside ``enable_grad()``."""
    return _grad_enabled


def apply(op, data, *edges):
    """The output tensor of ``op`` with value ``data``; record ``edges`` = (input, vjp) pairs.

    ``vjp(g, out)`` receives the output's cotangent ``g`` and the output tensor itself
    (so vjps such as exp's ``g * out`` can reuse it without a reference cycle).
    The output notes the tape's clock: the clock orders the backward pass, and lets
    it refuse an input that was changed in place after it was saved. A result that is
    not floating (a cast to int, a comparison) has no gradient and is never recorded.
    After the recording come the two hooks: the labels of an output that was not
    recorded (:func:`mark_unrecorded`) and, inside ``detect_anomaly()``, the check for
    NaN and Inf.
    """
    global _clock
    out = Tensor(data)
    if _grad_enabled:
        for x, _ in edges:
            if x._requires_grad and data.dtype.kind in "fc":
                out._requires_grad = True
                out._edges = edges
                out._op = op
                _clock += 1
                out._recorded_at = _clock
                break
    if out._edges is None and (_grad_enabled or _marks_cuts):
        mark_unrecorded(out, edges)          # hook: where the graph ends (backward's messages, mg.viz)
    if anomaly.enabled:
        anomaly.check_forward(op, out)       # hook: NaN and Inf, inside detect_anomaly()
    return out


def changed_in_place(t):
    """Note that t's values were overwritten (t.data = ..., t[i] = ..., t += ...).

    The tape's clock ticks at every recorded op and every in-place change. Each tensor
    remembers the clock at its last change and each op the clock when it was recorded;
    an input or output changed after the op was recorded makes backward raise instead
    of silently using the new values (PyTorch keeps a version counter per tensor for the
    same end). One clock can serve both meanings, the backward order and the stamps,
    because both only compare times: a tick for a change never reorders two recorded
    ops, and every recorded op still gets a time of its own.
    """
    global _clock
    _clock += 1
    t._changed_at = _clock


# ====================================================================== the backward pass

_RELEASED = ()  # what a tensor's edges become once backward has freed them (recorded edges are never empty)


def _backpropagate(roots, root_grads, retain_graph, create_graph, wanted=()):
    """Run the chain rule from ``roots``; return ({id(tensor): cotangent}, [leaves reached]).

    Tensors wait in a heap ordered by when they were recorded, latest first. Every op
    that used a tensor was recorded after it, so when a tensor leaves the heap all
    contributions to its cotangent have arrived. (No recursion: a chain of 100,000
    ops is fine.) Its cotangent is dropped once handed on to its inputs, unless it is
    ``wanted``, so backward holds only the cotangents still to be used (the result keeps
    the leaves' and the wanted ones). The checks that guard each step are in
    :func:`_check_saved` and :func:`_checked_cotangent`.
    """
    grads, leaves, waiting = {}, [], []
    keep = {id(t) for t in wanted}

    def receive(x, gx):   # add gx to x's cotangent; queue x the first time
        previous = grads.get(id(x))
        if previous is not None:
            grads[id(x)] = previous + gx
            return
        grads[id(x)] = gx
        if x._edges is None:
            leaves.append(x)
        else:   # the clock value is unique per recorded tensor, so the order is total: Tensors never compared
            heapq.heappush(waiting, (-x._recorded_at, x))

    check_anomalies = anomaly.enabled
    with _GradMode(create_graph), anomaly.paused():   # vjps are checked as a whole, in _checked_cotangent
        for root, g in zip(roots, root_grads):
            receive(root, g)
        while waiting:
            t = heapq.heappop(waiting)[1]
            recorded = t._recorded_at
            if t._edges is _RELEASED or t._changed_at > recorded:
                _check_saved(t)                              # raises: freed, or the output changed in place
            g = grads[id(t)] if id(t) in keep else grads.pop(id(t))
            for x, vjp in t._edges:                          # the chain rule: dL/dx += vjp(dL/dt)
                if x._changed_at > recorded:                 # an input changed in place since it was saved
                    _check_saved(t)
                if x._requires_grad:
                    gx = vjp(g, t)
                    if gx._data.shape != x._data.shape or gx._data.dtype != x._data.dtype or check_anomalies:
                        gx = _checked_cotangent(gx, t, x, check_anomalies)
                    receive(x, gx)
            if not retain_graph:
                t._edges = _RELEASED   # drop the vjps and the values they saved
    return grads, leaves


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
            if out._data.size != 1:
                raise RuntimeError(
                    f"{caller}: the gradient can only be implied for a scalar output, but the output "
                    f"has shape {out.shape}; pass a gradient of that shape (e.g. mg.ones_like(out)) "
                    "or reduce the output to a scalar first (out.sum())")
            g = Tensor(out.xp.ones(out.shape, out.dtype))
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
            f"backward: this tensor (shape {output.shape}) does not require grad, so no graph leads to it; "
            + (_why_no_graph(output) or "create the inputs with requires_grad=True and compute it outside no_grad() "
               "(a draw of sample() and a gradient taken without create_graph=True have no graph either)"))
    (g,) = _initial_grads([output], None if grad is None else [grad], "backward")
    grads, leaves = _backpropagate([output], [g], retain_graph or create_graph, create_graph)
    handed_in = {id(g)}
    for leaf in leaves:
        gx = grads[id(leaf)]
        leaf.grad = gx if leaf.grad is None else leaf.grad + gx
        if not create_graph:
            _mark_gradient(leaf.grad, handed_in)


def grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None, allow_unused=None,
         materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple (like torch.autograd.grad).

    ``.grad`` attributes are left untouched. With ``create_graph=True`` the result is
    itself differentiable. An input the outputs do not depend on is usually a mistake
    (a tensor used under no_grad, or a detached copy), so, as in PyTorch, it raises
    unless ``allow_unused=True`` (its gradient is then None) or ``materialize_grads=True``
    (its gradient is then zeros).
    """
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and not allow_unused:
        raise ValueError("autograd.grad: materialize_grads=True gives zeros for unused inputs, which "
                         "allow_unused=False forbids; leave allow_unused out")
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError(f"autograd.grad: input {i} does not require grad; create it with "
                               "requires_grad=True (or call .requires_grad_()) before computing the outputs")
    if retain_graph is None:
        retain_graph = create_graph
    root_grads = _initial_grads(outputs, grad_outputs, "autograd.grad")
    live = [(out, g) for out, g in zip(outputs, root_grads) if out.requires_grad]
    grads, _ = _backpropagate([o for o, _ in live], [g for _, g in live], retain_graph, create_graph, inputs)
    unused = [i for i, x in enumerate(inputs) if id(x) not in grads]
    if unused and not allow_unused:
        start = f"autograd.grad: input {unused[0]} (shape {inputs[unused[0]].shape}) does not reach the outputs"
        why = next((_why_no_graph(out) for out in outputs if not out.requires_grad and _why_no_graph(out)), None)
        if why:
            raise RuntimeError(f"{start}: an output does not require grad; {why}")
        raise RuntimeError(f"{start}: no op on the way from it to them was recorded (was it used under no_grad, "
                           "detached, or not at all?). Pass allow_unused=True to get None for it, or "
                           "materialize_grads=True to get zeros")
    result = tuple(grads.get(id(x)) for x in inputs)
    if not create_graph:
        handed_in = {id(g) for g in root_grads}
        for g in result:
            _mark_gradient(g, handed_in)
    if materialize_grads:
        return tuple(Tensor(x.xp.zeros_like(x.data)) if g is None else g for x, g in zip(inputs, result))
    return result


# ====================================================================== the guards
# ---------------------------------------------------------------- checks of each backward step

def _check_saved(t):
    """Before t's vjps run: their graph is still there, and no value they read was changed since."""
    if t._edges is _RELEASED:
        raise RuntimeError(
            f"backward through the graph a second time: the values saved by {t._op!r} were "
            "freed by the first backward; pass retain_graph=True to the first backward() "
            "(or autograd.grad) if you need to go through it again")
    if t._changed_at > t._recorded_at:   # vjps may read the output itself (exp's g * out)
        _raise_modified(t, t, "the output")
    for x, _ in t._edges:
        if x._changed_at > t._recorded_at:
            _raise_modified(t, x, "an input")


def _checked_cotangent(gx, t, x, check_anomalies):
    """The cotangent a vjp of t returned for x, checked: x's shape, cast to x's dtype, finite under detect_anomaly."""
    if gx._data.shape != x._data.shape:   # every vjp must undo broadcasting (sum_to)
        raise RuntimeError(f"internal error: the vjp of {t._op!r} returned a gradient "
                           f"of shape {gx.shape} for an input of shape {x.shape}")
    if gx._data.dtype != x._data.dtype:   # float32 * float64 -> float64 g; x wants float32
        gx = gx.astype(x._data.dtype)
    if check_anomalies:
        anomaly.check_backward(t, gx)
    return gx


def _raise_modified(t, x, which):
    raise RuntimeError(
        f"backward: {which} of {t._op!r} (shape {x.shape}) was changed in place after the forward pass "
        f"saved it (change number {x._changed_at}; the op was recorded after change {t._recorded_at}), "
        "so the saved value is gone and the "
        "gradient would be wrong. Change it only after backward (e.g. call optimizer.step() after "
        "loss.backward()), or compute on a copy instead of writing into .data.")


# ---------------------------------------------------------------- labels: where a graph ends
# A tensor's _note is a short text that mg.viz writes beside it and that backward's errors
# read to say why no graph reaches a value. Set by the hooks below, by Tensor.detach, and
# on their own lines by distributions and estimators (label, mark_drawn).

NO_GRAD_NOTE = "computed under no_grad"   # the note of a value no_grad cut off from the graph
GRADIENT_CUT = "computed from a gradient taken without create_graph=True (no graph)"


def label(t, text):
    """``t``, labelled ``text`` in pictures of the graph (mg.viz), unless a label is there already.

    A label already there is kept: it says where the graph was cut (no_grad) or is set
    by a more specific step (a straight-through draw).
    """
    if t._note is None:
        t._note = text
    return t


def mark_drawn(x, name, parameters):
    """Label ``x`` as a draw of ``name``.sample(): a random node drawn from ``parameters``, no gradient path.

    mg.viz draws a dashed "no gradient" line from each parameter to the draw, and a value
    computed from the draw inherits a :class:`Cut` naming it. The references are weak, so a
    kept draw keeps no graph alive.
    """
    x._note = (f"z ~ {name} (sample: no gradient path)", WeakRefs(weakref.ref(p) for p in parameters))
    return x


class WeakRefs(tuple):
    """A tuple of weak references that pickles (and copies) as an empty tuple, so a draw still pickles."""

    def __reduce__(self):
        return tuple, ()


class Cut(tuple):
    """The Tensor._note of a value computed from where a graph ends, read by backward's errors: (text, ()).

    Two places end a graph without the user writing detach() or no_grad(): a draw of
    ``sample()`` (its note is the pair (text, parameters) of mark_drawn) and
    a gradient taken without ``create_graph=True``. A value computed from one, with nothing
    recorded, inherits a Cut (see mark_unrecorded), so that ``backward`` on it can name the cause
    instead of "create the inputs with requires_grad=True". A pair, as mg.viz reads notes.
    """

    def __new__(cls, text):
        return super().__new__(cls, (text, ()))


def mark_unrecorded(out, edges):
    """apply's labelling hook, for an output that was not recorded: say where the graph ended.

    With grad mode on, nothing required a gradient: a value computed from a sample() draw or
    from a gradient taken without a graph inherits that input's :class:`Cut`, so that a
    backward on it can name the cause. Inside a user's ``no_grad()``, a value computed from
    one that requires grad (or from one so marked) is labelled as cut off, for mg.viz.
    """
    if _grad_enabled:
        for x, _ in edges:
            if isinstance(x._note, tuple):
                out._note = _cut_from(x._note)
                return
    else:
        for x, _ in edges:
            if x._requires_grad or x._note is NO_GRAD_NOTE:
                out._note = NO_GRAD_NOTE
                return


def _cut_from(note):
    """The Cut that a value computed from a tensor with this (pair) note inherits."""
    if type(note) is Cut:
        return note
    name = note[0].partition(" ~ ")[2].partition(" ")[0] or "a distribution"   # "z ~ Normal (sample: ...)"
    return Cut(f"computed from a draw of {name}.sample() (no gradient path)")


_GRADIENT_CUT_NOTE = Cut(GRADIENT_CUT)   # one note for every such gradient: a Cut is an immutable tuple


def _mark_gradient(g, handed_in):
    """Note on a gradient computed without create_graph that no graph leads to it (for backward's errors).

    Not on a tensor the caller handed in (``handed_in`` holds their ids: a vjp such as add's
    passes the cotangent on unchanged).
    """
    if g is not None and g._note is None and not g._requires_grad and id(g) not in handed_in:
        g._note = _GRADIENT_CUT_NOTE


def _why_no_graph(t):
    """Why no graph leads to t, if a Cut says so: a sample() draw or a gradient without create_graph; else None."""
    if not isinstance(t._note, tuple):
        return None
    text = _cut_from(t._note)[0]
    if text == GRADIENT_CUT:
        return ("it was computed from a gradient taken without create_graph=True, which has no graph of its "
                "own; to differentiate a gradient (a Hessian-vector product), pass create_graph=True to the "
                "autograd.grad (or backward) call that computed it")
    return (f"it was {text}: sample() draws without a graph, so no gradient reaches the distribution's "
            "parameters through the draw. Draw with rsample() for a pathwise gradient (mg.estimators.pathwise), "
            "or use a score-function estimator (mg.estimators.score_function), whose surrogate reaches them "
            "through log_prob")
