"""Eigensolvers: every eigenvalue of a dense symmetric matrix (torch's or LAPACK's syevd
in place, in the precision its plan says), or a few at either end
of a matrix-free operator (Lanczos). Each plan or result `describe()`s itself as the
attributes recorded in the spectrum file. What the eigenvalues say is `spectrum`'s."""

from __future__ import annotations

import ctypes
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import jobs
from .resources import dense_solve_bytes

SOLVERS = {
    # LAPACK (MKL) or cuSOLVER divide and conquer on torch's column-major copy of the
    # matrix; 1.6-2x faster than scipy's LAPACK here (benchmarks/hessian_engines.py).
    "torch": "torch.linalg.eigvalsh (LAPACK/cuSOLVER syevd, on a copy)",
    # LAPACK divide and conquer overwriting the matrix itself: half the memory. The same
    # MKL routine torch's eigvalsh calls, where torch exports it (2x faster here than
    # scipy's OpenBLAS one: 13.6 against 25.6 s at M = 8,000), else scipy's.
    "in-place": "LAPACK syevd in place ({library})",
}


@dataclass(frozen=True)
class DenseSolve:
    """How a dense spectrum is computed: the precision of the matrix, the solver, where
    (chosen by `resources.spectrum_plan` from the config, or by `gpu_solve`)."""

    precision: str
    solver: str
    device: str

    @property
    def dtype(self) -> torch.dtype:
        return getattr(torch, self.precision)

    def describe(self) -> dict:
        library = "torch's MKL" if _torch_syevd(self.precision) else "scipy's OpenBLAS"
        return {"precision": self.precision,
                "driver": SOLVERS[self.solver].format(library=library),
                "device": self.device}  # fmt: skip


def gpu_solve(dim: int, precision: str, device: torch.device) -> DenseSolve | None:
    """torch's solve on `device` in `precision`, where it is a GPU whose free memory holds
    the matrix, torch's copy and cuSOLVER's workspace (budgeted as a third copy); else None.
    """
    if device.type != "cuda":
        return None
    free, _ = torch.cuda.mem_get_info(device)
    if 3 * dense_solve_bytes(dim, precision, "in-place") > free:
        return None
    return DenseSolve(precision, "torch", str(device))


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


@dataclass(frozen=True)
class ExtremeEigenvalues:
    """Lanczos's extreme eigenvalues, ascending (`converged` of the `k` asked for), what
    they cost and what they were allowed."""

    eigenvalues: np.ndarray
    which: str
    k: int
    converged: int
    products: int
    tolerance: float
    max_products: int | None

    def describe(self) -> dict:
        """The attributes a spectrum file records of this end; a file of both ends records
        their summed `products` (`steps.hessian.lanczos_spectrum`)."""
        return {"driver": "scipy.sparse.linalg.eigsh (ARPACK)", "k": self.k,
                "tolerance": self.tolerance, "max_products": self.max_products,
                "products": self.products, f"converged_{self.which}": self.converged}  # fmt: skip


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
    return ExtremeEigenvalues(
        np.sort(np.real(values)), which, k, len(values), count, tolerance, max_products
    )


def top_eigenpairs(
    operator, count: int, *, tolerance: float = 1e-10, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The `count` largest eigenvalues (descending) and their orthonormal eigenvectors
    ((M, count) columns) of a symmetric scipy LinearOperator, by ARPACK (eigsh, "LA") from a
    seeded start vector, on one BLAS thread as `lanczos_extremes`: the eigenvectors the
    gradient subspace and the class structure of G need, where a dense solve would be M
    Hessian rows and an O(M^3) eigh (`tests` check it against a dense eigh)."""
    from scipy.sparse.linalg import eigsh
    from threadpoolctl import threadpool_limits

    dim = operator.shape[0]
    if not 0 < count < dim:
        raise ValueError(f"count must be in 1..{dim - 1} for a {dim} x {dim} operator")
    start = np.random.default_rng(seed).standard_normal(dim)
    basis = min(dim - 1, max(2 * count + 1, 20))
    with threadpool_limits(limits=1, user_api="blas"):
        values, vectors = eigsh(operator, k=count, which="LA", tol=tolerance, v0=start, ncv=basis)
    order = np.argsort(values)[::-1]
    return values[order], vectors[:, order]
