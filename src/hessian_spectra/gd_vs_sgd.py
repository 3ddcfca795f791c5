"""GD against SGD on one grid point and seed (Sections 1 and 4): how far apart the two end
points lie against how far each travelled, whether the loss climbs between them, how much
their Hessian spectra differ, and whether they count the same outliers.

Both runs start from the same seeded initialisation and step size, so any difference is
the algorithm's: the paper's question "does SGD locate solutions of a different nature
than GD?".
"""

from __future__ import annotations

import numpy as np

from .spectrum import count_above_largest_gap

# "One basin" (Sec. 4), set in advance, two tests: SGD ends closer to GD's end point than
# ONE_BASIN_DISTANCE of the distance GD travelled (end points of equally long, orthogonal
# paths from one start lie sqrt(2) = 1.41 apart on this scale), and the training loss on
# the straight line between the end points rises above the larger end-point loss by at
# most ONE_BASIN_BARRIER of it (the CIFAR-10 test of "no barrier between LB and SB").
ONE_BASIN_DISTANCE = 0.5
ONE_BASIN_BARRIER = 0.01


def one_basin(entry: dict) -> bool:
    """Whether a `compare` result reads as one basin: near end points, no barrier."""
    return (
        entry["relative_distance"] < ONE_BASIN_DISTANCE
        and entry["barrier"] <= ONE_BASIN_BARRIER * entry["end_loss"]
    )


def compare(
    gd: dict[str, np.ndarray | int],
    sgd: dict[str, np.ndarray | int],
    *,
    barrier: float,
    end_loss: float,
    **grid_point,
) -> dict:
    """The comparison of one grid point and seed. `gd` and `sgd` hold "init" and "final"
    parameter vectors, "steps" and the ascending final "eigenvalues"; `barrier` is the
    largest training loss on the segment between the end points less `end_loss`, the
    larger of the two end points' (`basin.barrier`); `grid_point` is activation,
    n_classes, cov, seed.

    relative_distance = |theta_GD - theta_SGD| / |theta_GD - theta_0|: 0 when SGD ends
    where GD does, about 1.4 for two end points as far apart as the two paths are long and
    orthogonal (|theta_GD - theta_0| is the straight line, at most GD's path length).
    spectrum_difference = max_i |lambda_i(GD) - lambda_i(SGD)| / lambda_max(GD),
    eigenvalues paired by rank; gap_gd and gap_sgd count each spectrum's eigenvalues above
    its largest gap (Table 1's gap rule).
    """
    travelled = {
        name: float(np.linalg.norm(run["final"] - run["init"]))
        for name, run in (("gd", gd), ("sgd", sgd))
    }
    distance = float(np.linalg.norm(gd["final"] - sgd["final"]))
    top = float(gd["eigenvalues"][-1])
    return {
        **grid_point,
        "steps_gd": int(gd["steps"]),
        "steps_sgd": int(sgd["steps"]),
        "same_start": bool(np.array_equal(gd["init"], sgd["init"])),
        "travelled_gd": travelled["gd"],
        "travelled_sgd": travelled["sgd"],
        "distance": distance,
        "relative_distance": distance / travelled["gd"],
        "max_gd": top,
        "max_sgd": float(sgd["eigenvalues"][-1]),
        "spectrum_difference": float(np.abs(gd["eigenvalues"] - sgd["eigenvalues"]).max() / top),
        "gap_gd": count_above_largest_gap(gd["eigenvalues"]),
        "gap_sgd": count_above_largest_gap(sgd["eigenvalues"]),
        "barrier": float(barrier),
        "end_loss": float(end_loss),
    }
