"""The command line: parse the arguments, set up the machine, run the presets, print and save the report."""
import argparse
import dataclasses
import datetime
import json
import os
import platform
import sys

import common  # demos/common.py: the device check every demo shares

from . import cnn, fused, layers, machine, measure, peak, report
from .peers import IMPLEMENTATIONS
from .presets import PRESETS

DESCRIPTION = "How fast is minigrad? One VAE training step timed against the frameworks people would use instead."


def _names(values, known, what):
    names = [n for v in values for n in v.split(",") if n]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown {what} {unknown}; choose from {list(known)}")
    return names


def parse_args(argv):
    implementations = "\n".join(f"  {name:13} {impl.about}" for name, impl in IMPLEMENTATIONS.items())
    parser = argparse.ArgumentParser(prog="python demos/benchmark", description=DESCRIPTION,
                                     epilog=f"implementations:\n{implementations}\n\nmethod and numbers: "
                                            "demos/benchmark/README.md",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", nargs="+", default=["default"],
                        help=f"one or more of {list(PRESETS)} (space or comma separated)")
    parser.add_argument("--impls", nargs="+", default=list(IMPLEMENTATIONS),
                        help=f"implementations to time (default: all): {list(IMPLEMENTATIONS)}")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--steps", type=int, default=None,
                        help="timed steps per implementation (default: per preset, e.g. 100; chain: repeats)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps first (JAX compiles here)")
    parser.add_argument("--rounds", type=int, default=5, help="the timed steps are split into this many rounds")
    parser.add_argument("--threads", type=int, default=1, help="threads for BLAS, PyTorch and XLA")
    parser.add_argument("--chain-ops", type=int, default=10_000, help="length of the chain preset's chain")
    parser.add_argument("--chain-size", type=int, default=16, help="elements of the chain preset's tensor")
    parser.add_argument("--memory-steps", type=int, default=0,
                        help="instead of timing: run this many steps (of the first preset's first size) and "
                             "print resident memory at the start and the end; implementations from --impls "
                             "if given, else minigrad")
    parser.add_argument("--malloc-default", action="store_true",
                        help="leave glibc's malloc as it is (by default it is told to keep freed memory, so that "
                             "page faults do not land on one implementation or another)")
    parser.add_argument("--json", metavar="PATH", help="also write every number to this JSON file")
    args = parser.parse_args(argv)
    args.presets = _names(args.presets, PRESETS, "preset")
    impls_given = args.impls is not parser.get_default("impls")
    args.impls = _names(args.impls, IMPLEMENTATIONS, "implementation")
    if args.memory_steps and not impls_given:
        args.impls = ["minigrad"]
    if min(args.warmup, args.threads, args.chain_ops, args.chain_size) < 0 or args.rounds < 1:
        parser.error("--warmup, --threads, --chain-ops and --chain-size must be >= 0 and --rounds >= 1")
    return args


def main(argv=None):
    """Run the benchmark with these arguments (default: the command line's); returns the report as a dict."""
    args = parse_args(argv)
    common.require_device(args.device, "benchmark")   # stop, saying what to do, rather than skip every peer
    allowed_cores = machine.pin_threads(args.threads)
    try:
        return run(args, list(sys.argv[1:] if argv is None else argv))
    finally:
        if allowed_cores is not None:   # called from Python (a test, a notebook): give the cores back
            os.sched_setaffinity(0, allowed_cores)


def run(args, argv):
    """Everything main() does once the arguments are parsed and the threads are set: the report."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    result = {"command": ["python", "demos/benchmark"] + argv, "device": args.device, "threads": args.threads,
              "date": datetime.datetime.now().isoformat(timespec="seconds"),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, running on cores {cores}",
              "versions": machine.versions(), "presets": {}, "memory": None}
    print("versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()))
    print(f"threads: {args.threads}" + (f" (the process is pinned to CPU core {cores[0]})" if args.threads == 1
                                        and cores and len(cores) == 1 else ""))
    kept = not args.malloc_default and machine.keep_freed_memory()
    result["malloc"] = "keeps freed memory" if kept else "default"
    print(f"malloc: {result['malloc']}")

    if args.memory_steps:
        preset = args.presets[0]
        config = (PRESETS[preset][0] or PRESETS["default"][0])[0]
        results, skipped = measure.run_memory(config, args, args.impls)
        report.print_memory_table(config, results, skipped)
        result["memory"] = {"config": dataclasses.asdict(config), "results": results, "skipped": skipped}
    else:
        steps_given = args.steps
        for preset in args.presets:
            configs, default_steps = PRESETS[preset]
            args.steps = steps_given or default_steps
            if preset == "chain":
                rows, skipped = measure.run_chain(args)
                report.print_chain_table(rows, skipped, args)
                result["presets"]["chain"] = {"ops": args.chain_ops, "size": args.chain_size, "repeats": args.steps,
                                              "results": rows, "skipped": skipped}
                continue
            if preset == "layers":
                rows, skipped = layers.run_layers(args)
                report.print_layers_table(rows, skipped, args)
                result["presets"]["layers"] = {"size": args.chain_size, "blocks": args.steps, "results": rows,
                                               "skipped": skipped}
                continue
            if preset == "fused":
                (config,) = configs
                rows = fused.run_fused(config, args)
                report.print_fused_table(config, rows, args)
                result["presets"]["fused"] = {"config": dataclasses.asdict(config), "steps": args.steps,
                                              "warmup": args.warmup, "results": rows}
                continue
            if preset == "cnn":
                rows, skipped, profile = cnn.run_cnn(args)
                report.print_cnn_table(rows, skipped, profile, args)
                result["presets"]["cnn"] = {"batch": cnn.BATCH, "epoch_images": cnn.EPOCH, "steps": args.steps,
                                            "warmup": args.warmup, "results": rows, "skipped": skipped,
                                            "minigrad_profile": profile}
                continue
            if preset == "memory":
                workloads = peak.run_peak_memory(args)
                report.print_peak_memory_tables(workloads, args)
                result["presets"]["memory"] = {"steps": args.steps, "malloc": "default, in each child process",
                                               **{w: {"results": rows, "skipped": skipped}
                                                  for w, (rows, skipped) in workloads.items()}}
                continue
            entries = []
            for config in configs:
                rows, skipped = measure.run_config(config, args)
                report.print_step_table(preset, config, rows, skipped, args)
                entries.append({"config": dataclasses.asdict(config), "steps": args.steps, "warmup": args.warmup,
                                "results": rows, "skipped": skipped})
            result["presets"][preset] = entries
        if any(preset not in ("chain", "layers", "fused", "cnn", "memory") for preset in args.presets):
            print("\n" + report.PEAK_AND_LOSS_NOTE)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return result
