"""einsum: products of tensors summed over named indices, and its vjp, another einsum.

``einsum("bij,bjk->bik", a, b)`` is a batch of matrix products: every index names an
axis, indices shared by operands are multiplied along, and indices missing from the
output (after "->") are summed over. Its gradient needs no new rule: out is linear in
each operand, so the cotangent of operand k is the einsum of g with all the *other*
operands, written back to k's indices:

    out = einsum("bij,bjk->bik", a, b)   gives   g_a = einsum("bik,bjk->bij", g, b)
                                                 g_b = einsum("bik,bij->bjk", g, a)

(for a matmul: g b^T and a^T g). An index only operand k has (summed out, as j in
"ij->i") is not in that einsum; out does not depend on where along it an element sits,
so g_k is broadcast along it.
"""
import string

from ..autograd import apply
from .operands import as_tensor, check_same_device
from .shape import broadcast_to, reshape, sum_to


def einsum(subscripts, *operands):
    """Products of ``operands`` summed over the indices that ``subscripts`` leaves out, as ``numpy.einsum``.

    "ij,jk->ik" is a matrix product, "nchw,oc->nohw" mixes channels, "i,i->" is a dot
    product, "ij->ji" a transpose, "...ij,jk->...ik" a matmul over any leading axes.
    Without "->" the output is every index used once, in alphabetical order (NumPy's
    rule). An index may not repeat within one operand ("ii->i", a diagonal): its
    gradient is not an einsum, and is not supported. Axes of length 1 broadcast as in
    NumPy. Derivatives of every order: the vjp is an einsum (see the module's docstring).
    """
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: the first argument is the subscripts string, such as 'ij,jk->ik'; got "
                        f"{type(subscripts).__name__}")
    operands = [as_tensor(x) for x in operands]
    if not operands:
        raise ValueError("einsum: no operands")
    check_same_device(operands, "einsum")
    inputs, output = _parse(subscripts, operands)
    arrays = [x.data for x in operands]
    try:
        data = operands[0].xp.einsum(f"{','.join(inputs)}->{output}", *arrays, optimize=len(arrays) > 1)
    except ValueError as e:
        shapes = ", ".join(str(x.shape) for x in operands)
        raise ValueError(f"einsum: {subscripts!r} does not fit operands of shapes {shapes}: {e}") from None
    edges = [(x, lambda g, out, k=k: _einsum_vjp(g, k, inputs, output, operands)) for k, x in enumerate(operands)]
    return apply("einsum", data, *edges)


def _einsum_vjp(g, k, inputs, output, operands):
    """The cotangent of operand k: einsum of g with the other operands, to k's indices (see the module)."""
    x, mine = operands[k], inputs[k]
    others = [s for j, s in enumerate(inputs) if j != k]
    reachable = set(output).union(*others)
    kept = "".join(i for i in mine if i in reachable)   # indices only k has were summed out: broadcast back
    gk = einsum(",".join([output] + others) + "->" + kept, g, *(y for j, y in enumerate(operands) if j != k))
    lengths = dict(zip(kept, gk.shape))
    # a length-1 axis of x that broadcast against a longer one is summed back; a missing index gets length 1
    gk = reshape(gk, [lengths.get(i, 1) for i in mine])
    gk = sum_to(gk, [n if lengths.get(i, 1) != 1 else 1 for i, n in zip(mine, x.shape)])
    return broadcast_to(gk, x.shape)


def _parse(subscripts, operands):
    """The subscripts as one string of single-letter indices per operand and for the output.

    "..." becomes letters not used elsewhere, one per axis it covers (right-aligned, as
    broadcasting aligns axes); an implicit output (no "->") is spelled out.
    """
    subscripts = subscripts.replace(" ", "")
    left, arrow, output = subscripts.partition("->")
    inputs = left.split(",")
    if len(inputs) != len(operands):
        raise ValueError(f"einsum: {subscripts!r} names {len(inputs)} operands, but {len(operands)} were given")
    for s in inputs + [output]:
        if any(c not in string.ascii_letters for c in s.replace("...", "", 1)):
            raise ValueError(f"einsum: {subscripts!r}: indices are single letters, with at most one '...' "
                             "per operand")
    if not arrow:   # NumPy: the indices used exactly once, in alphabetical order, after the '...' axes
        letters = left.replace("...", "").replace(",", "")
        output = ("..." if "..." in left else "") + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    free = [c for c in string.ascii_letters if c not in subscripts]
    spans = [x.ndim - len(s.replace("...", "")) for s, x in zip(inputs, operands)]
    width = max((n for s, n in zip(inputs, spans) if "..." in s), default=0)
    for s, x, n in zip(inputs, operands, spans):
        if (n < 0) or (n and "..." not in s):
            raise ValueError(f"einsum: {s!r} names {len(s.replace('...', ''))} axes, but the operand has shape "
                             f"{x.shape}")
    inputs = [s.replace("...", "".join(free[width - n:width])) for s, n in zip(inputs, spans)]
    output = output.replace("...", "".join(free[:width]))
    for k, s in enumerate(inputs):
        repeated = sorted({c for c in s if s.count(c) > 1})
        if repeated:
            raise ValueError(f"einsum: operand {k} repeats the index {repeated[0]!r} ({s!r}): diagonals and "
                             "traces are not supported (their gradient is not an einsum)")
    if len(set(output)) != len(output) or not set(output) <= set("".join(inputs)):
        raise ValueError(f"einsum: the output {output!r} must name each index once, and only indices of the "
                         "operands")
    return inputs, output
