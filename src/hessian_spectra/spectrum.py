"""Eigenvalues of dense symmetric matrices, and counts of the outliers above the bulk."""

from __future__ import annotations

import numpy as np
import torch

DENSE_DRIVER = "torch.linalg.eigvalsh (LAPACK syevd, float64)"


def dense_eigenvalues(matrix: np.ndarray) -> np.ndarray:
    """All eigenvalues of a symmetric float64 matrix, ascending.

    Uses torch's LAPACK (MKL) divide-and-conquer driver, which was 1.6-2x faster than
    `scipy.linalg.eigh` here (`benchmarks/hessian_engines.py`). Only the lower triangle
    is read; the Hessian file records how far it is from exactly symmetric.
    """
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"expected a square matrix, got shape {matrix.shape}")
    if matrix.dtype != np.float64:
        raise ValueError(f"expected float64, got {matrix.dtype}")
    values = torch.linalg.eigvalsh(torch.from_numpy(matrix))
    return values.numpy()


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
