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

import ctypes
import functools
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from kneed import KneeLocator

from . import jobs
from .resources import JOB_OVERHEAD_BYTES

GIB = 1 << 30
SOLVERS = {
    # LAPACK (MKL) or cuSOLVER divide and conquer on torch's column-major copy of the
    # matrix; 1.6-2x faster than scipy's LAPACK here (benchmarks/hessian_engines.py).
    "torch": "torch.linalg.eigvalsh (LAPACK/cuSOLVER syevd, on a copy)",
    # LAPACK divide and conquer overwriting the matrix itself: half the memory. The same
    # MKL routine torch's eigvalsh calls, where torch exports it (2x faster here than
    # scipy's OpenBLAS one: 13.6 against 25.6 s at M = 8,000), else scipy's.
    "in-place": "LAPACK syevd in place ({library})",
}
# Bytes per matrix entry that each solver needs in all: the matrix, plus torch's copy.
_COPIES = {"torch": 2, "in-place": 1}
_ITEM_BYTES = {"float64": 8, "float32": 4}


@dataclass(frozen=True)
class DenseSolve:
    """How a dense spectrum is computed: the precision of the matrix, the solver, where."""

    precision: str
    solver: str
    device: str

    @property
    def dtype(self) -> torch.dtype:
        return getattr(torch, self.precision)

    def needed_bytes(self, dim: int) -> int:
        return _COPIES[self.solver] * _ITEM_BYTES[self.precision] * dim * dim

    def describe(self) -> dict:
        library = "torch's MKL" if _torch_syevd(self.precision) else "scipy's OpenBLAS"
        return {"precision": self.precision,
                "driver": SOLVERS[self.solver].format(library=library),
                "device": self.device}  # fmt: skip


def plan_dense_solve(dim: int, memory_bytes: int, device: torch.device) -> DenseSolve:
    """The most precise, then fastest, dense solve that fits in memory.

    On the CPU, `memory_bytes` is the job's declared memory: float64 with torch's copy,
    else float64 in place, else float32 in place (the last resort: the M = 55,660 net needs
    25 GB in float64). On CUDA, the GPU's free memory decides between torch's float64 and
    float32 (cuSOLVER's workspace is budgeted as a third copy); if neither fits, the CPU.
    """
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        for precision in ("float64", "float32"):
            if 3 * _ITEM_BYTES[precision] * dim * dim <= free:
                return DenseSolve(precision, "torch", str(device))
        device = torch.device("cpu")
    available = memory_bytes - JOB_OVERHEAD_BYTES
    for precision, solver in (("float64", "torch"), ("float64", "in-place"),
                              ("float32", "in-place")):  # fmt: skip
        plan = DenseSolve(precision, solver, str(device))
        if plan.needed_bytes(dim) <= available:
            return plan
    least = DenseSolve("float32", "in-place", "cpu").needed_bytes(dim) + JOB_OVERHEAD_BYTES
    raise MemoryError(
        f"a dense spectrum of M = {dim:,} needs at least {least / GIB:.1f}"
        f" GiB, but the job declares {memory_bytes / GIB:.1f} GiB; raise the job's memory "
        "(mnist.spectrum.memory_mb) or choose mnist.spectrum.method: lanczos"
    )


def solve_dense(matrix: torch.Tensor, plan: DenseSolve) -> np.ndarray:
    """All eigenvalues of a symmetric matrix held as `plan.dtype` on `plan.device`,
    ascending, as float64. Only the lower triangle is read. The in-place solver
    overwrites `matrix`."""
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"expected a square matrix, got shape {tuple(matrix.shape)}")
    if matrix.dtype != plan.dtype:
        raise ValueError(f"expected {plan.precision}, got {matrix.dtype}")
    if plan.solver == "torch":
        return torch.linalg.eigvalsh(matrix).cpu().numpy().astype(np.float64)
    # The transpose of a C-ordered matrix is Fortran-ordered, which LAPACK takes without a
    # copy; its upper triangle is the matrix's lower one.
    array = matrix.numpy()
    syevd = _torch_syevd(plan.precision)
    if syevd is None:
        from scipy.linalg import eigh

        values = eigh(
            array.T, lower=False, eigvals_only=True, overwrite_a=True,
            check_finite=False, driver="evd",
        )  # fmt: skip
        return np.asarray(values, dtype=np.float64)
    return _call_syevd(syevd, array).astype(np.float64)


@functools.cache
def _torch_syevd(precision: str):
    """LAPACK's dsyevd / ssyevd with 64-bit integers (M^2 > 2^31 entries for the widest
    MNIST net) as torch's own library exports them (MKL on x86), or None where it does
    not."""
    name = {"float64": "dsyevd_64_", "float32": "ssyevd_64_"}[precision]
    for path in sorted((Path(torch.__file__).parent / "lib").glob("libtorch_cpu.*")):
        try:
            return getattr(ctypes.CDLL(str(path)), name)
        except (OSError, AttributeError):
            continue
    return None


def _call_syevd(syevd, array: np.ndarray) -> np.ndarray:
    """Eigenvalues only (jobz N) of the symmetric C-ordered `array`, reading its lower
    triangle and overwriting it (Fortran's upper triangle of the transpose)."""
    n = array.shape[0]
    if not array.flags.c_contiguous:
        raise ValueError("the in-place solver needs a C-contiguous matrix")
    values = np.empty(n, dtype=array.dtype)
    size, info = ctypes.c_int64(n), ctypes.c_int64(0)
    jobz, uplo = ctypes.c_char(b"N"), ctypes.c_char(b"U")

    def call(work: np.ndarray, lwork: int, iwork: np.ndarray, liwork: int) -> None:
        syevd(
            ctypes.byref(jobz), ctypes.byref(uplo), ctypes.byref(size),
            array.ctypes.data_as(ctypes.c_void_p), ctypes.byref(size),
            values.ctypes.data_as(ctypes.c_void_p), work.ctypes.data_as(ctypes.c_void_p),
            ctypes.byref(ctypes.c_int64(lwork)), iwork.ctypes.data_as(ctypes.c_void_p),
            ctypes.byref(ctypes.c_int64(liwork)), ctypes.byref(info),
            ctypes.c_size_t(1), ctypes.c_size_t(1),
        )  # fmt: skip
        if info.value != 0:
            raise RuntimeError(f"LAPACK syevd failed with info = {info.value}")

    work, iwork = np.empty(1, dtype=array.dtype), np.empty(1, dtype=np.int64)
    call(work, -1, iwork, -1)  # workspace query
    lwork, liwork = int(work[0]), int(iwork[0])
    call(np.empty(lwork, dtype=array.dtype), lwork, np.empty(liwork, dtype=np.int64), liwork)
    return values


def dense_eigenvalues(matrix: np.ndarray, device: str | torch.device = "cpu") -> np.ndarray:
    """All eigenvalues of a symmetric float64 matrix in memory, ascending (torch's solver)."""
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"expected a square matrix, got shape {matrix.shape}")
    if matrix.dtype != np.float64:
        raise ValueError(f"expected float64, got {matrix.dtype}")
    plan = DenseSolve("float64", "torch", str(device))
    return solve_dense(torch.from_numpy(matrix).to(device), plan)


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
    operator,
    k: int,
    *,
    which: str,
    tolerance: float = 1e-10,
    max_products: int | None = None,
    seed: int = 0,
) -> ExtremeEigenvalues:
    """The `k` largest (`which="largest"`) or smallest eigenvalues of a symmetric operator.

    Matrix-free: `scipy.sparse.linalg.eigsh` (implicitly restarted Lanczos, ARPACK) over a
    `LinearOperator` (e.g. `CurvatureOperator.to_scipy()`), for matrices too large to hold.
    The start vector is seeded, so the result is reproducible. With `max_products`, ARPACK
    stops after about that many products and only the eigenvalues that converged by then
    are returned (`converged` says how many): the bottom of a trained network's spectrum,
    a dense cluster of tiny negative values, can otherwise take thousands of restarts.

    ARPACK's own BLAS (numpy/scipy's OpenBLAS) runs on one thread: its idle threads spin
    against the product's (torch's OpenMP) threads, which made the top 120 of the
    M = 55,660 net 2x slower on 2 cores (benchmarks/mnist_lanczos.py).
    """
    from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh
    from threadpoolctl import threadpool_limits

    modes = {"largest": "LA", "smallest": "SA"}
    if which not in modes:
        raise ValueError(f"which must be one of {sorted(modes)}, got {which!r}")
    dim = operator.shape[0]
    if not 0 < k < dim:
        raise ValueError(f"k must be in 1..{dim - 1} for a {dim} x {dim} operator, got {k}")
    count = 0

    def product(vector: np.ndarray) -> np.ndarray:
        nonlocal count
        count += 1
        return np.asarray(operator.matvec(vector), dtype=np.float64).ravel()

    counted = LinearOperator((dim, dim), matvec=product, dtype=np.float64)
    start = np.random.default_rng(seed).standard_normal(dim)
    basis = min(dim - 1, max(2 * k + 1, 20))
    restarts = None if max_products is None else max(1, max_products // (basis - k))
    progress = jobs.heartbeat(f"Lanczos, {which} {k}", lambda: f"{count} products")
    try:
        with progress, threadpool_limits(limits=1, user_api="blas"):
            values = eigsh(
                counted,
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
