"""What every demo shares: the command line, the output folder, plots, progress bars, image grids.

A demo is the experiment only; the scaffolding around it is written once, here (as DeZero's
examples and Pyro's ``examples/vae/utils`` share theirs). A demo imports this module first,
before NumPy:

    import common  # isort: split
    import numpy
    import minigrad as mg

Importing it does two things:

- It puts the repository on ``sys.path``, so ``import minigrad`` works from a checkout whether
  the file runs as a program (``python demos/vae.py``), is imported (the tests call ``main``),
  or opens as a notebook (Jupyter starts the kernel in ``demos/``).
- It gives NumPy's BLAS one thread, unless you chose a number yourself (``OMP_NUM_THREADS``,
  ``OPENBLAS_NUM_THREADS`` or ``MKL_NUM_THREADS`` set). The demos multiply small matrices (a
  batch of 128 by 784), where a second thread gains nothing on an idle machine and costs a lot on
  a busy one, because the threads wait for each other: the VAE demo took 0.45 s per epoch with
  NumPy's default threads and 0.48 s with one on an idle 2-core machine, and 4.3 s against 1.2 s
  on the same machine under load. (PyTorch chooses its own thread count for the same reason.) One
  thread also makes the sums, and so the printed numbers, the same on every machine.

Then a demo's ``main`` reads::

    args = common.parser("vae", __doc__).parse_args(argv)   # --out, --seed, --device, --no-progress
    plt = common.start(args)                                # device checked, seeded, folder made
    for x in common.progress(batches, args, desc="epoch 1"):
        ...
    common.save_figure(fig, args, "elbo.png")
"""
import argparse
import importlib.util
import json
import os
import sys

_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
if not any(name in os.environ for name in _THREADS):   # read by the BLAS library when NumPy loads it
    os.environ.update(dict.fromkeys(_THREADS, "1"))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import minigrad as mg  # noqa: E402


def in_notebook(module_name):
    """True when the demo runs as a notebook in a Jupyter kernel: call with the demo's ``__name__``.

    Both halves are needed. A notebook runs as ``__main__``, as a program does, but its
    ``sys.argv`` holds the kernel's own arguments (``-f kernel.json``), which ``argparse`` would
    reject; a module imported from a notebook has ``ipykernel`` loaded too, but its ``__name__``
    is its own. A demo's last cells run ``main`` and show its pictures only when this is true, and
    its very last cell reads the command line only when the file runs as a program.
    """
    return module_name == "__main__" and "ipykernel" in sys.modules


def parser(name, doc, seed=0):
    """An argument parser with the options every demo has: ``--out`` (``demo_out/<name>``),
    ``--seed``, ``--device`` and ``--no-progress``; the first paragraph of ``doc`` describes it."""
    p = argparse.ArgumentParser(prog=f"python demos/{name}.py", description=(doc or name).strip().split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--out", default=os.path.join("demo_out", name), help="folder for the pictures and numbers")
    p.add_argument("--seed", type=int, default=seed, help="seed of every random draw")
    p.add_argument("--device", default="cpu", help=f"where to compute: one of {mg.devices()} here")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def mnist_options(parser):
    """Add ``--data``, ``--train-size`` and ``--test-size``: which MNIST digits a demo trains and tests on."""
    parser.add_argument("--data", default=None,
                        help="folder of the official MNIST IDX files (default: %(default)s, i.e. the embedded digits)")
    parser.add_argument("--train-size", type=int, default=None, help="use only the first N training digits")
    parser.add_argument("--test-size", type=int, default=None, help="use only the first N test digits")
    return parser


def load_mnist(args, binarize_test=True):
    """``mg.data.load_mnist(args.data, binarize_test)`` cut to the first ``--train-size`` and ``--test-size`` digits."""
    data = mg.data.load_mnist(args.data, binarize_test=binarize_test)
    n, m = args.train_size, args.test_size
    return data._replace(train_images=data.train_images[:n], train_labels=data.train_labels[:n],
                         test_images=data.test_images[:m], test_labels=data.test_labels[:m])


def data_note(args):
    """Where the digits came from, for a demo's metrics.json."""
    return args.data or "embedded mnist10k (minigrad/data/ATTRIBUTION.md)"


def require_device(device, program="demo"):
    """Stop with a message that says what to do when minigrad has no such device here."""
    if device in mg.devices():
        return
    if importlib.util.find_spec("cupy") is None:
        why = ("CuPy is not installed. On a machine with an NVIDIA GPU: pip install -e \".[cuda12]\" "
               "(or \".[cuda13]\": the CUDA version nvidia-smi shows)")
    else:
        why = ("CuPy is installed but finds no GPU; see its error with\n"
               "    python -c \"import cupy; print(cupy.cuda.runtime.getDeviceCount())\"")
    raise SystemExit(f"{program}: --device {device} was asked for, but minigrad has only the devices "
                     f"{mg.devices()} here.\n{why}\n(docs/gpu.md, section 4). Without a GPU, leave out --device.")


def start(args, pictures=True):
    """Check the device, seed every generator with ``args.seed``, make ``args.out``; return pyplot.

    Pictures are drawn with matplotlib's Agg backend (files, no window), so a demo runs the same
    on a server; ``pictures=False`` skips importing matplotlib and returns None.
    """
    require_device(args.device, os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "demo")
    mg.random.seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    if not pictures:
        return None
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def progress(iterable=None, args=None, **options):
    """A tqdm progress bar over ``iterable`` (or of ``total=``), off with ``--no-progress``.

    On a terminal it redraws in place; written to a file or a pipe (a log, CI) it stays silent
    instead of printing thousands of updates (tqdm's ``disable=None``).
    """
    from tqdm import tqdm
    off = True if args is not None and args.no_progress else None
    return tqdm(iterable, disable=off, **options)


def image_grid(images, rows, cols, size=28):
    """Images (n, size*size) tiled row by row into one (rows*size, cols*size) array; missing tiles are 0."""
    import numpy
    images = numpy.asarray(images)[:rows * cols].reshape(-1, size, size)
    tiles = numpy.zeros((rows * cols, size, size), dtype=images.dtype)
    tiles[:len(images)] = images
    return tiles.reshape(rows, cols, size, size).transpose(0, 2, 1, 3).reshape(rows * size, cols * size)


def caption(args, what):
    """A figure's caption: what was run, then the seed and device, so two runs' pictures can be told apart."""
    return f"{what}\nseed {args.seed}, device {args.device}"


def save_figure(fig, args, name):
    """Write ``fig`` to ``args.out/name`` (tight, 120 dpi) and close it; returns the path."""
    import matplotlib.pyplot as plt
    path = os.path.join(args.out, name)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def write_json(args, name, value):
    """Write ``value`` to ``args.out/name`` as indented JSON; returns the path."""
    path = os.path.join(args.out, name)
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
    return path


def markdown_table(header, rows, caption=None):
    """A Markdown table: ``header`` holds the column titles, each row the cells as strings; an
    optional caption line goes above it."""
    lines = [caption, ""] if caption else []
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows]) + "\n"


def write_table(args, name, header, rows, caption=None):
    """Write a Markdown table to ``args.out/name`` and return its text, to print as well.

    docs/make_figures.py copies the file into docs/figures/<demo>/, and the chapter includes it
    (``--8<-- "docs/figures/<demo>/<name>"``), so a result is typed once, by the program that
    measured it. Several tables go to one file with ``write_text(args, name, text)``.
    """
    return write_text(args, name, markdown_table(header, rows, caption))


def write_text(args, name, text):
    """Write ``text`` to ``args.out/name``; returns it."""
    with open(os.path.join(args.out, name), "w") as file:
        file.write(text)
    return text


def show(folder, *names):
    """In a notebook: display the pictures ``folder/name`` one under the other."""
    from IPython.display import Image, display
    for name in names:
        display(Image(os.path.join(folder, name)))
