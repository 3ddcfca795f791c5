"""Time of the exact MNIST-convnet Hessian (config/config.yaml's: M = 21,840, N = 1,000,
float64) on the CPU, by each row engine, and of dense eigenvalues at the sizes of Figs. 3-6.

Rows: a few rows of each kind are timed and the whole assembly projected from them,
  - full rows, one backward pass each (`per-row`), with 1 worker x 2 threads and with
    2 workers x 1 thread (what the workflow's Hessian job runs);
  - full rows, 16 at a time in one batched backward pass (`batched`);
  - the rows of each later stage of `StagedHessian` (products through the layers from
    that one on: conv2 onwards, fc1 onwards, fc2);
  then the projected assembly of all M full rows against the staged one.
Eigenvalues: torch's eigvalsh (on a copy) and the in-place syevd in float64 and float32
  at M = 4,000 and 8,000 (at most the largest MNIST net's M and half of it), extrapolated
  as M^3 to the MNIST sizes; beside them, LAPACK's
  two-stage reduction (`?syevd_2stage`, from numpy's bundled OpenBLAS), which is faster
  on many cores for eigenvalues only: the alternative the workflow does not use.
With --assemble, the whole convnet Hessian is also built for real through
`assembly.assemble` (2 workers, as the workflow does) and timed.

    python benchmarks/convnet_hessian.py              # about 3 minutes
    python benchmarks/convnet_hessian.py --assemble   # plus the real assembly
    python benchmarks/convnet_hessian.py --eigen-only # the eigensolvers alone
    python benchmarks/convnet_hessian.py --config config/test.yaml --assemble  # test scale

It prints figures and ratios; nothing is asserted. The data are random MNIST-shaped
inputs (the cost does not depend on the pixel values).
"""

from __future__ import annotations

import ctypes
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from benchmark_settings import load, mnist_problem, mnist_spec, parser
from threadpoolctl import threadpool_limits

from hessian_spectra import assembly, eigensolvers, hessian_file, models
from hessian_spectra.curvature import HessianOperator
from hessian_spectra.models import FlatModel
from hessian_spectra.problems import Problem
from hessian_spectra.resources import spectrum_plan
from hessian_spectra.split import Split

THREADS = 2


def convnet_problem(config: dict) -> Problem:
    """The convnet at its initialisation on N = mnist.data.n_train random images."""
    generator, n = torch.Generator().manual_seed(0), config["mnist"]["data"]["n_train"]
    x = torch.rand(n, 784, generator=generator, dtype=torch.float64)
    return mnist_problem(config, "conv", Split(x, torch.randint(0, 10, (n,), generator=generator)))


def mnist_sizes(config: dict) -> dict[str, int]:
    """M of every MNIST net of Figs. 3-6."""
    sizes = {f"fc-h{h}": models.mlp_parameter_count(784, [h], 10)
             for h in config["mnist"]["fc"]["hidden"]}  # fmt: skip
    return sizes | {"conv": FlatModel(models.build_model(mnist_spec(config, "conv"))).dim}


def seconds_per_row(compute, start: int, rows: int, workers: int = 1) -> float:
    compute(start, start + 1)  # builds the graph(s)
    began = time.perf_counter()
    if workers == 1:
        compute(start, start + rows)
    else:
        torch.set_num_threads(1)
        with ThreadPoolExecutor(workers) as pool:
            for _ in range(workers):  # one graph per worker thread
                pool.submit(compute, start, start + 1).result()
            began = time.perf_counter()
            chunks = [(start + i * rows // workers, start + (i + 1) * rows // workers)
                      for i in range(workers)]  # fmt: skip
            list(pool.map(lambda bounds: compute(*bounds), chunks))
        torch.set_num_threads(THREADS)
    return (time.perf_counter() - began) / rows


def rows_report(config: dict) -> None:
    problem = convnet_problem(config)
    data = problem.data
    full = HessianOperator(problem.loss, problem.theta)
    batched = HessianOperator(problem.loss, problem.theta, "batched")
    staged = problem.hessian()
    timings = {
        "full rows, per-row, 1 worker x 2 threads": seconds_per_row(full.rows, 100, 8),
        "full rows, per-row, 2 workers x 1 thread": seconds_per_row(full.rows, 100, 8, 2),
        "full rows, batched 16": seconds_per_row(batched.rows, 100, 16),
    }
    bounds = [*staged.stage_starts, full.dim]
    stage_rows = [stop - start for start, stop in zip(bounds[:-1], bounds[1:], strict=True)]
    for stage, start in enumerate(staged.stage_starts[1:], start=1):
        count = min(16 if stage == 1 else 64, stage_rows[stage])
        timings[f"stage {stage} rows (from row {start:,}), 2 workers"] = seconds_per_row(
            lambda a, b, stage=stage: staged.stage_rows(stage, a, b), start, count, 2
        )
    print(f"convnet: M = {full.dim:,}, N = {len(data):,}; stages start at rows "
          f"{staged.stage_starts}; {THREADS} threads")  # fmt: skip
    for name, value in timings.items():
        print(f"  {name:45s} {1000 * value:8.1f} ms/row")
    best_full = min(value for name, value in timings.items() if name.startswith("full"))
    per_stage = [best_full] + [value for name, value in timings.items() if name.startswith("stage")]
    all_full = full.dim * best_full
    by_stage = sum(rows * cost for rows, cost in zip(stage_rows, per_stage, strict=True))
    print(f"  projected assembly, all {full.dim:,} full rows: {all_full / 60:6.1f} min")
    print(f"  projected assembly, by stages:               {by_stage / 60:6.1f} min "
          f"({all_full / by_stage:.1f}x faster)")  # fmt: skip


def two_stage_eigenvalues(array: np.ndarray) -> np.ndarray:
    """Eigenvalues by LAPACKE ?syevd_2stage from numpy's ILP64 OpenBLAS, in place."""
    library = next((Path(np.__file__).parents[1] / "numpy.libs").glob("libscipy_openblas64_*"))
    name = {np.float64: "dsyevd_2stage", np.float32: "ssyevd_2stage"}[array.dtype.type]
    solve = getattr(ctypes.CDLL(str(library)), f"scipy_LAPACKE_{name}64_")
    solve.restype = ctypes.c_int64
    values = np.empty(array.shape[0], dtype=array.dtype)
    size, column_major = ctypes.c_int64(array.shape[0]), ctypes.c_int(102)
    data, out = array.ctypes.data_as(ctypes.c_void_p), values.ctypes.data_as(ctypes.c_void_p)
    info = solve(column_major, ctypes.c_char(b"N"), ctypes.c_char(b"U"), size, data, size, out)
    if info != 0:
        raise RuntimeError(f"{name} failed with info = {info}")
    return values


def eigen_report(config: dict) -> None:
    sizes = mnist_sizes(config)
    measured_sizes = [min(4000, max(sizes.values()) // 2), min(8000, max(sizes.values()))]
    reference = measured_sizes[-1]
    print(f"dense eigenvalues, {THREADS} threads (extrapolated as M^3 from M = {reference:,})")
    rng = np.random.default_rng(0)
    measured = {}
    for dim in measured_sizes:
        a = rng.standard_normal((dim, dim))
        a = (a + a.T) / 2
        for plan in (
            eigensolvers.DenseSolve("float64", "torch", "cpu"),
            eigensolvers.DenseSolve("float64", "in-place", "cpu"),
            eigensolvers.DenseSolve("float32", "in-place", "cpu"),
        ):
            matrix = torch.from_numpy(a.astype(plan.precision))
            began = time.perf_counter()
            eigensolvers.solve_dense(matrix, plan)
            measured[(dim, plan.precision, plan.solver)] = time.perf_counter() - began
            print(f"  M = {dim:,} {plan.precision} {plan.solver:9s} "
                  f"{measured[(dim, plan.precision, plan.solver)]:7.1f} s")  # fmt: skip
        for precision in (np.float64, np.float32):
            array = a.astype(precision)
            began = time.perf_counter()
            with threadpool_limits(limits=THREADS, user_api="blas"):
                two_stage_eigenvalues(array)
            seconds = time.perf_counter() - began
            in_place = measured[(dim, np.dtype(precision).name, "in-place")]
            print(f"  M = {dim:,} {np.dtype(precision).name} 2-stage   {seconds:7.1f} s "
                  f"({seconds / in_place:.2f}x the in-place syevd; not used)")  # fmt: skip
    cap = config["mnist"]["spectrum"]["memory_mb"]
    total = 0.0
    for name, dim in sizes.items():
        plan = spectrum_plan(dim, None, cap)  # the dense solve, as if no rank bound held
        seconds = measured[(reference, plan["precision"], plan["solver"])] * (dim / reference) ** 3
        total += seconds * (2 if name == "conv" else 1)
        print(f"  {name:7s} M = {dim:6,}: {plan['precision']} {plan['solver']:9s} "
              f"~{seconds / 60:5.1f} min")  # fmt: skip
    print(f"  all {len(sizes) + 1} MNIST spectra (two convnets): ~{total / 60:.0f} min")


def assemble_report(config: dict) -> None:
    operator = convnet_problem(config).hessian()
    block_size = config["mnist"]["spectrum"]["block_size"]
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        assembly.assemble(
            operator, Path(tmp) / "h.h5", block_size=block_size, attrs={}, workers=THREADS
        )
        elapsed = time.perf_counter() - began
        attrs = hessian_file.read_attrs(Path(tmp) / "h.h5")
    print(f"real assembly, by stages, 2 workers: {elapsed / 60:.1f} min, "
          f"symmetry error {attrs['symmetry_error']:.1e}")  # fmt: skip


def main() -> None:
    options = parser(__doc__.splitlines()[0])
    options.add_argument("--assemble", action="store_true", help="also build the real matrix")
    options.add_argument("--eigen-only", action="store_true", help="only the eigensolvers")
    args = options.parse_args()
    config = load(args.config)
    torch.set_num_threads(THREADS)
    if not args.eigen_only:
        rows_report(config)
    eigen_report(config)
    if args.assemble:
        assemble_report(config)


if __name__ == "__main__":
    main()
