"""The layers preset: what each layer of one op call costs, from the array op to the backward pass.

An op such as ``x * y`` goes through layers, each of which costs time on every call:

    Tensor.__mul__  ->  ops.mul  ->  operands()  ->  the array op  ->  apply()  ->  Tensor()
                                     (checks)        (NumPy)           (the tape)   (the result)

and backward hands each recorded op's cotangent to its vjp (itself an op) through the heap
of ``autograd._backpropagate``. Here each layer is timed alone, on 16 float32 numbers (the
chain preset's size, where the arrays cost almost nothing), so that the table says what a
tape adds to NumPy and where. The rows the issue tracker asked about (the dtype check in
``apply``, the keyword check of a method, the checks of each backward step) are timed too:
each is a cost every op pays, kept because it catches a silent wrong answer or names a mistake.
"""
import gc
import time

import numpy

import minigrad as mg
from minigrad import autograd
from minigrad.ops import operands, reductions
from minigrad.tensor import Tensor

from .presets import SEED

BLOCK = 2000   # calls timed together: one clock reading per block, so the clock's own cost is negligible
CHAIN = 2000   # ops in the chains whose backward is timed


def _negations(x, n):
    for _ in range(n):
        x = -x
    return x


def cases(size):
    """(layer, what it is, a function of no arguments that runs it once, calls per run[, the grad mode of the
    runs]) for arrays of ``size``."""
    rng = numpy.random.default_rng(SEED)
    a, b = (rng.uniform(0.5, 1.5, size).astype(numpy.float32) for _ in range(2))
    x, y = mg.tensor(a, requires_grad=True), mg.tensor(b)
    vjp = lambda g, out: g   # noqa: E731 (never called: apply only stores it)
    data = a * b
    g = Tensor(numpy.ones_like(a))
    recorded = x * y
    off = autograd.no_grad()

    def chain_backward():   # the backward of CHAIN recorded negations: its own time (the forward is not timed)
        y = _negations(x, CHAIN).sum()
        start = time.perf_counter()
        y.backward()
        seconds = time.perf_counter() - start
        x.grad = None
        return seconds

    def chain_forward():
        _negations(x, CHAIN).sum()

    def vjps_alone():       # what the vjps of that backward compute: CHAIN negations of g, recorded nowhere
        with off:
            _negations(g, CHAIN)

    return [
        ("a * b (NumPy)", "the array op itself", lambda: a * b, 1),
        ("Tensor(array)", "wrapping a result: the tensor's fields", lambda: Tensor(data), 1),
        ("operands(x, y)", "two tensors, one device, shapes that broadcast", lambda: operands.operands(x, y, "mul"), 1),
        ("apply, in backward", "grad mode off, as for every vjp's op in backward()", lambda: autograd.apply(
            "mul", data, (x, vjp), (y, vjp)), 1, autograd._GradMode(False)),
        ("apply, in no_grad()", "grad mode off, and the label of what no_grad cut off (for mg.viz)",
         lambda: autograd.apply("mul", data, (x, vjp), (y, vjp)), 1, off),
        ("apply, recording", "storing the vjps and the op's time on the tape", lambda: autograd.apply(
            "mul", data, (x, vjp), (y, vjp)), 1),
        ("mg.mul(x, y)", "the whole op, recorded: the rows above together", lambda: mg.mul(x, y), 1),
        ("x * y", "the operator: one more frame (Tensor.__mul__)", lambda: x * y, 1),
        ("x * 2.0", "a Python number made a constant tensor of x's dtype first", lambda: x * 2.0, 1),
        ("x.sum(0)", "a method: the op and its check of PyTorch's keywords", lambda: x.sum(0), 1),
        ("sum, unchecked", "the same op without the keyword check", lambda: reductions.sum.__wrapped__(x, 0), 1),
        ("dtype check (apply)", "only floating results are recorded", lambda: data.dtype.kind in "fc", 1),
        ("x.requires_grad", "the property (the tape reads the slot, x._requires_grad)", lambda: x.requires_grad, 1),
        ("in-place check (backward)", "per input: changed since the op saved it?",
         lambda: x._changed_at > recorded._recorded_at, 1),
        ("shape check (backward)", "per input: the vjp's result has the input's shape and dtype",
         lambda: g._data.shape != x._data.shape or g._data.dtype != x._data.dtype, 1),
        ("forward, per op", f"a chain of {CHAIN} recorded negations, per op", chain_forward, CHAIN),
        ("backward, per op", "its backward, per op: the heap, the checks and the vjp (-g)", chain_backward, CHAIN),
        ("the vjps alone", "-g computed unrecorded, per op: backward's own cost is the difference",
         vjps_alone, CHAIN),
    ]


def run_layers(args):
    """Rows of median microseconds per call of each layer; the layers take turns, ``args.steps`` blocks each."""
    if args.device != "cpu":
        return [], {"layers": "the layers preset runs on the CPU only"}
    rows = []
    layers = [(name, what, run, per_run, mode[0] if mode else autograd.enable_grad())
              for name, what, run, per_run, *mode in cases(args.chain_size)]
    times = {name: [] for name, *_ in layers}
    for _, _, run, _, mode in layers:
        with mode:
            run()   # warm-up
    for _ in range(args.steps):
        for name, _, run, per_run, mode in layers:
            repeats = max(1, BLOCK // per_run)
            gc.collect()
            with mode:
                start, own = time.perf_counter(), 0.0
                for _ in range(repeats):
                    result = run()   # a run that times itself returns its seconds, a float
                    own += result if type(result) is float else 0.0
                total = own if own else time.perf_counter() - start
            times[name].append(total / (repeats * per_run))
    for name, what, *_ in layers:
        rows.append({"layer": name, "what": what, "us_per_call": float(numpy.median(times[name])) * 1e6})
    return rows, {}
