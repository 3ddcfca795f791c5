"""The float64 training runs of the blob grid and of MNIST-1K, with their checkpoints."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import torch

from .. import jobs, models, storage, training
from ..split import to_splits

LOG = logging.getLogger(__name__)
PathLike = str | os.PathLike


def train_run(
    dataset: PathLike,
    *,
    checkpoints: Mapping[str, PathLike],
    history: PathLike,
    run: str,
    architecture: Mapping,
    init_std: float | None,
    settings: training.TrainSettings,
    device: str = "cpu",
) -> None:
    """Train one network on one dataset and save its checkpoints and evaluation history.

    `checkpoints` maps each checkpoint the settings ask for ("init", "step<N>" for every
    N in `settings.checkpoint_steps`, "final") to its path. `architecture` is {"kind":
    "mlp", "hidden": [...], "activation": ...} or {"kind": "convnet", "activation": ...};
    `device` is "cpu", "cuda" or "auto".
    """
    expected = {"init", *(f"step{step}" for step in settings.checkpoint_steps), "final"}
    if set(checkpoints) != expected:
        raise ValueError(
            f"run {run}: the checkpoints {sorted(checkpoints)} do not match those its "
            f"settings ask for, {sorted(expected)}"
        )
    arrays, attrs = storage.read_arrays(dataset)
    train_split, test_split = to_splits(arrays)
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

    def save(name: str, step: int, parameters: torch.Tensor) -> None:
        storage.save_checkpoint(
            checkpoints[name], parameters=parameters, step=step, run=run, model=spec
        )

    rows = training.train(model, train_split, test_split, settings, run=run, on_checkpoint=save)
    storage.write_rows(history, rows, training.HISTORY_FIELDS)
