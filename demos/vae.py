# %% [markdown]
# # A variational autoencoder on binarized MNIST
#
# This demo trains `mg.models.VAE`, the variational autoencoder of Kingma & Welling (2014), on
# binarized digits with the model and schedule of the
# [PyTorch example](https://github.com/pytorch/examples/tree/main/vae), and draws what it
# learned: reconstructions, samples, the latent space, and with a 2-D code the learned manifold.
# The model, its bound and its estimators are explained in the chapter
# [The variational autoencoder](../docs/vae.md); section 7 there describes this demo's options.
#
#     python demos/vae.py                                   # 30 epochs of 784-400-20, in demo_out/vae
#     python demos/vae.py --latent 2 --out demo_out/vae2d   # a 2-D code: adds manifold.png
#     python demos/vae.py --epochs 100 --resume             # carry on from the checkpoint
#     python demos/vae.py --arch conv --out demo_out/vae-conv   # mg.models.ConvVAE instead of the MLPs
#
# The scaffolding (options, output folder, plots, progress bars, the notebook guard) is in
# `demos/common.py`. The file is a Jupytext percent script: it runs as a program, imports as a
# module (`main(argv)` returns the metrics) and opens as a notebook.

# %%
"""Train a variational autoencoder on binarized MNIST digits and draw what it learned.

    python demos/vae.py                                   # 30 epochs of the default 784-400-20 model, in demo_out/vae
    python demos/vae.py --latent 2 --out demo_out/vae2d   # a 2-D code: adds the manifold picture
    python demos/vae.py --epochs 100 --resume             # carry on from demo_out/vae/checkpoint.npz
    python demos/vae.py --arch conv --out demo_out/vae-conv   # convolutional encoder and decoder

The chapter is docs/vae.md; the convolutional VAE is in docs/classifier.md, section 3.
"""
import common  # isort: split

import os
import sys
import time

import numpy

import minigrad as mg

EVAL_SEED = 12345   # the test ELBO is estimated with the same draws after every epoch


# %% [markdown]
# ## The model and the options
#
# `--arch mlp` builds `mg.models.VAE(784, hidden, latent)`: MLP encoder and decoder
# ([chapter, section 1](../docs/vae.md#1-the-model)). `--arch conv` builds
# `mg.models.ConvVAE(latent)`, the same VAE with convolutional networks
# ([docs/classifier.md, section 3](../docs/classifier.md#3-a-convolutional-vae)). The bound, the
# KL (`--kl`), the encoder's gradient (`--estimator`,
# [section 5](../docs/vae.md#5-the-encoders-gradient-pathwise-or-score)) and the IWAE bound
# ([section 6](../docs/vae.md#6-the-importance-weighted-bound-iwae)) are the model's own.

# %%
def build_model(args):
    """The VAE of ``--arch``: mg.models.VAE with MLPs of ``--hidden`` widths, or mg.models.ConvVAE."""
    options = dict(likelihood=args.likelihood, estimator=args.estimator, obs_scale=args.obs_scale,
                   min_scale=args.min_scale, device=args.device)
    if args.arch == "conv":
        return mg.models.ConvVAE(args.latent, **options)
    return mg.models.VAE(784, args.hidden, args.latent, **options)


def parse_args(argv):
    parser = common.parser("vae", __doc__)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--latent", type=int, default=20, help="size of the code z")
    parser.add_argument("--arch", choices=("mlp", "conv"), default="mlp",
                        help="MLP encoder and decoder, or convolutional ones (mg.models.ConvVAE)")
    parser.add_argument("--hidden", type=int, nargs="+", default=[400], help="hidden width(s) of the MLPs")
    parser.add_argument("--likelihood", choices=mg.models.vae.LIKELIHOODS, default="bernoulli")
    parser.add_argument("--obs-scale", type=float, default=0.2, help="std of the 'gaussian' likelihood")
    parser.add_argument("--min-scale", type=float, default=0.05,
                        help="floor on the std of 'gaussian-learned' (0 lets it collapse: see vae_pitfalls.py)")
    parser.add_argument("--kl", choices=("analytic", "mc"), default="analytic")
    parser.add_argument("--estimator", choices=mg.models.vae.ESTIMATORS, default="pathwise",
                        help="encoder gradient: reparameterization or REINFORCE with a baseline")
    parser.add_argument("--checkpoint", default=None,
                        help="checkpoint file (default: %(default)s, i.e. OUT/checkpoint.npz)")
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint if it exists")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    common.mnist_options(parser)
    parser.add_argument("--iwae-k", type=int, default=100, help="draws for the final importance-weighted bound")
    parser.add_argument("--no-pictures", action="store_true", help="write metrics.json and the checkpoint only")
    return parser.parse_args(argv)


# %% [markdown]
# ## Checkpoints that resume exactly
#
# A checkpoint is saved after every epoch. `--resume` continues from it and gives the same
# numbers as a run that was never interrupted, because every epoch draws its randomness from
# generators seeded by (seed, epoch). A checkpoint of another model is refused; one written by
# earlier minigrad (Linear weights stored as (in, out)) is upgraded on loading.

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
# one Adam step on $-\mathcal{L}$ ([chapter, section 2](../docs/vae.md#2-the-elbo)), averaged
# over each batch. The test ELBO uses one draw per digit, the same draws after every epoch
# (`EVAL_SEED`), so that its changes come from the model; the IWAE bound uses `--iwae-k` draws.

# %%
def train_epoch(model, optimizer, images, epoch, args):
    """One pass over freshly binarized, reshuffled training digits; returns the mean training ELBO."""
    rng = mg.backend.host_generator([args.seed, epoch])   # this epoch's shuffling and binarization ...
    mg.random.seed(int(rng.integers(2 ** 31)))             # ... and its draws of z
    x = mg.data.binarize(images, rng)
    batches = mg.data.BatchIterator(x, batch_size=args.batch_size, shuffle=True, rng=rng, device=args.device)
    bar = common.progress(batches, args, desc=f"epoch {epoch + 1}/{args.epochs}", leave=False)
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
# Every picture's title describes the run, so that pictures of two runs cannot be mistaken for
# each other. With more than two latent dimensions the latent picture shows the posterior means
# on their first two principal components; with `--latent 2` the demo also decodes a grid of
# codes spaced by the prior's quantiles (Kingma & Welling, figure 4).

# %%
def describe_run(args, epochs, train_size):
    """What was trained, in the words of the command line: the model, its likelihood, the encoder's
    gradient estimator and the schedule; the caption adds the seed and the device."""
    estimator = {"pathwise": "pathwise (reparameterized)", "score": "score-function (REINFORCE)"}[args.estimator]
    likelihood = args.likelihood + (f" (std {args.obs_scale:g})" if args.likelihood == "gaussian" else "")
    model = (f"conv VAE: conv 32-64 / convT 32-1 (4x4, stride 2), latent {args.latent}\n" if args.arch == "conv"
             else f"VAE 784-{'-'.join(map(str, args.hidden))}-{args.latent}, ")
    return common.caption(args, f"{model}{likelihood} likelihood, {args.kl} KL, {estimator} encoder gradient\n"
                                f"{epochs} epochs on {train_size} digits, batch {args.batch_size}, Adam lr {args.lr:g}")


def draw_pictures(model, data, history, args, plt, train_size):
    from matplotlib.ticker import MaxNLocator
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
    common.save_figure(fig, args, "elbo.png")

    x = data.test_images[:10]
    recon = model.reconstruct(mg.tensor(x, device=args.device)).numpy()
    fig, ax = plt.subplots(figsize=(8, 2))
    ax.imshow(numpy.concatenate([common.image_grid(x, 1, 10), common.image_grid(recon, 1, 10)]), cmap="gray")
    ax.set_title(f"test digits (top) and their reconstructions (bottom)\n{run}", fontsize=8)
    ax.axis("off")
    common.save_figure(fig, args, "reconstructions.png")

    mg.random.seed(EVAL_SEED + 2)
    samples = model.sample(64).numpy()
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(common.image_grid(samples, 8, 8), cmap="gray")
    ax.set_title(f"decoded draws z ~ N(0, I) (pixel probabilities)\n{run}", fontsize=8)
    ax.axis("off")
    common.save_figure(fig, args, "samples.png")

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
    common.save_figure(fig, args, "latent.png")

    if args.latent == 2:
        draw_manifold(model, args, plt, run)


def draw_manifold(model, args, plt, run, n=20):
    """Decode a grid of codes, spaced by the prior's quantiles (Kingma & Welling 2014, figure 4)."""
    from statistics import NormalDist
    quantiles = [NormalDist().inv_cdf(p) for p in numpy.linspace(0.05, 0.95, n)]
    z = numpy.array([[zx, zy] for zy in quantiles[::-1] for zx in quantiles], dtype=numpy.float32)
    with mg.no_grad():
        images = model.decode(mg.tensor(z, device=args.device)).mean.numpy()
    fig, ax = plt.subplots(figsize=(6.7, 6.7))   # 800 pixels wide at common.save_figure's 120 dpi
    ax.imshow(common.image_grid(images, n, n), cmap="gray")
    ax.set_title(f"the learned 2-D manifold: decoded codes on a grid of prior quantiles 5%...95%\n"
                 f"(z1 grows from left to right, z2 from bottom to top)\n{run}", fontsize=8)
    ax.axis("off")
    common.save_figure(fig, args, "manifold.png")


def write_results(metrics, args, train_size):
    """results.md: the run's final numbers as a Markdown table, for the chapter to include."""
    model = "conv VAE" if args.arch == "conv" else f"MLP VAE 784-{'-'.join(map(str, args.hidden))}-{args.latent}"
    history = metrics["history"]["test_elbo"]
    marks = sorted({e for e in (10, 20, 30, 50, 100) if e < len(history)} | {len(history)})
    elbos = " / ".join(f"{history[e - 1]:.2f}" for e in marks)
    common.write_table(args, "results.md", [
        "model", "epochs (on digits)", "test ELBO after " + " / ".join(map(str, marks)) + " epochs",
        f"IWAE bound, k = {args.iwae_k}", "seconds per training epoch"],
        [[f"{model}, {args.likelihood}, {args.kl} KL, {args.estimator}, seed {args.seed}",
          f"{metrics['epochs']} ({train_size})", elbos, f"{metrics[f'test_iwae_{args.iwae_k}']:.2f}",
          f"{metrics['seconds_per_epoch']:.2f}"]])


# %% [markdown]
# ## The demo: `main(argv)`
#
# `main` parses the arguments, loads the data, builds the model and Adam, resumes if asked, then
# trains and evaluates epoch by epoch, printing the train and test ELBO and saving a checkpoint.
# It ends with the IWAE bound, `metrics.json`, `results.md` and the pictures.

# %%
def main(argv=None):
    args = parse_args(argv)
    plt = common.start(args, pictures=not args.no_pictures)
    checkpoint = args.checkpoint or os.path.join(args.out, "checkpoint.npz")
    data = common.load_mnist(args)
    train_images = data.train_images
    config = {"arch": args.arch, "latent": args.latent, "hidden": args.hidden, "likelihood": args.likelihood,
              "kl": args.kl, "obs_scale": args.obs_scale, "min_scale": args.min_scale,
              "estimator": args.estimator, "seed": args.seed, "batch_size": args.batch_size, "lr": args.lr,
              "device": args.device, "train_size": len(train_images), "test_size": len(data.test_images),
              "data": common.data_note(args)}

    model = build_model(args)   # its initial weights are drawn from the generator common.start seeded
    optimizer = mg.optim.Adam(model.parameters(), lr=args.lr)
    history = {"train_elbo": [], "test_elbo": [], "train_seconds": []}
    start = 0
    if args.resume and os.path.exists(checkpoint):
        start, history = load_checkpoint(checkpoint, model, optimizer, config)
        print(f"resuming from {checkpoint} after epoch {start}")

    began = time.perf_counter()
    for epoch in range(start, args.epochs):
        tick = time.perf_counter()
        train_elbo = train_epoch(model, optimizer, train_images, epoch, args)
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
               "parameters": sum(p.size for p in model.parameters()),
               "config": config, "history": history}
    common.write_json(args, "metrics.json", metrics)
    if history["test_elbo"]:
        write_results(metrics, args, len(train_images))
    print(f"test ELBO {metrics['test_elbo']:.2f}  IWAE-{args.iwae_k} {iwae:.2f}  "
          f"({seconds_per_epoch:.2f} s per training epoch; {metrics['parameters']:,} parameters)")
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
# ones after it do nothing.

# %%
if common.in_notebook(__name__):
    ARGS = []
    OUT = os.path.join("demo_out", "vae")
    metrics = main([*ARGS, "--no-progress", "--out", OUT])

# %% [markdown]
# **The ELBO during training**, in nats per digit; **reconstructions** (test digits above what
# the decoder makes of their posterior means) and **samples** (the decoder's pixel probabilities
# for 64 codes drawn from the prior); **the latent space** (posterior means of the test digits,
# coloured by their labels) and, for a 2-D code, the manifold.

# %%
if common.in_notebook(__name__):
    common.show(OUT, "elbo.png", "reconstructions.png", "samples.png", "latent.png",
                *(["manifold.png"] if metrics["config"]["latent"] == 2 else []))

# %%
if __name__ == "__main__" and not common.in_notebook(__name__):
    main(sys.argv[1:])
