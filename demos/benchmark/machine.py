"""What the clock runs on: threads, the CPU core, glibc's malloc, and the versions installed.

Imports nothing but the standard library, so that ``__main__`` can set the thread count
before NumPy is imported.
"""
import ctypes
import ctypes.util
import os
import platform

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def threads_in(argv):
    """The N of ``--threads N`` in argv (1 when absent), read by hand: argparse comes later."""
    for i, arg in enumerate(argv):
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
    return "1"


def set_thread_variables(argv):
    """BLAS libraries read their thread count once, when NumPy is imported: call this before."""
    for variable in THREAD_VARIABLES:
        os.environ[variable] = threads_in(argv)


def pin_threads(threads):
    """Hold every library to ``threads`` threads. Returns the CPU cores this process could use
    before (for main() to give back), or None when it was not pinned to one core.

    NumPy's BLAS reads OPENBLAS_NUM_THREADS (and friends) when NumPy is imported, so that is
    done by ``__main__`` when the benchmark runs as a program; PyTorch is told with
    torch.set_num_threads. XLA, JAX's compiler, ignores every thread setting on the CPU
    (XLA_FLAGS such as --xla_cpu_multi_thread_eigen=false included: measured, it still keeps
    two cores busy) and sizes its thread pool from the cores the process may run on. So for
    one thread the process is pinned to one core, which holds every library to it alike.
    """
    wanted = str(threads)
    if any(os.environ.get(v) != wanted for v in THREAD_VARIABLES):
        print(f"note: NumPy was imported before main() could set {'/'.join(THREAD_VARIABLES)}={wanted}; "
              "its BLAS keeps the thread count it started with (run `python demos/benchmark` to set it)")
    for variable in THREAD_VARIABLES:
        os.environ[variable] = wanted
    if threads != 1 or not hasattr(os, "sched_setaffinity"):
        return None
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {max(allowed)})
    return allowed


def keep_freed_memory():
    """Ask glibc's malloc to keep freed memory for the next step instead of giving it back to the kernel.

    By default glibc returns large freed blocks to the system (munmap, or trimming the top of
    the heap), and the next step's arrays then fault every page in again: thousands of page
    faults per step, charged to whichever implementation's pattern of allocations happens to
    set it off. Measured at batch 512: the hand-written NumPy step 32.7 ms with the faults,
    26.5 ms without; at hidden 128 it even made minigrad look faster than the limit. Fixed
    thresholds time the arithmetic, not the kernel. Returns False where malloc is not glibc's.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3      # from glibc's malloc.h
    keep = 1 << 30                                   # never trim the heap; never mmap a block below 1 GiB
    return bool(mallopt(M_MMAP_THRESHOLD, keep)) and bool(mallopt(M_TRIM_THRESHOLD, keep))


def versions():
    """Versions of Python, NumPy, minigrad and each peer installed (read from the package metadata:
    importing PyTorch or JAX just to ask would take seconds)."""
    from importlib import metadata

    import numpy

    import minigrad
    found = {"python": platform.python_version(), "numpy": numpy.__version__, "minigrad": minigrad.__version__}
    for name, distributions in (("torch", ["torch"]), ("jax", ["jax"]), ("jaxlib", ["jaxlib"]),
                                ("autograd", ["autograd"]), ("mygrad", ["mygrad"]), ("dezero", ["dezero"]),
                                ("cupy", ["cupy", "cupy-cuda12x", "cupy-cuda13x", "cupy-cuda11x"])):
        for distribution in distributions:
            try:
                found[name] = metadata.version(distribution)
                break
            except metadata.PackageNotFoundError:
                continue
    return found
