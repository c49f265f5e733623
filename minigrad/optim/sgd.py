"""Stochastic gradient descent, with momentum or Nesterov momentum, as ``torch.optim.SGD``."""
from ..autograd import no_grad
from .optimizer import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, Nesterov momentum and weight decay (PyTorch's formula).

    For each parameter p with gradient g, at every step:

        g <- g + weight_decay p                     L2 regularisation, added to the gradient
        b <- g                                      at the first step (b: the momentum buffer)
        b <- momentum b + (1 - dampening) g         at the later ones
        g <- g + momentum b    (nesterov=True),  else  g <- b
        p <- p - lr g

    The buffer lines are skipped when momentum = 0 (plain SGD: p <- p - lr g).

    Nesterov momentum (Sutskever, Martens, Dahl & Hinton, "On the importance of
    initialization and momentum in deep learning", ICML 2013, eqs. 3-4) takes the gradient
    at a look-ahead point theta + momentum v. Written for that look-ahead point, p =
    theta + momentum v, with the velocity v = -lr b (lr constant), the paper's two lines
    become the two above: the gradient is taken at the parameters themselves, which is
    what an optimizer has. This is PyTorch's form; it needs momentum > 0 and dampening = 0.

    ``params`` is a list of tensors or of parameter groups (see :class:`Optimizer`); the
    keyword arguments are the defaults of every group. ``optimizer.state[p]`` holds
    ``"momentum_buffer"`` (b) once p has been stepped with momentum.
    """

    _state_names = ("momentum_buffer",)

    def __init__(self, params, lr=1e-2, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov))

    def _check_group(self, group):
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        if not (lr >= 0 and momentum >= 0 and weight_decay >= 0):
            raise ValueError(f"SGD: lr, momentum and weight_decay must be >= 0, got {lr}, {momentum}, {weight_decay}")
        if group["nesterov"] and (momentum <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: Nesterov momentum needs momentum > 0 and dampening = 0, got momentum={momentum}, "
                             f"dampening={group['dampening']}")
        return dict(group, lr=float(lr), momentum=float(momentum), dampening=float(group["dampening"]),
                    weight_decay=float(weight_decay), nesterov=bool(group["nesterov"]))

    @no_grad()
    def step(self):
        """One update of every parameter with a gradient, by the rule above (under no_grad, in place)."""
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                xp, g, buf = p.xp, p.grad.data, self._scratch(p)
                if weight_decay:                       # g <- g + weight_decay p, in the work array
                    xp.multiply(p.data, weight_decay, out=buf)
                    buf += g
                    g = buf
                if momentum:
                    state = self.state.setdefault(p, {})
                    b = state.get("momentum_buffer")
                    if b is None:                      # b <- g at the first step
                        b = state["momentum_buffer"] = g.copy()
                    else:                              # b <- momentum b + (1 - dampening) g
                        b *= momentum
                        b += g if dampening == 0 else (1.0 - dampening) * g
                    if nesterov:                       # g <- g + momentum b
                        xp.add(g, momentum * b, out=buf)
                        g = buf
                    else:
                        g = b
                xp.multiply(g, lr, out=buf)            # p <- p - lr g
                p.data -= buf
