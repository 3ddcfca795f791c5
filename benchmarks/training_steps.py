"""What one training step of the blob grid costs, and so what the grid's training costs.

Times full-batch GD and batch-32 SGD steps of the blob net (100 -> 30 -> 30 -> k, N =
1,000) in the workflow's float64 and, for comparison, in float32, on one thread as the
train jobs run; then, given a Table 1 with the steps each run took, the training CPU time
of the whole grid. It prints figures and ratios; nothing is asserted.

    python benchmarks/training_steps.py [--table results/table1.csv]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from hessian_spectra import blobs, models, tables  # noqa: E402
from hessian_spectra.split import to_splits  # noqa: E402
from hessian_spectra.training import BatchSchedule  # noqa: E402

REPEATS = 300


def seconds_per_step(n_classes: int, activation: str, batch: int | None, dtype) -> float:
    arrays, _ = blobs.gaussian_blobs(
        n_classes=n_classes, dim=100, n_train=1000, n_test=1000, cov=1.0,
        center_box=(-10.0, 10.0), seed=0,
    )  # fmt: skip
    train, _ = to_splits(arrays)
    x, y = train.x.to(dtype), train.y
    spec = models.spec_for(
        {"kind": "mlp", "hidden": [30, 30], "activation": activation}, 100, n_classes
    )
    model = models.build_model(spec).to(dtype)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    schedule = BatchSchedule(len(y), batch, seed=0)

    def step(number: int) -> None:
        rows = schedule.batch(number)
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x[rows]), y[rows]).backward()
        optimizer.step()

    for number in range(1, 31):
        step(number)
    began = time.perf_counter()
    for number in range(31, 31 + REPEATS):
        step(number)
    return (time.perf_counter() - began) / REPEATS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, help="a table1.csv: the steps each run took")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cost = {}
    print(f"{'run':18s} {'float64 ms':>10s} {'float32 ms':>10s} {'64 / 32':>8s}")
    for algorithm, batch in (("gd", None), ("sgd", 32)):
        for activation in ("relu", "tanh"):
            for k in (2, 10, 50):
                f64 = seconds_per_step(k, activation, batch, torch.float64)
                f32 = seconds_per_step(k, activation, batch, torch.float32)
                cost[(algorithm, activation, k)] = f64
                print(f"{algorithm}-{activation}-k{k:<8d} {1e3 * f64:10.3f} {1e3 * f32:10.3f} "
                      f"{f64 / f32:8.2f}")  # fmt: skip
    if args.table:
        rows = tables.read_csv(args.table)
        total = {"gd": 0.0, "sgd": 0.0}
        steps = {"gd": 0, "sgd": 0}
        for row in rows:
            nearest = min((2, 10, 50), key=lambda k: abs(k - row["nc"]))
            total[row["algorithm"]] += (
                row["steps"] * cost[(row["algorithm"], row["activation"], nearest)]
            )
            steps[row["algorithm"]] += row["steps"]
        for algorithm in total:
            print(f"{algorithm}: {steps[algorithm]:,} steps in all, about "
                  f"{total[algorithm] / 60:.1f} CPU-minutes in float64")  # fmt: skip
        print(f"the grid's training: about {sum(total.values()) / 60:.1f} CPU-minutes, "
              f"{sum(total.values()) / 120:.1f} min on 2 cores at best")  # fmt: skip


if __name__ == "__main__":
    main()
