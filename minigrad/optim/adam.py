"""Adam and AdamW, with the AMSGrad variant, as ``torch.optim.Adam`` and ``torch.optim.AdamW``."""
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
    """

    _state_names = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, *,
                 fused=None):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad))
        self.fused = True if fused is None else bool(fused)

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
        """The update of ``step`` for a group, written in place into each parameter's buffers and one work array.

        The bias corrections depend only on t, which the parameters of a group usually share:
        they are computed once per t, not once per parameter.
        """
        lr, (beta1, beta2), eps, amsgrad = group["lr"], group["betas"], group["eps"], group["amsgrad"]
        constants = {}                               # t -> (step_size, eps sqrt(1 - beta2^t))
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self._state(p, amsgrad)
            t = state["step"] = state["step"] + 1
            if t not in constants:
                correction1, correction2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
                constants[t] = lr * math.sqrt(correction2) / correction1, eps * math.sqrt(correction2)
            step_size, eps_hat = constants[t]
            xp, g, buf = p.xp, self._decay(p, group), self._scratch(p)
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m *= beta1                               # m <- beta1 m + (1 - beta1) g
            xp.multiply(g, 1.0 - beta1, out=buf)
            m += buf
            v *= beta2                               # v <- beta2 v + (1 - beta2) g^2
            xp.multiply(g, g, out=buf)
            buf *= 1.0 - beta2
            v += buf
            if amsgrad:                              # v_max <- max(v_max, v), used in place of v
                v = xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            xp.sqrt(v, out=buf)                      # p <- p - step_size m / (sqrt(v) + eps sqrt(1 - beta2^t))
            buf += eps_hat
            xp.divide(m, buf, out=buf)
            buf *= step_size
            p.data -= buf


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
