"""Adam and AdamW, with the AMSGrad variant, as ``torch.optim.Adam`` and ``torch.optim.AdamW``."""
import itertools
import math

from ..autograd import no_grad
from .optimizer import Optimizer


class Adam(Optimizer):
    """Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015,
    arXiv:1412.6980, Algorithm 1), optionally AMSGrad.

    With g the gradient at step t (t = 1, 2, ...) and m, v starting at 0:

        m <- beta1 m + (1 - beta1) g             biased estimate of the mean of g
        v <- beta2 v + (1 - beta2) g^2           biased estimate of its uncentred variance
        m_hat = m / (1 - beta1^t)                bias correction: m and v started at 0,
        v_hat = v / (1 - beta2^t)                so early averages are too small by these factors
        p <- p - lr m_hat / (sqrt(v_hat) + eps)

    ``step`` writes these lines as they stand, on the arrays. ``fused=True`` (the default
    where None, as it pays on every backend: see demos/benchmark) runs :meth:`_step_fused`
    instead: the same rule with the arrays updated in place in one reused work array, and
    the last line computed as p - step_size m / (sqrt(v) + eps sqrt(1 - beta2^t)) with
    step_size = lr sqrt(1 - beta2^t) / (1 - beta1^t), the same number (multiply the fraction
    above and below by sqrt(1 - beta2^t)) with one pass over the arrays fewer, the order the
    paper suggests at the end of its section 2. tests/test_optim_rules.py checks that the two
    agree; the benchmark's hand-written ArrayAdam is the independent reference.

    ``amsgrad=True`` (Reddi, Kale & Kumar, "On the Convergence of Adam and Beyond", ICLR
    2018, https://openreview.net/forum?id=ryQu7f-RZ) divides by the largest second moment
    seen so far, so that the step size of a weight never grows back after a large gradient:

        v_max <- max(v_max, v)                   elementwise, v_max starting at 0
        v_hat = v_max / (1 - beta2^t)            bias-corrected as PyTorch does (the paper's
                                                 Algorithm 2 corrects neither moment)

    ``weight_decay`` adds weight_decay * p to g (L2 regularisation, as ``torch.optim.Adam``);
    for the decoupled kind use :class:`AdamW`. ``optimizer.state[p]`` holds ``"step"`` (t),
    ``"exp_avg"`` (m), ``"exp_avg_sq"`` (v) and, with amsgrad, ``"max_exp_avg_sq"`` (v_max).

    With ``fused=True`` the parameters of fewer than ``flat_size_limit`` numbers are stepped
    together, as PyTorch's foreach and fused Adam step a whole list at once: the rule is
    elementwise, so it can run once on flat arrays holding every small parameter's m and v
    one after another, with ``optimizer.state[p]`` holding views of p's part (see
    :class:`_FlatMoments`). The rule's ten array calls per parameter become ten in all, plus
    a copy of the gradients into one flat array; on a small model the calls, not the
    arithmetic, are the cost, and on a GPU each call is a kernel launch. The numbers are
    the same, to the last bit, as when each parameter is stepped alone.
    """

    _state_names = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    # The limit trades about ten array calls saved (6-10 us on the CPU) against copying the
    # parameter's gradient into the flat array and its part of the work through arrays that no
    # longer fit the cache together. Stepping a parameter of n float32 numbers with eight small
    # ones (demos/benchmark's tiny VAE), on one core: together saves 5 us at n = 1024 and 8192,
    # breaks even at 16384 and costs 7 us at 32768 and 10 us at 65536.
    flat_size_limit = 8192

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, *,
                 fused=None):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad))
        self.fused = True if fused is None else bool(fused)
        self._flats = {}         # ids of the parameters stepped together -> their _FlatMoments

    def _check_group(self, group):
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if not (lr >= 0 and 0 <= beta1 < 1 and 0 <= beta2 < 1 and eps >= 0 and weight_decay >= 0):
            raise ValueError(f"{type(self).__name__}: need lr >= 0, 0 <= betas < 1, eps >= 0, weight_decay >= 0; "
                             f"got lr={lr}, betas={group['betas']}, eps={eps}, weight_decay={weight_decay}")
        return dict(group, lr=float(lr), betas=(float(beta1), float(beta2)), eps=float(eps),
                    weight_decay=float(weight_decay), amsgrad=bool(group["amsgrad"]))

    def _decay(self, p, group):
        """L2 weight decay: the gradient Adam sees is grad + weight_decay * p (a new array, grad is left alone)."""
        g, weight_decay = p.grad.data, group["weight_decay"]
        return g + weight_decay * p.data if weight_decay else g

    def _state(self, p, amsgrad):
        """optimizer.state[p], with zero buffers the first time p is stepped."""
        state = self.state.get(p)
        if state is None:
            zeros = p.xp.zeros_like
            state = self.state[p] = {"step": 0, "exp_avg": zeros(p.data), "exp_avg_sq": zeros(p.data)}
        if amsgrad and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = p.xp.zeros_like(p.data)
        return state

    @no_grad()
    def step(self):
        """One Adam update of every parameter with a gradient: m, v, their bias corrections, then p (in place)."""
        for group in self.param_groups:
            if self.fused:
                self._step_fused(group)
                continue
            lr, (beta1, beta2), eps, amsgrad = group["lr"], group["betas"], group["eps"], group["amsgrad"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self._state(p, amsgrad)
                state["step"] += 1
                t, g, xp = state["step"], self._decay(p, group), p.xp
                m = state["exp_avg"] = beta1 * state["exp_avg"] + (1.0 - beta1) * g
                v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * g * g
                if amsgrad:
                    v = state["max_exp_avg_sq"] = xp.maximum(state["max_exp_avg_sq"], v)
                p.data -= lr * (m / (1.0 - beta1 ** t)) / (xp.sqrt(v / (1.0 - beta2 ** t)) + eps)

    def _step_fused(self, group):
        """The update of ``step`` for a group, written in place into the moment buffers and a work array.

        The bias corrections depend only on t, which the parameters of a group usually share:
        they are computed once per t, not once per parameter. The small parameters that share
        a device, a dtype and t are stepped together, on flat arrays (see :class:`_FlatMoments`);
        each large one is stepped alone, on its own buffers.
        """
        lr, (beta1, beta2), eps, amsgrad = group["lr"], group["betas"], group["eps"], group["amsgrad"]
        constants = {}                               # t -> (step_size, eps sqrt(1 - beta2^t))

        def at(t):
            if t not in constants:
                correction1, correction2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
                constants[t] = lr * math.sqrt(correction2) / correction1, eps * math.sqrt(correction2)
            return constants[t]
        together = {}                                # (device, dtype, t) -> the small parameters stepped together
        for p in group["params"]:
            if p.grad is None:
                continue
            if p.data.size < self.flat_size_limit and p.grad.dtype == p.dtype:
                state = self.state.setdefault(p, {"step": 0})
                together.setdefault((p.device, p.dtype, state["step"] + 1), []).append(p)
                continue
            state = self._state(p, amsgrad)
            t = state["step"] = state["step"] + 1
            m, v, v_max = state["exp_avg"], state["exp_avg_sq"], state.get("max_exp_avg_sq") if amsgrad else None
            p.data -= self._update(p.xp, self._decay(p, group), m, v, v_max, self._scratch(p), beta1, beta2,
                                   *at(t))
        for (_, _, t), params in together.items():
            flat = self._flat_moments(params, amsgrad)
            xp, states = params[0].xp, [self.state[p] for p in params]
            xp.concatenate([self._decay(p, group) for p in params], axis=None, out=flat.grad)
            steps = self._update(xp, flat.grad, flat.exp_avg, flat.exp_avg_sq, flat.max_exp_avg_sq if amsgrad
                                 else None, flat.work, beta1, beta2, *at(t))
            for p, state, (start, stop) in zip(params, states, flat.bounds):
                state["step"] = t
                p.data -= steps[start:stop].reshape(p.shape)

    @staticmethod
    def _update(xp, g, m, v, v_max, buf, beta1, beta2, step_size, eps_hat):
        """Update m, v (and v_max) in place with the gradient g; return buf = step_size m / (sqrt(v) + eps_hat).

        The same calls whether the arrays belong to one parameter or are the flat arrays of
        several: elementwise, so each number comes out the same either way, to the last bit.
        """
        m *= beta1                                   # m <- beta1 m + (1 - beta1) g
        xp.multiply(g, 1.0 - beta1, out=buf)
        m += buf
        v *= beta2                                   # v <- beta2 v + (1 - beta2) g^2
        xp.multiply(g, g, out=buf)
        buf *= 1.0 - beta2
        v += buf
        if v_max is not None:                        # v_max <- max(v_max, v), used in place of v
            v = xp.maximum(v_max, v, out=v_max)
        xp.sqrt(v, out=buf)                          # step_size m / (sqrt(v) + eps sqrt(1 - beta2^t))
        buf += eps_hat
        xp.divide(m, buf, out=buf)
        buf *= step_size
        return buf

    def _flat_moments(self, params, amsgrad):
        """The flat arrays of these parameters, made anew (from their state) unless the state still holds their views.

        The state no longer holds them after load_state_dict, or an assignment to
        ``optimizer.state[p]["exp_avg"]``; and the set of parameters changes when one of them
        has no gradient in a step. A layout made anew replaces every older one that shares a
        parameter with it, so that no moment lives in two places.
        """
        key = tuple(map(id, params))
        flat = self._flats.get(key)
        if flat is None or not flat.holds([self.state[p] for p in params], amsgrad):
            for other in [k for k in self._flats if not set(k).isdisjoint(key)]:
                del self._flats[other]
            flat = self._flats[key] = _FlatMoments(params, [self.state[p] for p in params], amsgrad)
        return flat


class _FlatMoments:
    """The moments of several small parameters in one flat array each, and two work arrays of that length.

    ``exp_avg`` is m of every parameter, one after another (``bounds`` says where each
    begins and ends), and so are ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``.
    ``optimizer.state[p]`` holds views of p's part, shaped like p, so that state_dict,
    load_state_dict and user code see the per-parameter arrays that they would see otherwise.
    Adam's rule is elementwise, so one call on the flat arrays does the work of one call per
    parameter: on a small model the calls, not the arithmetic, are the cost (on a GPU, each
    call is a kernel launch), and the rule's ten calls per parameter become ten in all, plus
    one copy of the gradients into ``grad`` and one subtraction per parameter.
    """

    def __init__(self, params, states, amsgrad):
        xp, dtype = params[0].xp, params[0].dtype
        stops = list(itertools.accumulate(p.data.size for p in params))
        self.bounds = list(zip([0] + stops[:-1], stops))
        self.grad, self.work = xp.empty(stops[-1], dtype), xp.empty(stops[-1], dtype)
        self.names = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
        self.views = [{} for _ in params]
        for name in self.names:
            flat = xp.zeros(stops[-1], dtype)
            setattr(self, name, flat)
            for p, state, views, (start, stop) in zip(params, states, self.views, self.bounds):
                view = views[name] = flat[start:stop].reshape(p.shape)
                if name in state:                    # the moments so far (a layout made before, or loaded)
                    view[...] = state[name]
                state[name] = view

    def holds(self, states, amsgrad):
        """Whether the state still holds this layout's views (and its v_max, if amsgrad is wanted now)."""
        return ((not amsgrad or "max_exp_avg_sq" in self.names)
                and all(state.get(name) is view for state, views in zip(states, self.views)
                        for name, view in views.items()))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay
    Regularization", ICLR 2019, arXiv:1711.05101): before the Adam step,

        p <- p - lr weight_decay p

    Unlike L2 decay added to the gradient, this shrinkage is not divided by sqrt(v_hat),
    so every weight decays at the same rate whatever the size of its gradients. As in
    PyTorch the decay is multiplied by lr (the paper's schedule multiplier times its own
    decay rate), and ``amsgrad=True`` applies to the Adam step as in :class:`Adam`.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, fused=fused)

    def _decay(self, p, group):
        if group["weight_decay"]:
            p.data *= 1.0 - group["lr"] * group["weight_decay"]
        return p.grad.data
