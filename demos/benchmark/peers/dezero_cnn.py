"""DeZero, the CNN step: L.Conv2d (im2col and a matrix product, dezero/functions_conv.py), F.relu,
F.pooling (max-pooling by im2col and argmax), L.Linear, F.softmax_cross_entropy, dezero.optimizers.Adam.

As in its VAE step (dezero_step.py), DeZero's own choices are kept: its Adam adds eps before the bias
correction, and its layers compute a gradient for the input images too. One more: the backward of
F.softmax_cross_entropy multiplies by 1/N, a Python float that DeZero makes a float64 array, and
subtracts an int64 one-hot, so the logits' gradient and the linear layer's gradients are float64
(NumPy 2 promotes); the max-pool's backward returns to float32, so the convolutions stay in float32.
That is a (128, 10) @ (10, 1568) product and the (1568, 10) weight's gradient in float64: a small
part of the step, kept as DeZero computes it.
"""
from ..presets import LR
from ..runner import Runner, cpu_only, tracemalloc_peak
from .dezero_step import import_dezero


def cnn(dezero, params):
    """A dezero.Model holding these weights; model(x) gives the logits."""
    F, L = dezero.functions, dezero.layers

    class CNN(dezero.Model):
        def __init__(self):
            super().__init__()
            self.conv1 = L.Conv2d(16, kernel_size=3, stride=1, pad=1, in_channels=1)
            self.conv2 = L.Conv2d(32, kernel_size=3, stride=1, pad=1, in_channels=16)
            self.linear = L.Linear(10, in_size=32 * 7 * 7)     # W stored (in, out): the transpose of ours

        def forward(self, x):
            h = F.pooling(F.relu(self.conv1(x)), 2, stride=2)
            h = F.pooling(F.relu(self.conv2(h)), 2, stride=2)
            return self.linear(F.reshape(h, (h.shape[0], -1)))

    model = CNN()
    for layer, index in ((model.conv1, "0"), (model.conv2, "3"), (model.linear, "7")):
        weight = params[f"{index}.weight"]
        layer.W.data = (weight.T if layer is model.linear else weight).copy()
        layer.b.data = params[f"{index}.bias"].copy()
    return model


def build(setup):
    cpu_only(setup, "DeZero")
    dezero = import_dezero()
    model = cnn(dezero, setup.params)
    optimizer = dezero.optimizers.Adam(alpha=LR).setup(model)
    x, y = setup.x, setup.y

    def step():
        loss = dezero.functions.softmax_cross_entropy(model(x), y)
        model.cleargrads()         # DeZero adds to a gradient that is there: clear before backward
        loss.backward()
        optimizer.update()
        return loss.data
    return Runner(step, peak_bytes=tracemalloc_peak(step))


def loss(params, x, y):
    dezero = import_dezero()
    with dezero.no_grad():
        return float(dezero.functions.softmax_cross_entropy(cnn(dezero, params)(x), y).data)
