"""Sizes and memory estimates, free of heavy imports so the Snakefile can use them."""

from __future__ import annotations

import math
from collections.abc import Sequence

MIB = 1 << 20


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
    that fits what it declared (`spectrum.plan_dense_solve`)."""
    need = 1024 + 3 * dense_matrix_mb(dim)
    return need if cap_mb is None else min(need, cap_mb)
