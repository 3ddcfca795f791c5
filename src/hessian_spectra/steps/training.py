"""The float64 training runs of the blob grid and of MNIST-1K, with their checkpoints."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence

import torch

from .. import jobs, models, storage, training
from ..split import Split, to_splits
from ..stacks import MLPStack, ModuleStack

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
    """Train one network (an MNIST-1K net) on one dataset and save its checkpoints and
    evaluation history.

    `checkpoints` maps each checkpoint the settings ask for ("init", "step<N>" for every
    N in `settings.checkpoint_steps`, "final") to its path. `architecture` is {"kind":
    "mlp", "hidden": [...], "activation": ...} or {"kind": "convnet", "activation": ...};
    `device` is "cpu", "cuda" or "auto".
    """
    train_runs(
        [
            {
                "run": run,
                "seed": settings.seed,
                "dataset": dataset,
                "checkpoints": checkpoints,
                "history": history,
            }
        ],
        architecture=architecture,
        init_std=init_std,
        settings=settings,
        device=device,
        stacked=False,
    )


def train_runs(
    runs: Sequence[Mapping],
    *,
    architecture: Mapping,
    init_std: float | None,
    settings: training.TrainSettings,
    device: str = "cpu",
    stacked: bool = True,
    bias_std: float = 0.0,
) -> None:
    """Train runs of one architecture and settings side by side (`stacks.MLPStack`;
    `stacked` False trains a single run as its module, the MNIST-1K nets), and save each
    run's checkpoints and evaluation history.

    Each of `runs` is {"run": name, "seed": its initialisation and batch-order seed,
    "dataset": path, "checkpoints": {checkpoint name: path}, "history": path}. A run
    trained here equals the run trained alone, to float64 round-off. Weights are drawn
    N(0, init_std^2) and biases N(0, bias_std^2) (`models.initialise`).
    """
    expected = settings.checkpoint_names
    for run in runs:
        if set(run["checkpoints"]) != expected:
            raise ValueError(
                f"run {run['run']}: the checkpoints {sorted(run['checkpoints'])} do not match "
                f"those its settings ask for, {sorted(expected)}"
            )
    target = jobs.resolve_device(device)
    splits, specs, thetas = [], [], []
    for run in runs:
        arrays, attrs = storage.read_arrays(run["dataset"])
        train_split, test_split = to_splits(arrays)
        spec = models.spec_for(dict(architecture), train_split.x.shape[1], attrs["n_classes"])
        model = models.build_model(spec)
        models.initialise(
            model,
            weight_std=init_std,
            generator=torch.Generator().manual_seed(run["seed"]),
            bias_std=bias_std,
        )
        splits.append((train_split, test_split))
        specs.append(spec)
        thetas.append(models.FlatModel(model).flatten())
    if any(spec != specs[0] for spec in specs):
        raise ValueError(f"runs trained together need one architecture, got {specs}")
    spec = specs[0]
    if stacked:
        stack = MLPStack(spec, [theta.to(target) for theta in thetas])
    elif len(runs) == 1:
        model = models.build_model(spec)
        models.FlatModel(model).load(thetas[0])
        stack = ModuleStack(model.to(target))
    else:
        raise ValueError(f"{len(runs)} runs trained together must be stacked")
    train_data = Split.stacked([train for train, _ in splits]).to(target)
    test_data = Split.stacked([test for _, test in splits]).to(target)
    names = [run["run"] for run in runs]
    LOG.info(
        "%s: M = %d parameters, N = %d training samples, on %s, %s",
        ", ".join(names), len(thetas[0]), train_data.x.shape[1], target, settings,
    )  # fmt: skip

    def save(index: int, name: str, step: int, parameters: torch.Tensor) -> None:
        storage.save_checkpoint(
            runs[index]["checkpoints"][name],
            parameters=parameters.cpu(),
            step=step,
            run=names[index],
            model=spec,
        )

    histories = training.train(
        stack, train_data, test_data, settings, runs=names,
        seeds=[run["seed"] for run in runs], on_checkpoint=save,
    )  # fmt: skip
    for run, rows in zip(runs, histories, strict=True):
        storage.write_rows(run["history"], rows, training.HISTORY_FIELDS)
