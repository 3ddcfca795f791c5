"""What OpenMP's wait policy costs a job when the machine's cores are busy with other work.

torch's OpenMP threads spin between parallel regions unless told otherwise; a job given 2
threads on a machine whose 2 cores also run something else (a laptop in use, a loaded CI
runner, a node shared by several jobs) then loses each barrier to the competitor.
The Snakefile sets OMP_WAIT_POLICY=PASSIVE, which every job inherits. This
times three things a workflow job does, on 2 threads, under OpenMP's default policy and
under PASSIVE, with the cores free and beside one busy loop per core (in a session of
their own, as another user's work would be):
- the dense float64 eigenvalues of a symmetric 1,501 x 1,501 matrix by torch.linalg.eigvalsh
  and by the in-place LAPACK call (`eigensolvers.solve_dense`; the spectrum job's driver
  when memory is short, and a test's);
- exact Hessian rows of the k = 10 blob net (100 -> 30 -> 30 -> 10, N = 1,000; 256
  Hessian-vector products with unit vectors).

    python benchmarks/oversubscription.py     # about 2 minutes on 2 cores

Each measurement runs in a fresh process (OpenMP reads the policy when torch loads), after
one matrix product has started torch's threads, as reading and checking a job's input
does. It prints seconds and ratios; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

THREADS = 2
ROWS = 256
SIZE = 1501


def child(workload: str) -> None:
    """One measurement, in this process, under the policy its environment gives."""
    import numpy as np
    import torch

    from hessian_spectra.eigensolvers import DenseSolve, solve_dense

    torch.set_num_threads(THREADS)
    warm = torch.ones(500, 500, dtype=torch.float64)
    (warm @ warm).sum()  # torch's thread team started, as in a job that read its input
    kind, _, size = workload.partition(":")
    if kind == "rows":
        from benchmark_settings import PAPER, blob_problem, load

        problem = blob_problem(load(PAPER), n_classes=10, activation="relu", cov=1.0)
        operator = problem.hessian()
        basis = torch.eye(problem.flat.dim, dtype=torch.float64)[:ROWS]
        start = time.perf_counter()
        for row in basis:
            operator.matvec(row)
        seconds = time.perf_counter() - start
    else:
        a = np.random.default_rng(0).standard_normal((int(size), int(size)))
        matrix = torch.from_numpy((a + a.T) / 2)
        start = time.perf_counter()
        solve_dense(matrix, DenseSolve("float64", kind, "cpu"))
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds}))


def measure(workload: str, policy: str) -> float:
    """Seconds of `workload` in a fresh process whose environment gives `policy` (the
    default: no OMP_WAIT_POLICY at all)."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if policy == "PASSIVE":
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    command = [sys.executable, __file__, "--child", workload]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])["seconds"]


@contextmanager
def busy_cores(count: int):
    """One loop per core that does nothing but compute, together in a session of their own
    (as another user's work: the kernel shares the CPU between sessions first)."""
    loops = " ".join(["while :; do :; done &"] * count) + " wait"
    other = subprocess.Popen(["sh", "-c", loops], start_new_session=True)
    try:
        time.sleep(0.5)
        yield
    finally:
        os.killpg(other.pid, signal.SIGKILL)
        other.wait()


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--child", help=argparse.SUPPRESS)
    parsed = options.parse_args()
    if parsed.child:
        child(parsed.child)
        return
    workloads = [f"{solver}:{SIZE}" for solver in ("torch", "in-place")] + ["rows"]
    cores = os.cpu_count() or 1
    print(f"{THREADS} threads per job, {cores} cores, {cores} busy processes when loaded\n")
    print(f"{'workload':<22}{'policy':<10}{'free s':>9}{'loaded s':>10}{'loaded/free':>13}")
    loaded = {}
    for workload in workloads:
        label = f"{ROWS} Hessian rows" if workload == "rows" else f"eigvals {workload}"
        for policy in ("default", "PASSIVE"):
            free = measure(workload, policy)
            with busy_cores(cores):
                loaded[workload, policy] = measure(workload, policy)
            busy = loaded[workload, policy]
            print(f"{label:<22}{policy:<10}{free:9.2f}{busy:10.2f}{busy / free:12.1f}x")
    print("\nUnder load, default / PASSIVE:")
    for workload in workloads:
        print(f"  {workload:<20}{loaded[workload, 'default'] / loaded[workload, 'PASSIVE']:8.1f}x")


if __name__ == "__main__":
    main()
