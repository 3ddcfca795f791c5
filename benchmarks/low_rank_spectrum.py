"""Every eigenvalue of a stored low-rank Hessian in float64 (`hessian_spectra.low_rank`,
the route `mnist_spectrum` takes for one-hidden-layer ReLU nets), timed phase by phase and
compared with another spectrum of the same matrix.

For a one-hidden-layer ReLU net, rank(H) <= N (k - 1) + 2 k h: 10,400 of the M = 55,660
parameters for h = 70. Two passes over the stored matrix give every eigenvalue; a fresh
probe certifies that the range was caught (round-off) and that the file is symmetric.

    python benchmarks/low_rank_spectrum.py results/mnist/hessians/fc-h70/final.h5 \\
        --rank 10400 [--compare SPECTRUM.h5]

It prints figures and ratios; nothing is asserted.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np

from hessian_spectra import low_rank, spectrum, storage


def report(path: Path, rank: int, compare: Path | None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    began = time.perf_counter()
    solve = low_rank.eigenvalues(path, rank)
    total = time.perf_counter() - began
    values = solve.eigenvalues
    floor = spectrum.round_off_floor(values)
    print(f"{path}: M = {values.size:,}, rank bound {rank:,}, {solve.columns:,} columns")
    print(f"  total {total / 60:.1f} min (the phases: the heartbeat lines above)")
    print(f"  certificate |HP - QQ^T HP| / |HP| = {solve.certificate:.1e}, probe asymmetry "
          f"{solve.asymmetry:.1e} (limit {low_rank.CERTIFICATE_LIMIT:.0e})")  # fmt: skip
    negatives = int((values < -floor).sum())
    print(f"  largest {values[-1]:.6g}, smallest {values[0]:.6g}, float64 floor {floor:.2e}")
    print(f"  {negatives} below -floor = {100 * negatives / values.size:.3f} % of M")
    if compare is not None:
        reference, attrs = storage.read_spectrum(compare)
        top = 20
        difference = np.abs(values[-top:] - reference[-top:]).max()
        print(f"  top {top} against {compare} ({attrs.get('precision')}): max |difference| "
              f"{difference:.2e}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hessian", type=Path)
    parser.add_argument("--rank", type=int, required=True, help="an upper bound on rank(H)")
    parser.add_argument("--compare", type=Path, help="a spectrum file to compare the top with")
    args = parser.parse_args()
    report(args.hessian, args.rank, args.compare)


if __name__ == "__main__":
    main()
