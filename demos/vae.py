"""Train a variational autoencoder on binarized MNIST digits and draw what it learned.

    python demos/vae.py                                   # 30 epochs of the default 784-400-20 model, in demo_out/vae
    python demos/vae.py --latent 2 --out demo_out/vae2d   # a 2-D code: adds the manifold picture
    python demos/vae.py --epochs 100 --resume             # carry on from demo_out/vae/checkpoint.npz

The default model and schedule are those of the PyTorch example (and of Kingma & Welling,
2014): encoder 784-400-(20+20) with ReLU, decoder 20-400-784 giving Bernoulli logits,
analytic KL, Adam(lr=1e-3), batches of 128, on the 8,000 training digits of
``mg.data.load_mnist()``; test numbers are on its 2,000 test digits, binarized once.

Written to --out: metrics.json, elbo.png, reconstructions.png, samples.png, latent.png and,
with --latent 2, manifold.png. A checkpoint is saved after every epoch; --resume continues
from it and gives the same numbers as a run that was never interrupted, because every epoch
draws its randomness from generators seeded by (seed, epoch).
"""
import argparse
import json
import os
import sys
import time

import numpy

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))   # run from a checkout
import minigrad as mg  # noqa: E402

EVAL_SEED = 12345   # the test ELBO is estimated with the same draws after every epoch


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--latent", type=int, default=20, help="size of the code z")
    parser.add_argument("--hidden", type=int, nargs="+", default=[400], help="hidden width(s)")
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
    parser.add_argument("--checkpoint", default=None, help="checkpoint file (default: OUT/checkpoint.npz)")
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint if it exists")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--data", default=None, help="folder of the official MNIST IDX files (default: embedded)")
    parser.add_argument("--train-size", type=int, default=None, help="use only the first N training digits")
    parser.add_argument("--test-size", type=int, default=None, help="use only the first N test digits")
    parser.add_argument("--iwae-k", type=int, default=100, help="draws for the final importance-weighted bound")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-pictures", action="store_true", help="write metrics.json and the checkpoint only")
    return parser.parse_args(argv)


# ---------------------------------------------------------------- checkpoints

def save_checkpoint(path, model, optimizer, epoch, history, config):
    """Everything needed to continue: weights, Adam's moments, the epoch reached (mg.save is atomic)."""
    mg.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
             "history": history, "config": config}, path)


def load_checkpoint(path, model, optimizer, config):
    """Restore model and optimizer from ``path``; return (epochs done, history)."""
    state = mg.load(path)
    ignored = ("device", "epochs", "out", "checkpoint", "resume", "no_progress", "no_pictures", "iwae_k")
    wanted = {k: v for k, v in config.items() if k not in ignored}
    saved = {k: state["config"].get(k) for k in wanted}
    if saved != wanted:
        raise ValueError(f"--resume: the checkpoint {path} was made with {saved}, this run asks for {wanted}")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    return state["epoch"], state["history"]


# ---------------------------------------------------------------- training and evaluation

def train_epoch(model, optimizer, images, epoch, args, tqdm):
    """One pass over freshly binarized, reshuffled training digits; returns the mean training ELBO."""
    rng = mg.backend.host_generator([args.seed, epoch])   # this epoch's shuffling and binarization ...
    mg.random.seed(int(rng.integers(2 ** 31)))             # ... and its draws of z
    x = mg.data.binarize(images, rng)
    batches = mg.data.BatchIterator(x, batch_size=args.batch_size, shuffle=True, rng=rng, device=args.device)
    bar = tqdm(batches, desc=f"epoch {epoch + 1}/{args.epochs}", leave=False, disable=args.no_progress)
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


# ---------------------------------------------------------------- pictures

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
    return (f"VAE 784-{'-'.join(map(str, args.hidden))}-{args.latent}, {likelihood} likelihood, {args.kl} KL, "
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


# ---------------------------------------------------------------- main

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
    config = {"latent": args.latent, "hidden": args.hidden, "likelihood": args.likelihood, "kl": args.kl,
              "obs_scale": args.obs_scale, "min_scale": args.min_scale,
              "estimator": args.estimator, "seed": args.seed, "batch_size": args.batch_size, "lr": args.lr,
              "device": args.device, "train_size": len(train_images), "test_size": len(data.test_images),
              "data": args.data or "embedded mnist10k (minigrad/data/ATTRIBUTION.md)"}

    mg.random.seed(args.seed)   # the initial weights
    model = mg.models.VAE(784, args.hidden, args.latent, likelihood=args.likelihood, estimator=args.estimator,
                          obs_scale=args.obs_scale, min_scale=args.min_scale, device=args.device)
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


if __name__ == "__main__":
    main()
