"""demos/common.py: the scaffolding every demo shares; and the convention it sets, that every demo writes to
demo_out/<demo name> unless told otherwise."""
import argparse
import io
import os
import re
import subprocess
import sys

import numpy
import pytest

from demo_helpers import DEMOS, load_demo

common = load_demo("common")
ROOT = os.path.join(DEMOS, "..")


def test_importing_it_gives_blas_one_thread_unless_the_user_chose():
    def threads(env):
        env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                                 "MKL_NUM_THREADS")} | env
        code = "import common, os; print(os.environ.get('OPENBLAS_NUM_THREADS'), os.environ.get('OMP_NUM_THREADS'))"
        return subprocess.run([sys.executable, "-c", code], cwd=DEMOS, env=env, capture_output=True, text=True,
                              check=True).stdout.split()
    assert threads({}) == ["1", "1"]
    assert threads({"OMP_NUM_THREADS": "2"}) == ["None", "2"]      # a choice of the user's is left alone


def test_the_options_every_demo_has():
    args = common.parser("vae", "Trains a VAE.\n\nMore text.").parse_args([])
    assert (args.out, args.seed, args.device, args.no_progress) == (os.path.join("demo_out", "vae"), 0, "cpu", False)
    args = common.parser("x", None, seed=3).parse_args(["--seed", "7", "--no-progress", "--out", "o"])
    assert (args.seed, args.no_progress, args.out) == (7, True, "o")


def test_an_unknown_device_stops_with_what_to_do():
    with pytest.raises(SystemExit, match=r"--device tpu was asked for, but minigrad has only the devices"):
        common.require_device("tpu")


def test_start_seeds_and_makes_the_folder(tmp_path):
    args = common.parser("x", None, seed=5).parse_args(["--out", str(tmp_path / "run")])
    assert common.start(args, pictures=False) is None
    first = common.mg.random.normal(shape=(3,)).numpy()
    common.start(args, pictures=False)
    numpy.testing.assert_array_equal(common.mg.random.normal(shape=(3,)).numpy(), first)
    assert (tmp_path / "run").is_dir()


def test_the_progress_bar_is_silent_off_a_terminal_and_with_no_progress(monkeypatch):
    args = common.parser("x", None).parse_args([])
    stream = io.StringIO()                      # not a terminal
    assert list(common.progress(range(3), args, file=stream)) == [0, 1, 2]
    assert stream.getvalue() == ""
    args.no_progress = True
    assert common.progress(range(3), args).disable


def test_image_grid_tiles_row_by_row():
    images = numpy.arange(3 * 4).reshape(3, 4)           # three 2x2 images
    grid = common.image_grid(images, rows=2, cols=2, size=2)
    numpy.testing.assert_array_equal(grid, [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 0, 0], [10, 11, 0, 0]])


def test_in_notebook_only_as_the_kernels_main(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipykernel", object())
    assert common.in_notebook("__main__") and not common.in_notebook("demo_vae")
    monkeypatch.delitem(sys.modules, "ipykernel")
    assert not common.in_notebook("__main__")


def test_write_table_writes_the_markdown_it_returns(tmp_path):
    args = common.parser("x", "").parse_args(["--out", str(tmp_path)])
    text = common.write_table(args, "results.md", ["method", "steps"], [["Newton", "10"], ["Adam", "335"]])
    assert text == "| method | steps |\n|---|---|\n| Newton | 10 |\n| Adam | 335 |\n"
    assert (tmp_path / "results.md").read_text() == text


def test_a_caption_goes_above_the_table_and_texts_join(tmp_path):
    args = common.parser("x", "").parse_args(["--out", str(tmp_path)])
    table = common.markdown_table(["a"], [["1"]], caption="Seed 0.")
    assert table == "Seed 0.\n\n| a |\n|---|\n| 1 |\n"
    common.write_text(args, "two.md", table + "\n" + table)
    assert (tmp_path / "two.md").read_text().count("| a |") == 2


def test_the_mnist_options_cut_the_digits():
    args = common.mnist_options(common.parser("x", "")).parse_args(["--train-size", "30", "--test-size", "7"])
    data = common.load_mnist(args, binarize_test=False)
    assert (len(data.train_images), len(data.train_labels), len(data.test_images), len(data.test_labels)) == \
        (30, 30, 7, 7)
    assert "embedded" in common.data_note(args)


# ---------------------------------------------------------------- the output folder: demo_out/<demo name>

DEMOS_WITH_OUT = ("vae", "vae_pitfalls", "estimators", "monte_carlo", "vae_estimators", "second_order",
                  "gaussian_identities", "discrete_vae", "bayes_logreg", "bnn", "bnn_regression", "ssvae")


@pytest.mark.parametrize("name", DEMOS_WITH_OUT)
def test_every_demo_writes_to_demo_out_by_default(name, monkeypatch):
    """One convention: a demo's default --out is demo_out/<demo name>, a folder git ignores."""
    class Parsed(Exception):
        pass
    parse_args = argparse.ArgumentParser.parse_args

    def stop_after_parsing(parser, args=None, namespace=None):
        raise Parsed(parse_args(parser, args, namespace))
    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", stop_after_parsing)
    with pytest.raises(Parsed) as parsed:
        load_demo(name).main([])
    assert os.path.normpath(parsed.value.args[0].out) == os.path.join("demo_out", name)


def test_the_texts_use_the_demo_out_convention():
    """README, docs and demo docstrings never send output anywhere but demo_out/, which .gitignore lists."""
    with open(os.path.join(ROOT, ".gitignore")) as file:
        assert "demo_out/" in file.read().split()
    texts = [os.path.join(ROOT, "README.md")] + [os.path.join(ROOT, "docs", f) for f in os.listdir(
        os.path.join(ROOT, "docs")) if f.endswith(".md")] + [os.path.join(DEMOS, f) for f in os.listdir(DEMOS)
                                                             if f.endswith(".py")]
    for path in texts:
        with open(path) as file:
            text = file.read()
        for match in re.finditer(r"--out[ =](\S+)", text):
            if match.group(1).startswith(("/tmp", "str(", "DIR")):   # a test's folder, or a placeholder
                continue
            assert match.group(1).strip("`\"',)").startswith("demo_out/"), (path, match.group(0))
        assert not re.search(r"(?<![\w/])(vae_out|out/vae|out/vae_pitfalls)\b", text), path
