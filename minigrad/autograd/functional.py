"""Differential operators: vjp, jvp, vhp, hvp, jacobian and hessian of a Python function.

Each one is a few calls of :func:`minigrad.autograd.grad`, with the signatures and return
conventions of PyTorch's ``torch.autograd.functional`` (HIPS autograd's
``differential_operators`` has the same family), so code moves between the two unchanged:

- ``func`` takes the inputs as positional arguments; ``inputs`` is a Tensor or a tuple of
  Tensors, and a result that follows the inputs (a gradient, a Jacobian's columns) is a
  Tensor or a tuple to match. The same holds for ``func``'s outputs and ``v``.
- ``vjp``, ``jvp``, ``vhp`` and ``hvp`` return ``(func_output, result)``; ``jacobian`` and
  ``hessian`` return the matrix alone, of shape ``output.shape + input.shape`` (nested tuples
  when inputs or outputs are tuples).
- The inputs are differentiated as fresh leaves, so whatever graph they belong to is left
  alone. With ``create_graph=False`` the results are detached; with ``create_graph=True``
  they stay on the tape (and connected to inputs that require grad), so they can be
  differentiated again.
- An output that does not depend on an input has a zero derivative with respect to it, or,
  with ``strict=True``, raises.

**Forward mode without a second rule per primitive.** minigrad's primitives define only a
vjp, u -> J^T u. A Jacobian-vector product J v comes from differentiating a vjp once more:
g(u) = J^T u is linear in the dummy cotangent u, so the vjp of g with cotangent v is
d<J^T u, v>/du = J v, whatever u is (zero, here). Two reverse passes give one forward-mode
product ("the double-vjp trick"; J. Townsend 2017, and the ``jvp`` of HIPS autograd's
``make_jvp_reversemode``), so every op that has second derivatives has a jvp for free.
It costs about twice a vjp; a true forward mode would cost about one function evaluation.
"""
from ..ops import copy, reshape, stack, zeros_like
from ..tensor import Tensor
from . import enable_grad, grad

__all__ = ["vjp", "jvp", "vhp", "hvp", "jacobian", "hessian"]


# ---------------------------------------------------------------- inputs, outputs and v as tuples

def _as_tuple(value, what, caller):
    """(was it a tuple?, the value as a tuple of Tensors)."""
    is_tuple = isinstance(value, tuple)
    values = tuple(value) if is_tuple else (value,)
    for i, t in enumerate(values):
        if not isinstance(t, Tensor):
            where = f"{what}[{i}]" if is_tuple else what
            raise TypeError(f"{caller}: {where} must be a Tensor (or {what} a tuple of Tensors), "
                            f"got {type(t).__name__}")
    return is_tuple, values


def _as_given(values, is_tuple):
    return tuple(values) if is_tuple else values[0]


def _fresh_inputs(inputs, create_graph):
    """Leaves to differentiate with respect to: copies that keep the graph of an input that
    requires grad when the result must be differentiable again, else detached leaves."""
    return tuple(copy(x) if create_graph and x.requires_grad else x.detach().requires_grad_(True)
                 for x in inputs)


def _check_v(v, like, what, caller):
    """v as a tuple matching ``like`` in number and shapes; None only where every entry has one element."""
    if v is None:
        if any(t.size != 1 for t in like):
            raise RuntimeError(f"{caller}: v may be left out only when the {what} have a single element each; "
                               f"they have shapes {[t.shape for t in like]}: pass v")
        return tuple(Tensor(t.xp.ones_like(t.data)) for t in like)
    _, v = _as_tuple(v, "v", caller)
    if len(v) != len(like):
        raise RuntimeError(f"{caller}: v has {len(v)} entries but there are {len(like)} {what}")
    for i, (vi, t) in enumerate(zip(v, like)):
        if vi.shape != t.shape:
            raise RuntimeError(f"{caller}: v[{i}] has shape {vi.shape} but {what} {i} has shape {t.shape}")
    return v


def _grads(outputs, inputs, cotangents, create_graph, strict, caller):
    """grad(outputs, inputs) with zeros for inputs the outputs do not reach (or an error if strict)."""
    live = [(o, g) for o, g in zip(outputs, cotangents) if o.requires_grad]
    found = (grad([o for o, _ in live], inputs, [g for _, g in live], create_graph=create_graph,
                  retain_graph=True, allow_unused=True) if live else (None,) * len(inputs))
    result = []
    for i, (x, g) in enumerate(zip(inputs, found)):
        if g is None:
            if strict:
                raise RuntimeError(f"{caller}: the output of the function does not depend on input {i} "
                                   "(strict=True forbids that; leave strict out to get zeros)")
            g = zeros_like(x)
        result.append(g)
    return tuple(result)


def _finish(values, create_graph):
    return tuple(t if create_graph else t.detach() for t in values)


# ---------------------------------------------------------------- products

def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product, one reverse pass.

    ``v`` has the shape of ``func``'s output (it may be left out when the output is a single
    number); the product has the shape of ``inputs``.
    """
    in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    with enable_grad():
        inputs = _fresh_inputs(inputs, create_graph)
        out_tuple, outputs = _as_tuple(func(*inputs), "the function's output", "vjp")
        v = _check_v(v, outputs, "outputs", "vjp")
        result = _grads(outputs, inputs, v, create_graph, strict, "vjp")
    return _as_given(_finish(outputs, create_graph), out_tuple), _as_given(_finish(result, create_graph), in_tuple)


def _jvp_by_double_vjp(outputs, inputs, v, create_graph, strict, caller):
    """J v from two reverse passes: g(u) = J^T u is linear in u, so d<g(u), v>/du = J v."""
    u = tuple(zeros_like(o).requires_grad_(True) for o in outputs)      # the dummy cotangents
    g = _grads(outputs, inputs, u, True, strict, caller)                   # J^T u, on the tape
    return _grads(g, u, v, create_graph, strict, caller)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product (forward mode), by the double-vjp trick.

    ``v`` has the shape of ``inputs`` (it may be left out when the input is a single number);
    the product has the shape of ``func``'s output.
    """
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    with enable_grad():
        inputs = _fresh_inputs(inputs, create_graph)
        v = _check_v(v, inputs, "inputs", "jvp")
        out_tuple, outputs = _as_tuple(func(*inputs), "the function's output", "jvp")
        result = _jvp_by_double_vjp(outputs, inputs, v, create_graph, strict, "jvp")
    return _as_given(_finish(outputs, create_graph), out_tuple), _as_given(_finish(result, create_graph), out_tuple)


def _scalar_output(func, inputs, caller):
    out_tuple, outputs = _as_tuple(func(*inputs), "the function's output", caller)
    if out_tuple or outputs[0].size != 1:
        shapes = [o.shape for o in outputs]
        raise RuntimeError(f"{caller}: the function must return a single Tensor with one element (a loss), "
                           f"got {'a tuple of ' if out_tuple else 'a Tensor of '}shape{'s' if out_tuple else ''} "
                           f"{shapes if out_tuple else shapes[0]}")
    return reshape(outputs[0], ())


def _second_order(func, inputs, v, create_graph, strict, caller, product):
    """(f(inputs), product(grad f, inputs, v)) for a scalar f: the gradient on the tape, then one more product."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", caller)
    with enable_grad():
        inputs = _fresh_inputs(inputs, create_graph)
        v = _check_v(v, inputs, "inputs", caller)
        output = _scalar_output(func, inputs, caller)
        gradient = _grads([output], inputs, [Tensor(output.xp.ones_like(output.data))], True, strict, caller)
        result = product(gradient, inputs, v, create_graph, strict, caller)
    return _finish([output], create_graph)[0], _as_given(_finish(result, create_graph), in_tuple)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H): a vector-Hessian product of a scalar function, two reverse passes.

    The vjp of the gradient: differentiate <grad f(x), v> once more.
    """
    return _second_order(func, inputs, v, create_graph, strict, "vhp", _grads)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v): a Hessian-vector product of a scalar function.

    The jvp of the gradient, by the double-vjp trick (three reverse passes). Where the
    second derivatives are continuous H is symmetric and ``hvp`` equals ``vhp``, which
    costs one pass less.
    """
    return _second_order(func, inputs, v, create_graph, strict, "hvp", _jvp_by_double_vjp)


# ---------------------------------------------------------------- whole matrices

def _one_hot(t, k):
    e = t.xp.zeros(t.size, dtype=t.data.dtype)
    e[k] = 1
    return Tensor(e.reshape(t.shape))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``.

    Entry ``[j][i]`` (output j, input i) has shape ``outputs[j].shape + inputs[i].shape``.

    ``strategy="reverse-mode"`` builds it row by row, one vjp per output element;
    ``"forward-mode"`` column by column, one jvp (two reverse passes) per input element.
    Reverse mode wins when there are fewer outputs than inputs, as for a loss. ``vectorize``
    is accepted for PyTorch's signature; minigrad always loops (PyTorch would batch the
    products with vmap; the result is the same).
    """
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}")
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        inputs = _fresh_inputs(inputs, create_graph)
        out_tuple, outputs = _as_tuple(func(*inputs), "the function's output", "jacobian")
        if strategy == "reverse-mode":    # rows: e_k^T J for every element k of every output
            blocks = [[[] for _ in inputs] for _ in outputs]
            for j, o in enumerate(outputs):
                for k in range(o.size):
                    row = _grads([o], inputs, [_one_hot(o, k)], create_graph, strict, "jacobian")
                    for i, r in enumerate(row):
                        blocks[j][i].append(r)
            matrix = [[_assemble(blocks[j][i], o.shape, x, rows=True) for i, x in enumerate(inputs)]
                      for j, o in enumerate(outputs)]
        else:                             # columns: J e_k for every element k of every input
            blocks = [[[] for _ in inputs] for _ in outputs]
            for i, x in enumerate(inputs):
                for k in range(x.size):
                    v = tuple(_one_hot(y, k) if n == i else zeros_like(y) for n, y in enumerate(inputs))
                    column = _jvp_by_double_vjp(outputs, inputs, v, create_graph, strict, "jacobian")
                    for j, c in enumerate(column):
                        blocks[j][i].append(c)
            matrix = [[_assemble(blocks[j][i], o.shape, x, rows=False) for i, x in enumerate(inputs)]
                      for j, o in enumerate(outputs)]
    matrix = [_finish(row, create_graph) for row in matrix]
    return _as_given([_as_given(row, in_tuple) for row in matrix], out_tuple)


def _assemble(pieces, out_shape, x, rows):
    """Stack rows (each of x's shape) or columns (each of out_shape) into out_shape + x.shape."""
    if not pieces:     # an empty output or input: nothing to stack
        return Tensor(x.xp.zeros(out_shape + x.shape, dtype=x.dtype))
    return reshape(stack(pieces, axis=0 if rows else -1), out_shape + x.shape)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar ``func``: the Jacobian of its gradient.

    Entry ``[i][k]`` has shape ``inputs[i].shape + inputs[k].shape``. The gradient is computed
    with ``create_graph=True`` so that the outer :func:`jacobian` can differentiate it.
    """
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        output = _scalar_output(func, xs, "hessian")
        return _grads([output], xs, [Tensor(output.xp.ones_like(output.data))], True, strict, "hessian")

    matrix = jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                      strategy=outer_jacobian_strategy)      # a tuple (over gradients) of tuples (over inputs)
    return _as_given([_as_given(row, in_tuple) for row in matrix], in_tuple)
