"""PyTorch eager, the CNN step: torch.nn.Sequential of Conv2d, ReLU, MaxPool2d, Flatten and Linear,
F.cross_entropy, torch.optim.Adam (as it comes: on the CPU a loop over the parameters)."""
from ..presets import LR, SEED
from ..runner import Runner, Skip, require


def cnn(torch, params, device="cpu"):
    """A torch.nn.Sequential holding these weights (a dict of NumPy arrays, minigrad's names)."""
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
    with torch.no_grad():
        for name, value in params.items():
            layer, kind = name.split(".")     # the same layouts as minigrad's: Linear's weight is (out, in)
            getattr(model[int(layer)], kind).copy_(torch.from_numpy(value))
    return model.to(torch.device(device))


def build(setup):
    torch = require("torch")
    torch.set_num_threads(setup.threads)
    torch.manual_seed(SEED)
    if setup.device == "cuda" and not torch.cuda.is_available():
        raise Skip(f"this PyTorch ({torch.__version__}) sees no CUDA device")
    model = cnn(torch, setup.params, setup.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    x, y = torch.from_numpy(setup.x).to(setup.device), torch.from_numpy(setup.y).to(setup.device)

    def step():
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.detach()
    return Runner(step, torch.cuda.synchronize if setup.device == "cuda" else (lambda: None))


def loss(params, x, y):
    torch = require("torch")
    with torch.no_grad():
        return torch.nn.functional.cross_entropy(cnn(torch, params)(torch.from_numpy(x)), torch.from_numpy(y)).item()
