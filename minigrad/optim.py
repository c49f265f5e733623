"""Optimizers: rules that move parameters against their gradients, as in ``torch.optim``.

    optimizer = mg.optim.Adam(model.parameters(), lr=1e-3)
    for x in batches:
        optimizer.zero_grad()
        loss = model.loss(x)
        loss.backward()
        optimizer.step()

An update is not part of any graph, so ``step()`` runs under :func:`minigrad.no_grad`
and works on the arrays directly: ``p.data -= ...`` with the ufuncs of ``p.xp`` (NumPy
or CuPy), writing into buffers kept from step to step instead of allocating new
arrays (``xp.multiply(g, c, out=buf)``). Gradients are only read: an optimizer never
writes into ``p.grad``.

``state_dict()`` is a flat dict: hyperparameters as Python numbers and per-parameter
buffers as NumPy arrays named ``"<buffer>.<index of the parameter>"``, ready for
``numpy.savez``. ``load_state_dict`` puts the buffers back on each parameter's device.
"""
import math

import numpy

from . import backend
from .autograd import no_grad
from .tensor import Tensor


class Optimizer:
    """What every optimizer shares: its parameters, hyperparameters, buffers and saving them.

    ``params`` is an iterable of tensors that require grad (a list, or a generator: it is
    read once). Each parameter may appear only once: a repeated one (the same tensor
    twice, as a list joined from two models that share a layer would give) is refused
    with a ValueError rather than silently deduplicated, because it would be stepped
    twice per step(), and because state_dict() numbers the buffers by the position of
    each parameter in the list given. ``Module.parameters()`` lists a shared parameter once.
    """

    def __init__(self, params, **hyper):
        self.params = _parameter_list(type(self).__name__, params)
        self.hyper = hyper                 # e.g. {"lr": 1e-3, "beta1": 0.9, ...}: read by step()
        self.steps = [0] * len(self.params)  # updates made to each parameter so far
        self.buffers = {}                  # name -> [array or None per parameter]: the state step() keeps
        self._scratches = [None] * len(self.params)  # work arrays, reused so that a step allocates little

    def zero_grad(self):
        """Forget the gradients of the parameters (set them to None, as PyTorch does by default)."""
        for p in self.params:
            p.grad = None

    def step(self):
        raise NotImplementedError

    def _buffer(self, name, i):
        """Buffer ``name`` of parameter i: zeros like the parameter the first time it is asked for."""
        buffers = self.buffers.setdefault(name, [None] * len(self.params))
        if buffers[i] is None:
            p = self.params[i]
            buffers[i] = p.xp.zeros_like(p.data)
        return buffers[i]

    def _scratch(self, i):
        """A work array like parameter i, reused across steps (not saved: it holds nothing between steps)."""
        if self._scratches[i] is None:
            self._scratches[i] = self.params[i].xp.empty_like(self.params[i].data)
        return self._scratches[i]

    # ------------------------------------------------------------ saving and loading
    def state_dict(self):
        """Hyperparameters, step counts and buffers as a flat dict of numbers and NumPy arrays."""
        state = dict(self.hyper)
        state["steps"] = numpy.array(self.steps, dtype=numpy.int64)
        for name, buffers in self.buffers.items():
            for i, array in enumerate(buffers):
                if array is not None:
                    state[f"{name}.{i}"] = backend.device_of(array).to_host(array).copy()
        return state

    def load_state_dict(self, state):
        """Restore what :meth:`state_dict` returned (from this or an identically built optimizer).

        All or nothing: the whole state is checked before anything changes.
        """
        steps = numpy.asarray(state.get("steps", ()))
        if steps.shape != (len(self.params),):
            raise ValueError(f"load_state_dict: the state is for {steps.size} parameters, this optimizer has "
                             f"{len(self.params)}")
        missing = [key for key in self.hyper if key not in state]
        if missing:
            raise ValueError(f"load_state_dict: the state lacks the hyperparameters {missing}")
        buffers = {}
        for key, value in state.items():
            if key in self.hyper or key == "steps":
                continue
            name, _, index = key.rpartition(".")
            if not name or not index.isdigit() or int(index) >= len(self.params):
                raise ValueError(f"load_state_dict: unexpected key {key!r} (expected hyperparameters "
                                 f"{list(self.hyper)}, 'steps' and '<buffer>.<parameter index>')")
            i, p = int(index), self.params[int(index)]
            value = numpy.asarray(value)
            if value.shape != p.shape:
                raise ValueError(f"load_state_dict: buffer {key} has shape {value.shape}, its parameter {p.shape}")
            buffers.setdefault(name, [None] * len(self.params))[i] = value
        self.hyper = {key: type(old)(numpy.asarray(state[key]).item()) for key, old in self.hyper.items()}
        self.steps = [int(s) for s in steps]
        self.buffers = {name: [None if a is None else backend.get_device(p.device).from_host(a.astype(p.dtype))
                               for a, p in zip(arrays, self.params)]
                        for name, arrays in buffers.items()}
        return self


def _parameter_list(owner, params):
    """``params`` as a list of distinct tensors that require grad, or an error that says what to pass."""
    if hasattr(params, "parameters") and hasattr(params, "state_dict"):   # a Module, given instead of its parameters
        raise TypeError(f"{owner}: params must be an iterable of tensors, got the module {type(params).__name__}; "
                        "pass its parameters: model.parameters()")
    if callable(params):                        # model.parameters, not model.parameters()
        name = getattr(params, "__name__", "parameters")
        raise TypeError(f"{owner}: params is the method {name!r} itself, not the parameters it returns; "
                        f"call it: model.{name}()")
    if isinstance(params, Tensor):
        raise TypeError(f"{owner}: params must be an iterable of tensors, got one Tensor of shape "
                        f"{params.shape}; pass a list: [p]")
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"{owner}: params must be an iterable of tensors, "
                        f"got an object of type {type(params).__name__}") from None
    if not params:
        raise ValueError(f"{owner}: got an empty list of parameters")
    first = {}
    for i, p in enumerate(params):
        if isinstance(p, tuple) and len(p) == 2 and isinstance(p[1], Tensor):
            raise TypeError(f"{owner}: parameter {i} is a pair ({p[0]!r}, tensor), as named_parameters() gives; "
                            "pass model.parameters()")
        if not isinstance(p, Tensor) or not p.requires_grad:
            raise TypeError(f"{owner}: parameter {i} is not a tensor that requires grad")
        if id(p) in first:
            raise ValueError(f"{owner}: parameter {i} (shape {p.shape}) is the same tensor as parameter "
                             f"{first[id(p)]}; a repeated parameter would be updated twice per step. "
                             "Give each once (Module.parameters() already does)")
        first[id(p)] = i
    return params


class SGD(Optimizer):
    """Stochastic gradient descent with momentum and weight decay (PyTorch's convention):

        g <- grad + weight_decay * p        (L2 regularisation, added to the gradient)
        v <- momentum * v + g               (v starts at 0; skipped when momentum = 0)
        p <- p - lr * v
    """

    def __init__(self, params, lr=1e-2, momentum=0.0, weight_decay=0.0):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: lr, momentum and weight_decay must be >= 0, got {lr}, {momentum}, {weight_decay}")
        super().__init__(params, lr=float(lr), momentum=float(momentum), weight_decay=float(weight_decay))

    @no_grad()
    def step(self):
        lr, momentum, weight_decay = self.hyper["lr"], self.hyper["momentum"], self.hyper["weight_decay"]
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            xp, g, buf = p.xp, p.grad.data, self._scratch(i)
            if weight_decay:
                xp.multiply(p.data, weight_decay, out=buf)
                buf += g
                g = buf
            if momentum:
                v = self._buffer("momentum", i)
                v *= momentum
                v += g
                g = v
            xp.multiply(g, lr, out=buf)
            p.data -= buf
            self.steps[i] += 1


class Adam(Optimizer):
    """Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, Algorithm 1).

    With g the gradient at step t (t = 1, 2, ...) and m, v starting at 0:

        m <- beta1 m + (1 - beta1) g             biased estimate of the mean of g
        v <- beta2 v + (1 - beta2) g^2           biased estimate of its uncentred variance
        m_hat = m / (1 - beta1^t)                bias correction: m and v started at 0,
        v_hat = v / (1 - beta2^t)                so early averages are too small by these factors
        p <- p - lr m_hat / (sqrt(v_hat) + eps)

    The last line is computed as p - step_size m / (sqrt(v) + eps sqrt(1 - beta2^t)) with
    step_size = lr sqrt(1 - beta2^t) / (1 - beta1^t): the same number (multiply the
    fraction above and below by sqrt(1 - beta2^t)), one pass over the arrays fewer; the
    paper suggests this order at the end of its section 2.

    ``weight_decay`` adds weight_decay * p to g (L2 regularisation, as ``torch.optim.Adam``);
    for the decoupled kind use :class:`AdamW`.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        beta1, beta2 = betas
        if not (lr >= 0 and 0 <= beta1 < 1 and 0 <= beta2 < 1 and eps >= 0 and weight_decay >= 0):
            raise ValueError(f"{type(self).__name__}: need lr >= 0, 0 <= betas < 1, eps >= 0, weight_decay >= 0; "
                             f"got lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}")
        super().__init__(params, lr=float(lr), beta1=float(beta1), beta2=float(beta2), eps=float(eps),
                         weight_decay=float(weight_decay))

    def _decay(self, i, p):
        """L2 weight decay: the gradient Adam sees is grad + weight_decay * p (a new array, grad is left alone)."""
        g, weight_decay = p.grad.data, self.hyper["weight_decay"]
        return g + weight_decay * p.data if weight_decay else g

    @no_grad()
    def step(self):
        lr, beta1, beta2, eps = (self.hyper[k] for k in ("lr", "beta1", "beta2", "eps"))
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            self.steps[i] += 1
            t = self.steps[i]
            xp, g = p.xp, self._decay(i, p)
            m, v, buf = self._buffer("exp_avg", i), self._buffer("exp_avg_sq", i), self._scratch(i)
            m *= beta1                                   # m <- beta1 m + (1 - beta1) g
            xp.multiply(g, 1.0 - beta1, out=buf)
            m += buf
            v *= beta2                                   # v <- beta2 v + (1 - beta2) g^2
            xp.multiply(g, g, out=buf)
            buf *= 1.0 - beta2
            v += buf
            correction1, correction2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
            step_size = lr * math.sqrt(correction2) / correction1
            xp.sqrt(v, out=buf)                          # p <- p - step_size m / (sqrt(v) + eps sqrt(1 - beta2^t))
            buf += eps * math.sqrt(correction2)
            xp.divide(m, buf, out=buf)
            buf *= step_size
            p.data -= buf


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay
    Regularization", ICLR 2019): before the Adam step, p <- p - lr * weight_decay * p.

    Unlike L2 decay added to the gradient, this shrinkage is not divided by sqrt(v_hat),
    so every weight decays at the same rate whatever the size of its gradients.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)

    def _decay(self, i, p):
        weight_decay = self.hyper["weight_decay"]
        if weight_decay:
            p.data *= 1.0 - self.hyper["lr"] * weight_decay
        return p.grad.data


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale the gradients so that their joint norm is at most ``max_norm``; return that norm before clipping.

    As ``torch.nn.utils.clip_grad_norm_``: the norm of order ``norm_type`` (2: Euclidean,
    ``float("inf")``: the largest |g|) is taken over all gradients together, as if they
    were one long vector, and every gradient is multiplied by

        clip_coef = min(max_norm / (total_norm + 1e-6), 1)

    Every one, always: so a NaN norm makes every gradient NaN and an infinite one makes the
    finite gradients 0, rather than leaving some scaled and some not (a step half
    applied). With ``error_if_nonfinite=True`` a NaN or infinite norm raises a
    RuntimeError instead, naming the parameters whose gradients are not finite, and no
    gradient is changed.

    Unlike PyTorch: the return value is a Python float (0.0 when no parameter has a
    gradient); gradients are replaced by scaled copies, not changed in place (an
    optimizer, too, never writes into p.grad); the norm is summed in float64, so float32
    gradients with a norm above ~1.8e19 (whose squares overflow float32) are not reported
    as an infinite norm, which would zero them all; and a parameter given twice counts once.
    ``parameters`` may be one tensor, a list or a generator.
    """
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not max_norm >= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm}")
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be positive (or inf), got {norm_type}")
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads, seen = [], set()                     # (position in parameters, parameter), each parameter once
    for i, p in enumerate(parameters):
        if p.grad is not None and id(p) not in seen:
            seen.add(id(p))
            grads.append((i, p))
    if not grads:
        return 0.0
    total = _total_norm([p.grad for _, p in grads], norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        bad = [f"parameter {i} (shape {p.shape})" for i, p in grads if not bool(p.xp.isfinite(p.grad.data).all())]
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}, so they cannot "
            f"be clipped; non-finite gradients: {', '.join(bad) or 'none (the norm overflowed)'}. No gradient "
            "was changed. To scale them by the non-finite norm anyway, set error_if_nonfinite=False")
    clip_coef = max_norm / (total + 1e-6)
    if not clip_coef >= 1.0:                    # NaN included: then every gradient becomes NaN
        with no_grad():
            for _, p in grads:
                p.grad = p.grad * clip_coef
    return total


def _total_norm(grads, norm_type):
    """The norm of all of ``grads`` as one vector: max |g| for inf, else (sum |g|^p)^(1/p), summed in float64."""
    if math.isinf(norm_type):
        return float(numpy.max([float(g.xp.abs(g.data).max()) if g.size else 0.0 for g in grads]))   # NaN wins
    total = 0.0
    for g in grads:
        a = g.xp.abs(g.data.astype(numpy.float64))
        total += float((a * a).sum() if norm_type == 2.0 else (a ** norm_type).sum())
    return total ** (1.0 / norm_type)
