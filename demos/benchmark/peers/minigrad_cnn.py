"""minigrad's CNN step as a user writes it: mg.nn.Sequential of Conv2d, ReLU, MaxPool2d, Flatten and Linear,
F.cross_entropy, mg.optim.Adam (the model of demos/classifier.py, written here as one Sequential)."""
import minigrad as mg
import minigrad.nn.functional as F

from ..presets import LR, SEED
from ..runner import Runner
from .minigrad_step import device_tools


def cnn(params, device="cpu"):
    """The CNN holding these weights (a dict of NumPy arrays named as its state_dict)."""
    model = mg.nn.Sequential(mg.nn.Conv2d(1, 16, 3, padding=1), mg.nn.ReLU(), mg.nn.MaxPool2d(2),
                             mg.nn.Conv2d(16, 32, 3, padding=1), mg.nn.ReLU(), mg.nn.MaxPool2d(2),
                             mg.nn.Flatten(), mg.nn.Linear(32 * 7 * 7, 10))
    model.load_state_dict(params)
    return model.to(device)


def build(setup):
    sync, peak = device_tools(setup)
    mg.random.seed(SEED)
    model = cnn(setup.params, setup.device)
    optimizer = mg.optim.Adam(model.parameters(), lr=LR)
    x, y = mg.tensor(setup.x, device=setup.device), mg.tensor(setup.y, device=setup.device)

    def step():
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.data
    return Runner(step, sync, peak(step))


def loss(params, x, y):
    with mg.no_grad():
        return F.cross_entropy(cnn(params)(mg.tensor(x)), mg.tensor(y)).item()
