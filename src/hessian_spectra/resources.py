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


def symmetry_check_mb(dim: int) -> int:
    """Memory of the two row slabs the symmetry check compares: 512 MiB, or a quarter of
    the matrix where that is more, so that a matrix larger than memory is read at most
    about four times over (24.8 GB at M = 55,660), not once per slab."""
    return min(dense_matrix_mb(dim), max(512, math.ceil(dense_matrix_mb(dim) / 4)))


def hessian_job_mem_mb(dim: int, block_size: int, workers: int) -> int:
    """Peak memory of a Hessian assembly: interpreter and graphs, blocks in flight, and the
    two row slabs of the symmetry check."""
    blocks_in_flight = 2 * max(1, workers) * block_size * dim * 8 / MIB
    return math.ceil(1024 + blocks_in_flight + symmetry_check_mb(dim))


def spectrum_job_mem_mb(dim: int, cap_mb: int | None = None) -> int:
    """Memory a dense spectrum job declares: the float64 matrix, the solver's copy and
    workspace, at most `cap_mb`. Under a cap the job solves in the most precise arithmetic
    that fits what it declared (`eigensolvers.plan_dense_solve`)."""
    need = 1024 + 3 * dense_matrix_mb(dim)
    return need if cap_mb is None else min(need, cap_mb)


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
