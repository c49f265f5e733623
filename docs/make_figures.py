"""Make every figure of the site again: the demos' own pictures and the pictures of the tape.

    python docs/make_figures.py                  # all of them (over half an hour on 2 cores: see DEMOS)
    python docs/make_figures.py vae graphs       # only these (names: see DEMOS, and "graphs")

Each run of DEMOS imports its demo from demos/ and calls ``main(argv)`` with the run's
arguments, writing into demo_out/site/<run> (git ignores demo_out/). Its PNGs are copied to
docs/figures/<run>/, what it printed to docs/figures/<run>/output.txt, which the Demos page
includes as it is, and the Markdown tables it wrote (``*.md``, e.g. ``results.md``), which its
chapter includes with ``--8<-- "docs/figures/<run>/results.md"``. A run may write into the
folder of a chapter instead (``Run(..., folder="classifier")``: the classifier's chapter shows
five runs of two demos): then its pictures are renamed as its list says (``("curves.png",
"curves_mlp.png")``), and its output and tables carry the run's name, ``output_<run>.txt`` and
``results_<run>.md`` (any ``<table>.md``: ``<table>_<run>.md``), so runs sharing a folder do not
overwrite each other. Runs whose tables have the same columns show as one table when the
chapter includes the first file's header and row and then each other file's row, on
consecutive lines (``--8<-- "....md:1:3"``, then ``--8<-- "....md:3:3"``; tests/test_docs.py
checks that their headers agree). So every picture and every number on the site comes from
code in the repository, and a change to a demo shows on the site after one command. Each PNG
must stay under MAX_PNG_BYTES (one over it is saved with a 256-colour palette, and the command
fails if that is not enough).

The pictures of the tape (docs/figures/graphs/*.svg) are drawn by ``mg.viz.render``, which
needs Graphviz's ``dot`` (``apt-get install graphviz``); without it they are skipped with a
message, and the committed ones stay. The text of each graph (``mg.viz.tape``) is written
beside it either way.

The figures are committed, so building the site (``mkdocs build --strict``) needs neither the
demos' run time nor ``dot``. Needs the demos extra (``pip install -e ".[demos]"``).
"""
import argparse
import contextlib
import importlib.util
import io
import os
import pathlib
import shutil
import sys
import time
from typing import NamedTuple

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIGURES = ROOT / "docs" / "figures"
MAX_PNG_BYTES = 300_000   # a figure is committed: keep each one small

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "demos"))   # a demo imports demos/common.py (and bnn_regression imports bnn)
import common  # noqa: E402, F401  (before NumPy: one BLAS thread, as when a demo runs as a program)

import minigrad as mg  # noqa: E402


class Run(NamedTuple):
    """One run of a demo: its file in demos/, the arguments of ``main`` besides ``--out``, the PNGs
    to keep (a name, or a pair (the demo's name, the name in the figures folder)), and the figures
    folder when it is not the run's own (docs/figures/<folder>/)."""
    demo: str
    argv: list
    pictures: list
    folder: str = None


# run name: Run(...), or the tuple (demo, argv, pictures) of a run into docs/figures/<name>/. The
# arguments are each demo's defaults, made quicker only where the defaults take long: the VAE
# trains 10 epochs instead of 30, which still shows digits; vae2d adds the 2-D manifold. The
# times are wall-clock on a 2-core machine shared with other work (they vary twofold with its load).
DEMOS = {
    "vae": ("vae.py", ["--epochs", "10", "--no-progress"],
            ["elbo.png", "reconstructions.png", "samples.png", "latent.png"]),
    "vae2d": ("vae.py", ["--latent", "2", "--epochs", "10", "--iwae-k", "10", "--no-progress"],
              ["latent.png", "manifold.png"]),
    "vae_pitfalls": ("vae_pitfalls.py", [], ["variance.png", "collapse.png"]),
    "estimators": ("estimators.py", ["--samples", "20000"],
                   ["variance_square.png", "variance_exp.png", "variance_cos.png"]),
    "monte_carlo": ("monte_carlo.py", ["--samples", "100000"], ["pi.png", "importance.png", "rejection.png"]),
    # the studies (minutes each on one core: vae_estimators about 6 to 9, discrete_vae about 10 to 18)
    "vae_estimators": ("vae_estimators.py", ["--no-progress"], ["curves.png", "variance.png", "reconstructions.png"]),
    "discrete_vae": ("discrete_vae.py", ["--no-progress"],
                     ["elbo.png", "temperature.png", "gradients.png", "reconstructions.png"]),
    "bayes_logreg": ("bayes_logreg.py", ["--no-progress"],
                     ["elbo.png", "gradient_variance.png", "correlations.png", "weights.png"]),
    "second_order": ("second_order.py", ["--no-progress"], ["hvp.png", "newton_cg.png"]),
    "gaussian_identities": ("gaussian_identities.py", ["--no-progress"], ["identities.png"]),
    "bnn": ("bnn.py", ["--no-progress"],
            ["gradient_variance.png", "training.png", "entropy.png", "ood_inputs.png", "rotation.png"]),
    "bnn_regression": ("bnn_regression.py", ["--no-progress"], ["regression.png"]),
    "ssvae": ("ssvae.py", ["--no-progress"], ["error.png", "analogies.png"]),
    "rebar_relax": ("rebar_relax.py", ["--no-progress"], ["curves.png", "bias.png"]),
    "forward_reverse": ("forward_reverse.py", ["--no-progress"], ["cost.png"]),
    # the choice of the ssvae's settings on its validation digits (selection.md; about 10 minutes on an idle machine)
    "ssvae_select": ("ssvae.py", ["--select", "--seeds", "0", "--no-progress"], []),
    # the Convolutions chapter (docs/classifier.md): two classifiers, the CNN at a second seed, the
    # convolutional VAE and the MLP VAE it is compared with, both at the defaults' 30 epochs. Measured
    # wall-clock on a shared 2-core machine, lightly and heavily loaded: classifier_mlp 4 to 7 s,
    # classifier_cnn 50 s to 2 min (about 30 s of CPU time), classifier_cnn_seed1 45 s to 1.5 min,
    # vae_mlp_30 40 s, vae_conv 5 min (170 s of CPU time); 7 to 10 min for the five
    "classifier_mlp": Run("classifier.py", ["--model", "mlp", "--no-progress"],
                          [("curves.png", "curves_mlp.png"), ("confusion.png", "confusion_mlp.png")],
                          folder="classifier"),
    "classifier_cnn": Run("classifier.py", ["--model", "cnn", "--no-progress"],
                          [("curves.png", "curves_cnn.png"), ("confusion.png", "confusion_cnn.png"),
                           ("misclassified.png", "misclassified_cnn.png")], folder="classifier"),
    "classifier_cnn_seed1": Run("classifier.py", ["--model", "cnn", "--seed", "1", "--no-progress", "--no-pictures"],
                                [], folder="classifier"),
    "vae_conv": Run("vae.py", ["--arch", "conv", "--no-progress"],
                    [("elbo.png", "vae_conv_elbo.png"), ("reconstructions.png", "vae_conv_reconstructions.png"),
                     ("samples.png", "vae_conv_samples.png")], folder="classifier"),
    "vae_mlp_30": Run("vae.py", ["--no-progress", "--no-pictures"], [], folder="classifier"),
}


class Tee(io.TextIOBase):
    """Writes to the console and keeps a copy."""

    def __init__(self, console):
        self.console, self.kept = console, io.StringIO()

    def write(self, text):
        self.console.write(text)
        self.kept.write(text)
        return len(text)

    def flush(self):
        self.console.flush()


def load_demo(filename):
    """The module demos/<filename>, imported under a name of its own (importing it runs nothing)."""
    path = ROOT / "demos" / filename
    if str(path.parent) not in sys.path:   # a demo imports demos/common.py, as it does when run from demos/
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(f"demo_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_demo(name):
    filename, argv, pictures, folder = Run(*DEMOS[name])
    target = FIGURES / (folder or name)
    target.mkdir(parents=True, exist_ok=True)

    def renamed(file):   # in a folder of its own a file keeps its name; in a shared one it carries the run's
        path = pathlib.Path(file)
        return file if folder in (None, name) else f"{path.stem}_{name}{path.suffix}"

    out = f"demo_out/site/{name}"   # relative, so that what the demo prints names it as the command does
    argv = [*argv, "--out", out]
    command = " ".join(["python", f"demos/{filename}", *argv])
    print(f"\n== {name}: {command}", flush=True)
    tee = Tee(sys.stdout)
    began = time.perf_counter()
    with contextlib.redirect_stdout(tee):
        load_demo(filename).main(argv)
    (target / renamed("output.txt")).write_text(f"$ {command}\n{tee.kept.getvalue()}")
    for picture in pictures:
        source, kept = (picture, picture) if isinstance(picture, str) else picture
        copy_png(ROOT / out / source, target / kept)
    for table in sorted((ROOT / out).glob("*.md")):   # result tables the chapter includes (--8<--)
        shutil.copyfile(table, target / renamed(table.name))
        print(f"   {(target / renamed(table.name)).relative_to(ROOT)}")
    print(f"   {name} took {time.perf_counter() - began:.0f} s", flush=True)


def copy_png(source, target):
    """Copy a PNG; one over MAX_PNG_BYTES is saved with a 256-colour palette instead (plots lose nothing visible)."""
    shutil.copyfile(source, target)
    if target.stat().st_size > MAX_PNG_BYTES:
        from PIL import Image  # matplotlib's own dependency
        Image.open(source).convert("RGB").quantize(256).save(target, optimize=True)
    size = target.stat().st_size
    print(f"   {target.relative_to(ROOT)}  {size / 1000:.0f} kB")
    if size > MAX_PNG_BYTES:
        raise SystemExit(f"{target} is {size} bytes, over {MAX_PNG_BYTES}: make the demo's figure smaller")


# ---------------------------------------------------------------- pictures of the tape

def graphs():
    """The graphs the chapters explain, drawn by mg.viz: one SVG and one Wengert list (.txt) each."""
    import numpy as np

    from minigrad.distributions import Normal

    target = FIGURES / "graphs"
    target.mkdir(parents=True, exist_ok=True)
    print("\n== graphs: mg.viz.render and mg.viz.tape", flush=True)
    mg.random.seed(0)
    rng = np.random.default_rng(0)

    def draw(name, outputs, names=None):
        text = mg.viz.tape(*outputs if isinstance(outputs, list) else [outputs], names=names)
        (target / f"{name}.txt").write_text(text + "\n")
        if shutil.which("dot") is None:
            print(f"   Graphviz's `dot` is not installed: {name}.svg not drawn ({mg.viz.INSTALL_GRAPHVIZ})")
            return
        svg = target / f"{name}.svg"
        mg.viz.render(outputs, svg, names=names)
        print(f"   {svg.relative_to(ROOT)}  {svg.stat().st_size / 1000:.0f} kB")

    # The running example of "How minigrad differentiates": loss = ((x @ W + b).relu() ** 2).sum()
    x = mg.tensor(rng.standard_normal((4, 3)))
    W = mg.nn.Parameter(mg.tensor(rng.standard_normal((3, 2))))
    b = mg.nn.Parameter(mg.zeros(2, dtype=mg.float64))
    loss = ((x @ W + b).relu() ** 2).sum()
    draw("tape", loss, names={"x": x, "W": W, "b": b, "loss": loss})

    # A gradient of a gradient: y = sum(x sin x); g = dy/dx = sin x + x cos x, itself a graph
    x = mg.tensor([0.5, 1.0, 2.0], dtype=mg.float64, requires_grad=True)
    y = (x * x.sin()).sum()
    (g,) = mg.autograd.grad(y, x, create_graph=True)
    draw("grad_of_grad", [y, g], names={"x": x, "y": y, "g": g})

    # The two estimators of d/dloc, d/dscale E[(z - 1)^2], z ~ N(loc, scale^2), as graphs
    loc = mg.tensor([0.5, 1.0], dtype=mg.float64, requires_grad=True)
    scale = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    names = {"loc": loc, "scale": scale}
    draw("pathwise", mg.estimators.pathwise(lambda z: (z - 1.0) ** 2, Normal(loc, scale), n=3), names)
    draw("score_function", mg.estimators.score_function(lambda z: (z - 1.0) ** 2, Normal(loc, scale), n=3), names)

    # The VAE's ELBO, the model of demos/vae.py (784-400-20) on a batch of 128 binarized digits
    model = mg.models.VAE(784, 400, 20)
    images = mg.data.load_mnist().train_images[:128]
    x = mg.tensor(mg.data.binarize(images, np.random.default_rng(0)))
    draw("vae_elbo", model.elbo(x), names=model)


def main(argv=None):
    os.chdir(ROOT)   # the demos' --out and data paths are relative to the repository root
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", metavar="NAME",
                        help=f"make only these: {', '.join(DEMOS)}, graphs (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.only) - {*DEMOS, "graphs"}
    if unknown:
        parser.error(f"no figures called {', '.join(sorted(unknown))}; the names are {', '.join(DEMOS)}, graphs")
    for name in args.only or [*DEMOS, "graphs"]:
        graphs() if name == "graphs" else run_demo(name)
    pngs = list(FIGURES.rglob("*.png")) + list(FIGURES.rglob("*.svg"))
    total = sum(p.stat().st_size for p in pngs)
    print(f"\n{len(pngs)} figures in {FIGURES.relative_to(ROOT)}, {total / 1e6:.2f} MB in all")


if __name__ == "__main__":
    main()
