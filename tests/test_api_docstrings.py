"""Every public name on the API pages has a docstring: the reference is read, not guessed.

The API reference (docs/api/*.md) is built by mkdocstrings from the docstrings, one
``::: module`` entry per module. This test walks the same modules at run time and fails naming
every public module, function, class, method and property whose docstring is empty.

What counts as public, as the pages show it: a module's ``__all__`` where it has one, else every
name defined in the module without a leading underscore; in a public class, every method and
property defined in its body without a leading underscore (dunder methods are Python's protocol,
documented by Python). A method or property is read with ``inspect.getdoc``, so an override
with no docstring of its own counts as documented by the method it overrides (``Module.forward``);
a class is not, since ``Tanh`` documented by ``Module``'s text tells a reader nothing. An entry
written ``members: false`` on its page renders the module's docstring only, so only that
docstring is checked there.
"""
import importlib
import inspect
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
API_PAGES = sorted((ROOT / "docs" / "api").glob("*.md"))
ENTRY = re.compile(r"^::: ([\w.]+)((?:\n[ \t]+.*)*)", re.MULTILINE)


def api_entries():
    """(module name, whether its members are rendered) for every ``::: module`` of the API pages."""
    entries = {"minigrad": True}   # mg.*: the table of docs/api/index.md, generated from minigrad.__all__
    for page in API_PAGES:
        for name, options in ENTRY.findall(page.read_text()):
            entries[name] = entries.get(name, False) or not re.search(r"members:\s*false", options)
    return entries


def public_names(module):
    """The names the module's page lists: its ``__all__``, else what it defines without an underscore."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name, value in vars(module).items()
            if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__]


def class_members(cls):
    """(name, method or property) defined in the body of ``cls``, public, not dunder."""
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if inspect.isfunction(value) or isinstance(value, property):
            yield name, value


def undocumented():
    """The dotted names of every public module, function, class, method and property with no docstring."""
    missing, seen = [], set()

    def check(name, obj, member=False):
        if id(obj) not in seen:
            seen.add(id(obj))
            doc = inspect.getdoc(obj) if member else obj.__doc__   # a class does not inherit Module's text
            if not (doc or "").strip():
                missing.append(name)

    for module_name, with_members in api_entries().items():
        module = importlib.import_module(module_name)
        check(module_name, module)
        if not with_members:
            continue
        for name in public_names(module):
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not callable(obj):
                continue   # a submodule has its own entry; constants are described by their module
            if not getattr(obj, "__module__", "").startswith("minigrad"):
                continue   # NumPy's dtypes, named again as mg.float32, ... are NumPy's to document
            first = id(obj) not in seen
            check(f"{module_name}.{name}", obj)
            if inspect.isclass(obj) and first:
                for member_name, member in class_members(obj):
                    check(f"{module_name}.{name}.{member_name}", member, member=True)
    return missing


def test_the_walk_finds_the_api():
    """The walk reaches every page's modules and their classes' members, so an empty list means something."""
    entries = api_entries()
    assert {"minigrad.tensor", "minigrad.nn.layers", "minigrad.distributions.normal", "minigrad.optim.adam"} <= set(
        entries)
    assert entries["minigrad.tensor"] and not entries["minigrad.ops"]   # ops: `members: false`, its files listed
    import minigrad as mg
    assert ("forward", vars(mg.nn.Linear)["forward"]) in list(class_members(mg.nn.Linear))
    assert "shape" in dict(class_members(mg.Tensor))


def test_every_public_name_has_a_docstring():
    missing = undocumented()
    assert not missing, (f"{len(missing)} public names have no docstring (say what each computes, its shapes, "
                         "and for a primitive its derivative; or make a helper private: a leading underscore, "
                         "or leave it out of its module's __all__):\n  " + "\n  ".join(missing))
