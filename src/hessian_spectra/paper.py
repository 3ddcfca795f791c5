"""Numbers printed in the paper, for side-by-side comparison (never used to compute).

Table 1 has 19 of the 40 grid points; "?" (unreadable in the source) and "N/A" (no elbow
found) are None here.
"""

from __future__ import annotations

# (algorithm, activation, k, cov) -> the paper's counts and elbow cutoff.
TABLE_1: dict[tuple[str, str, int, float], dict] = {
    ("gd", "tanh", 2, 1.0): {"gap": 2, "ratio": 3, "heur": None, "cutoff": None},
    ("gd", "tanh", 5, 1.0): {"gap": 2, "ratio": 17, "heur": None, "cutoff": None},
    ("gd", "tanh", 10, 1.0): {"gap": 2, "ratio": 4, "heur": None, "cutoff": None},
    ("gd", "tanh", 20, 1.0): {"gap": 3, "ratio": 4, "heur": None, "cutoff": None},
    ("gd", "relu", 2, 1.0): {"gap": 3, "ratio": None, "heur": 2, "cutoff": 0.003},
    ("gd", "relu", 5, 1.0): {"gap": 6, "ratio": 7, "heur": 5, "cutoff": 0.003},
    ("gd", "relu", 10, 1.0): {"gap": 11, "ratio": 12, "heur": 10, "cutoff": 0.003},
    ("gd", "relu", 20, 1.0): {"gap": 4, "ratio": 21, "heur": 21, "cutoff": 0.003},
    ("gd", "relu", 50, 1.0): {"gap": 50, "ratio": 51, "heur": 49, "cutoff": 0.003},
    ("sgd", "relu", 2, 1.0): {"gap": 3, "ratio": None, "heur": 2, "cutoff": 0.002},
    ("sgd", "relu", 5, 1.0): {"gap": 6, "ratio": 7, "heur": 7, "cutoff": 0.002},
    ("sgd", "relu", 10, 1.0): {"gap": 2, "ratio": 14, "heur": 15, "cutoff": 0.002},
    ("sgd", "relu", 20, 1.0): {"gap": 2, "ratio": 3, "heur": 21, "cutoff": 0.002},
    ("sgd", "relu", 50, 1.0): {"gap": 50, "ratio": 51, "heur": 49, "cutoff": 0.002},
    ("sgd", "relu", 2, 10.0): {"gap": 2, "ratio": None, "heur": 2, "cutoff": 0.015},
    ("sgd", "relu", 5, 10.0): {"gap": 5, "ratio": 6, "heur": 5, "cutoff": 0.015},
    ("sgd", "relu", 10, 10.0): {"gap": 2, "ratio": 11, "heur": 9, "cutoff": 0.015},
    ("sgd", "relu", 20, 10.0): {"gap": 20, "ratio": 21, "heur": 19, "cutoff": 0.015},
    ("sgd", "relu", 50, 10.0): {"gap": 50, "ratio": 51, "heur": 49, "cutoff": 0.005},
}


def elbow_cutoff(algorithm: str, activation: str, n_classes: int, cov: float) -> float | None:
    """The paper's elbow cutoff for a grid point: its own Table 1 row's, or, for a point
    Table 1 does not list, the one cutoff that all listed points of its (algorithm,
    activation, cov) group share; None where there is neither."""
    own = TABLE_1.get((algorithm, activation, n_classes, float(cov)))
    if own is not None:
        return own["cutoff"]
    group = {
        row["cutoff"]
        for (alg, act, _, c), row in TABLE_1.items()
        if (alg, act, c) == (algorithm, activation, float(cov))
    }
    return group.pop() if len(group) == 1 else None


# Appendix B quotes these outliers for alpha = 1, 2 and 0.02 (its data scale is unstated).
FIG_10_OUTLIERS = {1.0: 454.4, 2.0: 819.5, 0.02: 92.7}
