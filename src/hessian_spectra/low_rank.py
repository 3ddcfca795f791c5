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
The bound, the width w and the memory live in `resources` (light enough for the rules).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from . import hessian_file, jobs
from .resources import LOW_RANK_SLAB_BYTES as SLAB_BYTES
from .resources import low_rank_width as width

PROBES = 8
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


def eigenvalues(path: str | os.PathLike, rank_bound: int, seed: int = 0) -> LowRankSolve:
    """All M eigenvalues of the stored Hessian `path` (a `hessian_file`, opened once for
    both passes), ascending, with the certificate |H P - Q Q^T H P| / |H P| and the probe's
    asymmetry |H P - H^T P| / |H P| (both round-off when the bound holds and the file is
    intact)."""
    with hessian_file.HessianFile(path) as stored:
        dim = stored.attrs["parameter_count"]
        columns = width(dim, rank_bound)
        rng = np.random.default_rng(seed)
        omega = rng.standard_normal((dim, columns))
        sampled = np.empty((dim, columns))
        with jobs.heartbeat(f"pass 1 of 2 over {path} (H Omega, {columns:,} columns)"):
            for start, rows in stored.row_slabs(SLAB_BYTES):
                sampled[start : start + len(rows)] = rows @ omega
        del omega
        with jobs.heartbeat(f"QR of {dim:,} x {columns:,}"):
            basis, _ = scipy.linalg.qr(
                sampled, mode="economic", overwrite_a=True, check_finite=False
            )
        del sampled
        probe = rng.standard_normal((dim, PROBES))
        projected, probed = np.empty((dim, columns)), np.empty((dim, PROBES))
        transposed = np.zeros((dim, PROBES))
        with jobs.heartbeat(f"pass 2 of 2 over {path} (H Q and the probe)"):
            for start, rows in stored.row_slabs(SLAB_BYTES):
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
