"""``mg.linalg``: the little linear algebra a full-covariance Gaussian needs, as ``numpy.linalg`` is NumPy's.

The primitives (``tril``, ``triu``, ``diagonal``, ``solve_triangular``, each with its vjp)
live with the other primitives, in :mod:`minigrad.ops.linalg`; this module is their
public namespace.
"""
from .ops.linalg import diagonal, solve_triangular, tril, triu

__all__ = ["tril", "triu", "diagonal", "solve_triangular"]
