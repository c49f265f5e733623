"""Pictures of the graph: Graphviz DOT text of the tape, and the tape as a Wengert list.

    out = model.elbo(x)
    print(mg.viz.tape(out.elbo))                                    # one line per recorded op
    mg.viz.render(out, "elbo.svg", names=model.named_parameters())  # needs Graphviz's `dot`

What is drawn. Every tensor the outputs were computed from, found by following each
recorded tensor's ``_edges`` back to the leaves (iteratively, each tensor once), and one
op node per recorded tensor, so that a picture reads like the textbook's computational
graph: tensor -> op -> tensor. Gradients flow along the arrows, backwards.

  parameters (mg.nn.Parameter)      dark blue box, "parameter" and its name
  other leaves (inputs)             box, "input"
  values that require grad          light blue, bold border; the others white
  ops                               small grey tag with the op's name; a number used
                                    by the op is written in it: mul(-0.5, ·)
  random nodes                      orange ovals, the rest boxes: the lecture's picture of
                                    the reparameterization trick draws random nodes round
                                    and deterministic nodes angular

Where the graph tells less than the maths, the tensor's ``_note`` (a short text set
where the tensor is made) says what it is. Two conventions are read from it:

  "x ~ p"  (any note with " ~ ")    a random node: rsample's noise ("eps ~ N(0, 1)") is a
                                    random leaf, and the deterministic path loc, scale ->
                                    z = loc + scale * eps is ordinary ops; a draw of
                                    sample() ("z ~ Normal (sample: ...)") is a random node
                                    with a dashed "no gradient" arrow from each parameter
                                    it was drawn from (the note holds weak references)
  "detached", "computed under no_grad"
                                    the graph was cut here: grey dashed box, nothing behind it
  "log_prob of ...", "magic_box..." the score-function path: the ops from a log_prob to
                                    the magic box (the DiCE surrogate) are drawn in purple,
                                    because that is where the surrogate's gradient comes from

A graph of a gradient (``create_graph=True``) is drawn the same way: the vjps' ops are
recorded ops like any other. An op whose saved inputs were freed by backward says so.
"""
import pathlib
import shutil
import subprocess
import warnings

from .autograd import NO_GRAD_NOTE
from .nn import Parameter
from .tensor import Tensor

CUT_NOTES = ("detached", NO_GRAD_NOTE)   # Tensor.detach() and autograd.mark_unrecorded write these
INSTALL_GRAPHVIZ = ("install Graphviz, a system package (the `pip install graphviz` package is only a wrapper "
                    "and does not include it): `apt-get install graphviz` (Debian, Ubuntu), `brew install "
                    "graphviz` (macOS), `conda install graphviz`, or https://graphviz.org/download/")

# shape, fill and border of each kind of node (see the module docstring), as Graphviz attributes
_STYLE = {
    "parameter": dict(shape="box", style="filled,bold", fillcolor="#6baed6", color="#08306b"),
    "input": dict(shape="box", style="filled", fillcolor="#ffffff", color="#333333"),
    "value": dict(shape="box", style="rounded,filled", fillcolor="#ffffff", color="#333333"),
    "random": dict(shape="ellipse", style="filled,bold", fillcolor="#fdae6b", color="#a63603"),
    "cut": dict(shape="box", style="dashed,filled", fillcolor="#f0f0f0", color="#777777", fontcolor="#555555"),
    "score": dict(shape="box", style="rounded,filled,bold", fillcolor="#dadaeb", color="#54278f"),
    "op": dict(shape="box", style="filled", fillcolor="#e5e5e5", color="#e5e5e5", fontsize="9", height="0.2",
               margin="0.06,0.02"),
}
_REQUIRES_GRAD = dict(fillcolor="#c6dbef", penwidth="2")   # changes an input's or a value's style
_OUTPUT = dict(peripheries="2")
_NO_GRADIENT_EDGE = dict(style="dashed", color="#e6550d", fontcolor="#e6550d", fontsize="8",
                         label="drawn from\n(no gradient)")
_SCORE = dict(color="#54278f", penwidth="2")
_LEGEND = {   # kind: text of its swatch in the legend
    "parameter": "parameter\n(nn.Parameter)",
    "input": "input (a leaf)",
    "value": "computed value",
    "grad": "requires grad\n(blue, bold)",
    "output": "output",
    "op": "op",
    "random": "random node\n(x ~ p)",
    "cut": "detached / no_grad:\nthe graph stops",
    "score": "score-function path:\nits gradient is grad log q",
}


# ------------------------------------------------------------ the graph behind some tensors

def _note(t):
    """(text or None, tensors it was drawn from): what Tensor._note says about t."""
    note = t._note
    if note is None or isinstance(note, str):
        return note, ()
    text, refs = note
    return text, tuple(p for p in (ref() for ref in refs) if p is not None)


def _walk(roots):
    """Every tensor the roots were computed or drawn from, each once; leaves first, then ops in recorded order.

    Iterative (a stack, not recursion), so a chain of 100,000 ops is fine. A sample()'s
    parameters count as what it was drawn from, so they are drawn too.
    """
    seen, stack, found = set(), list(reversed(roots)), []
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        found.append(t)
        stack.extend(reversed(_drawn_from(t)))
        stack.extend(reversed([x for x, _ in t._edges or ()]))
    ops = sorted((t for t in found if t._edges is not None), key=lambda t: t._recorded_at)
    leaves, placed = [], set()
    for t in ops + found:   # a leaf comes in the order it is first used, the rest as found
        for x in ([x for x, _ in t._edges] if t._edges else [t]):
            if x._edges is None and id(x) not in placed:
                placed.add(id(x))
                leaves.append(x)
    return leaves, ops


def _drawn_from(t):
    return _note(t)[1]


def _kind(t):
    """parameter, input, value, random, cut or score: how t is drawn."""
    text = _note(t)[0]
    if isinstance(t, Parameter):
        return "parameter"
    if text is not None and " ~ " in text:
        return "random"
    if text in CUT_NOTES:
        return "cut"
    if text is not None and text.startswith("magic_box"):
        return "score"
    return "input" if t._edges is None else "value"


def _is_constant(t, named, roots):
    """A 0-d leaf that nothing marks (a number in a formula): written into its op's label, not drawn."""
    return (t._edges is None and t.ndim == 0 and not t._requires_grad and t._note is None
            and id(t) not in named and id(t) not in roots)


class _Graph:
    """The tensors behind ``roots`` with their names: v1, v2, ... (leaves first), as in tape()."""

    def __init__(self, tensors, names):
        self.roots, self.named = _roots(tensors)
        self.named.update(_names(names))
        self.root_ids = {id(t) for t in self.roots}
        leaves, self.ops = _walk(self.roots)
        self.constants = {id(t) for t in leaves if _is_constant(t, self.named, self.root_ids)}
        self.leaves = [t for t in leaves if id(t) not in self.constants]
        self.var = {id(t): f"v{i}" for i, t in enumerate(self.leaves + self.ops, start=1)}
        self.sampled_from = {id(p) for t in self.leaves + self.ops for p in _drawn_from(t)}   # a sample()'s parameters
        self.score_path = _score_path(self)

    def argument(self, x):
        """How an op's input is written: its name (v3), or its value if it is a constant."""
        return _number(x) if id(x) in self.constants else self.var[id(x)]

    def call(self, t):
        """The op of t applied to its arguments: mul(-0.5, v3); mul(...) where backward freed them."""
        if not t._edges:
            return f"{t._op}(...)"
        return f"{t._op}({', '.join(self.argument(x) for x, _ in t._edges)})"


def _roots(tensors):
    """(the output tensors, {id: name}): tensors, and lists and tuples of them; a named tuple's fields name its own."""
    roots, named, todo = [], {}, list(reversed(tensors))
    while todo:
        item = todo.pop()
        if isinstance(item, Tensor):
            roots.append(item)
        elif isinstance(item, (list, tuple)):
            named.update((id(t), field) for field, t in zip(getattr(item, "_fields", ()), item))
            todo.extend(reversed(item))
        else:
            raise TypeError(f"mg.viz: expected tensors (or lists and tuples of them), got {type(item).__name__}")
    return roots, named


def _names(names):
    """{id(tensor): name} from a dict {name: tensor}, (name, tensor) pairs, or a module (its parameters)."""
    if names is None:
        return {}
    if hasattr(names, "named_parameters"):
        names = names.named_parameters()
    pairs = names.items() if hasattr(names, "items") else names
    return {id(t): name for name, t in pairs}


def _number(t):
    return f"{t.item():g}"


# ------------------------------------------------------------ the Wengert list

def tape(*tensors, names=None):
    """The recorded operations behind ``tensors``, one line each, in the order they ran (a Wengert list).

    The leaves come first (inputs, parameters, random values), then each recorded op as
    ``v5 = mul(v3, v4)    # (128, 20) float32``, numbered as in to_dot's picture. ``names``
    ({name: tensor}, pairs, or a module) names tensors. A string: print it.
    """
    graph = _Graph(tensors, names)
    leaves = [(f"{graph.var[id(t)]} = {_leaf_text(t, graph)}", t, ", requires grad" * t._requires_grad)
              for t in graph.leaves]
    ops = []
    for t in graph.ops:
        said = [graph.named.get(id(t)), _note(t)[0], "" if t._edges else "(inputs freed by backward)"]
        ops.append((f"{graph.var[id(t)]} = {graph.call(t)}", t, "".join("  " + words for words in said if words)))
    width = min(44, max(len(statement) for statement, _, _ in leaves + ops))   # the comments in one column
    return "\n".join(["# leaves: inputs, parameters, random values", *(_line(*line, width) for line in leaves),
                      "# recorded operations, in the order they ran", *(_line(*line, width) for line in ops)])


def _leaf_text(t, graph):
    """What a leaf is, in words: parameter encoder.0.weight, input, random: eps ~ N(0, 1), detached."""
    kind, name = _kind(t), graph.named.get(id(t))
    text, sources = _note(t)
    if kind in ("parameter", "input"):
        return kind + (f" {name}" if name else "")
    drawn = [graph.var[id(p)] for p in sources if id(p) in graph.var]
    words = ("random: " if kind == "random" else "") + (text or "")
    return words + (f", drawn from {', '.join(drawn)}" if drawn else "") + (f" ({name})" if name else "")


def _line(statement, t, extra, width):
    shape = f"{tuple(t.shape)} {t.dtype}" + ("" if t.device == "cpu" else f" {t.device}")
    return f"{statement:<{width}}  # {shape}{extra}"


# ------------------------------------------------------------ DOT

def to_dot(*tensors, names=None, rankdir="TB", legend=True):
    """Graphviz DOT text of the graph that produced ``tensors``: op nodes and tensor nodes.

    Each tensor node shows its shape, dtype and device, and its kind by its style (see the
    module docstring; a legend is drawn unless ``legend=False``). ``names`` ({name: tensor},
    (name, tensor) pairs such as ``model.named_parameters()``, or a module) labels tensors;
    the fields of a named tuple of outputs (the VAE's ELBO) name them too. ``rankdir``:
    "TB" (inputs at the top) or "LR" (inputs on the left).
    """
    graph = _Graph(tensors, names)
    lines = ["digraph minigrad {",
             f'  graph [rankdir={rankdir}, fontname="Helvetica", nodesep=0.25, ranksep=0.3];',
             '  node [fontname="Helvetica", fontsize=10, height=0.3];',
             '  edge [color="#555555", arrowsize=0.6];']
    kinds = set()
    for t in graph.leaves + graph.ops:
        kind, style = _tensor_style(t, graph)
        kinds.add("grad" if t._requires_grad and kind == "value" else kind)   # for the legend
        if t._requires_grad and kind == "input":
            kinds.add("grad")
        lines.append(f"  {graph.var[id(t)]} [{_attributes(style)}];")
    for t in graph.ops:
        lines.extend(_op_lines(t, graph))
    for t in graph.leaves + graph.ops:   # a sample(): dashed arrows from the parameters it was drawn from
        for p in _drawn_from(t):
            if id(p) in graph.var:
                kinds.add("no gradient")
                lines.append(f"  {graph.var[id(p)]} -> {graph.var[id(t)]} [{_attributes(_NO_GRADIENT_EDGE)}];")
    if legend:
        lines.extend(_legend(kinds))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _tensor_style(t, graph):
    """(kind, attributes of t's node): its kind's style, and a label of name, note, shape, dtype and device."""
    kind, (text, _) = _kind(t), _note(t)
    if kind == "value" and id(t) in graph.score_path and id(t) not in graph.sampled_from:
        kind = "score"
    head = {"parameter": "parameter", "input": "input"}.get(kind)
    first = " ".join(s for s in (graph.var[id(t)], head, graph.named.get(id(t))) if s)
    if text:
        first += "\n" + text.replace(" (", "\n(")   # a long note on two lines
    style = dict(_STYLE[kind], label=f"{first}\n{tuple(t.shape)} {t.dtype} {t.device}")
    if t._requires_grad and kind in ("input", "value"):
        style.update(_REQUIRES_GRAD)
    if id(t) in graph.root_ids:
        style.update(_OUTPUT)
    return kind, style


def _op_lines(t, graph):
    """The op node of recorded t, an edge from each input into it, and one out of it to t."""
    op, edges = "op" + graph.var[id(t)][1:], t._edges or ()   # the op node of v7 is op7
    label = t._op
    if any(id(x) in graph.constants for x, _ in edges):   # mul(-0.5, ·): the inputs drawn as arrows are dots
        label += f"({', '.join(_number(x) if id(x) in graph.constants else '·' for x, _ in edges)})"
    if not edges:
        label += "\n(inputs freed by backward)"
    on_path = graph.score_path
    score = _SCORE if id(t) in on_path else {}
    lines = [f"  {op} [{_attributes(dict(_STYLE['op'], label=label, **score))}];"]
    for x, _ in edges:
        if id(x) not in graph.constants:
            edge = _SCORE if score and id(x) in on_path else {}
            lines.append(f"  {graph.var[id(x)]} -> {op} [{_attributes(edge)}];")
    lines.append(f"  {op} -> {graph.var[id(t)]} [{_attributes(score)}];")
    return lines


def _score_path(graph):
    """ids of the tensors on a path to a magic box from a log_prob or from the parameters a sample() was drawn
    from: the ops that carry a score-function gradient, grad log q, into the surrogate."""
    after = set(graph.sampled_from)
    after.update(id(t) for t in graph.ops if (_note(t)[0] or "").startswith("log_prob"))
    for t in graph.ops:   # in recorded order, an op comes after its inputs
        if any(id(x) in after for x, _ in t._edges or ()):
            after.add(id(t))
    before, stack = set(), [t for t in graph.ops if _kind(t) == "score"]
    while stack:
        t = stack.pop()
        if id(t) not in before and id(t) in after:
            before.add(id(t))
            stack.extend(x for x, _ in t._edges or ())
    return before


def _legend(kinds):
    """A column of sample nodes, one per kind of node in the picture, and the dashed arrow if there is one."""
    lines = ["  subgraph cluster_legend {", '    label="legend"; fontsize=10; color="#bbbbbb";']
    shown = [kind for kind in _LEGEND if kind in kinds or kind in ("op", "output")]
    extra = {"grad": _REQUIRES_GRAD, "output": _OUTPUT}
    for kind in shown:
        style = dict(_STYLE["value"], **extra[kind]) if kind in extra else _STYLE[kind]
        lines.append(f"    legend_{kind} [{_attributes(dict(style, label=_LEGEND[kind]))}];")
    if "no gradient" in kinds:   # the dashed arrow, between two small nodes
        lines.append(f"    legend_loc [{_attributes(dict(_STYLE['value'], label='loc'))}];")
        lines.append(f"    legend_drawn [{_attributes(dict(_STYLE['random'], label='z = q.sample()'))}];")
        shown.append("loc")
    lines.append("    " + " -> ".join(f"legend_{kind}" for kind in shown) + ' [style="invis"];')   # one below another
    if "no gradient" in kinds:
        lines.append(f"    legend_loc -> legend_drawn [{_attributes(_NO_GRADIENT_EDGE)}];")
    lines.append("  }")
    return lines


def _attributes(attributes):
    """Graphviz attributes from a dict: key="value", ... (quotes and backslashes escaped, newlines as \\n)."""
    return ", ".join(f'{key}="{_escape(str(value))}"' for key, value in attributes.items())


def _escape(text):
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


# ------------------------------------------------------------ files

def render(tensors, path, **options):
    """Write the picture of the graph behind ``tensors`` to ``path`` (.svg, .png or .pdf; .dot for the text).

    Needs Graphviz's ``dot`` program. Without it nothing fails: a warning says how to
    install it, and the DOT text is saved next to ``path`` (with the suffix .dot).
    Returns the DOT text either way. ``options`` go to :func:`to_dot`.
    """
    text = to_dot(tensors, **options)   # a tensor, or a list or (named) tuple of them
    path = pathlib.Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt in ("dot", "gv"):
        path.write_text(text)
        return text
    if fmt not in ("svg", "png", "pdf"):
        raise ValueError(f"mg.viz.render: cannot tell the format from {path.name!r}; end it in .svg, .png, .pdf "
                         "or .dot")
    dot = shutil.which("dot")
    if dot is None:
        saved = path.with_suffix(".dot")
        saved.write_text(text)
        warnings.warn(f"mg.viz.render: Graphviz's `dot` program is not on PATH, so {path} was not drawn; the DOT "
                      f"text is returned and saved to {saved}. To draw pictures, {INSTALL_GRAPHVIZ}; then run "
                      f"`dot -T{fmt} {saved} -o {path}`.", stacklevel=2)
        return text
    result = subprocess.run([dot, f"-T{fmt}", "-o", str(path)], input=text.encode(), capture_output=True)
    if result.returncode:
        raise RuntimeError(f"mg.viz.render: dot failed on the graph: {result.stderr.decode().strip()}")
    return text
