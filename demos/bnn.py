# %% [markdown]
# # Bayes by Backprop: a network whose weights are distributions
#
# A digit classifier with a Gaussian for every weight ([`mg.nn.BayesianLinear`](../docs/api/nn.md)):
# (2) the gradient variance of plain reparameterization, the local trick and Flipout; (3) training
# with each; (4) its uncertainty on inputs it never saw. Part 1 is `demos/bnn_regression.py`. The
# maths and a run's results: the chapter [Bayesian neural networks](../docs/bnn.md).
#
#     python demos/bnn.py                    # parts 2 to 4, in demo_out/bnn (about a minute)
#     python demos/bnn.py --image-size 28    # the digits at full size: 784 inputs instead of 196
#
# `demos/common.py` holds the scaffolding (options, output folder, plots, progress bars).

# %%
"""Bayes by Backprop on digits: Gaussian weights, three gradient estimators, uncertainty on unseen inputs."""
import common  # isort: split

import math
import pathlib
import time

import numpy

import minigrad as mg

F = mg.nn.functional
ESTIMATORS = ("reparam", "local", "flipout")     # the ones a network trains with
REFERENCES = ("per-example", "mean")             # two more, to measure the variance against
LABELS = {"reparam": "plain reparameterization", "local": "local reparameterization", "flipout": "Flipout",
          "per-example": "own weights per example", "mean": "no weight noise (posterior means)"}
SCORES = ("bnn_entropy", "bnn_mutual_information", "plain_entropy")
PICTURES = ("gradient_variance.png", "training.png", "ood_inputs.png", "entropy.png", "rotation.png")
COLOURS = {"reparam": "tab:red", "local": "tab:blue", "flipout": "tab:green", "per-example": "tab:purple",
           "mean": "grey", "plain": "tab:orange"}


# %% [markdown]
# ## The model and its loss ([chapter, section 2](../docs/bnn.md#2-the-bound-and-bayes-by-backprop))
#
# `BayesianLinear` layers with ReLU between them; the loss is $-\mathcal{L}/N$ on a minibatch: the
# mean negative log-likelihood plus the KL over the number of examples. The digits are `load_mnist`'s
# grey images, shrunk by averaging 2 x 2 blocks; part 4 also turns them.

# %%
def bayesian_mlp(sizes, prior_scale, init_scale, estimator="local", device="cpu"):
    layers = [mg.nn.BayesianLinear(n_in, n_out, prior_scale=prior_scale, init_scale=init_scale, estimator=estimator,
                                   device=device) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return mg.nn.Sequential(*[m for layer in layers for m in (layer, mg.nn.ReLU())][:-1])    # ReLU between layers


def bayesian_layers(model):
    return [m for m in model.modules() if isinstance(m, mg.nn.BayesianLinear)]


def set_estimator(model, estimator):
    for layer in bayesian_layers(model):
        layer.estimator = estimator


def negative_elbo(model, x, y, n_data, nll=F.cross_entropy):
    """-ELBO / N on a minibatch: mean NLL + KL / N (0 for a plain network); returns (loss, nll, kl/N)."""
    nll = nll(model(x), y)
    kl = sum(layer.kl() for layer in bayesian_layers(model)) / n_data
    return nll + kl, nll, kl


def options(argv):
    p = common.parser("bnn", __doc__)
    p.add_argument("--estimator", choices=ESTIMATORS, default="local", help="trains the network of part 4")
    p.add_argument("--init-scale", type=float, default=0.05, help="initial standard deviation of every weight")
    p.add_argument("--image-size", type=int, choices=(14, 28), default=14, help="14: 2 x 2 blocks averaged")
    p.add_argument("--train-size", type=int, default=8000, help="use the first N training digits")
    p.add_argument("--test-size", type=int, default=2000, help="use the first N test digits")
    p.add_argument("--hidden", type=int, default=100, help="width of the classifier's hidden layer")
    p.add_argument("--prior-scale", type=float, default=0.3, help="sigma_p of the classifier's prior")
    for flag, default in (("--epochs", 10), ("--batch-size", 100), ("--lr", 1e-2)):
        p.add_argument(flag, type=type(default), default=default)
    p.add_argument("--variance-repeats", type=int, default=100, help="minibatch gradients per estimator and size")
    p.add_argument("--variance-batch-sizes", type=int, nargs="+", default=[10, 30, 100, 300])
    p.add_argument("--samples", type=int, default=50, help="weight draws averaged in a prediction")
    p.add_argument("--rotation-digits", type=int, default=500, help="test digits rotated in the angle sweep")
    return p.parse_args(argv)


def shrink(images, size):
    k = 28 // size
    return images.reshape(-1, size, k, size, k).mean(axis=(2, 4)).reshape(len(images), size * size)


def rotate(images, degrees, size):
    """Images (n, size * size) turned counterclockwise by ``degrees`` about their centre."""
    theta, centre = math.radians(degrees), (size - 1) / 2
    rows, cols = numpy.mgrid[0:size, 0:size].astype(numpy.float64) - centre
    # where each output pixel comes from: the inverse rotation of its coordinates (rows point down)
    src_rows = math.cos(theta) * rows + math.sin(theta) * cols + centre
    src_cols = -math.sin(theta) * rows + math.cos(theta) * cols + centre
    r0, c0 = numpy.floor(src_rows).astype(int), numpy.floor(src_cols).astype(int)
    fr, fc = src_rows - r0, src_cols - c0
    square, out = images.reshape(-1, size, size), numpy.zeros((len(images), size, size), dtype=images.dtype)
    for dr, dc, weight in ((0, 0, (1 - fr) * (1 - fc)), (0, 1, (1 - fr) * fc), (1, 0, fr * (1 - fc)), (1, 1, fr * fc)):
        r, c = r0 + dr, c0 + dc
        inside = (r >= 0) & (r < size) & (c >= 0) & (c < size)
        out[:, inside] += weight[inside] * square[:, r[inside], c[inside]]
    return out.reshape(len(images), size * size)


# %% [markdown]
# ## Part 2: the gradient's variance ([chapter](../docs/bnn.md#part-2-the-variance-of-the-minibatch-gradient))
#
# At fixed parameters, `--variance-repeats` minibatches with fresh noise: for each parameter array,
# the variance of its entries' gradients, averaged over the entries (Kingma et al. 2015, table 1).

# %%
def measure_variances(model, images, labels, batch_sizes, args, desc):
    """{estimator: {batch size: {parameter: variance of its minibatch gradient of -ELBO/N, mean over its entries}}},
    and {estimator: {batch size: CPU seconds per gradient}}; the same minibatches for every estimator."""
    table, seconds = {e: {} for e in ESTIMATORS + REFERENCES}, {e: {} for e in ESTIMATORS + REFERENCES}
    for estimator, b in common.progress([(e, b) for e in table for b in batch_sizes], args, desc=desc, leave=False):
        set_estimator(model, estimator)
        rng, grads, tick = mg.backend.host_generator([args.seed, b]), {}, time.process_time()
        mg.random.seed(args.seed + 7)
        for _ in range(args.variance_repeats):
            index = rng.choice(len(images), size=b, replace=False)
            model.zero_grad()
            negative_elbo(model, mg.tensor(images[index], device=args.device),
                          mg.tensor(labels[index], device=args.device), len(images))[0].backward()
            for name, p in model.named_parameters():
                grads.setdefault(name, []).append(p.grad.numpy().astype(numpy.float64))
        seconds[estimator][b] = (time.process_time() - tick) / args.variance_repeats    # CPU time, not the wall's
        table[estimator][b] = {name: float(numpy.var(g, axis=0, ddof=1).mean()) for name, g in grads.items()}
    model.zero_grad()
    set_estimator(model, args.estimator)
    return table, seconds


# %% [markdown]
# ## Part 3: training with each estimator ([chapter](../docs/bnn.md#part-3-training-with-each-estimator))
#
# Same start, same minibatches for each estimator and a plain network; after every epoch, the test
# error of the predictive mean $\frac1S\sum_s \operatorname{softmax}(f(x, w_s))$.

# %%
def train_classifier(model, images, labels, test_images, test_labels, args, desc, seed_offset):
    optimizer = mg.optim.Adam(model.parameters(), lr=args.lr)
    history = {"train_loss": [], "train_nll": [], "train_kl": [], "test_error": [], "test_nll": []}
    for epoch in range(args.epochs):
        rng = mg.backend.host_generator([args.seed, epoch])     # the same minibatches for every model
        mg.random.seed(args.seed * 1000 + epoch + seed_offset)
        order = rng.permutation(len(images))
        totals = numpy.zeros(3)
        for i in common.progress(range(0, len(order), args.batch_size), args, desc=f"{desc}, epoch {epoch + 1}",
                                 leave=False):
            index = order[i:i + args.batch_size]
            optimizer.zero_grad()
            x, y = mg.tensor(images[index], device=args.device), mg.tensor(labels[index], device=args.device)
            loss, nll, kl = negative_elbo(model, x, y, len(images))     # a plain network: kl = 0
            loss.backward()
            optimizer.step()
            totals += [float(loss) * len(index), float(nll) * len(index), float(kl) * len(index)]
        for key, total in zip(("train_loss", "train_nll", "train_kl"), totals):
            history[key].append(float(total / len(images)))
        probs = predict_draws(model, test_images, min(args.samples, 10), 10_000 + epoch, args.device).mean(0)
        history["test_error"].append(float((probs.argmax(1) != test_labels).mean()))
        history["test_nll"].append(float(-numpy.log(probs[numpy.arange(len(test_labels)), test_labels] + 1e-12).mean()))
    return history


@mg.no_grad()
def predict_draws(model, images, samples, seed, device, batch_size=1000):
    """Softmax outputs (samples, n, classes): one row per weight draw (a plain network: one row)."""
    mg.random.seed(seed)
    draws = samples if bayesian_layers(model) else 1
    return numpy.stack([numpy.concatenate([
        F.softmax(model(mg.tensor(images[i:i + batch_size], device=device)), axis=1).numpy()
        for i in range(0, len(images), batch_size)]) for _ in range(draws)]).astype(numpy.float64)


# %% [markdown]
# ## Part 4: knowing what it does not know ([chapter](../docs/bnn.md#part-4-what-the-classifier-knows-it-does-not-know))
#
# Predictive entropy and mutual information on test digits, turned digits and noise; the AUROC of each.

# %%
def entropy(p, axis=-1):
    return -(p * numpy.log(numpy.where(p > 0, p, 1.0))).sum(axis)


def auroc(inside, outside):
    """P(a score of ``outside`` > a score of ``inside``), ties counted half."""
    inside, outside = numpy.asarray(inside)[None, :], numpy.asarray(outside)[:, None]
    return float((outside > inside).mean() + 0.5 * (outside == inside).mean())


def scores(bnn, plain, images, labels, args, seed, plain_seed):
    """Per input: the Bayesian network's predictive entropy and mutual information, the plain network's
    entropy, and whether each is right."""
    bnn_draws = predict_draws(bnn, images, args.samples, seed, args.device)
    plain_probs = predict_draws(plain, images, 1, plain_seed, args.device)[0]
    total = entropy(bnn_draws.mean(0))
    return {"bnn_entropy": total, "bnn_mutual_information": total - entropy(bnn_draws).mean(0),
            "plain_entropy": entropy(plain_probs), "bnn_accuracy": bnn_draws.mean(0).argmax(1) == labels,
            "plain_accuracy": plain_probs.argmax(1) == labels}


def out_of_distribution(bnn, plain, test_images, test_labels, args):
    rng, size = mg.backend.host_generator([args.seed, 4]), args.image_size
    inputs = {"test digits": test_images, "test digits turned 90 degrees": rotate(test_images, 90, size),
              "uniform noise": rng.random(test_images.shape).astype(numpy.float32)}
    all_scores = {name: scores(bnn, plain, x, test_labels, args, 20_000, 20_000) for name, x in inputs.items()}
    results = {name: {k: float(v.mean()) for k, v in s.items() if "accuracy" not in k or name != "uniform noise"}
               for name, s in all_scores.items()}       # noise has no labels
    for name in ("test digits turned 90 degrees", "uniform noise"):
        for k in SCORES:
            results[name][f"auroc_{k}"] = auroc(all_scores["test digits"][k], all_scores[name][k])
    sweep = {"angles": list(range(0, 181, 15))}
    digits, labels = test_images[:args.rotation_digits], test_labels[:args.rotation_digits]
    for angle in sweep["angles"]:
        for k, v in scores(bnn, plain, rotate(digits, angle, size), labels, args, 30_000 + angle, 0).items():
            sweep.setdefault(k, []).append(float(v.mean()))
    return results, all_scores, inputs, sweep


# %% [markdown]
# ## Tables (printed, and written as Markdown for the chapter), pictures, and `main`, which runs the parts

# %%
def table(args, name, header, rows, title):
    text = "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
                      *("| " + " | ".join("" if c == "nan" else str(c) for c in row) + " |" for row in rows)]) + "\n"
    pathlib.Path(args.out, name).write_text(text)
    print(f"\n{title}\n{text}", end="")


def cell(tab, e, b, c):     # a variance, or "-" for rho without weight noise (its data gradient is 0)
    return "-" if e == "mean" and c.endswith("rho") else f"{tab[e][b][c]:.3g}"


def finish(fig, args, name, title, axes, bottom=0.07, ncol=3):
    """One legend under the panels (the labelled lines of ``axes``), the title with the run, the file."""
    handles = {label: h for ax in axes for h, label in zip(*ax.get_legend_handles_labels())}
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=ncol, fontsize=8)
    fig.suptitle(f"{title}\nBayesian MLP {args.image_size ** 2}-{args.hidden}-10, prior N(0, {args.prior_scale:g}^2), "
                 f"{args.train_size} digits at {args.image_size}x{args.image_size}, {args.epochs} epochs, batch "
                 f"{args.batch_size}, Adam lr {args.lr:g}, seed {args.seed}, device {args.device}", fontsize=9)
    fig.tight_layout(rect=(0, bottom, 1, 1))
    common.save_figure(fig, args, name)


def draw_variance(tab, args, plt, when):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    sizes = numpy.array(args.variance_batch_sizes, dtype=float)
    for ax, column in zip(axes, ("0.weight_loc", "0.weight_rho")):
        for e in ESTIMATORS + REFERENCES:
            if not (e == "mean" and column.endswith("rho")):    # no weight noise: no data gradient for rho
                ax.loglog(sizes, [tab[e][b][column] for b in args.variance_batch_sizes], marker="o", markersize=4,
                          color=COLOURS[e], label=LABELS[e], linestyle="--" if e in REFERENCES else "-")
        ax.loglog(sizes, tab["local"][args.variance_batch_sizes[0]][column] * sizes[0] / sizes, color="0.6",
                  linewidth=0.8, linestyle=":", label="slope 1 / batch size")
        ax.set(xlabel="minibatch size", ylabel="variance of the gradient\n(mean over the layer's entries)")
        ax.set_title(f"first layer, d/d {column.split('_')[1].replace('loc', 'mu')}", fontsize=10)
    finish(fig, args, "gradient_variance.png", f"Variance of the minibatch gradient of -ELBO/N at fixed parameters "
           f"({when}), {args.variance_repeats} draws per point", axes[:1], bottom=0.12)


def draw_training(histories, args, plt):
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.2))
    epochs = numpy.arange(1, args.epochs + 1)
    for e in (*ESTIMATORS, "plain"):
        label = LABELS.get(e, "plain network (cross-entropy only)")
        for ax, key, scale in zip(axes, ("train_loss", "train_nll", "test_error"), (1, 1, 100)):
            if e != "plain" or key == "test_error":
                ax.plot(epochs, scale * numpy.array(histories[e][key]), "o-", markersize=3, color=COLOURS[e],
                        label=label if ax is axes[0] or e == "plain" else None)
    axes[0].set(yscale="log", ylabel="-ELBO / N (log scale)", title="training loss: NLL + KL / N")
    axes[1].set(ylabel="negative log-likelihood per digit", title="its data term (NLL)")
    axes[2].set(ylabel="test error (%)", title=f"test error of the predictive mean\n({min(args.samples, 10)} draws)")
    plt.setp(axes, xlabel="epoch", xticks=epochs)
    finish(fig, args, "training.png", "Training the classifier with each gradient estimator (same start, same "
           "minibatches)", axes, ncol=4)


def draw_uncertainty(all_scores, inputs, sweep, args, plt):
    sets = dict(zip(inputs, ("tab:blue", "tab:purple", "tab:red")))
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), sharey=True)
    titles = (f"Bayesian ({LABELS[args.estimator]}): predictive entropy", "Bayesian: mutual information\n"
              "(disagreement of the drawn networks)", "plain network: entropy of its softmax")
    for ax, key, title in zip(axes, SCORES, titles):
        for name, colour in sets.items():
            v = all_scores[name][key]
            ax.hist(v, bins=numpy.linspace(0, math.log(10), 31), weights=numpy.full(len(v), 100 / len(v)),
                    histtype="step", linewidth=1.5, color=colour, label=f"{name} ({len(v)})")
        ax.axvline(math.log(10), color="k", linestyle=":", linewidth=1)
        ax.set(xlabel="nats (dotted: log 10, all classes equal)", ylabel="% of the inputs")
        ax.set_title(title, fontsize=9)
    finish(fig, args, "entropy.png", "How unsure each network is, on inputs like its training digits and on two "
           f"kinds it never saw ({args.samples} weight draws)", axes[:1])

    fig, axes = plt.subplots(3, 1, figsize=(8, 3.6))
    for ax, (name, images) in zip(axes, inputs.items()):
        ax.imshow(common.image_grid(images, 1, 8, args.image_size), cmap="gray", vmin=0, vmax=1)
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    fig.suptitle(f"The three kinds of input of part 4, at {args.image_size} x {args.image_size} pixels", fontsize=10)
    fig.tight_layout()
    common.save_figure(fig, args, "ood_inputs.png")

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    a = sweep["angles"]
    for ax, key, style, label in ((0, "bnn_entropy", "o-", "Bayesian: predictive entropy"),
                                  (0, "bnn_mutual_information", "o--", "Bayesian: mutual information"),
                                  (0, "plain_entropy", "o-", "plain network: entropy"), (1, "bnn_accuracy", "o-", None),
                                  (1, "plain_accuracy", "o-", None)):
        axes[ax].plot(a, (100 if ax else 1) * numpy.array(sweep[key]), style, ms=3, label=label,
                      color="tab:blue" if key.startswith("bnn") else "tab:orange")
    axes[0].set(ylabel="mean over the digits (nats)", title="uncertainty")
    axes[1].set(ylabel="accuracy (%)", ylim=(0, 100), title="accuracy")
    for ax in axes:
        ax.set(xlabel="rotation of the test digits (degrees)", xticks=a[::2])
    finish(fig, args, "rotation.png", f"{args.rotation_digits} test digits turned counterclockwise: as the accuracy "
           f"falls, does the uncertainty rise? ({args.samples} weight draws)", axes[:1])


def main(argv=None):
    args = options(argv)
    plt = common.start(args)
    began, metrics = time.perf_counter(), {"config": vars(args).copy()}
    data, size = mg.data.load_mnist(binarize_test=False), args.image_size
    images, labels = shrink(data.train_images[:args.train_size], size), data.train_labels[:args.train_size]
    test_images, test_labels = shrink(data.test_images[:args.test_size], size), data.test_labels[:args.test_size]
    sizes = [size * size, args.hidden, 10]
    mg.random.seed(args.seed)
    model = bayesian_mlp(sizes, args.prior_scale, args.init_scale, device=args.device)
    initial = model.state_dict()
    at_start = measure_variances(model, images, labels, [args.batch_size], args, "part 2: at the start")
    histories, trained = {}, None
    for i, estimator in enumerate(ESTIMATORS):
        model.load_state_dict(initial)
        set_estimator(model, estimator)
        histories[estimator] = train_classifier(model, images, labels, test_images, test_labels, args,
                                                f"part 3: {estimator}", seed_offset=i)
        if estimator == args.estimator:
            trained = model.state_dict()
    mg.random.seed(args.seed)
    plain = mg.nn.MLP(sizes, device=args.device)
    histories["plain"] = train_classifier(plain, images, labels, test_images, test_labels, args, "part 3: plain",
                                          seed_offset=len(ESTIMATORS))
    table(args, "training.md", [f"after {args.epochs} epochs", "-ELBO/N", "NLL", "KL / N", "test error", "test NLL"],
          [[LABELS.get(e, "plain network (no KL)"), *(f"{h[k][-1]:.3f}" for k in ("train_loss", "train_nll")),
            f"{h['train_kl'][-1]:.3f}", f"{100 * h['test_error'][-1]:.2f}%", f"{h['test_nll'][-1]:.3f}"]
           for e, h in histories.items()],
          "part 3, training with each estimator")
    model.load_state_dict(trained)
    after = measure_variances(model, images, labels, args.variance_batch_sizes, args, "part 2: after training")
    columns, shown = ("0.weight_loc", "0.weight_rho", "2.weight_loc", "2.weight_rho"), args.variance_batch_sizes[-1]
    shown = args.batch_size if args.batch_size in args.variance_batch_sizes else shown
    when = f"after {args.epochs} epochs with {LABELS[args.estimator]}"
    table(args, "variance.md", ["estimator", "L0 $\\mu$", "L0 $\\rho$", "L1 $\\mu$", "L1 $\\rho$", "CPU ms"],
          [row for (v, sec), b, what in ((at_start, args.batch_size, "at the initial parameters"), (after, shown, when))
           for row in [[f"*{what}, batch {b}*", *[""] * 5], *([LABELS[e], *(cell(v, e, b, c) for c in columns),
                                                                f"{1000 * sec[e][b]:.1f}"] for e in v)]],
          "part 2, the variance of the minibatch gradient (mean over each array's entries)")
    b, v = args.variance_batch_sizes, after[0]
    table(args, "variance_by_batch_size.md", ["first layer", *(f"$\\{p}$: {n}" for p in ("mu", "rho") for n in b),
                                              "fall ($\\mu$)", "fall ($\\rho$)"],
          [[LABELS[e], *(cell(v, e, n, c) for c in columns[:2] for n in b),
            *(f"{v[e][b[0]][c] / v[e][b[-1]][c]:.1f}x" if cell(v, e, b[0], c) != "-" else "-" for c in columns[:2])]
           for e in v],
          f"part 2, {when}, by minibatch size (1 / batch size predicts a fall of {b[-1] / b[0]:g}x)")
    results, all_scores, inputs, sweep = out_of_distribution(model, plain, test_images, test_labels, args)
    table(args, "uncertainty.md", ["inputs", "accuracy, Bayesian / plain", "predictive entropy, Bayesian",
                                   "mutual information, Bayesian", "entropy, plain", "AUROC: entropy, Bayesian",
                                   "mutual information, Bayesian", "entropy, plain"],
          [[name, f"{100 * v['bnn_accuracy']:.1f}% / {100 * v['plain_accuracy']:.1f}%" if "bnn_accuracy" in v else "",
            *(f"{v[k]:.3f}" for k in SCORES), *(f"{v.get('auroc_' + k, math.nan):.3f}" for k in SCORES)]
           for name, v in results.items()],
          f"part 4, uncertainty in nats ({args.samples} weight draws); AUROC: P(the score of an input of the set "
          f"beats that of a test digit)")
    metrics.update(training=histories, out_of_distribution={"sets": results, "rotation_sweep": sweep},
                   variance={"at_start": at_start[0], "after_training": after[0], "repeats": args.variance_repeats,
                             "cpu_seconds_per_gradient": {"at_start": at_start[1], "after_training": after[1]}},
                   seconds=time.perf_counter() - began)
    common.write_json(args, "metrics.json", metrics)
    draw_variance(after[0], args, plt, when)
    draw_training(histories, args, plt)
    draw_uncertainty(all_scores, inputs, sweep, args, plt)
    print(f"\nwrote metrics.json, 4 tables and 5 pictures to {args.out} in {metrics['seconds']:.0f} s")
    return metrics


# %% [markdown]
# In a notebook, the next cell runs `main` and shows the pictures (`["--epochs", "3"]`: a quick look).

# %%
if common.in_notebook(__name__):
    main(["--no-progress"])
    common.show("demo_out/bnn", *PICTURES)

# %%
if __name__ == "__main__" and not common.in_notebook(__name__):
    main()
