"""The fused preset: what each fused primitive of minigrad buys over the composite it replaces.

``minigrad/ops/fused.py`` writes each fused primitive beside the composite of plain ops it
replaces (``linear`` / ``linear_composite``, ...). Here both are timed, forward and then
backward of the sum, on the arrays of the default VAE step (784-400-20, batch 128):
``linear`` as the decoder's last layer, ``bernoulli_log_prob`` on every pixel,
``kl_to_standard_normal`` on every latent.
"""
import gc
import time

import numpy

import minigrad as mg
from minigrad.ops import fused

from .presets import SEED
from .runner import synchronize_cupy


def cases(config, device="cpu"):
    """(name, what, fused op, composite op, arguments) for the sizes of ``config``."""
    B, D, H, Z = config.batch, config.x_dim, config.hidden, config.latent
    rng = numpy.random.default_rng(SEED)

    def uniform(shape, low=-1.0, high=1.0, requires_grad=True):
        data = rng.uniform(low, high, shape).astype(numpy.float32)
        return mg.tensor(data, device=device, requires_grad=requires_grad)

    pixels = mg.tensor((rng.random((B, D)) < 0.5).astype(numpy.float32), device=device)
    return [("linear", f"h @ W.T + b: ({B}, {H}) @ ({D}, {H}).T + ({D},)", fused.linear, fused.linear_composite,
             (uniform((B, H)), uniform((D, H)), uniform((D,)))),
            ("bernoulli_log_prob", f"x l - softplus(l): ({B}, {D})", fused.bernoulli_log_prob,
             fused.bernoulli_log_prob_composite, (uniform((B, D), -4.0, 4.0), pixels)),
            ("kl_to_standard_normal", f"(scale^2 + loc^2 - 1) / 2 - log scale: ({B}, {Z})",
             fused.kl_to_standard_normal, fused.kl_to_standard_normal_composite,
             (uniform((B, Z)), uniform((B, Z), 0.5, 2.0)))]


def _time_once(op, args, sync):
    """(forward seconds, backward seconds) of op(*args).sum() and its backward."""
    for a in args:
        a.grad = None
    start = time.perf_counter()
    y = op(*args).sum()
    sync()
    middle = time.perf_counter()
    y.backward()
    sync()
    return middle - start, time.perf_counter() - middle


def run_fused(config, args):
    """Rows of median microseconds, fused and composite, forward and backward; the two take turns in rounds."""
    sync = synchronize_cupy if args.device == "cuda" else lambda: None
    rows = []
    for name, what, fused_op, composite_op, op_args in cases(config, args.device):
        times = {"fused": [], "composite": []}
        ops = {"fused": fused_op, "composite": composite_op}
        for op in ops.values():
            for _ in range(args.warmup):
                _time_once(op, op_args, sync)
        per_round = [args.steps // args.rounds + (i < args.steps % args.rounds) for i in range(args.rounds)]
        for block in per_round:
            for variant, op in ops.items():
                gc.collect()
                times[variant] += [_time_once(op, op_args, sync) for _ in range(block)]
        row = {"op": name, "what": what}
        for variant, samples in times.items():
            forward = float(numpy.median([f for f, _ in samples])) * 1e6
            backward = float(numpy.median([b for _, b in samples])) * 1e6
            row[f"{variant}_forward_us"], row[f"{variant}_backward_us"] = forward, backward
            row[f"{variant}_us"] = forward + backward
        row["saved_us"] = row["composite_us"] - row["fused_us"]
        rows.append(row)
    return rows
