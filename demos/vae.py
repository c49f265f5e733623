# %% [markdown]
# # A variational autoencoder on binarized MNIST
#
# This demo trains the variational autoencoder (VAE) of Kingma & Welling (2014), "Auto-Encoding
# Variational Bayes" ([arXiv:1312.6114](https://arxiv.org/abs/1312.6114)), on binarized digits,
# with the model and schedule of the
# [PyTorch example](https://github.com/pytorch/examples/tree/main/vae), and draws what it learned:
# reconstructions, samples, the latent space, and with a 2-D code the learned manifold.
# `docs/vae.md` explains the model and reports longer runs; `minigrad/models/vae.py` builds it.
#
# **Program, module and notebook.** This file is a [Jupytext](https://jupytext.readthedocs.io)
# percent script: `# %%` starts a code cell, `# %% [markdown]` a text cell like this one.
#
# - Program: `python demos/vae.py` trains the 784-400-20 model for 30 epochs and writes
#   `metrics.json`, `elbo.png`, `reconstructions.png`, `samples.png`, `latent.png` and a checkpoint
#   to `demo_out/vae`; `python demos/vae.py --latent 2 --out demo_out/vae2d` trains a 2-D code and
#   adds `manifold.png`; `python demos/vae.py --epochs 100 --resume` carries on from the
#   checkpoint; `python demos/vae.py --arch conv --out demo_out/vae-conv` trains a convolutional
#   encoder and decoder instead of the MLPs. `--help` lists the options.
# - Module: importing the file only defines things; `main(argv)` runs the demo on a list of
#   arguments and returns the metrics (the tests do this).
# - Notebook: `jupytext --to notebook demos/vae.py`, or, with jupytext installed, open the `.py`
#   file in Jupyter (right click, *Open With → Notebook*); run the cells top to bottom.
#
# The next cell sets `NOTEBOOK = __name__ == "__main__" and "ipykernel" in sys.modules`, and
# both halves are needed. A notebook runs as `__main__`, as a program does, but its `sys.argv`
# holds the Jupyter kernel's own arguments (`-f kernel.json`), which `argparse` would reject. A
# module imported from a notebook has `ipykernel` loaded too, but its `__name__` is its own. The
# cells at the end run `main` and show its pictures only when `NOTEBOOK` is true, and the last
# cell reads the command line only when the file runs as a program.
# (`%run demos/vae.py` inside Jupyter therefore counts as a notebook and ignores its
# arguments; call `main([...])` there instead.)

# %%
"""Train a variational autoencoder on binarized MNIST digits and draw what it learned.

    python demos/vae.py                                   # 30 epochs of the default 784-400-20 model, in demo_out/vae
    python demos/vae.py --latent 2 --out demo_out/vae2d   # a 2-D code: adds the manifold picture
    python demos/vae.py --epochs 100 --resume             # carry on from demo_out/vae/checkpoint.npz
    python demos/vae.py --arch conv --out demo_out/vae-conv   # convolutional encoder and decoder

The explanation is in the Markdown cells of this file, which opens as a notebook (see the first cell).
"""
import argparse
import json
import os
import sys
import time

import numpy

# Run from a checkout: put the repository on the path. A notebook has no __file__; Jupyter starts
# its kernel in the notebook's folder (demos/).
HERE = os.path.dirname(os.path.abspath(__file__)) if "__file__" in globals() else os.getcwd()
sys.path.insert(0, os.path.join(HERE, ".."))
import minigrad as mg  # noqa: E402

NOTEBOOK = __name__ == "__main__" and "ipykernel" in sys.modules   # in a Jupyter kernel, not imported

EVAL_SEED = 12345   # the test ELBO is estimated with the same draws after every epoch


# %% [markdown]
# ## The model, the bound and the options
#
# A code $z \in \mathbb{R}^{20}$ is drawn from the prior $p(z) = \mathcal{N}(0, I)$, and a decoder
# MLP (20-400-784, ReLU) turns it into one Bernoulli logit $\ell_j(z)$ per pixel:
# $p_\theta(x \mid z) = \prod_j \mathrm{Bernoulli}(x_j;\, \mathrm{sigmoid}(\ell_j(z)))$. The
# posterior $p(z \mid x)$ is intractable, so an encoder MLP (784-400-(20+20)) maps each image to a
# diagonal Gaussian $q_\phi(z \mid x) = \mathcal{N}(\mu(x), \operatorname{diag} s(x)^2)$ that stands
# in for it. Encoder and decoder are trained together by maximizing the evidence lower bound
#
# $$\log p_\theta(x) \;\ge\; \mathcal{L}(x) = \mathbb{E}_{q_\phi(z \mid x)}[\log p_\theta(x \mid z)]
# - \mathrm{KL}(q_\phi(z \mid x)\,\|\,p(z)),$$
#
# with the KL in closed form, $\tfrac{1}{2} \sum_j (\mu_j^2 + s_j^2 - 1 - \log s_j^2)$ (Kingma &
# Welling, appendix B; `--kl mc` estimates it from the draw instead), and the first term from one
# draw $z = \mu + s \odot \epsilon$, $\epsilon \sim \mathcal{N}(0, I)$. Written so, $z$ is a
# differentiable function of the encoder's outputs and the gradient flows through the draw: the
# pathwise (reparameterization) estimator. `--estimator score` uses the score function
# (REINFORCE) instead, with the other digits of the batch as baseline; `demos/estimators.py`
# compares the two.
#
# After training, the demo also reports the importance-weighted bound of Burda, Grosse &
# Salakhutdinov (2016), [arXiv:1509.00519](https://arxiv.org/abs/1509.00519): with $k$ draws
# $z_i \sim q$ (`--iwae-k`, 100), $\log \frac{1}{k} \sum_i p(x, z_i) / q(z_i \mid x)$, a tighter
# bound on $\log p(x)$ than the ELBO. The optimizer is Adam (Kingma & Ba 2015,
# [arXiv:1412.6980](https://arxiv.org/abs/1412.6980)), learning rate $10^{-3}$, batches of 128.
# The data are the 8,000 training digits of `mg.data.load_mnist()`, binarized afresh every epoch
# (a pixel is 1 with probability its grey level); test numbers are on its 2,000 test digits,
# binarized once.
#
# **A convolutional VAE** (`--arch conv`). The MLPs see an image as 784 unrelated numbers. A
# convolutional encoder reads it as a picture: `Conv2d(1, 32, 4, stride=2, padding=1)` (28x28 →
# 14x14) - ReLU - `Conv2d(32, 64, 4, stride=2, padding=1)` (→ 7x7) - ReLU - `Linear(64·7·7,
# 2·latent)`. The decoder runs the same way back, with transposed convolutions (each the adjoint
# of a strided convolution: it doubles the height and width): `Linear(latent, 64·7·7)` - ReLU -
# `ConvTranspose2d(64, 32, 4, stride=2, padding=1)` (→ 14x14) - ReLU - `ConvTranspose2d(32, 1, 4,
# stride=2, padding=1)` (→ 28x28 logits). The layout is that of the DCGAN generator and
# discriminator (Radford, Metz & Chintala 2016, [arXiv:1511.06434](https://arxiv.org/abs/1511.06434)),
# without batch normalization. Everything else (bound, likelihood, estimators, evaluation) is
# `mg.models.VAE`'s: `ConvVAE` below only swaps its two networks, which take and give images as
# rows of 784 values like the MLPs.

# %%
class ConvEncoder(mg.nn.Module):
    """Images as rows (..., 784) -> (..., 2 latent): conv 32 (4x4, stride 2) - conv 64 (4x4, stride 2) - linear."""

    def __init__(self, latent, dtype=None, device=None):
        self.conv1 = mg.nn.Conv2d(1, 32, 4, stride=2, padding=1, dtype=dtype, device=device)    # 28x28 -> 14x14
        self.conv2 = mg.nn.Conv2d(32, 64, 4, stride=2, padding=1, dtype=dtype, device=device)   # 14x14 -> 7x7
        self.linear = mg.nn.Linear(64 * 7 * 7, 2 * latent, dtype=dtype, device=device)

    def forward(self, x):
        batch = x.shape[:-1]
        h = mg.relu(self.conv1(x.reshape(-1, 1, 28, 28)))
        h = mg.relu(self.conv2(h))
        return self.linear(h.reshape(h.shape[0], -1)).reshape(*batch, -1)


class ConvDecoder(mg.nn.Module):
    """Codes (n, latent) -> pixel parameters as rows (n, channels 784): linear - convT 32 - convT ``channels``."""

    def __init__(self, latent, channels=1, dtype=None, device=None):
        self.linear = mg.nn.Linear(latent, 64 * 7 * 7, dtype=dtype, device=device)
        self.deconv1 = mg.nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1, dtype=dtype, device=device)  # -> 14x14
        self.deconv2 = mg.nn.ConvTranspose2d(32, channels, 4, stride=2, padding=1, dtype=dtype,
                                             device=device)                                               # -> 28x28

    def forward(self, z):
        h = mg.relu(self.linear(z)).reshape(-1, 64, 7, 7)
        h = mg.relu(self.deconv1(h))
        return self.deconv2(h).reshape(z.shape[0], -1)   # channel by channel: (mean, log std) for gaussian-learned


class ConvVAE(mg.models.VAE):
    """mg.models.VAE with a convolutional encoder and decoder for 28x28 images.

    VAE's methods (encode, decode, elbo, iwae_bound, sample, ...) use only the attributes set
    here: the two networks, which take and give images as rows of 784 values as the MLPs do, and
    the sizes and options. So nothing else changes; VAE.__init__, which builds MLPs, is not called.
    """

    def __init__(self, latent=20, likelihood="bernoulli", estimator="pathwise", obs_scale=1.0, min_scale=0.0,
                 dtype=None, device=None):
        if likelihood not in mg.models.vae.LIKELIHOODS or estimator not in mg.models.vae.ESTIMATORS:
            raise ValueError(f"ConvVAE: likelihood {likelihood!r} or estimator {estimator!r} is unknown")
        self.x_dim, self.latent, self.likelihood, self.estimator = 784, latent, likelihood, estimator
        self.obs_scale, self.min_scale = obs_scale, min_scale
        self.encoder = ConvEncoder(latent, dtype, device)
        self.decoder = ConvDecoder(latent, 2 if likelihood == "gaussian-learned" else 1, dtype, device)


def build_model(args):
    """The VAE of ``--arch``: mg.models.VAE with MLPs of ``--hidden`` widths, or the ConvVAE."""
    options = dict(likelihood=args.likelihood, estimator=args.estimator, obs_scale=args.obs_scale,
                   min_scale=args.min_scale, device=args.device)
    if args.arch == "conv":
        return ConvVAE(args.latent, **options)
    return mg.models.VAE(784, args.hidden, args.latent, **options)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--latent", type=int, default=20, help="size of the code z")
    parser.add_argument("--arch", choices=("mlp", "conv"), default="mlp",
                        help="MLP encoder and decoder, or convolutional ones (see ConvVAE)")
    parser.add_argument("--hidden", type=int, nargs="+", default=[400], help="hidden width(s) of the MLPs")
    parser.add_argument("--likelihood", choices=mg.models.vae.LIKELIHOODS, default="bernoulli")
    parser.add_argument("--obs-scale", type=float, default=0.2, help="std of the 'gaussian' likelihood")
    parser.add_argument("--min-scale", type=float, default=0.05,
                        help="floor on the std of 'gaussian-learned' (0 lets it collapse: see vae_pitfalls.py)")
    parser.add_argument("--kl", choices=("analytic", "mc"), default="analytic")
    parser.add_argument("--estimator", choices=mg.models.vae.ESTIMATORS, default="pathwise",
                        help="encoder gradient: reparameterization or REINFORCE with a baseline")
    parser.add_argument("--device", default="cpu", help=f"one of {mg.devices()}")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join("demo_out", "vae"), help="folder for pictures and metrics")
    parser.add_argument("--checkpoint", default=None,
                        help="checkpoint file (default: %(default)s, i.e. OUT/checkpoint.npz)")
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint if it exists")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--data", default=None,
                        help="folder of the official MNIST IDX files (default: %(default)s, i.e. the embedded digits)")
    parser.add_argument("--train-size", type=int, default=None, help="use only the first N training digits")
    parser.add_argument("--test-size", type=int, default=None, help="use only the first N test digits")
    parser.add_argument("--iwae-k", type=int, default=100, help="draws for the final importance-weighted bound")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (without it, one only on a terminal)")
    parser.add_argument("--no-pictures", action="store_true", help="write metrics.json and the checkpoint only")
    return parser.parse_args(argv)


# %% [markdown]
# ## Checkpoints that resume exactly
#
# A checkpoint is saved after every epoch. `--resume` continues from it and gives the same
# numbers as a run that was never interrupted, because every epoch draws its randomness from
# generators seeded by (seed, epoch), not from whatever state the last run left behind. A
# checkpoint of another model (other latent size, likelihood, ...) is refused.

# %%
def save_checkpoint(path, model, optimizer, epoch, history, config):
    """Everything needed to continue: weights, Adam's moments, the epoch reached (mg.save is atomic)."""
    mg.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
             "history": history, "config": config}, path)


def load_checkpoint(path, model, optimizer, config):
    """Restore model and optimizer from ``path``; return (epochs done, history).

    A checkpoint of earlier minigrad (format minigrad-checkpoint-1: Linear weights stored as
    (in, out), Sequential layers named ``layers.N``) loads too: ``load_state_dict`` converts
    the model's state, and Adam's moments of each Linear weight are transposed with it.
    """
    state = mg.load(path)
    ignored = ("device", "epochs", "out", "checkpoint", "resume", "no_progress", "no_pictures", "iwae_k")
    wanted = {k: v for k, v in config.items() if k not in ignored}
    saved_config = {"arch": "mlp", **state["config"]}   # checkpoints from before --arch are of MLPs
    saved = {k: saved_config.get(k) for k in wanted}
    if saved != wanted:
        raise ValueError(f"--resume: the checkpoint {path} was made with {saved}, this run asks for {wanted}")
    model.load_state_dict(state["model"])
    optimizer_state = state["optimizer"]
    if getattr(optimizer_state, "format", None) == mg.serialization.LEGACY_FORMAT:
        optimizer_state = mg.nn.module.upgrade_legacy_optimizer_state(model, optimizer, optimizer_state)
    optimizer.load_state_dict(optimizer_state)
    return state["epoch"], state["history"]


# %% [markdown]
# ## Training and evaluation
#
# One epoch binarizes and shuffles the training digits with this epoch's generator, then takes
# one Adam step on $-\mathcal{L}$, averaged over each batch. The test ELBO uses one draw per digit,
# the same draws after every epoch (`EVAL_SEED`), so that its changes come from the model.

# %%
def train_epoch(model, optimizer, images, epoch, args, tqdm):
    """One pass over freshly binarized, reshuffled training digits; returns the mean training ELBO."""
    rng = mg.backend.host_generator([args.seed, epoch])   # this epoch's shuffling and binarization ...
    mg.random.seed(int(rng.integers(2 ** 31)))             # ... and its draws of z
    x = mg.data.binarize(images, rng)
    batches = mg.data.BatchIterator(x, batch_size=args.batch_size, shuffle=True, rng=rng, device=args.device)
    bar = tqdm(batches, desc=f"epoch {epoch + 1}/{args.epochs}", leave=False, disable=args.no_progress or None)
    total, count = 0.0, 0
    for xb in bar:
        optimizer.zero_grad()
        elbo = model.elbo(xb, kl=args.kl).elbo.mean()
        (-elbo).backward()
        optimizer.step()
        total += elbo.item() * len(xb)
        count += len(xb)
        bar.set_postfix(elbo=f"{total / count:.2f}")
    return total / count


@mg.no_grad()
def evaluate(model, images, device, kl="analytic", batch_size=500):
    """Mean test ELBO with one draw per digit, the same draws every time (EVAL_SEED)."""
    mg.random.seed(EVAL_SEED)
    total = 0.0
    for x in mg.data.BatchIterator(images, batch_size=batch_size, device=device):
        total += model.elbo(x, kl=kl).elbo.sum().item()
    return total / len(images)


@mg.no_grad()
def evaluate_iwae(model, images, device, k, batch_size=50):
    """Mean importance-weighted bound with k draws per digit (a tighter estimate of log p(x))."""
    mg.random.seed(EVAL_SEED + 1)
    total = 0.0
    for x in mg.data.BatchIterator(images, batch_size=batch_size, device=device):
        total += model.iwae_bound(x, k).sum().item()
    return total / len(images)


# %% [markdown]
# ## Pictures
#
# Every picture's title describes the run (model, likelihood, KL, encoder gradient, schedule),
# so that pictures of two runs cannot be mistaken for each other. With more than two latent
# dimensions, the latent picture shows the posterior means projected on their first two
# principal components. With `--latent 2` the demo also decodes a grid of codes spaced by the
# prior's quantiles, as in figure 4 of Kingma & Welling.

# %%
def grid(images, rows, cols, size=28):
    """Images (n, size*size) tiled into one (rows*size, cols*size) array."""
    tiles = numpy.zeros((rows * cols, size, size))
    tiles[:len(images)] = images[:rows * cols].reshape(-1, size, size)
    return tiles.reshape(rows, cols, size, size).transpose(0, 2, 1, 3).reshape(rows * size, cols * size)


def describe_run(args, epochs, train_size):
    """What was trained, in the words of the command line: the model, its likelihood, the encoder's
    gradient estimator and the schedule. Every picture carries it, so that two runs can be told apart."""
    estimator = {"pathwise": "pathwise (reparameterized)", "score": "score-function (REINFORCE)"}[args.estimator]
    likelihood = args.likelihood + (f" (std {args.obs_scale:g})" if args.likelihood == "gaussian" else "")
    model = (f"conv VAE: conv 32-64 / convT 32-1 (4x4, stride 2), latent {args.latent}\n" if args.arch == "conv"
             else f"VAE 784-{'-'.join(map(str, args.hidden))}-{args.latent}, ")
    return (f"{model}{likelihood} likelihood, {args.kl} KL, "
            f"{estimator} encoder gradient\n{epochs} epochs on {train_size} digits, batch {args.batch_size}, "
            f"Adam lr {args.lr:g}, seed {args.seed}")


def draw_pictures(model, data, history, args, plt, train_size):
    from matplotlib.ticker import MaxNLocator
    out = args.out
    epochs = numpy.arange(1, len(history["train_elbo"]) + 1)
    run = describe_run(args, len(epochs), train_size)
    fig, ax = plt.subplots(figsize=(7, 4.8))
    ax.plot(epochs, history["train_elbo"], "o-", markersize=3, label="train (mean over the epoch, binarized afresh)")
    ax.plot(epochs, history["test_elbo"], "o-", markersize=3,
            label=f"test ({len(data.test_images)} digits, after the epoch)")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("ELBO (nats per digit, higher is better)")
    ax.set_title(f"ELBO during training\n{run}", fontsize=9)
    ax.legend(fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "elbo.png"), dpi=100)
    plt.close(fig)

    x = data.test_images[:10]
    recon = model.reconstruct(mg.tensor(x, device=args.device)).numpy()
    fig, ax = plt.subplots(figsize=(8, 2))
    ax.imshow(numpy.concatenate([grid(x, 1, 10), grid(recon, 1, 10)]), cmap="gray")
    ax.set_title(f"test digits (top) and their reconstructions (bottom)\n{run}", fontsize=8)
    ax.axis("off")
    fig.savefig(os.path.join(out, "reconstructions.png"), dpi=100, bbox_inches="tight")
    plt.close(fig)

    mg.random.seed(EVAL_SEED + 2)
    samples = model.sample(64).numpy()
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(grid(samples, 8, 8), cmap="gray")
    ax.set_title(f"decoded draws z ~ N(0, I) (pixel probabilities)\n{run}", fontsize=8)
    ax.axis("off")
    fig.savefig(os.path.join(out, "samples.png"), dpi=100, bbox_inches="tight")
    plt.close(fig)

    with mg.no_grad():
        codes = numpy.concatenate([model.encode(xb).loc.numpy() for xb in
                                   mg.data.BatchIterator(data.test_images, batch_size=500, device=args.device)])
    if args.latent > 2:   # show the plane of the two directions along which the codes vary most (PCA)
        centred = codes - codes.mean(0)
        _, _, directions = numpy.linalg.svd(centred, full_matrices=False)
        codes, axes = centred @ directions[:2].T, ("first principal component", "second principal component")
    else:
        axes = ("z1", "z2")
    fig, ax = plt.subplots(figsize=(6, 5))
    scatter = ax.scatter(codes[:, 0], codes[:, 1], c=data.test_labels, cmap="tab10", s=4)
    fig.colorbar(scatter, ax=ax, ticks=range(10), label="digit")
    ax.set_xlabel(axes[0])
    ax.set_ylabel(axes[1])
    ax.set_title(f"posterior means of the {len(codes)} test digits"
                 f"{' (first two principal components)' if args.latent > 2 else ''}\n{run}", fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "latent.png"), dpi=100)
    plt.close(fig)

    if args.latent == 2:
        draw_manifold(model, args, plt, run)


def draw_manifold(model, args, plt, run, n=20):
    """Decode a grid of codes, spaced by the prior's quantiles (Kingma & Welling 2014, figure 4)."""
    from statistics import NormalDist
    quantiles = [NormalDist().inv_cdf(p) for p in numpy.linspace(0.05, 0.95, n)]
    z = numpy.array([[zx, zy] for zy in quantiles[::-1] for zx in quantiles], dtype=numpy.float32)
    with mg.no_grad():
        images = model.decode(mg.tensor(z, device=args.device)).mean.numpy()
    fig, ax = plt.subplots(figsize=(8, 8))
    ax.imshow(grid(images, n, n), cmap="gray")
    ax.set_title(f"the learned 2-D manifold: decoded codes on a grid of prior quantiles 5%...95%\n"
                 f"(z1 grows from left to right, z2 from bottom to top)\n{run}", fontsize=9)
    ax.axis("off")
    fig.savefig(os.path.join(args.out, "manifold.png"), dpi=100, bbox_inches="tight")
    plt.close(fig)


# %% [markdown]
# ## The demo: `main(argv)`
#
# `main` parses the arguments, loads the data, builds the model and Adam, resumes if asked, then
# trains and evaluates epoch by epoch, printing the train and test ELBO and saving a checkpoint.
# It ends with the IWAE bound, `metrics.json` and the pictures, drawn with matplotlib's file
# backend (Agg).

# %%
def main(argv=None):
    args = parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    os.makedirs(args.out, exist_ok=True)
    checkpoint = args.checkpoint or os.path.join(args.out, "checkpoint.npz")
    data = mg.data.load_mnist(args.data)
    if args.test_size is not None:
        n = args.test_size
        data = data._replace(test_images=data.test_images[:n], test_labels=data.test_labels[:n])
    train_images = data.train_images[:args.train_size]
    config = {"arch": args.arch, "latent": args.latent, "hidden": args.hidden, "likelihood": args.likelihood,
              "kl": args.kl, "obs_scale": args.obs_scale, "min_scale": args.min_scale,
              "estimator": args.estimator, "seed": args.seed, "batch_size": args.batch_size, "lr": args.lr,
              "device": args.device, "train_size": len(train_images), "test_size": len(data.test_images),
              "data": args.data or "embedded mnist10k (minigrad/data/ATTRIBUTION.md)"}

    mg.random.seed(args.seed)   # the initial weights
    model = build_model(args)
    optimizer = mg.optim.Adam(model.parameters(), lr=args.lr)
    history = {"train_elbo": [], "test_elbo": [], "train_seconds": []}
    start = 0
    if args.resume and os.path.exists(checkpoint):
        start, history = load_checkpoint(checkpoint, model, optimizer, config)
        print(f"resuming from {checkpoint} after epoch {start}")

    began = time.perf_counter()
    for epoch in range(start, args.epochs):
        tick = time.perf_counter()
        train_elbo = train_epoch(model, optimizer, train_images, epoch, args, tqdm)
        seconds = time.perf_counter() - tick
        test_elbo = evaluate(model, data.test_images, args.device, args.kl)
        history["train_elbo"].append(train_elbo)
        history["test_elbo"].append(test_elbo)
        history["train_seconds"].append(seconds)
        print(f"epoch {epoch + 1:3d}  train ELBO {train_elbo:8.2f}  test ELBO {test_elbo:8.2f}  ({seconds:.2f} s)",
              flush=True)
        save_checkpoint(checkpoint, model, optimizer, epoch + 1, history, config)

    iwae = evaluate_iwae(model, data.test_images, args.device, args.iwae_k)
    seconds_per_epoch = float(numpy.mean(history["train_seconds"])) if history["train_seconds"] else float("nan")
    metrics = {"test_elbo": history["test_elbo"][-1] if history["test_elbo"] else None,
               f"test_iwae_{args.iwae_k}": iwae, "epochs": len(history["test_elbo"]),
               "seconds": time.perf_counter() - began, "seconds_per_epoch": seconds_per_epoch,
               "config": config, "history": history}
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    print(f"test ELBO {metrics['test_elbo']:.2f}  IWAE-{args.iwae_k} {iwae:.2f}  "
          f"({seconds_per_epoch:.2f} s per training epoch)")
    if not args.no_pictures:
        draw_pictures(model, data, history, args, plt, len(train_images))
    return metrics


# %% [markdown]
# ## Run it
#
# In a notebook, the next cell runs `main` with the program's defaults, without the progress bar
# (30 epochs; about 15 s on a 2-core machine), and writes to `demo_out/vae`, under the folder the
# kernel runs in. Change `ARGS` to try other settings: `["--epochs", "3"]` for a quick look,
# `["--latent", "2"]` for the manifold picture, `["--estimator", "score"]` to train the encoder
# with REINFORCE, `["--arch", "conv"]` for the convolutional VAE (several seconds per epoch: put
# another folder in `OUT`). When the file runs as a program or is imported, this cell and the
# three after it do nothing.

# %%
if NOTEBOOK:
    from IPython.display import Image, display

    ARGS = []
    OUT = os.path.join("demo_out", "vae")
    metrics = main([*ARGS, "--no-progress", "--out", OUT])

# %% [markdown]
# **The ELBO during training**, in nats per digit. The test curve is measured with the same
# draws after every epoch.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "elbo.png")))

# %% [markdown]
# **Reconstructions and samples.** Test digits above what the decoder makes of their posterior
# means; then the decoder's pixel probabilities for 64 codes drawn from the prior.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "reconstructions.png")))
    display(Image(os.path.join(OUT, "samples.png")))

# %% [markdown]
# **The latent space**: the posterior means of the test digits, coloured by their labels; and,
# for a 2-D code, the manifold.

# %%
if NOTEBOOK:
    display(Image(os.path.join(OUT, "latent.png")))
    if metrics["config"]["latent"] == 2:
        display(Image(os.path.join(OUT, "manifold.png")))

# %%
if __name__ == "__main__" and not NOTEBOOK:
    main(sys.argv[1:])
