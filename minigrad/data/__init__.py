"""Data: MNIST digits, binarization, datasets and minibatches.

    data = mg.data.load_mnist(binarize_test=False)        # a classifier: grey train and test digits
    loader = mg.data.DataLoader(mg.data.TensorDataset(data.train_images, data.train_labels),
                                batch_size=128, shuffle=True, seed=0, device="cpu")
    for x, y in loader:                                    # x float32 (128, 784), y int64 (128,)
        ...

    data = mg.data.load_mnist()                            # a VAE: test digits binarized once
    rng = mg.backend.host_generator(0)
    x = mg.data.binarize(data.train_images, rng)           # a fresh 0/1 version of the training digits
    for batch in mg.data.BatchIterator(x, batch_size=128, shuffle=True, rng=rng, device="cpu"):
        ...

Arrays stay NumPy arrays on the host until a loader turns each batch into tensors on the
model's device. Randomness comes from a NumPy Generator that the caller passes in
(``mg.backend.host_generator(seed)``) or a seed, so a seeded program shuffles and
binarizes the same way on every run.

MNIST and the IDX format are in mnist.py; the breast-cancer data in breast_cancer.py; Dataset,
TensorDataset, DataLoader and BatchIterator in dataloader.py. ``minigrad.utils.data`` names the
same classes at PyTorch's path (``from minigrad.utils.data import DataLoader``).
"""
from .breast_cancer import BreastCancer, load_breast_cancer
from .dataloader import BatchIterator, DataLoader, Dataset, TensorDataset
from .mnist import EMBEDDED, MNIST, binarize, load_mnist, read_idx

__all__ = ["EMBEDDED", "MNIST", "load_mnist", "binarize", "read_idx", "BreastCancer", "load_breast_cancer", "Dataset",
           "TensorDataset", "DataLoader", "BatchIterator"]
