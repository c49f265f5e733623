"""An MkDocs hook (mkdocs.yml: hooks): the table of every ``mg.*`` name in docs/api/index.md.

``minigrad.__all__`` grows as ops are added, so the table is not written by hand: at build
time the line ``<!-- mg-names -->`` in docs/api/index.md becomes one row per module, each name
linked to its entry (``[exp](ops.md#minigrad.ops.elementwise.exp)``). Where each name is
defined is read from the source with griffe, as mkdocstrings reads the docstrings, so building
the site imports nothing of minigrad. A name defined in a module that has no row in PAGES
below is a warning, and so is a link to an entry no API page renders (MkDocs checks anchors)
and a module of ``mg`` missing from the hand-written table of modules, so
``mkdocs build --strict`` fails until the new name has a page.
"""
import functools
import logging
import pathlib

import griffe

log = logging.getLogger("mkdocs.hooks.api_index")
ROOT = pathlib.Path(__file__).resolve().parent.parent
MARKER = "<!-- mg-names -->"

# module where names are defined: (what the row says, the API page that renders the module)
PAGES = {
    "minigrad.tensor": ("tensors", "tensor.md"),
    "minigrad.autograd": ("autograd: recording, and the one flag", "autograd.md"),
    "minigrad.backend": ("devices and dtypes", "backend.md"),
    "minigrad.gradcheck": ("checking gradients", "checking.md"),
    "minigrad.anomaly": ("debugging", "checking.md"),
    "minigrad.serialization": ("saving and loading", "serialization.md"),
    "minigrad.random": ("random draws, under PyTorch's names", "random.md"),
    "minigrad.ops.shape": ("broadcasting, shapes, indexing, devices", "ops.md"),
    "minigrad.ops.arithmetic": ("arithmetic", "ops.md"),
    "minigrad.ops.elementwise": ("elementwise", "ops.md"),
    "minigrad.ops.reductions": ("reductions", "ops.md"),
    "minigrad.ops.einsum": ("contractions", "ops.md"),
    "minigrad.ops.creation": ("creation", "ops.md"),
    "minigrad.ops.fused": ("fused primitives", "ops.md"),
    "minigrad.ops.operands": ("helpers", "ops.md"),
    "minigrad.ops.linalg": ("linear algebra (mg.linalg)", "linalg.md"),
}


@functools.lru_cache(maxsize=1)
def _package():
    return griffe.load("minigrad", search_paths=[str(ROOT)], resolve_aliases=False)


def names_table():
    package = _package()
    rows = {module: [] for module in PAGES}
    numpy_names, modules = [], []
    for name in package.exports or []:
        member = package.members.get(name)
        if member is None:   # a name only __getattr__ knows (mg.testing): its page says so
            continue
        try:
            target = member.final_target if member.is_alias else member
        except (griffe.AliasResolutionError, griffe.CyclicAliasError):
            numpy_names.append(name)   # re-exported from outside minigrad: NumPy's dtypes
            continue
        if target.is_module and name in target.members:   # mg.tensor, mg.gradcheck: at run time the
            target = target.members[name]                    # function imported over the submodule's name
            target = target.final_target if target.is_alias else target
        if target.is_module:
            modules.append(name)   # the modules have the second table, written by hand
            continue
        module = target.parent.path
        if module not in PAGES:
            log.warning("mg.%s is defined in %s, which has no API page: add it to PAGES in docs/hooks.py "
                        "and a ::: block to a page in docs/api/", name, module)
            continue
        rows[module].append(f"[`{name}`]({PAGES[module][1]}#{target.path})")
    lines = ["| what | names (each links to its entry) |", "|---|---|"]
    lines += [f"| {PAGES[module][0]} | {', '.join(links)} |" for module, links in rows.items() if links]
    if numpy_names:
        lines.append(f"| NumPy's dtypes, named again ([backend](backend.md)) | "
                     f"{', '.join(f'`{name}`' for name in numpy_names)} |")
    return "\n".join(lines), modules


def on_page_markdown(markdown, page, **kwargs):
    if page.file.src_uri == "api/index.md":
        if MARKER not in markdown:
            log.warning("docs/api/index.md has lost the line %s where the table of mg.* goes", MARKER)
        table, modules = names_table()
        for name in modules:
            if f"`mg.{name}`" not in markdown:
                log.warning("docs/api/index.md: the table of modules has no row for mg.%s", name)
        return markdown.replace(MARKER, table)
    return markdown
