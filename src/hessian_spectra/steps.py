"""One function per workflow step, from input files and plain settings to output files.

Each script under `workflow/scripts/` is a thin adapter that calls exactly one of these;
they know nothing of Snakemake and are tested with plain pytest.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch

from . import data, models, plotting, spectrum, storage, training
from .curvature import FlatModel, HessianOperator, assemble_hessian, mean_cross_entropy

LOG = logging.getLogger(__name__)
PathLike = str | os.PathLike


def make_blobs(output: PathLike, **settings) -> None:
    """Generate one Gaussian-blob dataset (see `data.gaussian_blobs` for the settings)."""
    arrays, attrs = data.gaussian_blobs(**settings)
    storage.write_arrays(output, arrays, attrs)
    LOG.info("wrote %s: %s", output, attrs)


def train_run(
    dataset: PathLike,
    *,
    init_checkpoint: PathLike,
    final_checkpoint: PathLike,
    step_checkpoints: Mapping[int, PathLike],
    history: PathLike,
    run: str,
    hidden: Sequence[int],
    activation: str,
    init_std: float | None,
    settings: training.TrainSettings,
) -> None:
    """Train one network on one dataset and save its checkpoints and evaluation history."""
    arrays, attrs = storage.read_arrays(dataset)
    train_split, test_split = data.to_splits(arrays)
    spec = models.mlp_spec(train_split.x.shape[1], hidden, attrs["n_classes"], activation)
    model = models.build_model(spec)
    models.initialise(
        model, weight_std=init_std, generator=torch.Generator().manual_seed(settings.seed)
    )
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


def build_hessian(
    checkpoint: PathLike,
    dataset: PathLike,
    output: PathLike,
    *,
    block_size: int,
    chunk_size: int | None,
    workers: int,
) -> None:
    """The exact float64 Hessian of the mean training loss at a checkpoint, into HDF5."""
    state = storage.load_checkpoint(checkpoint)
    arrays, _ = storage.read_arrays(dataset)
    train_split, _ = data.to_splits(arrays)
    model = models.build_model(state["model"])
    flat = FlatModel(model)
    if flat.dim != state["parameters"].numel():
        raise storage.ArtefactError(
            f"checkpoint {checkpoint} holds {state['parameters'].numel()} parameters but its "
            f"model spec {state['model']} has {flat.dim}"
        )
    if train_split.x.shape[1] != state["model"]["input_dim"]:
        raise storage.ArtefactError(
            f"dataset {dataset} has inputs of dimension {train_split.x.shape[1]} but "
            f"checkpoint {checkpoint} expects {state['model']['input_dim']}"
        )
    operator = HessianOperator(
        mean_cross_entropy(flat, train_split, chunk_size), state["parameters"]
    )
    attrs = {
        "run": state["run"],
        "checkpoint": str(checkpoint),
        "checkpoint_step": state["step"],
        "checkpoint_sha256": storage.file_sha256(checkpoint),
        "dataset": str(dataset),
        "dataset_sha256": storage.file_sha256(dataset),
        "n_samples": len(train_split),
        "loss": "mean softmax cross-entropy over the training set",
        "engine": "Hessian rows by double backward (Pearlmutter), float64",
        "chunk_size": chunk_size,
    }
    LOG.info(
        "Hessian of %s at step %d: M = %d, N = %d",
        state["run"],
        state["step"],
        operator.dim,
        len(train_split),
    )
    assemble_hessian(operator, output, block_size=block_size, attrs=attrs, workers=workers)


def compute_spectrum(hessian: PathLike, output: PathLike) -> None:
    """All eigenvalues of a stored Hessian, with the Hessian's provenance."""
    matrix, attrs = storage.read_hessian(hessian)
    LOG.info("eigenvalues of %s (M = %d) with %s", hessian, matrix.shape[0], spectrum.DENSE_DRIVER)
    values = spectrum.dense_eigenvalues(matrix)
    provenance = {
        key: attrs[key]
        for key in (
            "run",
            "checkpoint",
            "checkpoint_step",
            "parameter_count",
            "n_samples",
            "symmetry_error",
        )
        if key in attrs
    }
    storage.write_spectrum(
        output,
        values,
        {**provenance, "hessian": str(hessian), "method": "dense", "driver": spectrum.DENSE_DRIVER},
    )
    LOG.info(
        "largest %.6g, smallest %.6g, %d negative", values[-1], values[0], int((values < 0).sum())
    )


def figure_initial_and_final(initial: PathLike, final: PathLike, output: PathLike) -> None:
    """Fig. 1 from the spectra at the initial point and at the end of training."""
    initial_values, _ = storage.read_spectrum(initial)
    final_values, attrs = storage.read_spectrum(final)
    title = (
        f"{attrs.get('run', Path(final).parent.name)}: M = {final_values.size}, "
        f"N = {attrs.get('n_samples', '?')}"
    )
    plotting.save_figure(
        plotting.initial_and_final_spectra(initial_values, final_values, title=title), output
    )


def figure_spectra_with_gap(
    spectra: Mapping[str, PathLike], output: PathLike, *, top: int, title: str
) -> None:
    """Fig. 2 from one spectrum per labelled run."""
    values = {label: storage.read_spectrum(path)[0] for label, path in spectra.items()}
    plotting.save_figure(plotting.spectra_with_gap(values, top=top, title=title), output)
