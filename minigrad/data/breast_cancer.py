"""The Wisconsin diagnostic breast-cancer data: 569 tumours, 30 features, malignant or benign.

A small, real binary classification problem for Bayesian logistic regression and for
second-order optimisation, shipped as ``breast_cancer.csv`` (credit and licence:
ATTRIBUTION.md beside it). One loader, so that every user codes the labels, splits the cases
and standardises the features the same way.
"""
import csv
import os
from typing import NamedTuple

import numpy

from .. import backend

CSV = os.path.join(os.path.dirname(os.path.abspath(__file__)), "breast_cancer.csv")


class BreastCancer(NamedTuple):
    """Features as float64 (n, 30), or (n, 31) with a last column of ones; labels 1.0 = malignant."""
    train_features: numpy.ndarray
    train_labels: numpy.ndarray
    test_features: numpy.ndarray
    test_labels: numpy.ndarray
    feature_names: list


def load_breast_cancer(test_size=169, seed=0, standardize=True, bias=True):
    """The 569 tumours as a :class:`BreastCancer` tuple, split into training and test cases.

    - Labels: 1.0 for **malignant** (212 cases), 0.0 for benign (357), so that a positive
      weight pushes towards the diagnosis (the CSV's ``target`` column has scikit-learn's
      coding, 1 = benign; this flips it).
    - Split: the cases in the order of ``backend.host_generator(seed).permutation(569)``; the
      last ``test_size`` are the test set (``test_size=0``: every case is a training case).
    - ``standardize``: every feature minus its mean over the *training* cases, divided by its
      standard deviation there, so that nothing about the test cases leaks into training.
    - ``bias``: a last feature, always 1, whose weight is the intercept (31 features in all).
    """
    if not 0 <= test_size < 569:
        raise ValueError(f"load_breast_cancer: test_size must be in [0, 568], got {test_size}")
    with open(CSV, newline="") as file:
        rows = list(csv.reader(file))
    header, values = rows[0], numpy.array(rows[1:], dtype=numpy.float64)
    if header[-1] != "target" or values.shape != (569, 31):
        raise ValueError(f"{CSV}: expected 569 rows of 30 features and 'target', got {values.shape} and {header}")
    features, labels = values[:, :-1], 1.0 - values[:, -1]
    order = backend.host_generator(seed).permutation(len(labels))
    train, test = order[:len(labels) - test_size], order[len(labels) - test_size:]
    if standardize:
        features = (features - features[train].mean(0)) / features[train].std(0)
    if bias:
        features = numpy.hstack([features, numpy.ones((len(labels), 1))])
    return BreastCancer(features[train], labels[train], features[test], labels[test], header[:-1])
