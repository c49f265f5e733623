"""How fast is minigrad? One VAE training step timed against the frameworks people would use instead.

    python demos/benchmark                        # from the repository's root: the default preset
    python demos/benchmark --presets tiny chain   # see README.md for every option, the method and the numbers

The files, in the order a reader needs them:

    model.py       the VAE step written once, in NumPy, with its backward pass derived by hand: the yardstick
    peers/         the same step in each framework, one file each (minigrad, PyTorch, JAX, ...)
    presets.py     the sizes timed, and the weights, batch and noise every implementation starts from
    runner.py      what a peer hands the harness (a Runner, or a Skip saying why not), memory probes
    chain.py       the chain preset: a long chain of tiny ops, for the cost of one recorded op
    fused.py       the fused preset: minigrad's fused primitives against the composites they replace
    cnn.py         the cnn preset: a small CNN classifier's step (minigrad, PyTorch, DeZero), and a profile
    peak.py        the memory preset: peak resident memory of the VAE and CNN steps, a fresh process each
    measure.py     timing in rounds, the loss-agreement check, the chain, memory over many steps
    machine.py     threads, the CPU core, glibc's malloc, versions
    report.py      the tables
    cli.py         the command line
    __main__.py    what runs first: the thread count is set before NumPy is imported

Importing this package imports nothing else (not even NumPy), so that ``__main__`` can set the
thread count first. From Python, ``benchmark.main([...])`` runs it and returns the report.
"""


def main(argv=None):
    """Run the benchmark (see cli.main): the report as a dict."""
    from .cli import main
    return main(argv)
