"""``python demos/benchmark`` (a folder with a __main__.py runs as a program) or, from demos/,
``python -m benchmark``. Sets the thread count before NumPy is imported, then runs cli.main."""
import os
import sys

if not __package__:
    # Run as `python demos/benchmark`: Python put demos/benchmark itself on sys.path. Put demos/
    # there instead, so that the package is imported by its name and its relative imports work.
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from benchmark import machine


def main():
    # BLAS libraries read their thread count once, when NumPy is imported, so it is set here,
    # before anything imports NumPy. (Called from Python, cli.main can only warn; see machine.pin_threads.)
    machine.set_thread_variables(sys.argv[1:])
    from benchmark.cli import main as run_benchmark
    run_benchmark()


if __name__ == "__main__":
    main()
