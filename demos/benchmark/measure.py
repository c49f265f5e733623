"""Timing: steps in rounds that take turns over the implementations; the chain; memory over many steps."""
import gc
import os
import time

import numpy

from . import model
from .peers import IMPLEMENTATIONS
from .presets import SEED, binary_batch, initial_parameters, noise
from .runner import Setup, Skip

LOSS_RTOL = 1e-4    # float32 sums over B x D terms, added up in different orders


def _quartiles(samples):
    q1, median, q3 = numpy.percentile(numpy.asarray(samples), [25, 50, 75])
    return float(q1), float(median), float(q3)


def _to_float(loss):
    """A peer's loss as a Python float: CuPy arrays come back with .get(), framework tensors
    (PyTorch on CUDA too) with .item(), everything else through NumPy."""
    if hasattr(loss, "get"):
        loss = loss.get()
    if hasattr(loss, "item"):
        return float(loss.item())
    return float(numpy.asarray(loss))


def time_steps(runners, steps, warmup, rounds):
    """{name: [seconds of each timed step]}, timed in rounds that take turns over the implementations."""
    for runner in runners.values():
        for _ in range(warmup):
            runner.step()
        runner.sync()
    times = {name: [] for name in runners}
    per_round = [steps // rounds + (i < steps % rounds) for i in range(rounds)]
    for block in per_round:
        for name, runner in runners.items():
            runner.step()   # untimed: bring this implementation's arrays back into the caches
            runner.sync()
            gc.collect()
            for _ in range(block):
                start = time.perf_counter()
                runner.step()
                runner.sync()
                times[name].append(time.perf_counter() - start)
    return times


def make_setup(config, args):
    return Setup(config, args.device, args.threads, initial_parameters(config), binary_batch(config))


def build_runners(setup, impls):
    """The runners that can run here and, for the others, why not."""
    runners, skipped = {}, {}
    for name in impls:
        try:
            runners[name] = IMPLEMENTATIONS[name].build(setup)
        except Skip as e:
            skipped[name] = str(e)
    return runners, skipped


def starting_losses(setup, names):
    """{name: (its loss, agrees with the hand-written one)} at the shared start, for the same noise."""
    eps = noise(setup.config)
    expected = model.loss(setup.params, setup.x, eps)
    losses = {}
    for name in names:
        value = IMPLEMENTATIONS[name].loss(setup.params, setup.x, eps)
        losses[name] = (value, bool(abs(value - expected) <= LOSS_RTOL * abs(expected)))
    return losses


def run_config(config, args):
    """Time every implementation on one size; a list of result rows and the skipped ones."""
    setup = make_setup(config, args)
    runners, skipped = build_runners(setup, args.impls)
    start = starting_losses(setup, runners)
    times = time_steps(runners, args.steps, args.warmup, args.rounds)
    rows = []
    for name, runner in runners.items():
        q1, median, q3 = _quartiles(times[name])
        loss = runner.step()
        runner.sync()
        peak, how = runner.peak_bytes() if runner.peak_bytes is not None else (None, None)
        rows.append({"impl": name, "median_ms": 1e3 * median, "q1_ms": 1e3 * q1, "q3_ms": 1e3 * q3,
                     "iqr_ms": 1e3 * (q3 - q1), "min_ms": 1e3 * min(times[name]), "steps": len(times[name]),
                     "loss_start": start[name][0], "loss_start_agrees": start[name][1],
                     "loss_after": _to_float(loss), "peak_bytes": peak, "peak_measured_with": how})
    for reference, key in (("numpy", "x_numpy"), ("torch", "x_torch")):
        base = next((r["median_ms"] for r in rows if r["impl"] == reference), None)
        for row in rows:
            row[key] = row["median_ms"] / base if base else None
    return rows, skipped


def run_chain(args):
    """Microseconds per recorded op, forward and backward: the median over ``args.steps`` chains."""
    if args.device != "cpu":
        return [], {"chain": "the chain preset runs on the CPU only"}
    x0 = numpy.random.default_rng(SEED).uniform(0.5, 1.5, args.chain_size).astype(numpy.float32)
    n = args.chain_ops
    rows, skipped = [], {}
    for name in args.impls:
        chain = IMPLEMENTATIONS[name].chain
        if chain is None:   # variants of a training step (fused Adam, jit of the step)
            continue
        try:
            chain(x0, min(n, 100))   # warm-up
            runs = []
            for _ in range(args.steps):
                gc.collect()
                runs.append(chain(x0, n))
        except Skip as e:
            skipped[name] = str(e)
            continue
        except RecursionError as e:   # an engine whose backward recurses: a real limit, shown as such
            skipped[name] = f"failed on a chain of {n} ops: RecursionError ({e})"
            continue
        forward = float(numpy.median([f for f, _ in runs])) / n * 1e6
        backward = float(numpy.median([b for _, b in runs])) / n * 1e6
        rows.append({"impl": name, "forward_us_per_op": forward, "backward_us_per_op": backward,
                     "total_us_per_op": forward + backward, "repeats": len(runs)})
    base = next((r["total_us_per_op"] for r in rows if r["impl"] == "numpy"), None)
    for row in rows:
        row["x_numpy"] = row["total_us_per_op"] / base if base else None
    return rows, skipped


def resident_bytes():
    """Resident set size of this process now, from /proc/self/statm (its second field, in pages)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run_memory(config, args, impls):
    """Run ``args.memory_steps`` steps of each implementation; resident memory at the start and after."""
    runners, skipped = build_runners(make_setup(config, args), impls)
    results = []
    for name, runner in runners.items():
        for _ in range(args.warmup):
            runner.step()
        runner.sync()
        gc.collect()
        samples = [(0, resident_bytes())]
        every = max(1, args.memory_steps // 10)
        for i in range(1, args.memory_steps + 1):
            runner.step()
            if i % every == 0 or i == args.memory_steps:
                runner.sync()
                samples.append((i, resident_bytes()))
        halfway = next(rss for i, rss in samples if i >= args.memory_steps // 2)
        results.append({"impl": name, "steps": args.memory_steps, "rss_start_bytes": samples[0][1],
                        "rss_end_bytes": samples[-1][1], "growth_bytes": samples[-1][1] - samples[0][1],
                        "second_half_growth_bytes": samples[-1][1] - halfway, "samples": samples})
    return results, skipped
