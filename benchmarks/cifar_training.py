"""Throughput of the CIFAR-10 experiment (Section 4.1) and what the configured run costs.

Measures, on the bare AlexNet of config/config.yaml (M = 1,756,426, float32), steps of the
library's SGD loop (`training.sgd` over a part's batch schedule) at Part I's large batch
(1,000) and Part II's small one (32), and the evaluation of a record (train and test loss
and accuracy on 60,000 images, `training.evaluate` in batches without autograd), against
the same evaluation with autograd on (the alternative). Images are random tensors of
CIFAR's shape: the cost does not depend on their content. Then it estimates the whole run
the config describes: 2 x 25,000 steps, 2 x 251 records and the points of Fig. 9's line.
Run from the repository root:

    python benchmarks/cifar_training.py              # CPU, and CUDA when torch sees a GPU
    python benchmarks/cifar_training.py --device cpu
    python benchmarks/cifar_training.py --device cpu --config config/test.yaml  # test scale

It prints the figures and nothing is asserted.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from benchmark_settings import load, parser

from hessian_spectra import basin, models, training
from hessian_spectra.models import FlatModel
from hessian_spectra.split import Split

CIFAR_IMAGES = {"n_train": 50_000, "n_test": 10_000}  # what cifar.data's null (all) means


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def seconds_per_step(model, device: torch.device, batch: int, rate: float, repeats: int):
    """Seconds a step of `training.sgd` at `batch`, on two batches' worth of images."""
    n = 2 * batch
    data = Split(torch.randn(n, 3072, device=device), torch.randint(0, 10, (n,), device=device))
    schedule = training.BatchSchedule(n, batch, seed=0, key=(1,))

    def batch_loss(step: int) -> torch.Tensor:
        indices = schedule.batch(step).to(device)
        return F.cross_entropy(model(data.x[indices]), data.y[indices])

    def run(steps: range) -> None:
        training.sgd(
            list(model.parameters()), batch_loss, learning_rate=rate, steps=steps,
            after_step=lambda step: False, runs=["benchmark"], batch=str(batch),
        )  # fmt: skip

    run(range(1, 2))
    _synchronise(device)
    started = time.perf_counter()
    run(range(2, repeats + 2))
    _synchronise(device)
    return (time.perf_counter() - started) / repeats


def seconds_per_image(model, device: torch.device, images: int, batch: int, autograd: bool):
    data = Split(torch.randn(images, 3072, device=device), torch.randint(0, 10, (images,)))
    data = data.to(device)
    if autograd:  # the alternative: the training loop's forward pass, graph and all

        def run():
            for start in range(0, images, batch):
                F.cross_entropy(model(data.x[start : start + batch]), data.y[start : start + batch])
    else:

        def run():
            training.evaluate(model, data, batch)

    run()
    _synchronise(device)
    started = time.perf_counter()
    run()
    _synchronise(device)
    return (time.perf_counter() - started) / images


def report(device: torch.device, config: dict) -> None:
    cifar, train = config["cifar"], config["cifar"]["train"]
    model = models.build_model(models.alexnet_spec(**cifar["model"]), torch.float32)
    generator = torch.Generator().manual_seed(train["seed"])
    models.initialise(model, weight_std=None, generator=generator)
    model.to(device)
    fast = device.type == "cuda"
    batches, rate = (train["large_batch"], train["small_batch"]), train["learning_rate"]
    large = seconds_per_step(model, device, batches[0], rate, 50 if fast else 3)
    small = seconds_per_step(model, device, batches[1], rate, 500 if fast else 30)
    images, batch = 20_000 if fast else 3_000, train["eval_batch_size"]
    plain = seconds_per_image(model, device, images, batch, autograd=False)
    graph = seconds_per_image(model, device, images, batch, autograd=True)
    name = torch.cuda.get_device_name(device) if fast else f"CPU, {torch.get_num_threads()} threads"
    print(f"\n{name}, torch {torch.__version__}, bare AlexNet M = {FlatModel(model).dim:,}")
    for size, seconds in zip(batches, (large, small), strict=True):
        print(f"  SGD step, batch {size:<5d} {seconds * 1e3:9.1f} ms  ({1 / seconds:7.2f} steps/s)")
    print(
        f"  evaluation, no autograd: {1 / plain:9.0f} images/s; with autograd {1 / graph:9.0f} "
        f"images/s (with autograd takes {graph / plain:.2f}x the time)"
    )
    steps, records = train["steps_per_record"] * train["records"], train["records"] + 1
    evaluated = sum(cifar["data"][key] or count for key, count in CIFAR_IMAGES.items())
    line = cifar["line"]
    points = len(basin.line_coefficients(line["start"], line["stop"], line["points"]))
    record = plain * evaluated
    parts = {
        f"Part I training ({steps:,} steps at {batches[0]:,})": steps * large,
        f"Part II training ({steps:,} steps at {batches[1]:,})": steps * small,
        f"records (2 x {records} evaluations of {evaluated:,} images)": 2 * records * record,
        f"Fig. 9 line ({points} evaluations)": points * record,
    }
    total = sum(parts.values())
    print("  estimated run of the config (from the rates above):")
    for label, seconds in parts.items():
        print(f"    {label:48s} {seconds / 3600:7.2f} h  ({100 * seconds / total:4.1f}%)")
    print(f"    {'total':48s} {total / 3600:7.2f} h")


def main() -> None:
    options = parser(__doc__.splitlines()[0])
    options.add_argument("--device", choices=["all", "cpu", "cuda"], default="all")
    args = options.parse_args()
    config = load(args.config)
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    for device in devices:
        if device == "cuda" and not torch.cuda.is_available():
            print("\nCUDA: torch sees no GPU here; nothing measured")
            continue
        report(torch.device(device), config)


if __name__ == "__main__":
    main()
