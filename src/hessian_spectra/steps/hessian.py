"""Exact Hessians and their Gauss-Newton decomposition at checkpoints, in HDF5 blocks on
the job's device, and their spectra: dense (every eigenvalue, in the most precise arithmetic
that fits the job's memory) or Lanczos extremes (matrix-free, an explicit choice)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import numpy as np

from .. import assembly, eigensolvers, hessian_file, jobs, low_rank, spectrum, storage
from ..problems import Problem

LOG = logging.getLogger(__name__)
PathLike = str | os.PathLike


def _operator_at(
    checkpoint: PathLike,
    dataset: PathLike,
    matrix: str,
    *,
    device: str,
    chunk_size: int | None = None,
):
    """The curvature operator `matrix` ("H", "G" or "R" = H - G) at a checkpoint on the
    resolved device, with the row engine measured fastest there, and its provenance."""
    target = jobs.resolve_device(device)
    problem = Problem.from_checkpoint(checkpoint, dataset, device=target, chunk_size=chunk_size)
    operator = {"H": problem.hessian, "G": problem.gauss_newton, "R": problem.residual}[matrix]()
    run, step = problem.provenance["run"], problem.provenance["checkpoint_step"]
    LOG.info(
        "%s of %s at step %d: M = %d, N = %d, %s rows on %s",
        matrix, run, step, operator.dim, len(problem.data), operator.engine, target,
    )  # fmt: skip
    stages = {} if len(operator.stage_starts) == 1 else {"row_stages": operator.stage_starts}
    return operator, {**problem.provenance, "device": str(target),
                      "row_engine": operator.engine, **stages}  # fmt: skip


# What each assembled matrix is, and how its rows are computed, for its file's attributes.
MATRICES = {
    "H": ("Hessian H", "Hessian rows by double backward (Pearlmutter), float64"),
    "G": (
        "generalised Gauss-Newton term G = (1/N) sum J^T (diag p - p p^T) J",
        "Gauss-Newton rows by double-vjp Jacobian products, float64",
    ),
    "R": (
        "residual R = H - G = (1/N) sum (p - y) . Hess f",
        "Hessian rows by double backward minus Gauss-Newton rows, float64",
    ),
}


def _assemble(
    matrix: str,
    checkpoint: PathLike,
    dataset: PathLike,
    output: PathLike,
    *,
    chunk_size: int | None,
    device: str,
    **layout,
) -> None:
    """`matrix` ("H", "G" or "R") at a checkpoint into HDF5, by `assembly.assemble`
    with `layout` (block size, workers, part), described in its attributes; the chunk size
    is recorded where it sets the last bits (H and R, not G)."""
    operator, attrs = _operator_at(
        checkpoint, dataset, matrix, device=device, chunk_size=chunk_size
    )
    description, engine = MATRICES[matrix]
    attrs |= {"matrix": description, "engine": engine}
    if matrix != "G":
        attrs["chunk_size"] = chunk_size
    assembly.assemble(operator, output, attrs=attrs, **layout)


def build_hessian(
    checkpoint: PathLike,
    dataset: PathLike,
    output: PathLike,
    *,
    block_size: int,
    chunk_size: int | None,
    workers: int,
    part: int = 0,
    parts: int = 1,
    device: str = "cpu",
) -> None:
    """The exact float64 Hessian of the mean training loss at a checkpoint, into HDF5
    (or rows part `part` of `parts`, for `hessian_file.gather`)."""
    _assemble(
        "H", checkpoint, dataset, output, chunk_size=chunk_size, device=device,
        block_size=block_size, workers=workers, part=part, parts=parts,
    )  # fmt: skip


def build_gauss_newton(
    checkpoint: PathLike,
    dataset: PathLike,
    ggn_output: PathLike,
    residual_output: PathLike,
    *,
    block_size: int,
    chunk_size: int | None,
    workers: int,
    device: str = "cpu",
) -> None:
    """The decomposition H = G + R at a checkpoint (Eq. 4): the exact Gauss-Newton term G
    and the residual R = H - G, each in the Hessian layout.

    R's rows are the Hessian's rows, computed as `build_hessian` computes them (the same
    `chunk_size`), minus G's: R equals the stored H minus G bit for bit, without reading
    H, so a figure of the decomposition never needs the (temporary) Hessian file.
    """
    for matrix, output in (("G", ggn_output), ("R", residual_output)):
        _assemble(
            matrix, checkpoint, dataset, output, chunk_size=chunk_size, device=device,
            block_size=block_size, workers=workers,
        )  # fmt: skip


PROVENANCE_KEYS = (
    "run", "checkpoint", "checkpoint_step", "parameter_count", "n_samples", "symmetry_error",
)  # fmt: skip


def compute_spectrum(
    hessian: PathLike,
    output: PathLike,
    *,
    plan: Mapping,
    memory_mb: int,
    device: str = "cpu",
) -> None:
    """All eigenvalues of a stored Hessian-sized matrix as its `plan` says, with the
    matrix's provenance.

    The plan (`resources.spectrum_plan`: route, precision, solver, declared memory) is
    decided from the config when the workflow is parsed and reaches the job as a param;
    this step carries it out, and stops before reading the matrix if the job's memory
    `memory_mb` (a resource, which a profile or `--set-resources` may change) is below what
    the plan declares. On CUDA, the matrix is solved on the GPU in the plan's precision
    where it fits the GPU's free memory, else as planned on the CPU: the device changes the
    speed, never the precision. A low-rank solve whose certificate fails falls back to the
    plan's dense solve in the same memory. The output records the precision, the solver
    and the round-off floor M * eps * max|lambda| it implies.
    """
    if memory_mb < plan["mem_mb"]:
        raise MemoryError(
            f"the job solving {hessian} declares {memory_mb:,} MiB, but its spectrum plan "
            f"({plan['route']}, {plan['precision']}) needs {plan['mem_mb']:,} MiB: remove the "
            "resource override that lowered it, or lower the plan through the config "
            "(mnist.spectrum.memory_mb for the MNIST nets)"
        )
    attrs = hessian_file.read_attrs(hessian)
    dim = attrs["parameter_count"]
    target = jobs.resolve_device(device)
    solve = eigensolvers.gpu_solve(dim, plan["precision"], target)
    described, values = None, None
    if solve is None and plan["route"] == "low-rank":
        LOG.info("eigenvalues of %s (M = %d): rank at most %d, low-rank float64",
                 hessian, dim, plan["rank_bound"])  # fmt: skip
        low = low_rank.eigenvalues(hessian, plan["rank_bound"])
        LOG.info(
            "range certificate %.1e, probe asymmetry %.1e (limit %.0e)",
            low.certificate, low.asymmetry, low_rank.CERTIFICATE_LIMIT,
        )  # fmt: skip
        if low.exact:
            described, values = low.describe(), low.eigenvalues
        elif plan["fallback"] is None:
            raise ArithmeticError(f"{hessian}: the low-rank solve is not certified exact, and "
                                  "no dense solve fits the job's memory")  # fmt: skip
        else:
            LOG.warning("%s: the low-rank solve is not certified exact; solving densely", hessian)
    if values is None:
        if solve is None:
            dense = plan["fallback"] if plan["route"] == "low-rank" else plan
            solve = eigensolvers.DenseSolve(dense["precision"], dense["solver"], "cpu")
        LOG.info("eigenvalues of %s (M = %d): %s", hessian, dim, solve.describe())
        with jobs.heartbeat(f"reading and checking {hessian}"):
            matrix = hessian_file.load(hessian, solve.dtype, solve.device)
        with jobs.heartbeat(f"eigenvalues of M = {dim:,} ({solve.precision}, {solve.solver})"):
            values = eigensolvers.solve_dense(matrix, solve)
        del matrix
        described = solve.describe()
    floor = spectrum.round_off_floor(values, described["precision"])
    storage.write_spectrum(
        output,
        values,
        {**{key: attrs[key] for key in PROVENANCE_KEYS if key in attrs},
         "hessian": str(hessian), "method": "dense", **described,
         "round_off_floor": floor},
    )  # fmt: skip
    LOG.info(
        "largest %.6g, smallest %.6g, %d below -%.3g (the round-off floor)",
        values[-1], values[0], int((values < -floor).sum()), floor,
    )  # fmt: skip


def lanczos_spectrum(
    checkpoint: PathLike,
    dataset: PathLike,
    output: PathLike,
    *,
    k: int,
    tolerance: float,
    max_products: int | None,
    device: str = "cpu",
) -> None:
    """The `k` largest and `k` smallest Hessian eigenvalues at a checkpoint, matrix-free
    (Lanczos), for nets whose Hessian is not to be assembled. The output records how many
    of each end converged within the product budget; only those are stored."""
    operator, provenance = _operator_at(checkpoint, dataset, "H", device=device)
    ends = [
        eigensolvers.lanczos_extremes(
            operator.to_scipy(), k, which=which, tolerance=tolerance, max_products=max_products
        )
        for which in ("smallest", "largest")
    ]
    values = np.concatenate([end.eigenvalues for end in ends])
    settings = {
        "method": "lanczos", **ends[0].describe(), **ends[1].describe(), "precision": "float64",
        "products": sum(end.products for end in ends),
        "round_off_floor": spectrum.round_off_floor(values, dim=operator.dim),
    }  # fmt: skip
    storage.write_spectrum(
        output, values, {**provenance, "parameter_count": operator.dim, **settings}
    )
    LOG.info(
        "Lanczos: %d of %d smallest and %d of %d largest converged in %d products",
        ends[0].converged, k, ends[1].converged, k, settings["products"],
    )  # fmt: skip
