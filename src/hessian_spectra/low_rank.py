"""Every eigenvalue of a stored Hessian of known low rank, in float64, by two passes over
its HDF5 file: the route for MNIST nets too large for a dense float64 solve.

For a one-hidden-layer ReLU net, H = G + R has rank at most N (k - 1) + 2 k h: G is a sum
of N per-sample terms of rank k - 1, and R couples each hidden unit's incoming weights only
to its outgoing ones (ReLU has no second derivative), so it is a 2 x 2 block matrix with
zero diagonal blocks and off-diagonal blocks of rank k h. Given such a bound r:

    Y = H Omega (Omega: M x w Gaussian, w = r + oversampling), Q = qr(Y),
    B = Q^T (H Q), the eigenvalues of B (w x w), and M - w exact zeros.

A fresh probe P certifies the range: |H P - Q Q^T H P| / |H P| must be at round-off, else
Q missed part of H's range (a wrong bound) and the caller falls back to a dense solve.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from . import hessian_file, jobs
from .spectrum import JOB_OVERHEAD_BYTES

OVERSAMPLING = 64
PROBES = 8
SLAB_BYTES = 256 << 20
# A range that misses part of H, or a file changed since it was written, leaves a residual
# far above this; an intact file and a true bound leave round-off (2.9e-15 at M = 55,660).
CERTIFICATE_LIMIT = 1e-10


@dataclass(frozen=True)
class LowRankSolve:
    eigenvalues: np.ndarray
    certificate: float
    asymmetry: float
    rank_bound: int
    columns: int

    @property
    def exact(self) -> bool:
        return max(self.certificate, self.asymmetry) <= CERTIFICATE_LIMIT

    def describe(self) -> dict:
        return {
            "precision": "float64",
            "driver": (
                "low-rank range finder: two passes over the stored matrix, QR, "
                "eigenvalues of Q^T H Q (scipy), M - w exact zeros"
            ),
            "device": "cpu",
            "rank_bound": self.rank_bound,
            "range_columns": self.columns,
            "range_certificate": self.certificate,
            "probe_asymmetry": self.asymmetry,
        }


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


def width(dim: int, rank_bound: int) -> int:
    return min(dim, rank_bound + OVERSAMPLING)


def worthwhile(dim: int, rank_bound: int | None) -> bool:
    """Two passes over the matrix and a QR of M x w beat a dense solve of M x M where w is
    at most a third of M (measured: h = 70 in 31 min against 101 CPU-min in float32)."""
    return rank_bound is not None and 3 * width(dim, rank_bound) <= dim


def needed_bytes(dim: int, rank_bound: int) -> int:
    """Three M x w float64 arrays (Y and Q side by side in the QR, then Q and H Q), B with
    its eigensolver's copy, and a slab of rows (13.8 GB measured at M = 55,660)."""
    columns = width(dim, rank_bound)
    return 8 * (3 * dim * columns + 2 * columns * columns) + SLAB_BYTES


def job_mem_mb(dim: int, rank_bound: int) -> int:
    """Memory a low-rank spectrum job declares: its workspace and the job's overhead."""
    return -(-(needed_bytes(dim, rank_bound) + JOB_OVERHEAD_BYTES) // (1 << 20))


def eigenvalues(path: str | os.PathLike, rank_bound: int, seed: int = 0) -> LowRankSolve:
    """All M eigenvalues of the stored Hessian `path` (a `hessian_file`), ascending, with
    the certificate |H P - Q Q^T H P| / |H P| and the probe's asymmetry
    |H P - H^T P| / |H P| (both round-off when the bound holds and the file is intact)."""
    dim = hessian_file.read_attrs(path)["parameter_count"]
    columns = width(dim, rank_bound)
    rng = np.random.default_rng(seed)
    omega = rng.standard_normal((dim, columns))
    sampled = np.empty((dim, columns))
    with jobs.heartbeat(f"pass 1 of 2 over {path} (H Omega, {columns:,} columns)"):
        for start, rows in hessian_file.row_slabs(path, SLAB_BYTES):
            sampled[start : start + len(rows)] = rows @ omega
    del omega
    with jobs.heartbeat(f"QR of {dim:,} x {columns:,}"):
        basis, _ = scipy.linalg.qr(sampled, mode="economic", overwrite_a=True, check_finite=False)
    del sampled
    probe = rng.standard_normal((dim, PROBES))
    projected, probed = np.empty((dim, columns)), np.empty((dim, PROBES))
    transposed = np.zeros((dim, PROBES))
    with jobs.heartbeat(f"pass 2 of 2 over {path} (H Q and the probe)"):
        for start, rows in hessian_file.row_slabs(path, SLAB_BYTES):
            stop = start + len(rows)
            projected[start:stop] = rows @ basis
            probed[start:stop] = rows @ probe
            transposed += rows.T @ probe[start:stop]
    small = basis.T @ projected
    del projected
    with jobs.heartbeat(f"eigenvalues of Q^T H Q ({columns:,} x {columns:,})"):
        values = scipy.linalg.eigvalsh((small + small.T) / 2, check_finite=False)
    scale = float(np.linalg.norm(probed))
    return LowRankSolve(
        eigenvalues=np.sort(np.concatenate([values, np.zeros(dim - columns)])),
        certificate=float(np.linalg.norm(probed - basis @ (basis.T @ probed))) / scale,
        asymmetry=float(np.linalg.norm(probed - transposed)) / scale,
        rank_bound=rank_bound,
        columns=columns,
    )
