"""Exercise 03, reference solution: a reverse-mode engine for scalars.

As in micrograd, each primitive builds ``out`` and attaches its backward closure right under it;
unlike micrograd, backward() sorts the graph without recursion, so a chain of 10,000 ops is fine.
"""
import math


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

    # -------------------------------------------------- five primitives and the backward pass
    def __add__(self, other):
        """self + other (other a Value or a number).   d/dself = 1, d/dother = 1."""
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        """self * other (other a Value or a number).   d/dself = other, d/dother = self."""
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, exponent):
        """self ** exponent for a number (int or float) exponent.   d/dself = exponent * self ** (exponent - 1)."""
        out = Value(self.data ** exponent, (self,), f"**{exponent}")

        def _backward():
            self.grad += exponent * self.data ** (exponent - 1) * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        """tanh(self).   d/dself = 1 - tanh(self)^2."""
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1.0 - t * t) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        """e^self.   d/dself = e^self."""
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def backward(self):
        """Fill in .grad = d self / d v for every Value v that self was computed from (and self.grad = 1).

        Visit the Values in reverse topological order (each one after every Value computed
        from it), without recursion, and run each one's _backward once. Gradients add up (+=).
        """
        order, seen, stack = [], set(), [(self, False)]
        while stack:                       # depth-first, with an explicit stack instead of recursion
            v, parents_done = stack.pop()
            if parents_done:
                order.append(v)            # after all of v's parents: a topological order
            elif id(v) not in seen:
                seen.add(id(v))
                stack.append((v, True))
                stack.extend((p, False) for p in v._parents if id(p) not in seen)
        self.grad = 1.0
        for v in reversed(order):          # each Value after every Value computed from it
            v._backward()

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
