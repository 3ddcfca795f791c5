"""Synthetic data: k Gaussian clusters ("blobs") in R^d, as in Section 3.1 of the paper."""

from __future__ import annotations

import numpy as np


def gaussian_blobs(
    *,
    n_classes: int,
    dim: int,
    n_train: int,
    n_test: int,
    cov: float,
    center_box: tuple[float, float],
    seed: int,
    run_seed: int = 0,
    cov_multiplies: str = "std",
) -> tuple[dict[str, np.ndarray], dict]:
    """Draw k isotropic Gaussian clusters and split them into train and test sets.

    As in the authors' code (scikit-learn's make_blobs): the centres are uniform in
    `center_box` in every coordinate, each cluster has standard deviation `cov` in every
    direction (the paper's "cov" multiplier: larger is less separable), and the points are
    shuffled and split. `seed` is blobs.data.seed, `run_seed` the seed of the runs that
    train on this draw (blobs.seeds): each repetition of a cell gets its own data.
    `cov_multiplies` "variance" reads cov as a multiplier of the covariance (standard
    deviation sqrt(cov), as the authors' code may have), "std" as above. Every
    cluster gets the same share of points (the remainder goes to the first clusters).
    Inputs are standardised globally with the training set's mean and standard deviation,
    and the same transform is applied to the test set.
    """
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    if cov <= 0:
        raise ValueError(f"cov must be positive, got {cov}")
    if cov_multiplies not in ("std", "variance"):
        raise ValueError(f"cov_multiplies must be 'std' or 'variance', got {cov_multiplies!r}")
    std_of_cluster = cov if cov_multiplies == "std" else float(np.sqrt(cov))
    # The seed sequence mixes in the dataset's identity, so every (k, cov, run seed) gets
    # its own stream from one configured seed.
    rng = np.random.default_rng([seed, n_classes, round(cov * 1000), dim, run_seed])
    low, high = center_box
    centers = rng.uniform(low, high, size=(n_classes, dim))
    n_total = n_train + n_test
    labels = np.arange(n_total) % n_classes
    rng.shuffle(labels)
    inputs = centers[labels] + std_of_cluster * rng.standard_normal((n_total, dim))

    x_train, x_test = inputs[:n_train], inputs[n_train:]
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std[std == 0] = 1.0
    arrays = {
        "x_train": (x_train - mean) / std,
        "y_train": labels[:n_train].astype(np.int64),
        "x_test": (x_test - mean) / std,
        "y_test": labels[n_train:].astype(np.int64),
    }
    attrs = {
        "kind": "gaussian_blobs",
        "n_classes": n_classes,
        "dim": dim,
        "n_train": n_train,
        "n_test": n_test,
        "cov": float(cov),
        "cov_multiplies": cov_multiplies,
        "center_box": list(center_box),
        "seed": seed,
        "run_seed": run_seed,
        "normalisation": "global standardisation with training-set mean and std",
    }
    return arrays, attrs
