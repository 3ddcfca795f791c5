"""The float64 training runs of the blob grid and of MNIST-1K, with their checkpoints."""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Mapping

import torch

from .. import data, jobs, models, storage, training

LOG = logging.getLogger(__name__)
PathLike = str | os.PathLike


def train_run(
    dataset: PathLike,
    *,
    init_checkpoint: PathLike,
    final_checkpoint: PathLike,
    step_checkpoints: Mapping[int, PathLike],
    history: PathLike,
    run: str,
    architecture: Mapping,
    init_std: float | None,
    settings: training.TrainSettings,
    device: str = "cpu",
) -> None:
    """Train one network on one dataset and save its checkpoints and evaluation history.

    `architecture` is {"kind": "mlp", "hidden": [...], "activation": ...} or
    {"kind": "convnet", "activation": ...}; `device` is "cpu", "cuda" or "auto".
    """
    arrays, attrs = storage.read_arrays(dataset)
    train_split, test_split = data.to_splits(arrays)
    spec = models.spec_for(dict(architecture), train_split.x.shape[1], attrs["n_classes"])
    model = models.build_model(spec)
    models.initialise(
        model, weight_std=init_std, generator=torch.Generator().manual_seed(settings.seed)
    )
    target = jobs.resolve_device(device)
    model.to(target)
    train_split, test_split = train_split.to(target), test_split.to(target)
    LOG.info(
        "%s: M = %d parameters, N = %d training samples, %s",
        run,
        sum(p.numel() for p in model.parameters()),
        len(train_split),
        settings,
    )

    paths = {
        "init": init_checkpoint,
        "final": final_checkpoint,
        **{f"step{step}": path for step, path in step_checkpoints.items()},
    }

    def save(name: str, step: int, parameters: torch.Tensor) -> None:
        storage.save_checkpoint(paths[name], parameters=parameters, step=step, run=run, model=spec)

    rows = training.train(model, train_split, test_split, settings, run=run, on_checkpoint=save)
    with storage.atomic_path(history) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=training.HISTORY_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
