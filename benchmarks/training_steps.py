"""What one training step of the blob grid costs, and so what the grid's training costs.

Times steps of the library's own loop (`training.sgd`, over the run's batch schedule) for
the nets of Table 1 (config/config.yaml: 100 -> 30 -> 30 -> k, N = 1,000; full-batch GD and
batch-32 SGD) in the workflow's float64 and, for comparison, in float32, on one thread as
the train jobs run; then, given a Table 1 with the steps each run took, the training CPU
time of the whole grid. It prints figures and ratios; nothing is asserted.

    python benchmarks/training_steps.py [--table results/table1.csv]
    python benchmarks/training_steps.py --config config/test.yaml   # the test scale
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
from benchmark_settings import blob_problem, load, parser

from hessian_spectra import tables, training
from hessian_spectra.split import Split

WARM_UP, REPEATS = 30, 300


def seconds_per_step(config: dict, algorithm: str, activation: str, k: int, dtype) -> float:
    problem = blob_problem(config, k, activation, cov=config["table1"]["cov"][0])
    model = problem.flat.model.to(dtype)
    data = Split(problem.data.x.to(dtype), problem.data.y)
    settings = training.TrainSettings.from_params(config["blobs"]["train"][algorithm])
    schedule = training.BatchSchedule(len(data), settings.batch_size, settings.seed)

    def run(steps: range) -> None:
        training.sgd(
            model, data, schedule, learning_rate=settings.learning_rate, steps=steps,
            after_step=lambda step: False, run=f"{algorithm}-{activation}-k{k}",
        )  # fmt: skip

    run(range(1, WARM_UP + 1))
    began = time.perf_counter()
    run(range(WARM_UP + 1, WARM_UP + REPEATS + 1))
    return (time.perf_counter() - began) / REPEATS


def main() -> None:
    options = parser(__doc__.splitlines()[0])
    options.add_argument("--table", type=Path, help="a table1.csv: the steps each run took")
    args = options.parse_args()
    config = load(args.config)
    grid = config["table1"]
    torch.set_num_threads(1)
    cost = {}
    print(f"{'run':18s} {'float64 ms':>10s} {'float32 ms':>10s} {'64 / 32':>8s}")
    for algorithm in grid["algorithms"]:
        for activation in grid["activations"]:
            for k in grid["n_classes"]:
                f64 = seconds_per_step(config, algorithm, activation, k, torch.float64)
                f32 = seconds_per_step(config, algorithm, activation, k, torch.float32)
                cost[(algorithm, activation, k)] = f64
                label = f"{algorithm}-{activation}-k{k}"
                print(f"{label:18s} {1e3 * f64:10.3f} {1e3 * f32:10.3f} {f64 / f32:8.2f}")
    if args.table:
        rows = tables.read_csv(args.table)
        total = {"gd": 0.0, "sgd": 0.0}
        steps = {"gd": 0, "sgd": 0}
        for row in rows:
            nearest = min(grid["n_classes"], key=lambda k: abs(k - row["n_classes"]))
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
