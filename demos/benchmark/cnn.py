"""The cnn preset: one training step of a small convolutional classifier, the CNN of demos/classifier.py.

    conv 16 (3x3, pad 1) - ReLU - maxpool 2 - conv 32 (3x3, pad 1) - ReLU - maxpool 2 - linear 10

on 128 grey MNIST digits (the first of the embedded training set), with the cross-entropy and
Adam (lr 1e-3), in float32, on one thread. The work is convolution (im2col, a matrix product,
col2im), pooling and its gradient, where the VAE preset is matrix products of dense layers: a
different part of each framework is timed. Every implementation starts from the same weights,
drawn as PyTorch draws them, and its loss there is checked against minigrad's (they must agree).

After the timings, minigrad's step is profiled with cProfile: the functions that take the most of
its own time (``tottime``), which says where the step goes (the convolution's matrix products,
im2col and col2im, the max-pool's forward and backward, ...). Then the matrix products of one
step, recorded as minigrad hands them to BLAS, are timed alone in NumPy and, where PyTorch is
installed, with ``torch.mm`` on the same arrays: how much of the gap to PyTorch is the BLAS
library rather than the engine.
"""
import cProfile
import dataclasses
import gc
import math
import pstats
import sys
import time

import numpy

from . import measure
from .peers import CNN_IMPLEMENTATIONS
from .presets import SEED
from .runner import Skip

BATCH = 128
EPOCH = 8000          # images in a training epoch of demos/classifier.py: 62.5 steps of 128
LOSS_RTOL = 1e-4

# (name, shape) in the order of mg.nn.Sequential's state_dict, in mg.nn's layouts, which are PyTorch's:
# (out, in, kh, kw) for a convolution, (out, in) for the linear layer
PARAMETERS = (("0.weight", (16, 1, 3, 3)), ("0.bias", (16,)),
              ("3.weight", (32, 16, 3, 3)), ("3.bias", (32,)),
              ("7.weight", (10, 32 * 7 * 7)), ("7.bias", (10,)))


@dataclasses.dataclass
class CNNSetup:
    """What every implementation is built from: the same weights, images and labels."""
    device: str
    threads: int
    params: dict          # name -> float32 NumPy array (each implementation copies them)
    x: numpy.ndarray      # (B, 1, 28, 28) float32 grey levels in [0, 1]
    y: numpy.ndarray      # (B,) int64 digits


def initial_parameters(seed=SEED):
    """The weights drawn as PyTorch (and mg.nn) draw them: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    fan_in = in_channels kh kw for a convolution, in_features for the linear layer."""
    rng = numpy.random.default_rng(seed)
    params = {}
    for weight, bias in zip(PARAMETERS[::2], PARAMETERS[1::2]):
        (w_name, w_shape), (b_name, b_shape) = weight, bias
        fan_in = math.prod(w_shape[1:])   # in_channels kh kw, or in_features
        bound = 1.0 / math.sqrt(fan_in)
        params[w_name] = rng.uniform(-bound, bound, w_shape).astype(numpy.float32)
        params[b_name] = rng.uniform(-bound, bound, b_shape).astype(numpy.float32)
    return params


def digits(batch=BATCH):
    """The first ``batch`` grey training digits of the embedded MNIST, as images, and their labels."""
    import minigrad as mg
    data = mg.data.load_mnist(binarize_test=False)
    return (data.train_images[:batch].reshape(batch, 1, 28, 28).astype(numpy.float32),
            data.train_labels[:batch].astype(numpy.int64))


def make_setup(args):
    x, y = digits()
    return CNNSetup(args.device, args.threads, initial_parameters(), x, y)


def profile_minigrad(setup, steps, top=12):
    """minigrad's step under cProfile: (ms per step under the profiler, rows of the functions with the most own
    time). The profiler slows the many small calls more than the few large ones, so read the shares, not the
    milliseconds."""
    runner = CNN_IMPLEMENTATIONS["minigrad"].build(setup)
    for _ in range(3):
        runner.step()
    gc.collect()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        runner.step()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    rows = []
    for (path, line, function), (_, calls, own, _, _) in sorted(stats.stats.items(),
                                                                         key=lambda item: -item[1][2])[:top]:
        where = path.split("minigrad/")[-1] if "minigrad/" in path else path.rsplit("/", 1)[-1]
        rows.append({"function": f"{function} ({where}:{line})" if line else function, "calls_per_step": calls / steps,
                     "own_ms_per_step": 1e3 * own / steps, "share": own / total})
    return 1e3 * total / steps, rows


def matrix_products(setup, repeats=20):
    """The matrix products of one minigrad step, each timed alone in NumPy and with ``torch.mm``: a row each.

    A profile hook records the operands of every call of ``matmul``, of the fused
    ``linear`` (whose product is x @ weight.T) and of its weights' gradient
    ``_transposed_product`` (g.T @ x) during one step: the products minigrad
    really asks for, with the memory layouts it hands over (a transposed view is read
    transposed, not copied). Each is then timed in turns, NumPy then PyTorch on the same
    arrays (``torch.from_numpy`` shares them), ``repeats`` times; the medians are kept.
    """
    from minigrad.ops import arithmetic, fused
    runner = CNN_IMPLEMENTATIONS["minigrad"].build(setup)
    runner.step()
    operands = []

    def record(frame, event, arg):
        if event == "call" and frame.f_code is arithmetic.matmul.__code__:
            operands.append((frame.f_locals["a"].data, frame.f_locals["b"].data))
        elif event == "call" and frame.f_code is fused.linear.__code__:
            operands.append((frame.f_locals["x"].data, frame.f_locals["weight"].data.T))
        elif event == "call" and frame.f_code is fused._transposed_product.__code__:
            operands.append((frame.f_locals["g"].data.T, frame.f_locals["x"].data))
    sys.setprofile(record)
    try:
        runner.step()
    finally:
        sys.setprofile(None)
    try:
        import torch
        torch.set_num_threads(setup.threads)
    except ImportError:
        torch = None
    rows = []
    for a, b in operands:
        pairs = [("numpy", a, b)] + ([("torch", torch.from_numpy(a), torch.from_numpy(b))] if torch else [])
        times = {name: [] for name, _, _ in pairs}
        for _ in range(repeats):
            for name, left, right in pairs:
                start = time.perf_counter()
                left @ right
                times[name].append(time.perf_counter() - start)
        numpy_ms, torch_ms = (1e3 * float(numpy.median(times[name])) if name in times else None
                              for name in ("numpy", "torch"))
        rows.append({"product": f"{a.shape} @ {b.shape}", "layout": f"{_layout(a)} @ {_layout(b)}",
                     "numpy_ms": numpy_ms, "torch_ms": torch_ms,
                     "x_torch": numpy_ms / torch_ms if torch_ms else None})
    return rows


def _layout(array):
    """C for a row-major array, T for a transposed view of one (column-major), else strided."""
    return "C" if array.flags.c_contiguous else "T" if array.flags.f_contiguous else "strided"


def run_cnn(args):
    """Time every implementation that has a CNN step; rows, the skipped ones, and minigrad's profile."""
    setup = make_setup(args)
    names = [name for name in args.impls if name in CNN_IMPLEMENTATIONS]
    runners, skipped = {}, {}
    for name in names:
        try:
            runners[name] = CNN_IMPLEMENTATIONS[name].build(setup)
        except Skip as e:
            skipped[name] = str(e)
    reference = measure._to_float(CNN_IMPLEMENTATIONS["minigrad"].loss(setup.params, setup.x, setup.y))
    start = {name: CNN_IMPLEMENTATIONS[name].loss(setup.params, setup.x, setup.y) for name in runners}
    times = measure.time_steps(runners, args.steps, args.warmup, args.rounds)
    rows = []
    for name, runner in runners.items():
        q1, median, q3 = measure._quartiles(times[name])
        loss = runner.step()
        runner.sync()
        rows.append({"impl": name, "median_ms": 1e3 * median, "q1_ms": 1e3 * q1, "q3_ms": 1e3 * q3,
                     "iqr_ms": 1e3 * (q3 - q1), "min_ms": 1e3 * min(times[name]), "steps": len(times[name]),
                     "epoch_s": median * EPOCH / BATCH, "loss_start": start[name],
                     "loss_start_agrees": bool(abs(start[name] - reference) <= LOSS_RTOL * abs(reference)),
                     "loss_after": measure._to_float(loss)})
    base = next((r["median_ms"] for r in rows if r["impl"] == "torch"), None)
    for row in rows:
        row["x_torch"] = row["median_ms"] / base if base else None
    profile = None
    if "minigrad" in runners and args.device == "cpu":
        profiled_ms, functions = profile_minigrad(setup, max(1, min(args.steps, 20)))
        profile = {"ms_per_step_profiled": profiled_ms, "functions": functions,
                   "matrix_products": matrix_products(setup, max(3, min(args.steps, 20)))}
    return rows, skipped, profile
