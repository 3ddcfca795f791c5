"""GD against SGD: end-point distances and spectrum differences, by hand."""

from __future__ import annotations

import numpy as np

from hessian_spectra import gd_vs_sgd


def run(init, final, eigenvalues, steps=100) -> dict:
    return {
        "init": np.array(init, dtype=float),
        "final": np.array(final, dtype=float),
        "steps": steps,
        "eigenvalues": np.array(eigenvalues, dtype=float),
    }


def test_distances_are_relative_to_the_distance_gd_travelled():
    gd = run([0, 0], [3, 4], [-0.1, 0.5, 2.0], steps=1000)
    sgd = run([0, 0], [3, 4.5], [-0.2, 0.6, 2.2], steps=1100)
    row = gd_vs_sgd.compare(gd, sgd, activation="relu", n_classes=2, cov=1.0)
    assert row["travelled_gd"] == 5.0 and row["distance"] == 0.5
    assert row["relative_distance"] == 0.1
    assert row["travelled_sgd"] == np.hypot(3, 4.5)
    assert row["same_start"] and (row["steps_gd"], row["steps_sgd"]) == (1000, 1100)
    assert row["max_sgd"] / row["max_gd"] == 1.1
    assert np.isclose(row["spectrum_difference"], 0.2 / 2.0)  # rank-wise: top pair
    assert (row["activation"], row["n_classes"], row["cov"]) == ("relu", 2, 1.0)


def test_one_end_point_gives_zero_distance_and_different_starts_are_flagged():
    gd = run([0, 0], [1, 1], [0.1, 1.0])
    assert (
        gd_vs_sgd.compare(gd, gd, activation="tanh", n_classes=2, cov=1.0)["relative_distance"] == 0
    )
    moved = run([0, 1], [1, 1], [0.1, 1.0])
    assert not gd_vs_sgd.compare(gd, moved, activation="tanh", n_classes=2, cov=1.0)["same_start"]
