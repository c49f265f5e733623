"""mg.viz: the DOT text parses, random nodes are drawn as random nodes, cut graphs stop where they are cut,
the tape lists the recorded ops in order, and render() without Graphviz still returns the text.

The DOT text is read back with a small parser of the statements to_dot writes (``name [key="value", ...];``
and ``a -> b [...];``); where Graphviz's ``dot`` is installed, it is also drawn to SVG.
"""
import copy
import gc
import pickle
import re
import shutil
import sys
import weakref

import numpy as np
import pytest

import minigrad as mg
from minigrad import viz
from minigrad.distributions import (
    Bernoulli,
    Categorical,
    Laplace,
    Logistic,
    MultivariateNormal,
    Normal,
    RelaxedBernoulli,
    RelaxedOneHotCategorical,
    Uniform,
)

HAS_DOT = shutil.which("dot") is not None
RANDOM_FILL = viz._STYLE["random"]["fillcolor"]
SCORE_COLOUR = viz._SCORE["color"]

# ---------------------------------------------------------------- reading DOT back

ATTRIBUTE = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse(dot):
    """({node: attributes}, [(tail, head, attributes)]) of DOT text as to_dot writes it; checks its form."""
    assert dot.startswith("digraph minigrad {") and dot.rstrip().endswith("}")
    assert dot.count("{") == dot.count("}"), "unbalanced braces"
    nodes, edges = {}, []
    for line in dot.splitlines()[1:-1]:
        line = line.strip()
        if not line or line.startswith(("graph [", "node [", "edge [", "subgraph", "label=", "}")):
            continue
        assert line.endswith("];"), f"not a statement: {line!r}"
        head, attributes = line[:-2].split(" [", 1)
        values = {key: value.replace("\\n", "\n").replace('\\"', '"') for key, value in ATTRIBUTE.findall(attributes)}
        names = head.split(" -> ")
        assert all(re.fullmatch(r"\w+", name) for name in names), f"bad node name in {line!r}"
        if len(names) == 1:
            assert names[0] not in nodes, f"node {names[0]} drawn twice"
            nodes[names[0]] = values
        else:
            edges.extend((a, b, values) for a, b in zip(names, names[1:]))
    for a, b, _ in edges:
        assert a in nodes and b in nodes, f"edge {a} -> {b} to a node that is not declared"
    return nodes, edges


def node_with(nodes, text):
    """The one node (outside the legend) whose label contains ``text``."""
    found = [name for name, a in nodes.items() if text in a.get("label", "") and not name.startswith("legend")]
    assert len(found) == 1, f"{len(found)} nodes labelled {text!r}: {found}"
    return found[0]


def op_labels(nodes):
    """The labels of the op nodes (op3, op4, ...), in the order they were drawn (the tape's order)."""
    return [a["label"] for name, a in nodes.items() if re.fullmatch(r"op\d+", name)]


def reaches(edges, start, goal):
    """Whether a path of solid arrows (no dashed "no gradient" arrow) leads from start to goal."""
    after = {}
    for a, b, attributes in edges:
        if attributes.get("style") not in ("dashed", "invis"):
            after.setdefault(a, []).append(b)
    seen, stack = {start}, [start]
    while stack:
        for b in after.get(stack.pop(), []):
            if b not in seen:
                seen.add(b)
                stack.append(b)
    return goal in seen


def draws(tensors, tmp_path, **options):
    """to_dot's text, parsed; drawn to SVG by Graphviz too, where it is installed."""
    dot = viz.to_dot(*tensors, **options)
    if HAS_DOT:
        path = tmp_path / "graph.svg"
        assert viz.render(list(tensors), path, **options) == dot
        assert "<svg" in path.read_text()
    return parse(dot)


def leaf(values, device, requires_grad=True):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad, device=device)


# ---------------------------------------------------------------- the picture's parts

def test_a_small_graph_parses_with_shapes_dtypes_devices_and_kinds(device, tmp_path):
    x = leaf(np.ones((2, 3)), device, requires_grad=False)
    w = mg.nn.Parameter(leaf(np.ones((3, 4)), device))
    y = ((x @ w).relu() * 2.0).sum()
    nodes, edges = draws([y], tmp_path, names={"x": x, "w": w})

    x_node, w_node = node_with(nodes, "input x"), node_with(nodes, "parameter w")
    assert f"(2, 3) float64 {device}" in nodes[x_node]["label"]
    assert nodes[w_node]["fillcolor"] == viz._STYLE["parameter"]["fillcolor"]        # a parameter: its own colour
    assert nodes[x_node]["fillcolor"] == "#ffffff"                                    # needs no gradient: white
    y_node = node_with(nodes, "() float64")
    assert nodes[y_node]["penwidth"] == "2" and nodes[y_node]["peripheries"] == "2"   # requires grad; an output
    assert op_labels(nodes) == ["matmul", "relu", "mul(·, 2)", "sum"]
    assert reaches(edges, x_node, y_node) and reaches(edges, w_node, y_node)
    assert "legend_parameter" in nodes and "legend_op" in nodes


def test_pathwise_graph_draws_eps_as_a_random_leaf_and_a_path_from_loc_and_scale(device, tmp_path):
    loc, scale = leaf([0.5, 1.0], device), leaf([1.0, 2.0], device)
    surrogate = mg.estimators.pathwise(lambda z: (z - 1.0) ** 2, Normal(loc, scale), n=3)
    nodes, edges = draws([surrogate], tmp_path, names={"loc": loc, "scale": scale})

    eps, z = node_with(nodes, "eps ~ N(0, 1)"), node_with(nodes, "z = loc + scale * eps")
    assert nodes[eps]["shape"] == "ellipse" and nodes[eps]["fillcolor"] == RANDOM_FILL
    assert not any(b == eps for _, b, _ in edges), "eps is a leaf: nothing leads into it"
    assert nodes[z]["shape"] == "box"                                                 # z itself is deterministic
    for start in (node_with(nodes, "input loc"), node_with(nodes, "input scale"), eps):
        assert reaches(edges, start, z)
    assert not any(a.get("style") == "dashed" for _, _, a in edges)


def test_score_graph_draws_the_sample_as_a_random_node_cut_from_loc_and_scale(device, tmp_path):
    loc, scale = leaf([0.5, 1.0], device), leaf([1.0, 2.0], device)
    surrogate = mg.estimators.score_function(lambda z: (z - 1.0) ** 2, Normal(loc, scale), n=3)
    nodes, edges = draws([surrogate], tmp_path, names={"loc": loc, "scale": scale})

    z, log_q = node_with(nodes, "z ~ Normal"), node_with(nodes, "log_prob of Normal")
    box = node_with(nodes, "magic_box")
    assert nodes[z]["shape"] == "ellipse" and nodes[z]["fillcolor"] == RANDOM_FILL
    for parameter in (node_with(nodes, "input loc"), node_with(nodes, "input scale")):
        assert not reaches(edges, parameter, z), "a sample() has no gradient path back to its parameters"
        assert any(a == parameter and b == z and e["style"] == "dashed" for a, b, e in edges)
        assert reaches(edges, parameter, log_q)                                       # the score's gradient path
    assert reaches(edges, z, log_q) and reaches(edges, log_q, box)
    assert nodes[log_q]["color"] == SCORE_COLOUR and nodes[box]["color"] == SCORE_COLOUR
    assert any(e.get("color") == SCORE_COLOUR for a, _, e in edges if a == log_q)
    assert "legend_score" in nodes and "legend_random" in nodes


REPARAMETERIZABLE = {
    "Normal": lambda p: Normal(p, p * p + 1.0),
    "Laplace": lambda p: Laplace(p, p * p + 1.0),
    "Logistic": lambda p: Logistic(p, p * p + 1.0),
    "Uniform": lambda p: Uniform(p, p * p + 1.0),
    "MultivariateNormal": lambda p: MultivariateNormal(p, mg.eye(2, dtype=p.dtype, device=p.device) * (p * p + 1.0)),
    "RelaxedBernoulli": lambda p: RelaxedBernoulli(0.5, logits=p),
    "RelaxedOneHotCategorical": lambda p: RelaxedOneHotCategorical(0.5, logits=p),
    "RelaxedOneHotCategorical-hard": lambda p: RelaxedOneHotCategorical(0.5, logits=p, hard=True),
}


@pytest.mark.parametrize("family", sorted(REPARAMETERIZABLE))
def test_every_rsample_draws_its_noise_as_a_random_leaf_on_a_path_to_the_draw(device, family):
    p = leaf([0.1, 0.3], device)
    z = REPARAMETERIZABLE[family](p).rsample((2,))
    nodes, edges = parse(viz.to_dot(z, names={"p": p}))
    noise = [n for n, a in nodes.items() if a.get("fillcolor") == RANDOM_FILL and not n.startswith("legend")]
    assert len(noise) == 1 and "~" in nodes[noise[0]]["label"]
    z_node = node_with(nodes, "rsample" if "hard" not in family else "straight-through")
    assert reaches(edges, noise[0], z_node) and reaches(edges, node_with(nodes, "input p"), z_node)


@pytest.mark.parametrize("family", sorted(REPARAMETERIZABLE) + ["Bernoulli", "Categorical"])
def test_every_sample_is_a_random_node_with_a_dashed_arrow_from_a_parameter(device, family):
    p = leaf([0.1, 0.3], device)
    make = {"Bernoulli": lambda p: Bernoulli(logits=p), "Categorical": lambda p: Categorical(logits=p)}
    dist = {**REPARAMETERIZABLE, **make}[family](p)   # kept: the draw holds its parameters weakly
    x = dist.sample((2,))
    nodes, edges = parse(viz.to_dot(x))
    x_node = node_with(nodes, "(sample: no gradient path)")
    assert nodes[x_node]["fillcolor"] == RANDOM_FILL
    assert not any(b == x_node and e.get("style") != "dashed" for _, b, e in edges)
    assert any(b == x_node and e.get("style") == "dashed" for _, b, e in edges)


def test_a_kept_sample_does_not_keep_its_parameters_alive(device):
    loc = leaf([0.0, 1.0], device)
    q = Normal(loc * 2.0, 1.0)
    x = q.sample()
    ref = weakref.ref(q.loc)                # loc * 2.0 and its graph: x was drawn from it
    del q
    gc.collect()
    assert ref() is None, "the note holds the parameters weakly"
    nodes, _ = parse(viz.to_dot(x))         # the dashed arrow is gone, the picture still draws
    assert nodes[node_with(nodes, "z ~ Normal")]["fillcolor"] == RANDOM_FILL


def test_a_sample_still_pickles_and_keeps_its_label():   # on the CPU: the strict test backend's arrays do not unpickle
    q = Normal(leaf([0.0, 1.0], "cpu"), 1.0)
    x = pickle.loads(pickle.dumps(q.sample()))
    assert x._note == ("z ~ Normal (sample: no gradient path)", ())
    assert copy.deepcopy(q.sample())._note[1] == ()


def test_the_graph_of_a_detached_value_stops_at_the_detach(device, tmp_path):
    x = leaf([1.0, 2.0], device)
    hidden = (x * 3.0).exp()
    w = leaf([0.5, 0.5], device)
    out = (hidden.detach() * w).sum()
    nodes, edges = draws([out], tmp_path, names={"x": x, "w": w})

    cut = node_with(nodes, "detached")
    assert nodes[cut]["style"] == "dashed,filled"
    assert not any(b == cut for _, b, _ in edges)                         # nothing leads into it
    labels = " ".join(a["label"] for n, a in nodes.items() if not n.startswith("legend"))
    assert "input x" not in labels and "exp" not in labels               # nothing beyond the detach is drawn
    assert op_labels(nodes) == ["mul", "sum"]


def test_values_computed_under_no_grad_are_marked_and_stop_the_graph(device, tmp_path):
    x, w = leaf([1.0, 2.0], device), leaf([0.5, 0.5], device)
    with mg.no_grad():
        frozen = (x * 3.0).exp()                              # exp's input is marked: so is its output
        constant = mg.tensor([1.0, 2.0], device=device) * 2.0
    assert frozen._note == "computed under no_grad"
    assert constant._note is None, "only values cut off from a tensor that requires grad are marked"
    nodes, edges = draws([(frozen * w + constant).sum()], tmp_path, names={"x": x})
    cut = node_with(nodes, "computed under no_grad")
    assert nodes[cut]["style"] == "dashed,filled" and not any(b == cut for _, b, _ in edges)
    assert not any("input x" in a["label"] for a in nodes.values())
    assert "legend_cut" in nodes


@pytest.mark.parametrize("estimator", ["pathwise", "score"])
def test_the_vae_elbo_draws_with_its_parameters_as_parameters(device, tmp_path, estimator):
    mg.random.seed(0)
    model = mg.models.VAE(16, hidden=8, latent=2, estimator=estimator, device=device)
    x = mg.tensor((np.random.default_rng(0).random((4, 16)) < 0.5).astype(np.float32), device=device)
    out = model.elbo(x)
    nodes, edges = draws([out], tmp_path, names=model)
    if HAS_DOT:   # render() takes the named tuple as it comes
        assert viz.render(out, tmp_path / "elbo.svg", names=model) == viz.to_dot(out, names=model)
    elbo = node_with(nodes, "elbo")
    assert node_with(nodes, "reconstruction") and node_with(nodes, "kl\n")
    for name, p in model.named_parameters():
        node = node_with(nodes, f"parameter {name}\n")
        assert nodes[node]["fillcolor"] == viz._STYLE["parameter"]["fillcolor"]
        assert f"{p.shape} float32" in nodes[node]["label"]
        assert reaches(edges, node, elbo)
    if estimator == "pathwise":
        assert reaches(edges, node_with(nodes, "eps ~ N(0, 1)"), elbo)
    else:
        z = node_with(nodes, "z ~ Normal")
        assert reaches(edges, z, node_with(nodes, "magic_box"))
        assert not any(reaches(edges, node_with(nodes, f"parameter {name}\n"), z)
                       for name, _ in model.named_parameters())


def test_tape_lists_leaves_then_ops_in_recorded_order_with_shapes(device):
    x = leaf(np.ones((2, 3)), device).astype(mg.float32)
    w = mg.nn.Parameter(mg.ones((3, 4), device=device))
    y = ((x @ w).relu() * 2.0).sum()
    at = "" if device == "cpu" else f" {device}"
    assert viz.tape(y, names={"w": w}) == "\n".join([
        "# leaves: inputs, parameters, random values",
        f"v1 = input           # (2, 3) float64{at}, requires grad",
        f"v2 = parameter w     # (3, 4) float32{at}, requires grad",
        "# recorded operations, in the order they ran",
        f"v3 = astype(v1)      # (2, 3) float32{at}",
        f"v4 = matmul(v3, v2)  # (2, 4) float32{at}",
        f"v5 = relu(v4)        # (2, 4) float32{at}",
        f"v6 = mul(v5, 2)      # (2, 4) float32{at}",
        f"v7 = sum(v6)         # () float32{at}",
    ])


def test_tape_orders_ops_by_the_clock_not_by_how_the_graph_is_walked(device):
    a, b = leaf([1.0], device), leaf([2.0], device)
    late = b.exp()           # recorded first, but reached last from the output
    early = a.sin()
    out = early * late
    ops = [line.split(" = ")[1].split("(")[0] for line in viz.tape(out).splitlines() if line.startswith("v")][2:]
    assert ops == ["exp", "sin", "mul"]
    assert "random: eps ~ N(0, 1)" in viz.tape(Normal(a, b).rsample())


def test_a_gradient_of_a_gradient_draws_with_the_vjps_ops(device, tmp_path):
    x = leaf([0.5, 1.0, 2.0], device)
    y = (x * x.sin()).sum()
    (g,) = mg.autograd.grad(y, x, create_graph=True)       # sin x + x cos x: the vjp of sin records cos
    (h,) = mg.autograd.grad(g.sum(), x, create_graph=True)
    nodes, edges = draws([y, g, h], tmp_path, names={"x": x, "g": g, "h": h})
    assert "cos" in op_labels(nodes)
    x_node = node_with(nodes, "input x")
    assert reaches(edges, x_node, node_with(nodes, " g\n"))
    assert reaches(edges, x_node, node_with(nodes, " h\n"))
    assert "= cos(v" in viz.tape(h)


def test_an_op_whose_graph_backward_freed_says_so(device):
    x = leaf([1.0, 2.0], device)
    y = (x * x).sum()
    y.backward()
    assert "(inputs freed by backward)" in viz.tape(y)
    nodes, _ = parse(viz.to_dot(y))
    assert "freed by backward" in nodes[node_with(nodes, "sum")]["label"]


def test_a_long_chain_is_walked_without_recursion_and_each_node_drawn_once(device):
    x = leaf([1.0], device)
    y, n = x, 3 * sys.getrecursionlimit()
    for _ in range(n):
        y = y * 1.0
    nodes, edges = parse(viz.to_dot(y, x, legend=False))
    assert len(nodes) == 1 + 2 * n                           # x, and a tensor and an op per mul
    assert len(edges) == 2 * n
    assert len(viz.tape(y).splitlines()) == 3 + n


def test_a_tensor_used_many_times_is_one_node(device):
    x = leaf([1.0, 2.0], device)
    y = x * x + x * x.exp()
    nodes, edges = parse(viz.to_dot(y, names={"x": x}))
    x_node = node_with(nodes, "input x")
    assert sum(a == x_node for a, _, _ in edges) == 4


# ---------------------------------------------------------------- render

def test_render_without_graphviz_returns_the_text_and_says_how_to_install_it(device, tmp_path, monkeypatch):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    x = leaf([1.0, 2.0], device)
    y = (x * x).sum()
    with pytest.warns(UserWarning) as caught:
        text = viz.render(y, tmp_path / "graph.svg")
    message = str(caught[0].message)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert "conda install graphviz" in message
    assert text == viz.to_dot(y)
    assert not (tmp_path / "graph.svg").exists()
    assert (tmp_path / "graph.dot").read_text() == text


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_render_writes_png_and_svg(tmp_path):
    y = (leaf([1.0, 2.0], "cpu").exp()).sum()
    viz.render(y, tmp_path / "graph.png")
    viz.render(y, tmp_path / "graph.svg")
    assert (tmp_path / "graph.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (tmp_path / "graph.svg").read_text()


def test_render_refuses_a_suffix_it_cannot_draw(tmp_path):
    with pytest.raises(ValueError, match=r"\.svg"):
        viz.render(leaf([1.0], "cpu") * 2.0, tmp_path / "graph.jpeg2000")


def test_to_dot_refuses_what_is_not_a_tensor():
    with pytest.raises(TypeError, match="expected tensors"):
        viz.to_dot([leaf([1.0], "cpu"), 2.0])


def test_notes_cost_nothing_until_set():
    assert mg.tensor([1.0])._note is None
    assert mg.tensor([1.0]).detach()._note == "detached"
