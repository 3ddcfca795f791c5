"""CIFAR-10, Section 4.1: a bare AlexNet trained with a large batch (Part I), then from
where it ended with a small batch (Part II); the straight line between the two end points;
the top Hessian eigenvalues at both ends; Figs. 7-9."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import numpy as np
import torch

from .. import basin, cifar, eigensolvers, jobs, models, plotting, plotting_cifar, storage
from ..models import FlatModel
from ..problems import Problem
from ..split import Split
from ..trajectory_file import (
    TRAJECTORY_METRICS,
    RecordJournal,
    execution_of,
    model_attr,
    model_spec,
    read_start,
    read_trajectory,
)

LOG = logging.getLogger(__name__)
PathLike = str | os.PathLike


def _cifar_splits(dataset: PathLike, target: torch.device, dtype=torch.float32):
    arrays, attrs = storage.read_arrays(dataset)
    if attrs.get("kind") != "cifar10":
        raise storage.ArtefactError(f"dataset {dataset} is not a CIFAR-10 dataset file")
    train, test = cifar.normalised_splits(arrays, attrs, dtype)
    return train.to(target), test.to(target)


def train_cifar_part(
    dataset: PathLike,
    output: PathLike,
    *,
    settings: basin.PartSettings,
    architecture: Mapping,
    start: PathLike | None = None,
    device: str = "auto",
) -> None:
    """One part of the LB -> SB experiment into a trajectory file (records 0..R: steps,
    train/test loss and accuracy on the full sets, float32 parameters).

    Part I (`start` None) starts from the seeded initialisation, Part II from the last
    record of the trajectory `start`. Records go to a journal beside `output` as they are
    made, so a killed job, run again, resumes from its last record: bit for bit, so only
    with the thread count, device and torch that wrote it (`execution_of`); under another
    (`--cores` changed) it starts over and logs why.
    """
    target = jobs.resolve_device(device)
    jobs.use_deterministic_algorithms()
    train_split, test_split = _cifar_splits(dataset, target)
    spec = models.alexnet_spec(**architecture)
    model = models.build_model(spec, torch.float32)
    inputs = {"dataset_sha256": storage.file_sha256(dataset)}
    if start is None:
        models.initialise(
            model, weight_std=None, generator=torch.Generator().manual_seed(settings.seed)
        )
    else:
        previous = read_start(start, spec)
        flat = FlatModel(model)
        flat.load(torch.from_numpy(previous["parameters"]))
        inputs |= {"start": str(start), "start_sha256": storage.file_sha256(start)}
    model.to(target)
    record_settings = dict(vars(settings))
    journal = RecordJournal.beside(
        output, {"settings": record_settings, "model": spec, **inputs}, execution_of(target)
    )
    done = journal.resumable()
    if done:
        payload = journal.read(done - 1)
        FlatModel(model).load(payload["parameters"].to(target))
        LOG.info(
            "resuming part %d from record %d (step %d)", settings.part, done - 1, payload["step"]
        )
    else:
        metrics = basin.record_metrics(model, train_split, test_split, settings.eval_batch_size)
        journal.write(0, FlatModel(model).flatten(), 0, metrics)
        LOG.info("part %d record 0: %s", settings.part, metrics)
        done = 1
    LOG.info(
        "part %d: M = %d, N = %d, %s, %s",
        settings.part,
        FlatModel(model).dim,
        len(train_split),
        journal.execution,
        settings,
    )

    def on_record(index, step, parameters, metrics):
        journal.write(index, parameters, step, metrics)

    basin.train_part(
        model, train_split, test_split, settings, first_record=done - 1, on_record=on_record
    )
    journal.finish(
        output,
        settings.records + 1,
        {
            **record_settings,
            **inputs,
            "dataset": str(dataset),
            "model": model_attr(spec),
            "parameter_count": FlatModel(model).dim,
            "dtype": "float32",
            "optimiser": "SGD, constant learning rate, no momentum, no weight decay",
        },
    )


def _end_points(part1: PathLike, part2: PathLike):
    """The last records of Part I (LB) and Part II (SB), and the model they belong to."""
    ends = [read_trajectory(path, records="last") for path in (part1, part2)]
    if ends[0]["attrs"].get("model") != ends[1]["attrs"].get("model"):
        raise storage.ArtefactError(f"trajectories {part1} and {part2} hold different models")
    return model_spec(ends[0]), [torch.from_numpy(end["parameters"]) for end in ends]


def cifar_line(
    dataset: PathLike,
    part1: PathLike,
    part2: PathLike,
    output: PathLike,
    *,
    start: float,
    stop: float,
    points: int,
    eval_batch_size: int,
    device: str = "auto",
) -> None:
    """Train and test loss and accuracy on the line theta(a) = (1 - a) theta_LB +
    a theta_SB (csv: one row per coefficient a, a = 0 and 1 always among them)."""
    target = jobs.resolve_device(device)
    train_split, test_split = _cifar_splits(dataset, target)
    spec, (theta_lb, theta_sb) = _end_points(part1, part2)
    model = models.build_model(spec, torch.float32).to(target)
    coefficients = basin.line_coefficients(start, stop, points)
    results = basin.evaluate_line(
        model,
        theta_lb.to(target),
        theta_sb.to(target),
        coefficients,
        train_split,
        test_split,
        eval_batch_size,
    )
    distance = float(torch.linalg.vector_norm((theta_sb - theta_lb).double()))
    rows = [
        {"coefficient": float(alpha), "distance_from_lb": float(alpha) * distance}
        | {name: float(results[name][position]) for name in TRAJECTORY_METRICS}
        for position, alpha in enumerate(coefficients)
    ]
    storage.write_rows(output, rows, ["coefficient", "distance_from_lb", *TRAJECTORY_METRICS])
    LOG.info(
        "wrote %s: %d points, |theta_SB - theta_LB| = %.6g", output, len(coefficients), distance
    )


def cifar_top_eigenvalues(
    dataset: PathLike,
    trajectory_file: PathLike,
    output: PathLike,
    *,
    n_samples: int,
    seed: int,
    k: int,
    tolerance: float,
    max_products: int | None,
    device: str = "auto",
) -> None:
    """The `k` largest eigenvalues of the exact float64 Hessian of the mean training loss
    on `n_samples` seeded training images, at the last record of a trajectory (beyond the
    paper: is the LB end point's top sharper than the SB one's, as on MNIST?)."""
    target = jobs.resolve_device(device)
    train_split, _ = _cifar_splits(dataset, torch.device("cpu"), torch.float64)
    if n_samples > len(train_split):
        raise ValueError(
            f"cifar.spectrum.n_samples is {n_samples} but the dataset "
            f"{dataset} holds {len(train_split)} training images"
        )
    chosen = torch.from_numpy(
        np.sort(np.random.default_rng(seed).choice(len(train_split), n_samples, replace=False))
    )
    subset = Split(train_split.x[chosen], train_split.y[chosen]).to(target)
    end = read_trajectory(trajectory_file, records="last")
    spec, theta = model_spec(end), torch.from_numpy(end["parameters"])
    operator = Problem.from_spec(spec, subset, theta).hessian()

    result = eigensolvers.lanczos_extremes(
        operator.to_scipy(), k, which="largest", tolerance=tolerance, max_products=max_products
    )
    storage.write_spectrum(
        output,
        result.eigenvalues,
        {
            "trajectory": str(trajectory_file),
            "trajectory_sha256": storage.file_sha256(trajectory_file),
            "checkpoint_step": int(end["step"][-1]),
            "dataset": str(dataset),
            "n_samples": n_samples,
            "seed": seed,
            "parameter_count": operator.dim,
            "method": "lanczos",
            **result.describe(),
            "loss": "mean softmax cross-entropy over the training subset, float64",
        },
    )
    LOG.info(
        "top eigenvalues of %s: %s (%d products)",
        trajectory_file,
        result.eigenvalues,
        result.products,
    )


def figure_cifar_training(
    part1: PathLike, part2: PathLike, dataset: PathLike, figure: PathLike, numbers: PathLike
) -> None:
    """Fig. 8 from the two trajectories, and the accuracy gain of Part II with the sizes of
    the training and test sets it was measured on (the dataset's: a subset speaks for
    itself, not for the paper's full CIFAR-10)."""
    first, second = (read_trajectory(path) for path in (part1, part2))
    with storage.open_h5(dataset, "dataset") as handle:
        sizes = {
            f"n_{split}": len(storage.require_dataset(handle, f"y_{split}", dataset, "dataset"))
            for split in ("train", "test")
        }
    switch = int(first["step"][-1])
    steps = np.concatenate([first["step"], switch + second["step"][1:]])
    metrics = {name: np.concatenate([first[name], second[name][1:]]) for name in TRAJECTORY_METRICS}
    batches = first["attrs"]["batch_size"], second["attrs"]["batch_size"]
    plotting.save_figure(
        plotting_cifar.training_through_switch(
            steps,
            metrics,
            switch_step=switch,
            title=f"CIFAR-10, bare AlexNet: batch {batches[0]}, then batch {batches[1]}",
        ),
        figure,
    )
    storage.write_json(
        {
            "switch_step": switch,
            "batch_sizes": list(batches),
            **sizes,
            **{f"part1_{name}": float(first[name][-1]) for name in TRAJECTORY_METRICS},
            **{f"part2_{name}": float(second[name][-1]) for name in TRAJECTORY_METRICS},
            "test_accuracy_gain": float(second["test_accuracy"][-1] - first["test_accuracy"][-1]),
            "largest_train_loss_after_switch": float(second["train_loss"].max()),
        },
        numbers,
    )


def figure_cifar_line(line: PathLike, fig9: PathLike, fig7: PathLike, numbers: PathLike) -> None:
    """Figs. 9 and 7 from the straight-line evaluation, with the barrier between the end
    points and the rise of the loss beyond each of them."""
    values = storage.read_columns(line)
    coefficients = values["coefficient"]
    plotting.save_figure(plotting_cifar.straight_line(coefficients, values), fig9)
    plotting.save_figure(
        plotting_cifar.away_from_end_points(values["distance_from_lb"], coefficients, values), fig7
    )
    payload = {
        "coefficients": [float(coefficients.min()), float(coefficients.max())],
        "distance_lb_sb": float(values["distance_from_lb"][coefficients == 1.0][0]),
    }
    for split in ("train", "test"):
        numbers_on_line = basin.line_numbers(coefficients, values[f"{split}_loss"])
        payload |= {f"{split}_{name}": value for name, value in numbers_on_line.items()}
    storage.write_json(payload, numbers)
