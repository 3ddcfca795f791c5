"""What an array of eigenvalues says: its round-off floor and numerical rank, the
negative eigenvalues round-off cannot explain, and counts of the outliers above the bulk.
Numpy and kneed only, so that tables and reports need no torch (the solvers are in
`eigensolvers`).

The three counters of Table 1 are pure functions of a spectrum (any order):

- gap: eigenvalues above the largest gap between consecutive eigenvalues;
- ratio: eigenvalues above the largest ratio between consecutive eigenvalues, among those
  above the bulk floor (below);
- elbow ("heur"): the knee of the scree plot of the eigenvalues above the bulk floor, found
  by `kneed.KneeLocator(curve="convex", direction="decreasing")`, and the cutoff it implies.

The bulk floor is the magnitude of the most negative eigenvalue (the width of the bulk,
seen from its negative side), or M * machine epsilon * max|lambda| if that is larger. A
ratio between two eigenvalues inside the bulk is a ratio of round-off-sized numbers (it can
be 1e5 between 1e-10 and 1e-15), and ratios of non-positive numbers are meaningless, so both
the ratio rule and the elbow look only at the eigenvalues above the floor, followed by the
floor itself (the edge of the bulk, so that the step from the smallest outlier down to the
bulk is seen even when no bulk eigenvalue lies above the floor).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


def numerical_rank(eigenvalues: np.ndarray) -> int:
    """How many eigenvalues of a positive semi-definite float64 matrix exceed its round-off
    floor M eps max|lambda| (`round_off_floor`): its rank, with the zeros that round-off
    smears into tiny values of either sign left out (G's rank against N (k - 1)). Tied to
    round-off, not to a chosen tolerance, on which the rank would otherwise depend."""
    return int((eigenvalues > round_off_floor(eigenvalues, "float64")).sum())


def round_off_floor(
    eigenvalues: np.ndarray, precision: str = "float64", dim: int | None = None
) -> float:
    """M * eps * max|lambda|: the backward-error bound of a dense symmetric eigensolver in
    `precision`. An eigenvalue of smaller magnitude cannot be told from zero: above
    M = N (k - 1) most of a Hessian's spectrum is zero in exact arithmetic, and round-off
    gives half of those zeros a minus sign. `dim` is M where `eigenvalues` are not all of
    them (Lanczos extremes)."""
    values = np.asarray(eigenvalues, dtype=np.float64)
    if values.size == 0:
        return 0.0
    return (
        (values.size if dim is None else dim)
        * float(np.finfo(precision).eps)
        * float(np.abs(values).max())
    )


def negative_eigenvalues(eigenvalues: np.ndarray, floor: float, dim: int) -> dict:
    """The negative eigenvalues that round-off cannot explain (below -floor): their count,
    their share of M, and the most negative eigenvalue relative to the largest."""
    values = np.asarray(eigenvalues, dtype=np.float64)
    count = int((values < -floor).sum())
    return {
        "floor": float(floor),
        "negative_count": count,
        "negative_share": count / dim,
        "negative_to_largest": float(abs(min(values.min(), 0.0)) / values.max()),
    }


def negative_curve_distance(
    first: np.ndarray, first_dim: int, second: np.ndarray, second_dim: int
) -> float:
    """How far apart two curves of Fig. 5 lie: the L1 distance, in eigenvalue x % of M.

    A curve is a net's negative eigenvalues (`first`, `second`: those below minus its
    round-off floor), most negative first, against their rank as a percentage of its M
    (`first_dim`, `second_dim`): a step 100 / M wide per eigenvalue, and 0 past the last.
    The integral of |difference| runs over the union of the two supports and is exact,
    summed over the intervals between the steps of both curves (no grid to choose).
    y is the eigenvalue as Fig. 5 plots it, not over lambda_max: the right edge's own
    change with width (Fig. 3) is tested on its own and would blur this one."""
    curves = [
        (np.sort(np.asarray(values, dtype=np.float64)), dim)
        for values, dim in ((first, first_dim), (second, second_dim))
    ]
    edges = np.unique(np.concatenate([100.0 * np.arange(c.size + 1) / m for c, m in curves]))
    middles = (edges[:-1] + edges[1:]) / 2
    heights = []
    for curve, dim in curves:
        ranks = np.floor(middles * dim / 100.0).astype(int)  # each interval's rank, from 0
        heights.append(np.append(curve, 0.0)[np.minimum(ranks, curve.size)])
    return float(np.sum(np.abs(heights[0] - heights[1]) * np.diff(edges)))


def count_above_largest_gap(eigenvalues: np.ndarray) -> int:
    """How many eigenvalues lie above the largest gap between consecutive eigenvalues.

    This is the paper's "gap" rule (Table 1). `eigenvalues` may be in any order. Ties
    between equal largest gaps go to the lowest one (the larger count). A spectrum with
    fewer than two values, or with every value equal, has no gap and gives 0.
    """
    values = np.sort(np.asarray(eigenvalues, dtype=np.float64))
    if values.size < 2:
        return 0
    gaps = np.diff(values)
    if not np.any(gaps > 0):
        return 0
    return int(values.size - 1 - np.argmax(gaps))


def bulk_floor(eigenvalues: np.ndarray) -> float:
    """The level below which eigenvalues are taken to belong to the bulk (module doc)."""
    values = np.asarray(eigenvalues, dtype=np.float64)
    if values.size == 0:
        return 0.0
    return max(-float(values.min()), round_off_floor(values))


def _scree(eigenvalues: np.ndarray) -> np.ndarray:
    """The eigenvalues above the bulk floor, descending, then the floor (module doc)."""
    values = np.sort(np.asarray(eigenvalues, dtype=np.float64))[::-1]
    floor = bulk_floor(values)
    return np.append(values[values > floor], floor)


def count_above_largest_ratio(eigenvalues: np.ndarray) -> int:
    """How many eigenvalues lie above the largest ratio lambda_i / lambda_(i+1).

    Only eigenvalues above the bulk floor take part, the last ratio being the smallest of
    them over the floor; with none above the floor, or a zero floor (an all-zero spectrum),
    the count is the number above the floor. Ties go to the lowest ratio (the larger count).
    """
    values = _scree(eigenvalues)
    if values.size < 2 or values[-1] <= 0:
        return int(values.size - 1)
    ratios = values[:-1] / values[1:]
    return int(np.flatnonzero(ratios == ratios.max())[-1] + 1)


@dataclass(frozen=True)
class Elbow:
    """The elbow of a scree plot: how many eigenvalues lie above it, and its value.

    Both are None when kneed finds no knee (reported as N/A, as in the paper).
    """

    count: int | None
    cutoff: float | None


def elbow(eigenvalues: np.ndarray) -> Elbow:
    """The knee of the scree plot: descending eigenvalues above the bulk floor, then the floor.

    The cutoff is the value at the knee; the count is how many eigenvalues are strictly
    larger. Fewer than three points have no knee.
    """
    values = _scree(eigenvalues)
    if values.size < 3:
        return Elbow(None, None)
    ranks = np.arange(1, values.size + 1)
    # Imported here: kneed brings scipy.signal (1-2 s), and every Hessian and spectrum job
    # imports this module for its round-off floor, not for the elbow.
    from kneed import KneeLocator

    knee = KneeLocator(ranks, values, curve="convex", direction="decreasing").knee
    if knee is None:
        return Elbow(None, None)
    cutoff = float(values[int(knee) - 1])
    return Elbow(int((values > cutoff).sum()), cutoff)


def outlier_counts(eigenvalues: np.ndarray) -> dict:
    """All three Table 1 counters: gap, ratio, heur (elbow count) and cutoff."""
    found = elbow(eigenvalues)
    return {
        "gap": count_above_largest_gap(eigenvalues),
        "ratio": count_above_largest_ratio(eigenvalues),
        **{"heur" if key == "count" else key: value for key, value in asdict(found).items()},
    }
