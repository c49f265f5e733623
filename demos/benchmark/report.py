"""The tables printed: columns padded to their widest cell."""

PEAK_AND_LOSS_NOTE = (
    "peak MiB: the most memory one step held beyond what was held before it (activations, gradients, temporaries), "
    "by tracemalloc on the CPU (it sees NumPy arrays, not PyTorch's or XLA's: '-') and by the allocator on CUDA. "
    "start loss: every implementation at the same weights, batch and noise eps (must agree: '!' where it does not). "
    "loss: after the last step (the noise differs). Compare ratios within one run: the clock depends on the load.")


def table(headers, rows):
    """Columns padded to their widest cell: the first left-aligned, the others right-aligned."""
    cells = [headers] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for r in cells:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _number(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


def _mib(value):
    return "-" if value is None else f"{value / 2**20:.1f}"


def print_skipped(skipped):
    for name, reason in skipped.items():
        print(f"  skipped {name}: {reason}")


def print_step_table(preset, config, rows, skipped, args):
    print(f"\n[{preset}] VAE {config}: one training step (forward, backward, Adam), float32, {args.device}, "
          f"{args.threads} thread(s); median of {args.steps} steps after {args.warmup} warm-up")
    if args.device == "cuda":
        print("(numpy: the hand-written version run on CuPy; minigrad on CuPy; PyTorch on CUDA)")
    body = [[r["impl"], _number(r["median_ms"], 3), _number(r["iqr_ms"], 3), _number(r["min_ms"], 3),
             _number(r["x_numpy"]), _number(r["x_torch"]), _mib(r["peak_bytes"]),
             _number(r["loss_start"], 3) + ("" if r["loss_start_agrees"] else " !"), _number(r["loss_after"], 1)]
            for r in rows]
    print(table(["impl", "median ms", "IQR ms", "min ms", "x numpy", "x torch", "peak MiB", "start loss", "loss"],
                body))
    for r in rows:
        if not r["loss_start_agrees"]:
            print(f"  ! {r['impl']}: its loss at the start differs from the hand-written one: it does other work")
    print_skipped(skipped)


def print_chain_table(rows, skipped, args):
    print(f"\n[chain] {args.chain_ops} elementwise ops (x2, exp, log, x0.5, ...) on {args.chain_size} float32 "
          f"numbers, then backward; median of {args.steps} chains")
    body = [[r["impl"], _number(r["forward_us_per_op"]), _number(r["backward_us_per_op"]),
             _number(r["total_us_per_op"]), _number(r["x_numpy"], 1)] for r in rows]
    print(table(["impl", "forward us/op", "backward us/op", "total us/op", "x numpy"], body))
    print_skipped(skipped)


def print_layers_table(rows, skipped, args):
    print(f"\n[layers] what each layer of one op call costs, on {args.chain_size} float32 numbers (minigrad, "
          f"{args.device}); median of {args.steps} blocks of calls, the layers taking turns")
    print(table(["layer", "us per call", "what it is"], [[r["layer"], _number(r["us_per_call"]), r["what"]]
                                                          for r in rows]))
    print_skipped(skipped)


def print_fused_table(config, rows, args):
    print(f"\n[fused] minigrad's fused primitives against the composites they replace, on the arrays of the "
          f"VAE {config}: op(...).sum() and its backward, float32, {args.device}; median of {args.steps} calls")
    body = [[r["op"], _number(r["fused_forward_us"], 1), _number(r["fused_backward_us"], 1), _number(r["fused_us"], 1),
             _number(r["composite_forward_us"], 1), _number(r["composite_backward_us"], 1),
             _number(r["composite_us"], 1), _number(r["saved_us"], 1)] for r in rows]
    print(table(["op", "fused fwd us", "bwd us", "total us", "composite fwd us", "bwd us", "total us", "saved us"],
                body))
    for r in rows:
        print(f"  {r['op']}: {r['what']}")


def print_cnn_table(rows, skipped, profile, args):
    print(f"\n[cnn] conv16-pool-conv32-pool-linear10 (demos/classifier.py) on 128 grey digits: one training step "
          f"(forward, cross-entropy, backward, Adam), float32, {args.device}, {args.threads} thread(s); median of "
          f"{args.steps} steps after {args.warmup} warm-up; an epoch is 8,000 digits (62.5 steps)")
    body = [[r["impl"], _number(r["median_ms"], 1), _number(r["iqr_ms"], 1), _number(r["min_ms"], 1),
             _number(r["epoch_s"], 2), _number(r["x_torch"]),
             _number(r["loss_start"], 4) + ("" if r["loss_start_agrees"] else " !"), _number(r["loss_after"], 4)]
            for r in rows]
    print(table(["impl", "median ms", "IQR ms", "min ms", "s per epoch", "x torch", "start loss", "loss"], body))
    for r in rows:
        if not r["loss_start_agrees"]:
            print(f"  ! {r['impl']}: its loss at the start differs from minigrad's: it does other work")
    print_skipped(skipped)
    if profile:
        print(f"\n[cnn] where minigrad's step goes: cProfile, the functions with the most own time "
              f"({profile['ms_per_step_profiled']:.1f} ms per step under the profiler)")
        body = [[f["function"], _number(f["calls_per_step"], 1), _number(f["own_ms_per_step"], 2),
                 f"{100 * f['share']:.1f}"] for f in profile["functions"]]
        print(table(["function (file:line)", "calls/step", "own ms/step", "%"], body))
        products = profile["matrix_products"]
        print(f"\n[cnn] the step's {len(products)} matrix products as minigrad hands them to BLAS (T: a transposed "
              f"view), each alone: NumPy's BLAS, and torch.mm on the same arrays; median ms")
        body = [[r["product"], r["layout"], _number(r["numpy_ms"], 3), _number(r["torch_ms"], 3),
                 _number(r["x_torch"])] for r in products]
        numpy_total = sum(r["numpy_ms"] for r in products)
        torch_total = None if any(r["torch_ms"] is None for r in products) else sum(r["torch_ms"] for r in products)
        body.append(["all of them", "", _number(numpy_total, 3), _number(torch_total, 3),
                     _number(numpy_total / torch_total if torch_total else None)])
        print(table(["product", "layout", "numpy ms", "torch.mm ms", "numpy / torch"], body))


def print_memory_table(config, results, skipped):
    print(f"\n[memory] VAE {config}: resident memory (/proc/self/statm) after the warm-up and after the steps;"
          " a leak keeps growing in the second half, allocators settling do not")
    body = [[r["impl"], r["steps"], _mib(r["rss_start_bytes"]), _mib(r["rss_end_bytes"]),
             f"{r['growth_bytes'] / 2**20:+.2f}", f"{r['second_half_growth_bytes'] / 2**20:+.2f}"] for r in results]
    print(table(["impl", "steps", "start MiB", "end MiB", "growth MiB", "2nd half MiB"], body))
    print_skipped(skipped)


def print_peak_memory_tables(workloads, args):
    titles = {"vae": "VAE 784-400-20, batch 128 (the default preset's step)",
              "cnn": "CNN of demos/classifier.py, batch 128 (the cnn preset's step)"}
    for workload, (rows, skipped) in workloads.items():
        print(f"\n[memory] {titles[workload]}, float32, {args.device}, {args.threads} thread(s): resident memory, "
              f"each implementation in a fresh process; peak over {args.steps} steps (the first included) and "
              "held after them, both beyond the RSS after the build")
        body = [[r["impl"], _mib(r["rss_after_build_bytes"]), _mib(r["peak_bytes"]), _mib(r["held_bytes"]),
                 _number(r["x_torch"])] for r in rows]
        print(table(["impl", "RSS after build MiB", "peak MiB", "held MiB", "peak x torch"], body))
        for how in sorted({r["measured_with"] for r in rows}):
            print(f"  measured with: {how}")
        print_skipped(skipped)
