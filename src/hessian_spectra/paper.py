"""Numbers printed in the paper, for side-by-side comparison (never used to compute).

Table 1 has 19 of the 40 grid points; "?" (unreadable in the source) and "N/A" (no elbow
found) are None here. Its "mean&std" column prints one number twice per row; it is read
as the mean of the eigenvalues ("mean").
"""

from __future__ import annotations

# The paper's Table 1 in its order: algorithm, activation, k, cov, then its counts (gap,
# ratio, heur), its elbow cutoff and its mean eigenvalue.
_ROWS = (
    ("gd", "tanh", 2, 1.0, 2, 3, None, None, 1.19e-05),
    ("gd", "tanh", 5, 1.0, 2, 17, None, None, 2.52e-05),
    ("gd", "tanh", 10, 1.0, 2, 4, None, None, 3.75e-05),
    ("gd", "tanh", 20, 1.0, 3, 4, None, None, 5.37e-05),
    ("gd", "relu", 2, 1.0, 3, None, 2, 0.003, 7.13e-06),
    ("gd", "relu", 5, 1.0, 6, 7, 5, 0.003, 1.55e-05),
    ("gd", "relu", 10, 1.0, 11, 12, 10, 0.003, 3.04e-05),
    ("gd", "relu", 20, 1.0, 4, 21, 21, 0.003, 5.65e-05),
    ("gd", "relu", 50, 1.0, 50, 51, 49, 0.003, 1.16e-04),
    ("sgd", "relu", 2, 1.0, 3, None, 2, 0.002, 8.96e-06),
    ("sgd", "relu", 5, 1.0, 6, 7, 7, 0.002, 1.62e-05),
    ("sgd", "relu", 10, 1.0, 2, 14, 15, 0.002, 2.97e-05),
    ("sgd", "relu", 20, 1.0, 2, 3, 21, 0.002, 4.53e-05),
    ("sgd", "relu", 50, 1.0, 50, 51, 49, 0.002, 6.78e-05),
    ("sgd", "relu", 2, 10.0, 2, None, 2, 0.015, 9.49e-05),
    ("sgd", "relu", 5, 10.0, 5, 6, 5, 0.015, 1.68e-04),
    ("sgd", "relu", 10, 10.0, 2, 11, 9, 0.015, 1.92e-04),
    ("sgd", "relu", 20, 10.0, 20, 21, 19, 0.015, 3.10e-04),
    ("sgd", "relu", 50, 10.0, 50, 51, 49, 0.005, 1.67e-04),
)  # fmt: skip
TABLE_1: dict[tuple[str, str, int, float], dict] = {
    row[:4]: dict(zip(("gap", "ratio", "heur", "cutoff", "mean"), row[4:], strict=True))
    for row in _ROWS
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
