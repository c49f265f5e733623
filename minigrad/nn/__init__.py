"""Layers: modules that own parameters, as in PyTorch's ``torch.nn``. One file per chapter:

- ``module``: :class:`Module` (what a layer owns: parameters, buffers, sub-modules;
  train/eval; state_dict) and :class:`Parameter`; the containers :class:`Sequential`,
  :class:`ModuleList`, :class:`ModuleDict`;
- ``functional`` (``mg.nn.functional``, PyTorch's ``F``): the functions behind the layers:
  activations, dropout, pad, convolution and pooling, normalization, embedding, losses;
- ``init`` (``mg.nn.init``): initial weights (Glorot/Xavier, He/Kaiming);
- ``layers``: :class:`Linear`, the activations, :class:`MLP`, :class:`Flatten`,
  :class:`Dropout`, :class:`Embedding`;
- ``conv``: :class:`Conv2d`, :class:`ConvTranspose2d`, :class:`MaxPool2d`, :class:`AvgPool2d`;
- ``normalization``: :class:`BatchNorm1d`, :class:`BatchNorm2d`, :class:`LayerNorm`;
- ``loss``: :class:`CrossEntropyLoss`, :class:`NLLLoss`, :class:`BCEWithLogitsLoss`, :class:`MSELoss`;
- ``bayesian``: :class:`BayesianLinear`, a dense layer with a Gaussian for every weight (Bayes by
  Backprop), with the local reparameterization and Flipout estimators and its KL to the prior.

A :class:`Module` finds what it owns by walking its attributes; nothing is registered by magic.

    model = mg.nn.Sequential(mg.nn.Conv2d(1, 16, 3, padding=1), mg.nn.ReLU(), mg.nn.MaxPool2d(2),
                             mg.nn.Flatten(), mg.nn.Linear(16 * 14 * 14, 10))
    loss = mg.nn.functional.cross_entropy(model(x), y)
    loss.backward()                 # fills p.grad for p in model.parameters()

Weights have PyTorch's layouts, so they copy to and from ``torch.nn`` unchanged: Linear's is
(out_features, in_features) and the layer is ``x @ W.T + b``; Conv2d's is (out, in, kh, kw),
ConvTranspose2d's (in, out, kh, kw). A layer with parameters computes in their dtype and
refuses an input of another (a float64 batch into a float32 layer), as PyTorch does.
"""
from . import functional, init
from .bayesian import BayesianLinear
from .conv import AvgPool2d, Conv2d, ConvTranspose2d, MaxPool2d
from .layers import (ACTIVATIONS, ELU, GELU, MLP, Dropout, Embedding, Flatten, Identity, LeakyReLU, Linear, ReLU,
                     Sigmoid, SiLU, Softplus, Tanh)
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, ModuleDict, ModuleList, Parameter, Sequential
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm

__all__ = ["functional", "init", "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "Linear",
           "Identity", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Softplus", "ELU", "GELU", "SiLU", "ACTIVATIONS",
           "MLP", "Flatten", "Dropout", "Embedding", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d",
           "BatchNorm1d", "BatchNorm2d", "LayerNorm", "CrossEntropyLoss", "NLLLoss", "BCEWithLogitsLoss", "MSELoss",
           "BayesianLinear"]
