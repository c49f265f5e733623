"""Optimizers: rules that move parameters against their gradients, as in ``torch.optim``.

    optimizer = mg.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = mg.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss = model.loss(x, y)
            loss.backward()
            optimizer.step()
        scheduler.step()

One file per rule, as in PyTorch: the base class (parameter groups, state, saving) in
optimizer.py, then sgd.py, adam.py (Adam and AdamW), the schedules in lr_scheduler.py and
gradient clipping in clip_grad.py.

An update is not part of any graph, so ``step()`` runs under :func:`minigrad.no_grad`
and works on the arrays directly: ``p.data -= ...`` with the ufuncs of ``p.xp`` (NumPy
or CuPy), writing into buffers kept from step to step instead of allocating new
arrays (``xp.multiply(g, c, out=buf)``). Gradients are only read: an optimizer never
writes into ``p.grad``.
"""
from . import lr_scheduler
from .adam import Adam, AdamW
from .clip_grad import clip_grad_norm_
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "clip_grad_norm_", "lr_scheduler"]
