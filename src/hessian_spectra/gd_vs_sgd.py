"""GD against SGD on one grid point (Sections 1 and 4): how far apart the two end points
lie against how far each travelled, and how much their Hessian spectra differ.

Both runs start from the same seeded initialisation and step size, so any difference is
the algorithm's: the paper's question "does SGD locate solutions of a different nature
than GD?".
"""

from __future__ import annotations

import numpy as np


def compare(
    gd: dict[str, np.ndarray | int], sgd: dict[str, np.ndarray | int], **grid_point
) -> dict:
    """The comparison of one grid point. `gd` and `sgd` hold "init" and "final" parameter vectors,
    "steps" and the ascending final "eigenvalues"; `grid_point` is activation, n_classes, cov.

    relative_distance = |theta_GD - theta_SGD| / |theta_GD - theta_0|: 0 when SGD ends
    where GD does, about 1.4 for two end points as far apart as the two paths are long and
    orthogonal. spectrum_difference = max_i |lambda_i(GD) - lambda_i(SGD)| / lambda_max(GD),
    eigenvalues paired by rank.
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
    }
