"""Sizes and memory estimates, free of heavy imports so the Snakefile can use them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

MIB = 1 << 20
JOB_OVERHEAD_BYTES = 1 << 30  # the interpreter, torch, h5py's buffers
# The low-rank route (`low_rank`): columns beyond the rank bound, rows read at a time.
LOW_RANK_OVERSAMPLING = 64
LOW_RANK_SLAB_BYTES = 256 << 20


def mlp_parameter_count(input_dim: int, hidden: Sequence[int], n_classes: int) -> int:
    """M of a fully connected net: weights and biases of every layer.

    For the blob net 100 -> 30 -> 30 -> k this is 3960 + 31 k (Table 1's "alg-size").
    """
    widths = [input_dim, *hidden, n_classes]
    return sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:], strict=True))


def convnet_parameter_count(
    channels: Sequence[int] = (10, 20), hidden: int = 50, n_classes: int = 10
) -> int:
    """M of the MNIST convnet (models.convnet_spec): two 5x5 convolutions (1->10, 10->20),
    then 320 -> 50 -> n_classes fully connected; 21,840 for 10 classes."""
    first, second = channels
    return (
        (1 * 25 + 1) * first
        + (first * 25 + 1) * second
        + mlp_parameter_count(second * 16, [hidden], n_classes)
    )


def alexnet_parameter_count(
    conv_channels: Sequence[int] = (64, 64),
    hidden: Sequence[int] = (384, 192),
    n_classes: int = 10,
    kernel_size: int = 5,
    image_shape: Sequence[int] = (3, 32, 32),
) -> int:
    """M of the bare AlexNet (models.alexnet_spec): each block keeps the image size through
    its convolution and halves it (rounding up) in its pooling; 1,756,426 by default."""
    channels, height, width = image_shape
    count = 0
    for out_channels in conv_channels:
        count += (channels * kernel_size**2 + 1) * out_channels
        channels, height, width = out_channels, (height + 1) // 2, (width + 1) // 2
    return count + mlp_parameter_count(channels * height * width, hidden, n_classes)


def dense_matrix_mb(dim: int) -> int:
    """MiB of one dim x dim float64 matrix."""
    return math.ceil(8 * dim * dim / MIB)


def chunk_rows(dim: int, block_size: int, max_chunk_bytes: int = 4 << 20) -> int:
    """Rows per HDF5 chunk of a dense matrix file: a divisor of the block size, so blocks
    write whole chunks, of at most `max_chunk_bytes` where a row fits."""
    if block_size >= dim:  # a single block: alignment does not matter
        block_size = dim
    rows = block_size
    while rows > 1 and rows * dim * 8 > max_chunk_bytes:
        rows = next(d for d in range(rows - 1, 0, -1) if block_size % d == 0)
    return rows


def slab_rows(dim: int, chunk: int, slab_bytes: int = 512 * MIB) -> int:
    """Rows of M = `dim` float64 columns read at a time: about `slab_bytes`, a whole number
    of chunks of `chunk` rows."""
    rows = max(1, slab_bytes // (8 * dim))
    return max(chunk, rows - rows % chunk)


SYMMETRY_BANDS = 32  # row bands of the symmetry check (`hessian_file.SymmetryCheck`)


def symmetry_bands(dim: int) -> list[int]:
    """The first row of each band of the symmetry check, then `dim`: at most
    `SYMMETRY_BANDS` bands of equal height (the last one shorter)."""
    height = -(-dim // max(1, min(SYMMETRY_BANDS, dim)))
    return [*range(0, dim, height), dim]


def symmetry_check_mb(dim: int) -> int:
    """Memory of the entries the symmetry check keeps while a matrix is assembled: with
    band J of rows in progress, the rows of bands 0..J in the columns of bands J.., at most
    (1 + 1 / bands)^2 / 4 of the matrix (6.6 GB at M = 55,660)."""
    bounds = symmetry_bands(dim)
    kept = max(stop * (dim - start) for start, stop in zip(bounds, bounds[1:], strict=False))
    return math.ceil(8 * kept / MIB)


def hessian_job_mem_mb(dim: int, block_size: int, workers: int) -> int:
    """Peak memory of a Hessian assembly: interpreter and graphs, blocks in flight, and the
    entries the symmetry check keeps."""
    blocks_in_flight = 2 * max(1, workers) * block_size * dim * 8 / MIB
    return math.ceil(1024 + blocks_in_flight + symmetry_check_mb(dim))


# Dense solvers by preference: torch's eigvalsh works on a copy of the matrix, LAPACK's
# syevd in place on the matrix itself (`eigensolvers.SOLVERS`); bytes per entry of each.
DENSE_SOLVES = (("float64", "torch"), ("float64", "in-place"), ("float32", "in-place"))
_COPIES = {"torch": 2, "in-place": 1}
_ITEM_BYTES = {"float64": 8, "float32": 4}


def dense_solve_bytes(dim: int, precision: str, solver: str) -> int:
    """The matrices a dense solve holds: the matrix, and torch's copy of it."""
    return _COPIES[solver] * _ITEM_BYTES[precision] * dim * dim


def spectrum_plan(
    dim: int, rank_bound: int | None = None, memory_mb: int | None = None, key: str = ""
) -> dict:
    """How a spectrum job solves a stored Hessian of M = `dim`, decided once from the
    config: the route, the precision, the solver and the memory the job declares.

    With a proven `rank_bound` well below M, the low-rank route (every non-zero
    eigenvalue in float64 from two passes over the file, `low_rank`) where it fits
    `memory_mb`. Otherwise a dense solve declaring the float64 matrix, the solver's copy and
    its workspace, at most `memory_mb`, in the most precise, then fastest, arithmetic that
    fits what it declares. The plan travels to the job as a param, so the precision of a
    spectrum is recorded by Snakemake and no resource setting can change it silently;
    `key` names the config key of `memory_mb` in the error when nothing fits.
    """
    if low_rank_worthwhile(dim, rank_bound):
        need = low_rank_job_mem_mb(dim, rank_bound)
        if memory_mb is None or need <= memory_mb:
            return {"route": "low-rank", "precision": "float64", "solver": "low-rank",
                    "rank_bound": rank_bound, "mem_mb": need,
                    "fallback": _dense_solve_within(dim, need)}  # fmt: skip
    declared = 1024 + 3 * dense_matrix_mb(dim)
    if memory_mb is not None:
        declared = min(declared, memory_mb)
    solve = _dense_solve_within(dim, declared)
    if solve is not None:
        return {"route": "dense", **solve, "rank_bound": rank_bound, "mem_mb": declared}
    least = math.ceil((dense_solve_bytes(dim, *DENSE_SOLVES[-1]) + JOB_OVERHEAD_BYTES) / MIB)
    raise ValueError(
        f"{key or 'the memory cap'} = {memory_mb} MiB is too little for a dense spectrum "
        f"of M = {dim:,}: it needs at least {least:,} MiB in float32"
    )


def _dense_solve_within(dim: int, memory_mb: int) -> dict | None:
    """The most precise, then fastest, dense solve whose matrices and the job's overhead
    fit `memory_mb`; None if none does. (A low-rank plan carries one as its fallback, for
    a matrix whose range certificate fails.)"""
    for precision, solver in DENSE_SOLVES:
        if dense_solve_bytes(dim, precision, solver) + JOB_OVERHEAD_BYTES <= memory_mb * MIB:
            return {"precision": precision, "solver": solver}
    return None


def hessian_rank_bound(architecture: Mapping, n_samples: int, n_classes: int) -> int | None:
    """N (k - 1) + 2 k h for a one-hidden-layer ReLU net; None where no bound is proven
    (deeper nets, smooth activations, convnets)."""
    if (
        architecture["kind"] != "mlp"
        or len(architecture["hidden"]) != 1
        or architecture["activation"] != "relu"
    ):
        return None
    return n_samples * (n_classes - 1) + 2 * n_classes * architecture["hidden"][0]


def low_rank_width(dim: int, rank_bound: int) -> int:
    return min(dim, rank_bound + LOW_RANK_OVERSAMPLING)


def low_rank_worthwhile(dim: int, rank_bound: int | None) -> bool:
    """Two passes over the matrix and a QR of M x w beat a dense solve of M x M where w is
    at most a third of M (measured: h = 70 in 31 min against 101 CPU-min in float32)."""
    return rank_bound is not None and 3 * low_rank_width(dim, rank_bound) <= dim


def low_rank_needed_bytes(dim: int, rank_bound: int) -> int:
    """Three M x w float64 arrays (Y and Q side by side in the QR, then Q and H Q), B with
    its eigensolver's copy, and a slab of rows (13.8 GB measured at M = 55,660)."""
    columns = low_rank_width(dim, rank_bound)
    return 8 * (3 * dim * columns + 2 * columns * columns) + LOW_RANK_SLAB_BYTES


def low_rank_job_mem_mb(dim: int, rank_bound: int) -> int:
    """Memory a low-rank spectrum job declares: its workspace and the job's overhead."""
    return -(-(low_rank_needed_bytes(dim, rank_bound) + JOB_OVERHEAD_BYTES) // (1 << 20))
