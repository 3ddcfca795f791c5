"""GD against SGD: end-point distances, spectrum differences, gap counts and the one-basin
threshold, by hand."""

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


LINE = {"barrier": 0.0, "end_loss": 1e-3}  # the loss on the line: no barrier


def test_distances_are_relative_to_the_distance_gd_travelled():
    gd = run([0, 0], [3, 4], [-0.1, 0.5, 2.0], steps=1000)
    sgd = run([0, 0], [3, 4.5], [-0.2, 0.6, 2.2], steps=1100)
    row = gd_vs_sgd.compare(gd, sgd, **LINE, activation="relu", n_classes=2, cov=1.0)
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
        gd_vs_sgd.compare(gd, gd, **LINE, activation="tanh", n_classes=2, cov=1.0)[
            "relative_distance"
        ]
        == 0
    )
    moved = run([0, 1], [1, 1], [0.1, 1.0])
    assert not gd_vs_sgd.compare(gd, moved, **LINE, activation="tanh", n_classes=2, cov=1.0)[
        "same_start"
    ]


def test_each_runs_count_above_its_largest_gap_is_in_the_comparison():
    """The same-start SGD run is not in Table 1: the comparison counts its outliers."""
    gd = run([0, 0], [1, 1], [-0.1, 0.0, 0.1, 5.0, 6.0])
    sgd = run([0, 0], [1, 2], [-0.1, 0.0, 0.1, 0.2, 6.0])
    row = gd_vs_sgd.compare(gd, sgd, **LINE, activation="relu", n_classes=2, cov=1.0, seed=3)
    assert (row["gap_gd"], row["gap_sgd"]) == (2, 1)
    assert row["seed"] == 3


def test_one_basin_is_decided_by_the_stated_distance_and_barrier_thresholds():
    """End points closer than ONE_BASIN_DISTANCE of GD's travel with no barrier above
    ONE_BASIN_BARRIER of the end-point loss: one basin; farther, or a barrier: not."""
    limit, rise = gd_vs_sgd.ONE_BASIN_DISTANCE, gd_vs_sgd.ONE_BASIN_BARRIER
    gd = run([0, 0], [4, 0], [0.1, 1.0])
    near = gd_vs_sgd.compare(gd, run([0, 0], [4, 0.9 * 4 * limit], [0.1, 1.0]), **LINE)
    far = gd_vs_sgd.compare(gd, run([0, 0], [4, 1.1 * 4 * limit], [0.1, 1.0]), **LINE)
    assert near["barrier"] == LINE["barrier"] and near["end_loss"] == LINE["end_loss"]
    assert gd_vs_sgd.one_basin(near) and not gd_vs_sgd.one_basin(far)
    assert gd_vs_sgd.one_basin(near | {"barrier": 0.9 * rise * 1e-3})
    assert not gd_vs_sgd.one_basin(near | {"barrier": 1.1 * rise * 1e-3})
