"""mg.data.load_breast_cancer: one label coding, one split, standardisation by the training cases."""
import csv

import numpy as np
import pytest

import minigrad as mg
from minigrad.data.breast_cancer import CSV


def raw():
    with open(CSV, newline="") as f:
        rows = list(csv.reader(f))
    values = np.array(rows[1:], dtype=np.float64)
    return values[:, :-1], values[:, -1]


def test_labels_are_one_for_malignant_and_the_split_is_fixed():
    data = mg.data.load_breast_cancer()
    assert data.train_features.shape == (400, 31) and data.test_features.shape == (169, 31)
    assert len(data.feature_names) == 30 and data.feature_names[0] == "mean radius"
    labels = np.concatenate([data.train_labels, data.test_labels])
    assert labels.sum() == 212                                  # 212 malignant of 569
    features, target = raw()
    order = np.random.default_rng(0).permutation(569)
    np.testing.assert_array_equal(data.test_labels, 1.0 - target[order[400:]])     # the CSV codes benign as 1
    again = mg.data.load_breast_cancer()
    np.testing.assert_array_equal(again.train_features, data.train_features)


def test_features_are_standardised_by_the_training_cases_only():
    data = mg.data.load_breast_cancer(bias=False)
    assert data.train_features.shape == (400, 30)
    np.testing.assert_allclose(data.train_features.mean(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(data.train_features.std(0), 1.0, rtol=1e-12)
    assert np.abs(data.test_features.mean(0)).max() > 1e-3          # the test cases did not set the scale
    raw_data = mg.data.load_breast_cancer(standardize=False, bias=False)
    features, _ = raw()
    order = np.random.default_rng(0).permutation(569)
    np.testing.assert_array_equal(raw_data.train_features, features[order[:400]])


def test_a_bias_column_and_all_cases_for_training():
    data = mg.data.load_breast_cancer(test_size=0, seed=3)
    assert data.train_features.shape == (569, 31) and data.test_features.shape == (0, 31)
    np.testing.assert_array_equal(data.train_features[:, -1], 1.0)
    with pytest.raises(ValueError, match="test_size must be in"):
        mg.data.load_breast_cancer(test_size=569)
