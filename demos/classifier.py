# %% [markdown]
# # Classifying MNIST digits: an MLP and a small convolutional network
#
# This demo trains two classifiers of handwritten digits with the layers of `mg.nn`: an MLP
# (784-256-10) and a small CNN (two 3x3 convolutions, each followed by a ReLU and a 2x2 max-pool,
# then one linear layer), with Adam on the cross-entropy, and draws what a classifier is judged
# by: training curves, the confusion matrix and the test digits it gets wrong. The models, the
# results and the comparison with PyTorch are in the chapter
# [Convolutions](../docs/classifier.md).
#
#     python demos/classifier.py --model mlp     # 10 epochs, in demo_out/classifier-mlp
#     python demos/classifier.py --model cnn     # 10 epochs (minutes on one core), in demo_out/classifier-cnn
#
# The scaffolding (options, output folder, plots, progress bars, the notebook guard) is in
# `demos/common.py`. The file runs as a program, imports as a module (`main(argv)` returns the
# metrics) and opens as a notebook (Jupytext).

# %%
"""Train a digit classifier (an MLP or a small CNN) on MNIST and draw its curves, confusions and mistakes.

    python demos/classifier.py --model mlp              # 784-256-10, 10 epochs, in demo_out/classifier-mlp
    python demos/classifier.py --model cnn --seed 1     # conv-pool-conv-pool-linear, in demo_out/classifier-cnn

The chapter is docs/classifier.md.
"""
import common  # isort: split

import os
import sys
import time

import numpy

import minigrad as mg
import minigrad.nn.functional as F

MODELS = ("mlp", "cnn")


# %% [markdown]
# ## The two models
#
# Each maps an image to ten logits, one per digit; both are PyTorch's layers, with PyTorch's
# initialisation, in minigrad's spelling
# ([chapter, section 1](../docs/classifier.md#1-the-data-and-the-two-classifiers)).
# The images arrive as rows of 784 grey levels; the CNN's first step views each row as a 1x28x28
# image.

# %%
class CNN(mg.nn.Module):
    """conv 16 (3x3, pad 1) - ReLU - maxpool 2 - conv 32 (3x3, pad 1) - ReLU - maxpool 2 - linear 10."""

    def __init__(self, device=None):
        self.features = mg.nn.Sequential(
            mg.nn.Conv2d(1, 16, 3, padding=1, device=device), mg.nn.ReLU(), mg.nn.MaxPool2d(2),    # 16 x 14 x 14
            mg.nn.Conv2d(16, 32, 3, padding=1, device=device), mg.nn.ReLU(), mg.nn.MaxPool2d(2))   # 32 x 7 x 7
        self.classifier = mg.nn.Sequential(mg.nn.Flatten(), mg.nn.Linear(32 * 7 * 7, 10, device=device))

    def forward(self, x):
        """Logits (N, 10) of images given as rows (N, 784) or as (N, 1, 28, 28)."""
        return self.classifier(self.features(x.reshape(-1, 1, 28, 28)))


def build_model(name, device=None):
    """The classifier called ``name`` ("mlp" or "cnn"), with fresh weights drawn from mg.random."""
    if name == "mlp":
        return mg.nn.Sequential(mg.nn.Linear(784, 256, device=device), mg.nn.ReLU(),
                                mg.nn.Linear(256, 10, device=device))
    if name == "cnn":
        return CNN(device)
    raise ValueError(f"build_model: the model must be one of {MODELS}, got {name!r}")


def describe_model(name):
    return {"mlp": "MLP 784-256-10 (ReLU)",
            "cnn": "CNN conv16-pool-conv32-pool-linear10 (3x3 convs, ReLU, 2x2 max-pools)"}[name]


def count_parameters(model):
    return sum(p.size for p in model.parameters())


# %% [markdown]
# ## The options
#
# The defaults are the PyTorch reference's schedule: Adam with learning rate $10^{-3}$, batches
# of 128, 10 epochs, on the 8,000 training and 2,000 test grey digits of
# `mg.data.load_mnist(binarize_test=False)`.

# %%
def parse_args(argv):
    parser = common.parser("classifier", __doc__)
    parser.set_defaults(out=None)   # demo_out/classifier-MODEL, set below
    parser.add_argument("--model", choices=MODELS, default="cnn")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    common.mnist_options(parser)
    parser.add_argument("--no-pictures", action="store_true", help="write metrics.json only")
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = os.path.join("demo_out", f"classifier-{args.model}")
    return args


# %% [markdown]
# ## Training and evaluation
#
# One epoch visits the training digits once, in an order drawn afresh from the seed, and takes
# one Adam step per batch on the mean cross-entropy. The training numbers of an epoch are
# averaged while the weights move; the test numbers are measured after the epoch.

# %%
def train_epoch(model, optimizer, loader, epoch, args):
    """One pass over the training digits; returns (mean loss, accuracy) over the epoch's batches."""
    model.train()
    bar = common.progress(loader, args, desc=f"epoch {epoch + 1}/{args.epochs}", leave=False)
    total_loss, correct, count = 0.0, 0, 0
    for x, y in bar:
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(y)
        correct += int((logits.numpy().argmax(axis=1) == y.numpy()).sum())
        count += len(y)
        bar.set_postfix(loss=f"{total_loss / count:.3f}", accuracy=f"{correct / count:.3f}")
    return total_loss / count, correct / count


@mg.no_grad()
def predict(model, images, device, batch_size=500):
    """Logits of every image, as a NumPy array (n, 10)."""
    model.eval()
    return numpy.concatenate([model(x).numpy() for (x,) in
                              mg.data.DataLoader(mg.data.TensorDataset(images), batch_size=batch_size,
                                                 device=device)])


def evaluate(model, images, labels, device):
    """(mean cross-entropy, accuracy, predicted labels) on these images."""
    logits = predict(model, images, device)
    loss = F.cross_entropy(mg.tensor(logits), mg.tensor(labels)).item()   # on the host: the logits are NumPy
    predicted = logits.argmax(axis=1)
    return loss, float((predicted == labels).mean()), predicted


def confusion_matrix(labels, predicted, classes=10):
    """counts[i, j]: how many digits of class i were predicted as j (the diagonal is right)."""
    counts = numpy.zeros((classes, classes), dtype=numpy.int64)
    numpy.add.at(counts, (labels, predicted), 1)
    return counts


def largest_confusions(counts, k=3):
    """The ``k`` largest off-diagonal counts, as (true digit, predicted digit, count), largest first."""
    off = counts - numpy.diag(numpy.diag(counts))
    order = numpy.argsort(-off, axis=None, kind="stable")[:k]
    return [(int(i), int(j), int(off[i, j])) for i, j in zip(*numpy.unravel_index(order, off.shape)) if off[i, j]]


def softmax(logits):
    """Row-wise softmax of a NumPy array of logits: the probabilities the classifier gives each digit."""
    p = numpy.exp(logits - logits.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


# %% [markdown]
# ## Pictures
#
# Every picture's title says what was trained (model, data, schedule, seed), so pictures of two
# runs cannot be mistaken for each other.
#
# - `curves.png`: the loss and the accuracy after every epoch, train and test.
# - `confusion.png`: how often each digit (row) was predicted as each digit (column), over the
#   test digits; the diagonal is right. The colour grows with the count on a square-root scale, so
#   that the few mistakes show beside the hundreds of right answers; the numbers are written in.
# - `misclassified.png`: test digits the classifier got wrong, with the true and predicted label
#   and the probability the model gave its (wrong) prediction.

# %%
def describe_run(args, epochs, train_size, n_parameters):
    return common.caption(args, f"{describe_model(args.model)}, {n_parameters:,} parameters\n{epochs} epochs on "
                                f"{train_size:,} grey MNIST digits, batch {args.batch_size}, Adam lr {args.lr:g}")


def draw_curves(history, args, run, test_size, plt):
    from matplotlib.ticker import MaxNLocator
    epochs = numpy.arange(1, len(history["train_loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    for ax, key, label in ((left, "loss", "cross-entropy (nats per digit, lower is better)"),
                           (right, "accuracy", "accuracy (%, higher is better)")):
        scale = 100 if key == "accuracy" else 1
        ax.plot(epochs, scale * numpy.asarray(history[f"train_{key}"]), "o-", markersize=3,
                label="train (mean over the epoch's batches)")
        ax.plot(epochs, scale * numpy.asarray(history[f"test_{key}"]), "s-", markersize=3,
                label=f"test ({test_size:,} digits, after the epoch)")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    left.set_title("loss", fontsize=10)
    right.set_title(f"accuracy (final test: {100 * history['test_accuracy'][-1]:.2f} %)", fontsize=10)
    handles, labels = left.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=9, frameon=False)
    fig.suptitle(f"Training curves: {run}", fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    common.save_figure(fig, args, "curves.png")


def draw_confusion(counts, args, run, plt):
    from matplotlib.colors import PowerNorm
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    image = ax.imshow(counts, cmap="Blues", norm=PowerNorm(0.5, vmin=0, vmax=counts.max()))
    fig.colorbar(image, ax=ax, label="test digits (square-root colour scale)")
    threshold = 0.5 * counts.max()
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            if counts[i, j]:
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if counts[i, j] > threshold else "black")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    accuracy = numpy.trace(counts) / counts.sum()
    ax.set_title(f"Confusion matrix on {counts.sum():,} test digits ({100 * accuracy:.2f} % on the diagonal)\n"
                 f"{run}", fontsize=8)
    fig.tight_layout()
    common.save_figure(fig, args, "confusion.png")


def draw_misclassified(images, labels, logits, args, run, plt, rows=4, cols=8):
    predicted = logits.argmax(axis=1)
    wrong = numpy.flatnonzero(predicted != labels)
    shown = wrong[:rows * cols]
    probabilities = softmax(logits)
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.55 * rows + 0.8))
    for ax, k in zip(axes.flat, list(shown) + [None] * (rows * cols - len(shown))):
        ax.axis("off")
        if k is None:
            continue
        ax.imshow(images[k].reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"true {labels[k]}, predicted {predicted[k]}\n(probability {probabilities[k, predicted[k]]:.2f})",
                     fontsize=7)
    fig.suptitle(f"The first {len(shown)} of the {len(wrong)} misclassified test digits (of {len(labels):,}), "
                 f"in test-set order\n{run}", fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    common.save_figure(fig, args, "misclassified.png")


def write_results(metrics, args):
    """results.md: the run's final numbers as one Markdown table row, for the chapter to include."""
    loss = metrics["test_loss"] if metrics["test_loss"] is None else round(metrics["test_loss"], 4)
    common.write_table(args, "results.md", ["model", "seed", f"test accuracy after {args.epochs} epochs", "mistakes",
                                            "test loss", "parameters", "training time per epoch here"],
                       [[describe_model(args.model), f"{args.seed}", f"{100 * metrics['test_accuracy']:.2f} %",
                         f"{metrics['mistakes']} of {metrics['config']['test_size']:,}", f"{loss}",
                         f"{metrics['parameters']:,}", f"{metrics['seconds_per_epoch'] or 0:.2f} s"]])


# %% [markdown]
# ## The demo: `main(argv)`
#
# `main` parses the arguments, loads the digits, builds the model and Adam, then trains epoch by
# epoch, printing the train and test numbers. It ends with the mistakes (how many, the largest
# confusions, how many were made with a probability over 0.99), `metrics.json`
# (`test_accuracy` is the final one), `results.md` and the pictures.

# %%
def main(argv=None):
    args = parse_args(argv)
    plt = common.start(args, pictures=not args.no_pictures)
    data = common.load_mnist(args, binarize_test=False)   # grey test digits, as the training ones
    train_images, train_labels, test_images, test_labels = data
    config = {"model": args.model, "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
              "seed": args.seed, "device": args.device, "train_size": len(train_images),
              "test_size": len(test_images), "data": common.data_note(args)}

    model = build_model(args.model, args.device)   # initial weights from the generator common.start seeded
    n_parameters = count_parameters(model)
    optimizer = mg.optim.Adam(model.parameters(), lr=args.lr)
    loader = mg.data.DataLoader(mg.data.TensorDataset(train_images, train_labels), batch_size=args.batch_size,
                                shuffle=True, seed=args.seed, device=args.device)
    history = {"train_loss": [], "train_accuracy": [], "test_loss": [], "test_accuracy": [], "train_seconds": []}

    began = time.perf_counter()
    for epoch in range(args.epochs):
        tick = time.perf_counter()
        train_loss, train_accuracy = train_epoch(model, optimizer, loader, epoch, args)
        seconds = time.perf_counter() - tick
        test_loss, test_accuracy, _ = evaluate(model, test_images, test_labels, args.device)
        for key, value in (("train_loss", train_loss), ("train_accuracy", train_accuracy), ("test_loss", test_loss),
                           ("test_accuracy", test_accuracy), ("train_seconds", seconds)):
            history[key].append(value)
        print(f"epoch {epoch + 1:3d}  train loss {train_loss:.4f} accuracy {100 * train_accuracy:6.2f} %  "
              f"test loss {test_loss:.4f} accuracy {100 * test_accuracy:6.2f} %  ({seconds:.1f} s)", flush=True)

    logits = predict(model, test_images, args.device)
    predicted = logits.argmax(axis=1)
    counts = confusion_matrix(test_labels, predicted)
    metrics = {"test_accuracy": float((predicted == test_labels).mean()),
               "test_loss": history["test_loss"][-1] if history["test_loss"] else None,
               "epochs": args.epochs, "parameters": n_parameters,
               "seconds": time.perf_counter() - began,
               "seconds_per_epoch": float(numpy.mean(history["train_seconds"])) if args.epochs else None,
               "mistakes": int((predicted != test_labels).sum()), "largest_confusions": largest_confusions(counts),
               "confusion_matrix": counts.tolist(), "config": config, "history": history}
    confidence = softmax(logits[predicted != test_labels]).max(axis=1)   # the probability of each wrong answer
    metrics["confident_mistakes"] = int((confidence > 0.99).sum())
    common.write_json(args, "metrics.json", metrics)
    write_results(metrics, args)
    print(f"{describe_model(args.model)}: test accuracy {100 * metrics['test_accuracy']:.2f} % after "
          f"{args.epochs} epochs ({metrics['seconds_per_epoch'] or 0:.1f} s per training epoch)")
    print(f"{metrics['mistakes']} of {len(test_labels):,} test digits wrong; the largest confusions: "
          + ", ".join(f"{i} read as {j} ({n})" for i, j, n in metrics["largest_confusions"])
          + f"; {metrics['confident_mistakes']} of them with a probability over 0.99 for the wrong digit")
    if not args.no_pictures:
        run = describe_run(args, args.epochs, len(train_images), n_parameters)
        if args.epochs:
            draw_curves(history, args, run, len(test_images), plt)
        draw_confusion(counts, args, run, plt)
        draw_misclassified(test_images, test_labels, logits, args, run, plt)
    return metrics


# %% [markdown]
# ## Run it
#
# In a notebook, the next cell trains the CNN with the program's defaults (10 epochs: a few
# minutes on one CPU core), without the progress bar, and writes to `demo_out/classifier-cnn`
# under the folder the kernel runs in. Change `ARGS` to try other settings: `["--model", "mlp"]`
# for the MLP (seconds per epoch), `["--epochs", "2"]` for a quick look. When the file runs as a
# program or is imported, this cell and the one after it do nothing.

# %%
if common.in_notebook(__name__):
    ARGS = ["--model", "cnn"]
    metrics = main([*ARGS, "--no-progress"])
    OUT = os.path.join("demo_out", f"classifier-{metrics['config']['model']}")

# %% [markdown]
# **The training curves** (loss and accuracy, train and test, after every epoch), **what it
# confuses**, and **the digits it gets wrong**: many of them are digits a person would hesitate
# over too ([chapter, section 2](../docs/classifier.md#2-what-was-run-and-the-results)).

# %%
if common.in_notebook(__name__):
    common.show(OUT, "curves.png", "confusion.png", "misclassified.png")

# %%
if __name__ == "__main__" and not common.in_notebook(__name__):
    main(sys.argv[1:])
