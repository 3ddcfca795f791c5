"""Time and peak memory of exact-Hessian engines and eigenvalue drivers on the largest
dense Hessian of the blob experiments.

That is Fig. 2's blob net at its largest k, at its initialisation (config/config.yaml: k =
50, 100 -> 30 -> 30 -> 50, ReLU, N = 1,000 Gaussian-blob samples, M = 5,510). Every method
runs in its own subprocess, so the peak resident memory it reports is its own. Run from the
repository root:

    python benchmarks/hessian_engines.py            # everything (about 2 minutes, 12 GiB)
    python benchmarks/hessian_engines.py --quick    # without torch.func.hessian
    python benchmarks/hessian_engines.py --config config/test.yaml   # the test scale

It prints one line per method and the ratios the project's choices are judged by; nothing
is asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from benchmark_settings import blob_problem, load, parser

from hessian_spectra.assembly import assemble as assemble_hessian
from hessian_spectra.hessian_file import read as read_hessian
from hessian_spectra.problems import Problem

THREADS = 2
HESSIAN_METHODS = {
    "engine (rows by double backward, 2 workers, HDF5 blocks)": "engine",
    "torch.autograd.functional.hessian(vectorize=False)": "autograd_loop",
    "PyHessian-style loop of double-backward products": "pyhessian_loop",
    "torch.func vmap(jvp(grad)) over blocks of 64": "vmap_blocks",
    "torch.func.hessian": "func_hessian",
}
EIGEN_METHODS = {
    "torch.linalg.eigvalsh (project's choice)": "eig_torch",
    "scipy.linalg.eigh(driver='evd')": "eig_scipy_evd",
    "scipy.linalg.eigh(driver='evr')": "eig_scipy_evr",
}


def largest_blob_problem(config: dict) -> Problem:
    fig2 = config["fig2"]
    return blob_problem(config, max(fig2["n_classes"]), fig2["activation"], fig2["cov"])


def hessian_by(method: str, workdir: Path, config: dict) -> np.ndarray:
    problem = largest_blob_problem(config)
    loss, theta, dim = problem.loss, problem.theta, problem.flat.dim
    if method == "engine":
        path = workdir / "hessian.h5"
        block_size = config["hessian"]["block_size"]
        assemble_hessian(problem.hessian(), path, block_size=block_size, attrs={}, workers=THREADS)
        return read_hessian(path)[0]
    if method == "autograd_loop":
        return torch.autograd.functional.hessian(loss, theta, vectorize=False).numpy()
    if method == "pyhessian_loop":
        leaf = theta.clone().requires_grad_(True)
        (gradient,) = torch.autograd.grad(loss(leaf), leaf, create_graph=True)
        out = np.empty((dim, dim))
        unit = torch.zeros(dim, dtype=torch.float64)
        for i in range(dim):
            unit[i] = 1.0
            (out[i],) = torch.autograd.grad(gradient, leaf, grad_outputs=unit, retain_graph=True)
            unit[i] = 0.0
        return out
    if method == "vmap_blocks":
        gradient = torch.func.grad(loss)

        def product(vector):
            return torch.func.jvp(gradient, (theta,), (vector,))[1]

        out = np.empty((dim, dim))
        for start in range(0, dim, 64):
            stop = min(start + 64, dim)
            units = torch.zeros(stop - start, dim, dtype=torch.float64)
            units[torch.arange(stop - start), torch.arange(start, stop)] = 1.0
            out[start:stop] = torch.func.vmap(product)(units).numpy()
        return out
    if method == "func_hessian":
        return torch.func.hessian(loss)(theta).numpy()
    raise ValueError(method)


def eigenvalues_by(method: str, matrix: np.ndarray) -> np.ndarray:
    import scipy.linalg

    if method == "eig_torch":
        return torch.linalg.eigvalsh(torch.from_numpy(matrix)).numpy()
    driver = method.removeprefix("eig_scipy_")
    return scipy.linalg.eigh(matrix, eigvals_only=True, driver=driver)


def child(method: str, workdir: Path, config: dict) -> None:
    """Run one method; print its wall time and this process's peak resident memory."""
    torch.set_num_threads(THREADS)
    if method.startswith("eig_"):
        matrix = np.load(workdir / "reference.npy")
        started = time.perf_counter()
        values = eigenvalues_by(method, matrix)
        seconds = time.perf_counter() - started
        np.save(workdir / f"{method}.npy", values)
    else:
        started = time.perf_counter()
        matrix = hessian_by(method, workdir, config)
        seconds = time.perf_counter() - started
        np.save(workdir / f"{method}.npy", matrix)
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_gib": peak_gib}))


def measure(method: str, workdir: Path, config: Path) -> tuple[float, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--config", str(config), "--child", method, str(workdir)],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report["seconds"], report["peak_gib"]


def main() -> None:
    options = parser(__doc__.splitlines()[0])
    options.add_argument("--quick", action="store_true", help="skip torch.func.hessian")
    options.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = options.parse_args()
    config = load(args.config)
    if args.child:
        child(args.child[0], Path(args.child[1]), config)
        return

    problem = largest_blob_problem(config)
    print(
        f"M = {problem.flat.dim}, N = {len(problem.data)}, {THREADS} threads, float64, "
        f"torch {torch.__version__}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        times: dict[str, float] = {}
        print(f"\n{'Hessian engine':58s} {'seconds':>8s} {'peak GiB':>9s} {'max rel. diff':>14s}")
        for label, method in HESSIAN_METHODS.items():
            if args.quick and method == "func_hessian":
                continue
            seconds, peak = measure(method, workdir, args.config)
            matrix = np.load(workdir / f"{method}.npy")
            if method == "engine":
                reference = matrix
                np.save(workdir / "reference.npy", reference)
            difference = np.abs(matrix - reference).max() / np.abs(reference).max()
            times[method] = seconds
            print(f"{label:58s} {seconds:8.2f} {peak:9.2f} {difference:14.1e}")

        print(
            f"\n{'Eigenvalues (all, float64)':58s} {'seconds':>8s} {'peak GiB':>9s} "
            f"{'max abs. diff':>14s}"
        )
        for label, method in EIGEN_METHODS.items():
            seconds, peak = measure(method, workdir, args.config)
            values = np.load(workdir / f"{method}.npy")
            if method == "eig_torch":
                reference_values = values
            times[method] = seconds
            difference = np.abs(values - reference_values).max()
            print(f"{label:58s} {seconds:8.2f} {peak:9.2f} {difference:14.1e}")

    print("\nRatios (goal in brackets)")
    print(
        f"  autograd.functional.hessian(vectorize=False) / engine: "
        f"{times['autograd_loop'] / times['engine']:.2f}x  [>= 1.5x]"
    )
    print(f"  PyHessian-style loop / engine: {times['pyhessian_loop'] / times['engine']:.2f}x")
    print(f"  vmap blocks / engine: {times['vmap_blocks'] / times['engine']:.2f}x")
    if "func_hessian" in times:
        print(f"  torch.func.hessian / engine: {times['func_hessian'] / times['engine']:.2f}x")
    print(
        f"  scipy evd / torch eigvalsh: {times['eig_scipy_evd'] / times['eig_torch']:.2f}x"
        "  [>= 1.6x]"
    )


if __name__ == "__main__":
    main()
