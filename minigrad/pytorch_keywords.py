"""The decorator that refuses PyTorch's keyword arguments where minigrad takes NumPy's.

minigrad names array operations as NumPy does (``axis``, ``keepdims``, ``ddof``) and
autograd as PyTorch does. A student coming from PyTorch types ``x.sum(dim=1)``; the
decorator :func:`refuse_pytorch_keywords` turns Python's "unexpected keyword argument
'dim'" into an error that says what to write instead. It imports nothing of minigrad,
so the tensor and the ops can both use it.
"""
import functools

# PyTorch keyword -> what to write in minigrad
PYTORCH_KEYWORDS = {
    "dim": "axis=",
    "keepdim": "keepdims=",
    "unbiased": "ddof= (unbiased=True is ddof=1, unbiased=False is ddof=0)",
    "correction": "ddof=",
    "p": "ord= (the order of a norm)",
}


def refuse_pytorch_keywords(function):
    """Wrap ``function`` so that PyTorch's ``dim=``/``keepdim=`` get an error naming NumPy's names."""
    name = function.__name__

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if kwargs:   # the check costs nothing on the usual, positional call
            for key in kwargs:
                if key in PYTORCH_KEYWORDS:
                    raise TypeError(f"{name}: minigrad uses NumPy's argument names; write "
                                    f"{PYTORCH_KEYWORDS[key]} instead of PyTorch's {key}=")
        return function(*args, **kwargs)
    return wrapper
