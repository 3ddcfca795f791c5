"""What a training step of the blob grid costs, against the matrix-product floor of its
shapes, alone and with runs stacked; and so what the grid's training costs.

For each net of Table 1 (config/config.yaml: 100 -> 30 -> 30 -> k, N = 1,000; full-batch
GD and batch-32 SGD; float64, one thread, as the train jobs run), per run and step:
- floor: the step's matrix products alone (forward, weight gradients, input gradients), as
  the batched products of a stack of R runs, divided by R;
- module: the library's loop (`training.sgd`) on the net as a module, one run per job
  (the workflow before stacking);
- stack R: the loop on an `stacks.MLPStack` of R runs: R = 1, R = the number of seeds a
  training job trains as one stack (`blobs.seeds`: the seeds of a cell), and R = 10;
- and each time over the floor. Given a Table 1 with the steps each run took (`--table`;
  each run counted once, at its last stop of the config's), the training
  CPU time of the whole grid, per job as one run or as a stack. It prints figures and
  ratios; nothing is asserted.

    python benchmarks/training_steps.py [--table results/table1.csv]
    python benchmarks/training_steps.py --config config/test.yaml   # the test scale
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
import torch.nn.functional as F
from benchmark_settings import blob_problem, load, parser

from hessian_spectra import summary_blobs, tables, training
from hessian_spectra.runs import ALGORITHMS, stops
from hessian_spectra.stacks import MLPStack

WARM_UP, REPEATS, LARGE_STACK = 20, 200, 10


def per_step(run, steps: int) -> float:
    """Seconds per step of `run(range of steps)` over `steps` steps, after a warm-up."""
    run(range(1, WARM_UP + 1))
    began = time.perf_counter()
    run(range(WARM_UP + 1, WARM_UP + steps + 1))
    return (time.perf_counter() - began) / steps


def floor(widths: list[int], batch: int, runs: int) -> float:
    """Seconds per run of the matrix products of one step of `runs` stacked nets."""
    shapes = list(zip(widths[:-1], widths[1:], strict=True))
    weights = [torch.randn(runs, o, i, dtype=torch.float64) for i, o in shapes]
    inputs = [torch.randn(runs, batch, i, dtype=torch.float64) for i in widths[:-1]]
    deltas = [torch.randn(runs, batch, o, dtype=torch.float64) for o in widths[1:]]

    def products(steps: range) -> None:
        for _ in steps:
            for layer, (weight, x, delta) in enumerate(zip(weights, inputs, deltas, strict=True)):
                torch.bmm(x, weight.transpose(1, 2))  # forward
                torch.bmm(delta.transpose(1, 2), x)  # weight gradient
                if layer:
                    torch.bmm(delta, weight)  # input gradient

    return per_step(products, REPEATS) / runs


def loop_step(config: dict, algorithm: str, activation: str, k: int, runs: int | None):
    """Seconds per run of one step of `training.sgd`: on the net as a module (`runs`
    None) or on a stack of `runs` copies of it."""
    problem = blob_problem(config, k, activation, cov=config["table1"]["cov"][0])
    settings = training.TrainSettings.from_params(config["blobs"]["train"][algorithm])
    schedule = training.BatchSchedule(len(problem.data), settings.batch_size, settings.seed)
    if runs is None:
        model, data, count = problem.flat.model, problem.data, 1
        parameters = list(model.parameters())

        def losses(step: int) -> torch.Tensor:
            batch = schedule.batch(step)
            return F.cross_entropy(model(data.x[batch]), data.y[batch])
    else:
        stack = MLPStack(problem.spec, [problem.theta] * runs)
        x = problem.data.x.expand(runs, -1, -1).contiguous()
        y = problem.data.y.expand(runs, -1).contiguous()
        parameters, count = stack.parameters(), runs

        def losses(step: int) -> torch.Tensor:
            batch = schedule.batch(step)
            return stack.losses(x[:, batch], y[:, batch])

    def run(steps: range) -> None:
        training.sgd(
            parameters, losses, learning_rate=settings.learning_rate, steps=steps,
            after_step=lambda _: False, runs=[f"run {r}" for r in range(count)], batch="",
        )  # fmt: skip

    return per_step(run, max(REPEATS // count, 20)) / count


def grid_minutes(rows: list[dict], cost: dict, column: str) -> float:
    """CPU-minutes of training every run of `rows` at `cost[(alg, act, k)][column]` per
    step, the nearest measured k standing in for a k not measured."""
    measured = sorted({key[2] for key in cost})
    total = 0.0
    for row in rows:
        k = min(measured, key=lambda value: abs(value - row["n_classes"]))
        total += row["steps"] * cost[(row["algorithm"], row["activation"], k)][column]
    return total / 60


def main() -> None:
    options = parser(__doc__.splitlines()[0])
    options.add_argument("--table", type=Path, help="a table1.csv: the steps each run took")
    args = options.parse_args()
    config = load(args.config)
    grid, blobs = config["table1"], config["blobs"]
    torch.set_num_threads(1)
    stacks = sorted({1, len(blobs["seeds"]), LARGE_STACK})  # alone, a training job, large
    columns = ["floor", "module", *(f"stack {runs}" for runs in stacks)]
    print("ms per run and step (float64, one thread); x floor in brackets")
    print(f"{'net':16s}" + "".join(f"{c:>17s}" for c in columns))
    cost = {}
    for algorithm in grid["algorithms"]:
        for activation in grid["activations"]:
            for k in grid["n_classes"]:
                widths = [blobs["data"]["dim"], *blobs["model"]["hidden"], k]
                batch = blobs["train"][algorithm]["batch_size"] or blobs["data"]["n_train"]
                measured = {"floor": floor(widths, batch, 1)}
                measured["module"] = loop_step(config, algorithm, activation, k, None)
                for runs in stacks:
                    measured[f"stack {runs}"] = loop_step(config, algorithm, activation, k, runs)
                cost[(algorithm, activation, k)] = measured
                cells = [f"{1e3 * measured['floor']:8.3f}" + " " * 9] + [
                    f"{1e3 * measured[c]:8.3f} ({measured[c] / measured['floor']:5.1f}x)"
                    for c in columns[1:]
                ]
                print(f"{algorithm}-{activation}-k{k:<7d}" + "".join(f"{c:>17s}" for c in cells))
    if args.table:
        final = {alg: stops(config, alg)[-1][0] for alg in ALGORITHMS}
        rows = summary_blobs.final_rows(tables.read_csv(args.table), final)  # each run once
        steps = sum(row["steps"] for row in rows)
        print(f"\nthe grid's training: {len(rows)} runs, {steps:,} steps")
        for column in columns[1:]:
            minutes = grid_minutes(rows, cost, column)
            print(f"  {column:10s} {minutes:6.1f} CPU-minutes, {minutes / 2:5.1f} min on 2 cores")
        job = f"stack {len(blobs['seeds'])}"
        saved = grid_minutes(rows, cost, "module") / grid_minutes(rows, cost, job)
        print(
            f"stacking the seeds of a cell ({job}, a training job) takes {saved:.2f}x less "
            "training CPU time than one run per job"
        )


if __name__ == "__main__":
    main()
