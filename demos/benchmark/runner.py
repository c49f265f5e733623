"""What a peer file hands the harness (a Runner, or a Skip saying why not), and the memory probes."""
import dataclasses
import gc
import tracemalloc

import numpy

from .presets import Config


@dataclasses.dataclass
class Setup:
    """What every implementation is built from: the same sizes, weights and batch."""
    config: Config
    device: str                # "cpu" or "cuda"
    threads: int
    params: dict               # name -> NumPy array (each implementation copies them)
    x: numpy.ndarray


@dataclasses.dataclass
class Runner:
    """One implementation, built and ready: ``step()`` trains once and returns the loss (any array type)."""
    step: object
    sync: object = lambda: None   # waits for the device (CUDA, or JAX's asynchronous dispatch)
    peak_bytes: object = None     # runs one step and returns (bytes, how measured), or None: not measurable


class Skip(Exception):
    """An implementation that cannot run here (not installed, no GPU): reported, never faked."""


def require(module_name):
    """The module, or Skip with the reason it does not import."""
    try:
        return __import__(module_name)
    except ImportError as e:
        raise Skip(f"{module_name} is not installed ({e})") from None


def cpu_only(setup, name):
    if setup.device != "cpu":
        raise Skip(f"{name} runs on the CPU only in this benchmark")


def synchronize_cupy():
    import cupy
    cupy.cuda.get_current_stream().synchronize()


def cupy_peak(step):
    """Growth of CuPy's memory pool during one step: the most device memory the step held at once."""
    def measure():
        import cupy
        pool = cupy.get_default_memory_pool()
        pool.free_all_blocks()
        before = pool.used_bytes()
        step()
        synchronize_cupy()
        return pool.total_bytes() - before, "CuPy pool"
    return measure


def tracemalloc_peak(step):
    """Peak of the memory allocated during one step beyond what was allocated before it.

    tracemalloc sees Python objects and NumPy arrays (NumPy reports its buffers to it), not
    memory that PyTorch or XLA allocate themselves.
    """
    def measure():
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        step()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak - before, "tracemalloc"
    return measure
