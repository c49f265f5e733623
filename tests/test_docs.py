"""The documentation against the repository: what the pages promise must be there.

Three checks, each read from the files as they are, so a chapter, an exercise or a demo added
tomorrow is checked without editing this file:

- every page in mkdocs.yml's nav under Chapters is linked from the home page, docs/index.md,
  both in its table of chapters and in its course plan;
- every repository path written in the docs and the README (``minigrad/...``, ``demos/...``,
  ``docs/...``, ``tests/...``) exists;
- every command ``python demos/NAME.py --flag ...`` (and ``python demos/benchmark ...``) written
  there is accepted by that demo's argument parser. The demo is imported and its ``main`` called
  with the command's arguments, with ``ArgumentParser.parse_args`` replaced by one that parses
  and then stops the demo, so nothing is trained.
"""
import argparse
import contextlib
import io
import pathlib
import re
import shlex
import sys

import pytest
import yaml

from demo_helpers import load_demo

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"]


def _nav(tree, section=None):
    """(section, page) for every page of mkdocs.yml's nav, section being the top-level title."""
    for entry in tree:
        if isinstance(entry, str):
            yield section, entry
            continue
        for title, value in entry.items():
            if isinstance(value, str):
                yield section or title, value
            else:
                yield from _nav(value, section or title)


def _mkdocs_nav():
    # mkdocs.yml may hold tags such as !!python/name: that plain yaml cannot build; the nav needs none
    class Loader(yaml.SafeLoader):
        pass
    Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    return list(_nav(yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=Loader)["nav"]))


def _section(markdown, heading):
    """The text of docs/index.md under '## heading', up to the next '## '."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, re.S | re.M)
    assert match, f"docs/index.md has no section '## {heading}'"
    return match.group(1)


CHAPTERS = [page for section, page in _mkdocs_nav() if section == "Chapters"]


def test_the_nav_has_chapters():
    """Guards the two tests below against reading an empty list (a renamed nav section)."""
    assert len(CHAPTERS) >= 12, CHAPTERS
    assert all((DOCS / page).is_file() for page in CHAPTERS)


@pytest.mark.parametrize("heading", ["Chapters", "For a course"])
def test_every_chapter_is_on_the_home_page(heading):
    """Each chapter of the nav is linked, as ](page.md) or ](page.md#anchor), in the section."""
    text = _section((DOCS / "index.md").read_text(), heading)
    missing = [page for page in CHAPTERS if not re.search(rf"\]\({re.escape(page)}(#[\w-]*)?\)", text)]
    assert not missing, f"docs/index.md, '## {heading}', links none of {missing}"


# A repository path: starts with one of the repository's folders and runs over path characters.
PATH = re.compile(r"(?<![\w./~-])((?:minigrad|demos|docs|tests|\.ci)/[\w./-]*)")
# Placeholders a reader fills in (demos/NAME.py, docs/exercises/NN_name/) and files a command
# writes (demos/vae.ipynb, by jupytext) name no file of the repository.
PLACEHOLDER = re.compile(r"(^|[/_.-])(NAME|NN|X)([/_.-]|$)|[<>*{}]|\.\.\.")
GENERATED = (".ipynb",)


def written_paths(text):
    for match in PATH.finditer(text):
        path = match.group(1).rstrip(".-")
        if PLACEHOLDER.search(path) or path.endswith(GENERATED):
            continue
        yield path


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_path_written_exists(page):
    missing = sorted({p for p in written_paths(page.read_text()) if not (ROOT / p).exists()})
    assert not missing, f"{page.relative_to(ROOT)} names paths that do not exist: {missing}"


def test_written_paths_reads_paths_and_skips_placeholders():
    """The extractor itself: a test of the test, so that it cannot pass by reading nothing."""
    text = ("See `minigrad/ops/shape.py`. Edit docs/exercises/NN_name/student.py, run "
            "`python demos/NAME.py`; jupytext writes demos/vae.ipynb. The tests/conftest.py "
            "and demos/benchmark/ folder; not_minigrad/x.py.")
    assert list(written_paths(text)) == ["minigrad/ops/shape.py", "tests/conftest.py", "demos/benchmark/"]


# `python demos/vae.py --epochs 3` in prose, a table or a code block: the arguments end at the
# end of the code span or line, a comment, a table bar, or a shell operator.
COMMAND = re.compile(r"python3? (demos/(?:\w+\.py|benchmark)\b)([^`\n|#;&)]*)")


def written_commands():
    commands = set()
    for page in PAGES:
        for match in COMMAND.finditer(page.read_text()):
            demo, argv = match.group(1), shlex.split(match.group(2).replace("\\", ""))
            if PLACEHOLDER.search(demo) or any(PLACEHOLDER.search(a) for a in argv):
                continue
            commands.add((demo, tuple(argv)))
    return sorted(commands)


class _Parsed(Exception):
    """Raised by the patched parse_args once the arguments parsed: the demo stops there."""


def parse_only(demo, argv):
    """Parse ``argv`` with the demo's own parser, without running the demo; SystemExit if refused."""
    if demo == "demos/benchmark":
        sys.path.insert(0, str(ROOT / "demos"))   # a package imported by its name, as tests/test_benchmark.py does
        try:
            from benchmark import cli
        finally:
            sys.path.remove(str(ROOT / "demos"))
        cli.parse_args(list(argv))                # parses and validates only; cli.main runs
        return
    original = argparse.ArgumentParser.parse_args

    def parse_then_stop(parser, args=None, namespace=None):
        original(parser, args, namespace)
        raise _Parsed

    module = load_demo(pathlib.Path(demo).stem)
    argparse.ArgumentParser.parse_args = parse_then_stop
    try:
        module.main(list(argv))
    except _Parsed:
        return
    finally:
        argparse.ArgumentParser.parse_args = original
    raise AssertionError(f"{demo}: main returned without parsing its arguments")


def test_the_docs_have_commands():
    commands = written_commands()
    assert len({demo for demo, _ in commands}) >= 10, commands
    assert any(demo == "demos/vae.py" and "--latent" in argv for demo, argv in commands), commands


@pytest.mark.parametrize("demo, argv", written_commands(), ids=lambda x: " ".join(x) if isinstance(x, tuple) else x)
def test_every_written_command_parses(demo, argv):
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        try:
            parse_only(demo, argv)
        except SystemExit as exit:
            if exit.code in (0, None) and ("--help" in argv or "-h" in argv):
                return                  # --help prints the options and exits 0: the parser accepted it
            pytest.fail(f"python {demo} {' '.join(argv)}: refused ({exit.code}): {stderr.getvalue().strip()}")


def test_parse_only_refuses_a_wrong_flag():
    """A flag a demo does not have fails the check, and nothing is run either way."""
    with contextlib.redirect_stderr(io.StringIO()), pytest.raises(SystemExit):
        parse_only("demos/vae.py", ("--epoch-count", "3"))
    with contextlib.redirect_stderr(io.StringIO()), pytest.raises(SystemExit):
        parse_only("demos/benchmark", ("--presets", "no-such-preset"))


DEMOS = sorted(p.stem for p in (ROOT / "demos").glob("*.py") if p.stem != "common")   # common.py: the scaffold


@pytest.mark.parametrize("name", DEMOS)
def test_help_states_each_default_once(name):
    """``--help`` with ArgumentDefaultsHelpFormatter appends "(default: X)" to every option: a help
    text that states its own default besides must say it through %(default)s, not a second time."""
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), pytest.raises(SystemExit):
        parse_only(f"demos/{name}.py", ("--help",))
    options = re.split(r"\n  (?=-)", stdout.getvalue())   # one entry per option, its wrapped lines joined
    twice = [" ".join(o.split()) for o in options if o.count("(default:") > 1]
    assert stdout.getvalue().count("usage:") == 1 and not twice, twice


# A table stitched from several runs' results.md: the first file's header and row (lines 1 to 3),
# then the row of each other file (line 3), on consecutive --8<-- lines (docs/classifier.md).
STITCHED = re.compile(r'^--8<-- "([^":]+\.md):1:3"\n((?:--8<-- "[^":]+\.md:3:3"\n)+)', re.M)


def stitched_tables(text):
    """(first file, [files continuing it]) for every table stitched from row snippets in ``text``."""
    return [(m.group(1), re.findall(r'"([^":]+\.md):3:3"', m.group(2))) for m in STITCHED.finditer(text)]


def test_a_stitched_table_finds_its_rows():
    text = ('--8<-- "a.md:1:3"\n--8<-- "b.md:3:3"\n--8<-- "c.md:3:3"\n\ntext\n--8<-- "d.md"\n')
    assert stitched_tables(text) == [("a.md", ["b.md", "c.md"])]
    assert any(stitched_tables(page.read_text()) for page in PAGES)   # the docs have one: the check below runs


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_stitched_table_has_one_header(page):
    """Every row joined to a table comes from a file with the same header (the same columns), and
    each file holds exactly a header, its rule and one row: otherwise lines 1:3 and 3:3 would cut
    it, and a row would land under another table's columns."""
    for first, rest in stitched_tables(page.read_text()):
        header = (ROOT / first).read_text().splitlines()
        for name in [first, *rest]:
            lines = (ROOT / name).read_text().splitlines()
            assert len(lines) == 3 and lines[:2] == header[:2], f"{page.name}: {name} does not continue {first}"
