"""The memory preset: the most resident memory a training step needs, each implementation in a process of its own.

For the VAE step (the default size, 784-400-20 at batch 128) and the CNN step (the cnn preset's),
each implementation runs in a fresh Python process, so that what one framework has allocated
(its import, its caches, memory its allocator keeps) is never counted for another. The process

1. builds the implementation (imports its framework, copies the shared weights, makes the optimizer),
2. reads its resident set size, RSS: what is held before any step,
3. resets the kernel's high-water mark of the RSS (writing "5" to /proc/self/clear_refs, Linux 4.0+),
4. runs the steps, and reads the high-water mark, VmHWM in /proc/self/status.

``peak`` is the high-water mark minus the RSS after the build: the most memory the steps needed
on top of the model, everything included (activations kept for the backward pass, gradients, the
optimizer's moments allocated by the first step, temporaries, a JIT compiler's work in the first
step). ``held`` is the RSS after the steps minus the RSS after the build: what stays between steps
(the optimizer's moments, gradients kept, allocator caches). Unlike tracemalloc (the ``peak MiB``
of the timing tables), RSS sees every framework's memory, PyTorch's and XLA's included.

The children leave glibc's malloc as it is (the timing presets tell it to keep freed memory,
which would count the heap's fragmentation as memory the step needs). Where /proc/self/clear_refs
cannot be written (not Linux), the mark is ``resource.getrusage``'s ``ru_maxrss``, the highest RSS
since the process started: it then includes the import and the build, and the table says so.
"""
import gc
import json
import os
import subprocess
import sys
import types

from .machine import THREAD_VARIABLES

WORKLOADS = ("vae", "cnn")
STATUS = "/proc/self/status"
CLEAR_REFS = "/proc/self/clear_refs"   # writing "5" resets VmHWM to the RSS now


def _status_bytes(field):
    """A field of /proc/self/status given in kB (VmRSS, VmHWM), in bytes."""
    with open(STATUS) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def resident_bytes():
    """The resident set size now (without /proc, the best the standard library offers: the high-water mark)."""
    try:
        return _status_bytes("VmRSS")
    except OSError:
        return _max_rss()


def _max_rss():
    """The highest resident set size since the process started, in bytes."""
    import resource
    scale = 1 if sys.platform == "darwin" else 1024   # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def reset_high_water_mark():
    """Reset VmHWM to the current RSS; returns how the peak will be read."""
    try:
        with open(CLEAR_REFS, "w") as f:
            f.write("5")
        return "VmHWM after clear_refs"
    except OSError:
        return "ru_maxrss since the process started (clear_refs not writable): includes import and build"


def high_water_mark(how):
    return _status_bytes("VmHWM") if how.startswith("VmHWM") else _max_rss()


def _build(workload, name, threads):
    """A Runner for this implementation's step, built as the timing presets build it."""
    from . import cnn, measure
    from .peers import CNN_IMPLEMENTATIONS, IMPLEMENTATIONS
    from .presets import PRESETS
    args = types.SimpleNamespace(device="cpu", threads=threads)   # what make_setup reads from the arguments
    if workload == "vae":
        return IMPLEMENTATIONS[name].build(measure.make_setup(PRESETS["default"][0][0], args))
    return CNN_IMPLEMENTATIONS[name].build(cnn.make_setup(args))


def measure_here(workload, name, steps, threads):
    """Run in the child process: build, then the steps; the numbers, or the reason it was skipped."""
    from .runner import Skip
    try:
        runner = _build(workload, name, threads)
    except Skip as e:
        return {"skipped": str(e)}
    gc.collect()
    after_build = resident_bytes()
    how = reset_high_water_mark()
    for _ in range(steps):
        runner.step()
    runner.sync()
    mark = high_water_mark(how)
    gc.collect()
    return {"rss_after_build_bytes": after_build, "peak_bytes": mark - after_build,
            "held_bytes": resident_bytes() - after_build, "measured_with": how}


def measure_in_child(workload, name, steps, threads):
    """measure_here in a fresh interpreter that imports this package and minigrad as this one does."""
    demos = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([demos] + [p for p in sys.path if p]))
    for variable in THREAD_VARIABLES:
        env[variable] = str(threads)   # before the child imports NumPy, as __main__ does
    code = (f"import json; from benchmark.peak import measure_here; "
            f"print(json.dumps(measure_here({workload!r}, {name!r}, {steps}, {threads})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        return {"skipped": f"its process failed (exit status {done.returncode}): "
                           f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ''}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_peak_memory(args):
    """{workload: (rows, skipped)} for the VAE and the CNN step, one child process per implementation."""
    from .peers import CNN_IMPLEMENTATIONS, IMPLEMENTATIONS
    if args.device != "cpu":
        return {w: ([], {"memory": "the memory preset measures the CPU's resident memory only"}) for w in WORKLOADS}
    result = {}
    for workload in WORKLOADS:
        known = IMPLEMENTATIONS if workload == "vae" else CNN_IMPLEMENTATIONS
        rows, skipped = [], {}
        for name in (n for n in args.impls if n in known):
            measured = measure_in_child(workload, name, args.steps, args.threads)
            if "skipped" in measured:
                skipped[name] = measured["skipped"]
            else:
                rows.append({"impl": name, **measured})
        base = next((r["peak_bytes"] for r in rows if r["impl"] == "torch"), None)
        for row in rows:
            row["x_torch"] = row["peak_bytes"] / base if base else None
        result[workload] = (rows, skipped)
    return result
