"""A griffe extension for the API reference: minigrad's docstrings are plain text with a few
reStructuredText habits, and mkdocstrings renders them as Markdown. This turns those habits into
Markdown as the site is built; the docstrings themselves stay as a reader of the source sees them.

- ``:func:`apply``` (also :class:, :meth:, :mod:, :attr:) becomes a link to the API entry of
  that name, looked up from the docstring's own class and module outward, as Python would
  resolve it there (``mg.exp`` is ``minigrad.exp``, as after ``import minigrad as mg``); a
  name with no entry (``_check_saved``, or a helper left out of its module's ``__all__``) stays code.
- Special methods of classes (``__add__``, ``__repr__``) are marked not public: Python's
  protocol, documented by Python, kept off the pages (``filters: public`` in mkdocs.yml).
- A line followed by a line of dashes (a reST section title) becomes a bold line.
- ``text::`` before an indented block (a reST literal block) becomes ``text:``; the indented
  block is then a Markdown code block.
- A block of lines indented by 1 to 3 spaces after a blank line (the two-column "tables" of
  the viz and backend docstrings) is kept as written, in a code block, instead of being run
  together into one paragraph.

Used by mkdocs.yml (plugins: mkdocstrings: handlers: python: options: extensions).
"""
import re

import griffe

ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|obj):`~?([\w.]+)(?:\(\))?`")
LIST_ITEM = re.compile(r"\s*(?:[-*+]|\d+\.)\s")


class ReSTToMarkdown(griffe.Extension):
    def on_package(self, *, pkg, **kwargs):
        """Once the whole package is loaded, so that names in other modules resolve."""
        for obj in _walk(pkg):
            if obj.docstring is not None:
                obj.docstring.value = to_markdown(obj.docstring.value, obj)

    def on_class(self, *, cls, **kwargs):
        """Every class: its special methods (__add__, __repr__) are Python's protocol, documented by
        Python, and stay off the pages. (A class a package re-exports, as ``minigrad.data`` does, is
        rendered through an alias that does not see this mark: its page filters by name instead.)"""
        _hide_special(cls)


def _hide_special(cls):
    for member in cls.members.values():
        if member.is_special:
            member.public = False


def _walk(obj, seen=None):
    seen = set() if seen is None else seen
    if obj.path in seen:
        return
    seen.add(obj.path)
    yield obj
    for member in obj.members.values():
        if not member.is_alias and member.is_public:
            yield from _walk(member, seen)


def to_markdown(text, obj):
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if re.fullmatch(r"-{3,}", line.strip()) and out and out[-1].strip():
            out[-1] = f"**{out[-1].strip()}**"   # a reST section title
            continue
        if line.endswith("::") and not following.strip():
            line = line[:-1]                      # a reST literal block follows
        out.append(line)
    out = _indented_blocks_as_code(out)
    return ROLE.sub(lambda m: _link(m.group(1), obj), "\n".join(out))


def _indented_blocks_as_code(lines):
    result, previous_blank, in_block = [], True, False
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        if not line.strip():
            in_block = False
        elif in_block or (previous_blank and 1 <= indent <= 3 and not LIST_ITEM.match(line)):
            in_block = True
            line = "    " + line
        result.append(line)
        previous_blank = not line.strip()
    return result


def _link(name, obj):
    target = _resolve(name, obj)
    if target is None:
        return f"`{name}`"
    return f"[`{name}`][{target}]"


def _resolve(name, obj):
    """The full path of the public object ``name`` means inside ``obj``, or None."""
    if name.startswith("minigrad."):
        path = name
    elif name.startswith("mg."):     # as a reader writes it after `import minigrad as mg`
        path = "minigrad." + name[len("mg."):]
    else:
        head, _, rest = name.partition(".")
        scope, path = obj, None
        while scope is not None and path is None:
            if head in scope.members:
                path = scope.members[head].path + (f".{rest}" if rest else "")
            scope = scope.parent
        if path is None:
            return None
    try:
        found = obj.package[path[len("minigrad."):]] if path != "minigrad" else obj.package
        found = found.final_target if found.is_alias else found
        if found.is_module and found.name in found.members:   # minigrad.gradcheck: the function, as at run time
            found = found.members[found.name]
            found = found.final_target if found.is_alias else found
        path = found.path
    except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None
    if any(part.startswith("_") for part in path.split(".")) or not found.is_public:
        return None    # a helper off the pages (private, or left out of its module's __all__): no entry to link
    return path
