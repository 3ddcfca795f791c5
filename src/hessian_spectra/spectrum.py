"""Eigenvalues of dense symmetric matrices, and counts of the outliers above the bulk.

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
import torch
from kneed import KneeLocator

DENSE_DRIVER = "torch.linalg.eigvalsh (LAPACK syevd, float64)"


def dense_eigenvalues(matrix: np.ndarray, device: str | torch.device = "cpu") -> np.ndarray:
    """All eigenvalues of a symmetric float64 matrix, ascending.

    Uses torch's LAPACK (MKL) divide-and-conquer driver, which was 1.6-2x faster than
    `scipy.linalg.eigh` here (`benchmarks/hessian_engines.py`), or cuSOLVER's on a CUDA
    `device`. Only the lower triangle is read; the Hessian file records how far it is
    from exactly symmetric.
    """
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"expected a square matrix, got shape {matrix.shape}")
    if matrix.dtype != np.float64:
        raise ValueError(f"expected float64, got {matrix.dtype}")
    values = torch.linalg.eigvalsh(torch.from_numpy(matrix).to(device))
    return values.cpu().numpy()


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
    round_off = values.size * np.finfo(np.float64).eps * float(np.abs(values).max())
    return max(-float(values.min()), round_off)


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


@dataclass(frozen=True)
class ExtremeEigenvalues:
    """Lanczos's extreme eigenvalues, ascending (`converged` of the `k` asked for), and
    what they cost."""

    eigenvalues: np.ndarray
    which: str
    k: int
    converged: int
    products: int
    tolerance: float


def lanczos_extremes(
    matvec,
    dim: int,
    k: int,
    *,
    which: str,
    tolerance: float = 1e-10,
    max_products: int | None = None,
    seed: int = 0,
) -> ExtremeEigenvalues:
    """The `k` largest (`which="largest"`) or smallest eigenvalues of a symmetric operator.

    Matrix-free: `scipy.sparse.linalg.eigsh` (implicitly restarted Lanczos, ARPACK) over a
    `LinearOperator` whose product is `matvec` (a float64 vector -> vector map, e.g. a
    Hessian-vector product), for matrices too large to hold. The start vector is seeded, so
    the result is reproducible. With `max_products`, ARPACK stops after about that many
    products and only the eigenvalues that converged by then are returned (`converged`
    says how many): the bottom of a trained network's spectrum, a dense cluster of tiny
    negative values, can otherwise take thousands of restarts.

    ARPACK's own BLAS (numpy/scipy's OpenBLAS) runs on one thread: its idle threads spin
    against the product's (torch's OpenMP) threads, which made the top 120 of the
    M = 55,660 net 2x slower on 2 cores (benchmarks/mnist_lanczos.py).
    """
    from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh
    from threadpoolctl import threadpool_limits

    modes = {"largest": "LA", "smallest": "SA"}
    if which not in modes:
        raise ValueError(f"which must be one of {sorted(modes)}, got {which!r}")
    if not 0 < k < dim:
        raise ValueError(f"k must be in 1..{dim - 1} for a {dim} x {dim} operator, got {k}")
    count = 0

    def product(vector: np.ndarray) -> np.ndarray:
        nonlocal count
        count += 1
        return np.asarray(matvec(np.asarray(vector, dtype=np.float64).ravel()), dtype=np.float64)

    operator = LinearOperator((dim, dim), matvec=product, dtype=np.float64)
    start = np.random.default_rng(seed).standard_normal(dim)
    basis = min(dim - 1, max(2 * k + 1, 20))
    restarts = None if max_products is None else max(1, max_products // (basis - k))
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            values = eigsh(
                operator,
                k=k,
                which=modes[which],
                tol=tolerance,
                v0=start,
                ncv=basis,
                maxiter=restarts,
                return_eigenvectors=False,
            )
    except ArpackNoConvergence as partial:
        values = partial.eigenvalues
    return ExtremeEigenvalues(np.sort(np.real(values)), which, k, len(values), count, tolerance)
