"""The chain preset: a long chain of tiny elementwise ops, to time what recording one op costs.

Each peer file has a ``chain(x0, n)`` that runs ``chain`` below with its own exp and log on
its own tensor, then backward, and returns (forward seconds, backward seconds). This file
has the floor: the same ops in NumPy with their backward written out, no tape.
"""
import time

import numpy


def chain(y, exp, log, n, two=2.0, half=0.5):
    """n elementwise ops: y*2, exp, log, y*0.5, repeated. The value and its derivative come back
    to themselves every four ops, so nothing overflows or underflows however long the chain.
    (``two`` and ``half``: for a library that would turn a Python float into a float64 array.)"""
    for i in range(n):
        k = i % 4
        y = y * two if k == 0 else exp(y) if k == 1 else log(y) if k == 2 else y * half
    return y


def chain_numpy(x0, n):
    """The floor: the same ops in NumPy, and their backward written out, with no tape."""
    start = time.perf_counter()
    y, saved = x0, []
    for i in range(n):
        k = i % 4
        if k == 0:
            y = y * 2.0
        elif k == 1:
            y = numpy.exp(y)
            saved.append(y)            # d exp(y)/dy = exp(y): keep the output
        elif k == 2:
            saved.append(y)            # d log(y)/dy = 1/y: keep the input
            y = numpy.log(y)
        else:
            y = y * 0.5
    middle = time.perf_counter()
    g = numpy.ones_like(y)
    for i in reversed(range(n)):
        k = i % 4
        g = g * 2.0 if k == 0 else g * saved.pop() if k == 1 else g / saved.pop() if k == 2 else g * 0.5
    end = time.perf_counter()
    return middle - start, end - middle
