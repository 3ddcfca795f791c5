"""Every non-zero eigenvalue of a stored low-rank Hessian, in float64, by a range finder
over the HDF5 file: the route for MNIST nets too large for a dense float64 solve.

For a one-hidden-layer ReLU net, H = G + R has rank at most N (k - 1) (G) + 2 k h (R only
couples each hidden unit's incoming weights to its outgoing ones), 10,400 of the
M = 55,660 parameters for h = 70. Two passes over the stored matrix give it:

    Y = H Omega (Omega: M x r Gaussian, r = the rank bound + oversampling), Q = qr(Y),
    B = Q^T (H Q), eigenvalues of B (r x r), and M - r exact zeros.

A fresh probe P certifies the range: |H P - Q Q^T H P| / |H P| must be at round-off,
else Q missed part of H's range (a wrong rank bound) and the result is not exact.

    python benchmarks/low_rank_spectrum.py results/mnist/hessians/fc-h70/final.h5 \\
        --rank 10400 [--compare SPECTRUM.h5]
    python benchmarks/low_rank_spectrum.py --self-test   # a random low-rank matrix

It prints figures and ratios; nothing is asserted. Not used by the workflow (yet).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import scipy.linalg

SLAB_ROWS = 1024
EPS = np.finfo(np.float64).eps


def low_rank_eigenvalues(path: Path, rank: int, oversample: int = 64, seed: int = 0):
    """(non-zero eigenvalues ascending, M, certificate residual, seconds per phase)."""
    rng = np.random.default_rng(seed)
    seconds = {}
    with h5py.File(path, "r") as handle:
        matrix = handle["hessian"]
        dim = matrix.shape[0]
        width = min(dim, rank + oversample)
        began = time.perf_counter()
        omega = rng.standard_normal((dim, width))
        sampled = np.empty((dim, width))
        for start in range(0, dim, SLAB_ROWS):
            sampled[start : start + SLAB_ROWS] = matrix[start : start + SLAB_ROWS] @ omega
        del omega
        seconds["pass 1 (H Omega)"] = time.perf_counter() - began
        began = time.perf_counter()
        basis, _ = scipy.linalg.qr(sampled, mode="economic", overwrite_a=True, check_finite=False)
        del sampled
        seconds["QR"] = time.perf_counter() - began
        began = time.perf_counter()
        probe = rng.standard_normal((dim, 8))
        projected = np.empty((dim, width))
        probed = np.empty((dim, 8))
        for start in range(0, dim, SLAB_ROWS):
            rows = matrix[start : start + SLAB_ROWS]
            projected[start : start + SLAB_ROWS] = rows @ basis
            probed[start : start + SLAB_ROWS] = rows @ probe
        seconds["pass 2 (H Q, H P)"] = time.perf_counter() - began
    began = time.perf_counter()
    small = basis.T @ projected
    del projected
    values = scipy.linalg.eigvalsh((small + small.T) / 2, check_finite=False)
    residual = np.linalg.norm(probed - basis @ (basis.T @ probed)) / np.linalg.norm(probed)
    seconds["Q^T H Q and its eigenvalues"] = time.perf_counter() - began
    return values, dim, residual, seconds


def report(path: Path, rank: int, compare: Path | None) -> None:
    began = time.perf_counter()
    values, dim, residual, seconds = low_rank_eigenvalues(path, rank)
    total = time.perf_counter() - began
    floor = dim * EPS * np.abs(values).max()
    print(f"{path}: M = {dim:,}, rank bound {rank:,}, {values.size:,} eigenvalues of Q^T H Q")
    for phase, spent in seconds.items():
        print(f"  {phase:30s} {spent / 60:6.1f} min")
    print(f"  total                          {total / 60:6.1f} min")
    print(f"  certificate |HP - QQ^T HP| / |HP| = {residual:.1e} (round-off: exact range)")
    negatives = int((values < -floor).sum())
    print(f"  largest {values[-1]:.6g}, smallest {values[0]:.6g}, float64 floor {floor:.2e}")
    print(f"  {negatives} below -floor = {100 * negatives / dim:.3f} % of M")
    if compare is not None:
        with h5py.File(compare, "r") as handle:
            reference = handle["eigenvalues"][()]
            precision = handle.attrs.get("precision")
        top = min(20, values.size)
        difference = np.abs(np.sort(values)[-top:] - reference[-top:]).max()
        print(f"  top {top} against {compare} ({precision}): max |difference| {difference:.2e}")


def self_test() -> None:
    """A random symmetric matrix of known rank, through the same code, against numpy."""
    dim, rank = 2000, 300
    rng = np.random.default_rng(1)
    factor = rng.standard_normal((dim, rank))
    signs = np.where(rng.random(rank) < 0.1, -1.0, 1.0)
    matrix = (factor * signs) @ factor.T / dim
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "h.h5"
        with h5py.File(path, "w") as handle:
            handle.create_dataset("hessian", data=matrix)
        values, _, residual, _ = low_rank_eigenvalues(path, rank)
    reference = np.linalg.eigvalsh(matrix)
    nonzero = reference[np.abs(reference) > dim * EPS * np.abs(reference).max()]
    found = values[np.abs(values) > dim * EPS * np.abs(values).max()]
    print(f"self-test: {found.size} non-zero of {nonzero.size}, max |difference| "
          f"{np.abs(found - nonzero).max():.1e}, certificate {residual:.1e}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hessian", type=Path, nargs="?")
    parser.add_argument("--rank", type=int, help="an upper bound on the rank of H")
    parser.add_argument("--compare", type=Path, help="a spectrum file to compare the top with")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        self_test()
    else:
        report(args.hessian, args.rank, args.compare)


if __name__ == "__main__":
    main()
