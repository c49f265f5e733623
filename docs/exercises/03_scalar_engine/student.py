"""Exercise 03: a reverse-mode engine for scalars, from scratch (in the spirit of micrograd).

Statement: docs/exercises/03_scalar_engine.md.  Tests: python -m pytest docs/exercises/03_scalar_engine
"""
import math  # noqa: F401  (you will need it)


class Value:
    """A number that remembers how it was computed, so that ``backward()`` can differentiate it."""

    def __init__(self, data, parents=(), op=""):
        self.data = float(data)
        self.grad = 0.0                  # d(output of backward) / d(this value), filled in by backward()
        self._parents = tuple(parents)   # the Values this one was computed from
        self._backward = lambda: None    # adds self.grad times the local derivatives into the parents' grads
        self._op = op                    # for reading a graph: "+", "*", "tanh", ...

    def __repr__(self):
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    # -------------------------------------------------- yours: five primitives and the backward pass
    def __add__(self, other):
        """self + other (other a Value or a number).   d/dself = 1, d/dother = 1."""
        raise NotImplementedError("exercise 03: Value.__add__")

    def __mul__(self, other):
        """self * other (other a Value or a number).   d/dself = other, d/dother = self."""
        raise NotImplementedError("exercise 03: Value.__mul__")

    def __pow__(self, exponent):
        """self ** exponent for a number (int or float) exponent.   d/dself = exponent * self ** (exponent - 1)."""
        raise NotImplementedError("exercise 03: Value.__pow__")

    def tanh(self):
        """tanh(self).   d/dself = 1 - tanh(self)^2."""
        raise NotImplementedError("exercise 03: Value.tanh")

    def exp(self):
        """e^self.   d/dself = e^self."""
        raise NotImplementedError("exercise 03: Value.exp")

    def backward(self):
        """Fill in .grad = d self / d v for every Value v that self was computed from (and self.grad = 1).

        Visit the Values in reverse topological order (each one after every Value computed
        from it), without recursion, and run each one's _backward once. Gradients add up (+=).
        """
        raise NotImplementedError("exercise 03: Value.backward")

    # -------------------------------------------------- given: built from the primitives, no derivative of their own
    def __radd__(self, other):        # 2 + v
        return self + other

    def __rmul__(self, other):        # 2 * v
        return self * other

    def __neg__(self):                # -v
        return self * -1.0

    def __sub__(self, other):         # v - w
        return self + (-other)

    def __rsub__(self, other):        # 2 - v
        return (-self) + other

    def __truediv__(self, other):     # v / w = v * w^-1
        return self * other ** -1

    def __rtruediv__(self, other):    # 2 / v
        return other * self ** -1
