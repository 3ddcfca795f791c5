"""Throughput of the CIFAR-10 experiment (Section 4.1) and what the paper-scale run costs.

Measures, on the bare AlexNet of config/config.yaml (M = 1,756,426, float32), one SGD step
at batch 1,000 (Part I) and at batch 32 (Part II), and the evaluation of a record (train and
test loss and accuracy on 60,000 images) in batches without autograd, against the same
evaluation with autograd on (the alternative). Images are random tensors of CIFAR's shape:
the cost does not depend on their content. Then it estimates the paper-scale run: 2 x 25,000
steps, 2 x 251 records, and the 43 points of Fig. 9's line. Run from the repository root:

    python benchmarks/cifar_training.py              # CPU, and CUDA when torch sees a GPU
    python benchmarks/cifar_training.py --device cpu

It prints the figures and nothing is asserted.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from hessian_spectra import models, training
from hessian_spectra.split import Split

STEPS_PER_PART, RECORDS_PER_PART, LINE_POINTS, EVAL_IMAGES = 25_000, 251, 43, 60_000


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def seconds_per_step(model, device: torch.device, batch: int, repeats: int) -> float:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(batch, 3072, device=device)
    y = torch.randint(0, 10, (batch,), device=device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    step()
    _synchronise(device)
    started = time.perf_counter()
    for _ in range(repeats):
        step()
    _synchronise(device)
    return (time.perf_counter() - started) / repeats


def seconds_per_image(model, device: torch.device, images: int, autograd: bool) -> float:
    data = Split(torch.randn(images, 3072, device=device), torch.randint(0, 10, (images,)))
    data = data.to(device)
    if autograd:  # the alternative: the training loop's forward pass, graph and all

        def run():
            for start in range(0, images, 1000):
                F.cross_entropy(model(data.x[start : start + 1000]), data.y[start : start + 1000])
    else:

        def run():
            training.evaluate(model, data, 1000)

    run()
    _synchronise(device)
    started = time.perf_counter()
    run()
    _synchronise(device)
    return (time.perf_counter() - started) / images


def report(device: torch.device) -> None:
    torch.manual_seed(0)
    model = models.build_model(models.alexnet_spec(), torch.float32).to(device)
    fast = device.type == "cuda"
    large = seconds_per_step(model, device, 1000, 50 if fast else 3)
    small = seconds_per_step(model, device, 32, 500 if fast else 30)
    images = 20_000 if fast else 3_000
    plain = seconds_per_image(model, device, images, autograd=False)
    graph = seconds_per_image(model, device, images, autograd=True)
    name = torch.cuda.get_device_name(device) if fast else f"CPU, {torch.get_num_threads()} threads"
    size = models.alexnet_parameter_count()
    print(f"\n{name}, torch {torch.__version__}, bare AlexNet M = {size:,}")
    print(f"  SGD step, batch 1000: {large * 1e3:9.1f} ms  ({1 / large:7.2f} steps/s)")
    print(f"  SGD step, batch 32:   {small * 1e3:9.1f} ms  ({1 / small:7.2f} steps/s)")
    print(
        f"  evaluation, no autograd: {1 / plain:9.0f} images/s; with autograd {1 / graph:9.0f} "
        f"images/s (with autograd takes {graph / plain:.2f}x the time)"
    )
    record = plain * EVAL_IMAGES
    parts = {
        "Part I training (25,000 steps at 1,000)": STEPS_PER_PART * large,
        "Part II training (25,000 steps at 32)": STEPS_PER_PART * small,
        "records (2 x 251 evaluations of 60,000 images)": 2 * RECORDS_PER_PART * record,
        "Fig. 9 line (43 evaluations)": LINE_POINTS * record,
    }
    total = sum(parts.values())
    print("  estimated paper-scale run (from the rates above):")
    for label, seconds in parts.items():
        print(f"    {label:48s} {seconds / 3600:7.2f} h  ({100 * seconds / total:4.1f}%)")
    print(f"    {'total':48s} {total / 3600:7.2f} h")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["all", "cpu", "cuda"], default="all")
    args = parser.parse_args()
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    for device in devices:
        if device == "cuda" and not torch.cuda.is_available():
            print("\nCUDA: torch sees no GPU here; nothing measured")
            continue
        report(torch.device(device))


if __name__ == "__main__":
    main()
