"""PyTorch eager: the VAE as a torch.nn.Module, trained with torch.optim.Adam.

Two entries in the tables: "torch", Adam as it comes (on the CPU: a loop over the
parameters), and "torch-fused", Adam(fused=True) (one kernel updates all parameters).
"""
import time

from ..chain import chain as op_chain
from ..presets import LR, PARAMETER_NAMES, SEED, sizes_of
from ..runner import Runner, Skip, require


def vae(torch, params, device="cpu"):
    """A torch.nn.Module VAE holding these weights (a dict of NumPy arrays); forward(x, eps) is the loss."""
    F = torch.nn.functional
    D, H, Z = sizes_of(params)

    class VAE(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.Sequential(torch.nn.Linear(D, H), torch.nn.ReLU(), torch.nn.Linear(H, 2 * Z))
            self.decoder = torch.nn.Sequential(torch.nn.Linear(Z, H), torch.nn.ReLU(), torch.nn.Linear(H, D))

        def forward(self, x, eps):
            loc, log_var = self.encoder(x).chunk(2, dim=-1)
            scale = torch.exp(0.5 * log_var)
            z = loc + scale * eps
            logits = self.decoder(z)
            log_px = (x * logits - F.softplus(logits)).sum(-1)
            kl = 0.5 * (scale * scale + loc * loc - 1.0 - log_var).sum(-1)
            return (kl - log_px).mean()

    model = VAE().to(torch.device(device))
    with torch.no_grad():   # the same layout as minigrad's: a weight is (out, in)
        for name, p in zip(PARAMETER_NAMES, model.parameters()):
            p.copy_(torch.from_numpy(params[name]))
    return model


def _build(setup, fused):
    torch = require("torch")
    torch.set_num_threads(setup.threads)
    torch.manual_seed(SEED)
    if setup.device == "cuda" and not torch.cuda.is_available():
        raise Skip(f"this PyTorch ({torch.__version__}) sees no CUDA device")
    model = vae(torch, setup.params, setup.device)
    try:
        optimizer = torch.optim.Adam(model.parameters(), lr=LR, fused=fused or None)
    except (RuntimeError, ValueError) as e:
        raise Skip(f"Adam(fused=True) is not supported here: {e}") from None
    x = torch.from_numpy(setup.x).to(setup.device)
    noise_shape = (setup.config.batch, setup.config.latent)

    def step():
        loss = model(x, torch.randn(noise_shape, device=x.device))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.detach()

    if setup.device == "cuda":
        def peak():
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            before = torch.cuda.memory_allocated()
            step()
            torch.cuda.synchronize()
            return torch.cuda.max_memory_allocated() - before, "torch.cuda"
        return Runner(step, torch.cuda.synchronize, peak)
    return Runner(step)   # PyTorch's CPU allocations are invisible to tracemalloc


def build_eager(setup):
    return _build(setup, fused=False)


def build_fused(setup):
    return _build(setup, fused=True)


def loss(params, x, eps):
    torch = require("torch")
    with torch.no_grad():
        return vae(torch, params)(torch.from_numpy(x), torch.from_numpy(eps)).item()


def chain(x0, n):
    torch = require("torch")
    x = torch.tensor(x0, requires_grad=True)
    start = time.perf_counter()
    y = op_chain(x, torch.exp, torch.log, n).sum()
    middle = time.perf_counter()
    y.backward()
    return middle - start, time.perf_counter() - middle
