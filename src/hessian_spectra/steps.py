"""One function per workflow step, from input files and plain settings to output files.

Each script under `workflow/scripts/` is a thin adapter that calls exactly one of these;
they know nothing of Snakemake and are tested with plain pytest.
"""

from __future__ import annotations

import csv
import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from . import (
    data,
    jobs,
    logistic,
    mnist,
    models,
    plotting,
    spectrum,
    storage,
    summary,
    tables,
    training,
)
from .curvature import (
    FlatModel,
    GaussNewtonOperator,
    HessianOperator,
    assemble_hessian,
    mean_cross_entropy,
)

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


def _trained_problem(checkpoint: PathLike, dataset: PathLike):
    """(checkpoint state, flat model, training split), checked against each other."""
    state = storage.load_checkpoint(checkpoint)
    arrays, _ = storage.read_arrays(dataset)
    train_split, _ = data.to_splits(arrays)
    flat = FlatModel(models.build_model(state["model"]))
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
    return state, flat, train_split


def _provenance(checkpoint: PathLike, dataset: PathLike, state: dict, n_samples: int) -> dict:
    return {
        "run": state["run"],
        "checkpoint": str(checkpoint),
        "checkpoint_step": state["step"],
        "checkpoint_sha256": storage.file_sha256(checkpoint),
        "dataset": str(dataset),
        "dataset_sha256": storage.file_sha256(dataset),
        "n_samples": n_samples,
        "loss": "mean softmax cross-entropy over the training set",
    }


def build_hessian(
    checkpoint: PathLike,
    dataset: PathLike,
    output: PathLike,
    *,
    block_size: int,
    chunk_size: int | None,
    workers: int,
    part: int = 0,
    parts: int = 1,
) -> None:
    """The exact float64 Hessian of the mean training loss at a checkpoint, into HDF5
    (or rows part `part` of `parts`, for `curvature.gather_hessian`)."""
    state, flat, train_split = _trained_problem(checkpoint, dataset)
    operator = HessianOperator(
        mean_cross_entropy(flat, train_split, chunk_size), state["parameters"]
    )
    attrs = {
        **_provenance(checkpoint, dataset, state, len(train_split)),
        "matrix": "Hessian H",
        "engine": "Hessian rows by double backward (Pearlmutter), float64",
        "chunk_size": chunk_size,
    }
    LOG.info(
        "Hessian of %s at step %d: M = %d, N = %d, rows part %d of %d",
        state["run"],
        state["step"],
        operator.dim,
        len(train_split),
        part + 1,
        parts,
    )
    assemble_hessian(
        operator,
        output,
        block_size=block_size,
        attrs=attrs,
        workers=workers,
        part=part,
        parts=parts,
    )


def build_gauss_newton(
    checkpoint: PathLike, dataset: PathLike, output: PathLike, *, block_size: int, workers: int
) -> None:
    """The exact Gauss-Newton term G of the Hessian at a checkpoint, in the Hessian layout."""
    state, flat, train_split = _trained_problem(checkpoint, dataset)
    operator = GaussNewtonOperator(flat, train_split, state["parameters"])
    attrs = {
        **_provenance(checkpoint, dataset, state, len(train_split)),
        "matrix": "generalised Gauss-Newton term G = (1/N) sum J^T (diag p - p p^T) J",
        "engine": "Gauss-Newton rows by double-vjp Jacobian products, float64",
    }
    LOG.info(
        "Gauss-Newton term of %s at step %d: M = %d, N = %d",
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


def table1(
    spectra: Sequence[Mapping],
    csv_output: PathLike,
    markdown_output: PathLike,
    latex_output: PathLike,
) -> None:
    """Table 1 from one spectrum per grid point.

    Each entry of `spectra` has the run's `algorithm`, `activation`, `n_classes`, `cov`
    and the `path` of its spectrum file.
    """
    rows = []
    for entry in spectra:
        values, _ = storage.read_spectrum(entry["path"])
        rows.append(
            tables.table1_row(
                values,
                algorithm=entry["algorithm"],
                activation=entry["activation"],
                n_classes=entry["n_classes"],
                cov=entry["cov"],
            )
        )
    tables.write_csv(rows, csv_output)
    for text, path in (
        (tables.to_markdown(rows), markdown_output),
        (tables.to_latex(rows), latex_output),
    ):
        with storage.atomic_path(path) as tmp:
            tmp.write_text(text)


def _write_json(payload: Mapping, path: PathLike) -> None:
    with storage.atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")


def figure_logistic_regression(
    figure: PathLike,
    numbers: PathLike,
    *,
    dim: int,
    alphas: Sequence[float],
    two_blob_alpha: float,
    separation: float,
    seed: int,
) -> None:
    """Fig. 10 and its numbers (KS distances to Marchenko-Pastur, the BBP check)."""
    single = [logistic.single_blob(dim, alpha, seed) for alpha in alphas]
    two = logistic.two_blobs(dim, two_blob_alpha, separation, seed)
    bulk_edge = two.variance * (1 + two.alpha**0.5) ** 2
    payload = {
        "single_blob": [
            {
                "alpha": r.alpha,
                "M": int(r.eigenvalues.size),
                "N": r.n_samples,
                "ks_distance": r.ks_distance,
            }
            for r in single
        ],
        "two_blobs": {
            "alpha": two.alpha,
            "M": int(two.eigenvalues.size),
            "N": two.n_samples,
            "spike": two.spike,
            "predicted_outlier": two.predicted_outlier,
            "largest": float(two.eigenvalues[-1]),
            "n_above_bulk": int((two.eigenvalues > 1.2 * bulk_edge).sum()),
        },
    }
    plotting.save_figure(plotting.logistic_regression_spectra(single, two), figure)
    _write_json(payload, numbers)
    LOG.info("Fig. 10 numbers: %s", payload)


def figure_gauss_newton(
    runs: Sequence[Mapping], figure: PathLike, numbers: PathLike, *, top: int
) -> None:
    """The spectra of H, G and R = H - G for each run, and the checks of Section 2.2.

    Each entry of `runs` has a `label`, the run's `n_classes`, and the paths of its
    `hessian`, its Hessian's `spectrum` (computed once, by the spectrum rule) and its
    Gauss-Newton (`ggn`) files.
    """
    spectra, payload = {}, {}
    for run in runs:
        hessian, attrs = storage.read_hessian(run["hessian"])
        ggn, _ = storage.read_hessian(run["ggn"])
        if ggn.shape != hessian.shape:
            raise storage.ArtefactError(
                f"Gauss-Newton file {run['ggn']} is {ggn.shape}, Hessian {run['hessian']} "
                f"is {hessian.shape}"
            )
        values = {"H": spectrum.dense_eigenvalues(hessian), "G": spectrum.dense_eigenvalues(ggn)}
        residual = hessian - ggn
        del hessian, ggn
        values["R = H - G"] = spectrum.dense_eigenvalues(residual)
        spectra[run["label"]] = values
        k = run["n_classes"]
        h, g, r = values["H"], values["G"], values["R = H - G"]
        top_h, top_g = h[::-1][:k], g[::-1][:k]
        payload[run["label"]] = {
            "M": int(h.size), "n_samples": attrs["n_samples"], "n_classes": k,
            "rank_G": int((g > 1e-10 * g.max()).sum()),
            "rank_bound": attrs["n_samples"] * (k - 1),
            "min_G": float(g.min()), "max_G": float(g.max()),
            "min_H": float(h.min()), "max_H": float(h.max()),
            "min_R": float(r.min()), "max_R": float(r.max()),
            "negative_H": int((h < 0).sum()), "negative_R": int((r < 0).sum()),
            "top_k_relative_difference": float(np.abs(top_h - top_g).max() / top_h.max()),
        }  # fmt: skip
    plotting.save_figure(plotting.gauss_newton_spectra(spectra, top=top), figure)
    _write_json(payload, numbers)
    LOG.info("Gauss-Newton numbers: %s", payload)


def write_summary(
    table_csv: PathLike,
    logistic_numbers: PathLike,
    gauss_newton_numbers: PathLike,
    output: PathLike,
    *,
    mnist_fc_numbers: PathLike | None = None,
    mnist_conv_numbers: PathLike | None = None,
) -> None:
    """results/summary.md from the table and the figures' numbers."""

    def load(path):
        return None if path is None else json.loads(Path(path).read_text())

    text = summary.render(
        tables.read_csv(table_csv),
        load(logistic_numbers),
        load(gauss_newton_numbers),
        load(mnist_fc_numbers),
        load(mnist_conv_numbers),
    )
    with storage.atomic_path(output) as tmp:
        tmp.write_text(text)


def make_mnist(output: PathLike, **settings) -> None:
    """The MNIST-1K subsample (see `mnist.mnist_subsample` for the settings)."""
    arrays, attrs = mnist.mnist_subsample(**settings)
    storage.write_arrays(output, arrays, attrs)
    LOG.info("wrote %s: %s", output, attrs)


def checkpoint_spectrum(
    checkpoint: PathLike,
    dataset: PathLike,
    output: PathLike,
    *,
    method: str,
    k: int,
    tolerance: float,
    max_products: int | None,
    block_size: int,
    workers: int,
    device: str = "cpu",
) -> None:
    """The Hessian spectrum at a checkpoint: all eigenvalues ("dense": the matrix is
    assembled in HDF5 blocks next to `output`, diagonalised, then deleted) or the `k`
    largest and `k` smallest ("lanczos": matrix-free, for Hessians too large to hold).
    The method and its settings are recorded in the output's attributes."""
    state, flat, train_split = _trained_problem(checkpoint, dataset)
    target = jobs.resolve_device(device)
    flat.model.to(target)
    operator = HessianOperator(
        mean_cross_entropy(flat, train_split.to(target)), state["parameters"].to(target)
    )
    provenance = _provenance(checkpoint, dataset, state, len(train_split))
    LOG.info(
        "%s spectrum of %s: M = %d, N = %d on %s",
        method,
        state["run"],
        operator.dim,
        len(train_split),
        target,
    )
    if method == "dense":
        scratch = Path(output).with_name(Path(output).name + ".hessian.h5")
        assemble_hessian(
            operator, scratch, block_size=block_size, attrs=provenance, workers=workers
        )
        matrix, _ = storage.read_hessian(scratch)
        values = spectrum.dense_eigenvalues(matrix)
        del matrix
        scratch.unlink()
        settings = {"method": "dense", "driver": spectrum.DENSE_DRIVER}
    elif method == "lanczos":

        def matvec(vector: np.ndarray) -> np.ndarray:
            product = operator.matvec(torch.from_numpy(vector).to(target))
            return product.cpu().numpy()

        ends = [
            spectrum.lanczos_extremes(
                matvec, operator.dim, k, which=which, tolerance=tolerance, max_products=max_products
            )
            for which in ("smallest", "largest")
        ]
        values = np.concatenate([end.eigenvalues for end in ends])
        settings = {
            "method": "lanczos", "driver": "scipy.sparse.linalg.eigsh (ARPACK)", "k": k,
            "tolerance": tolerance, "max_products": max_products,
            "products": sum(end.products for end in ends),
            "converged_smallest": ends[0].converged, "converged_largest": ends[1].converged,
        }  # fmt: skip
    else:
        raise ValueError(f"unknown spectrum method {method!r}; choose dense or lanczos")
    storage.write_spectrum(
        output, values, {**provenance, "parameter_count": operator.dim, **settings}
    )
    LOG.info("largest %.6g, smallest %.6g (%s)", values[-1], values[0], settings)


def _labelled_spectra(spectra: Mapping[str, PathLike]) -> dict[str, tuple[np.ndarray, int]]:
    out = {}
    for label, path in spectra.items():
        values, attrs = storage.read_spectrum(path)
        out[label] = (values, int(attrs["parameter_count"]))
    return out


def figure_top_and_negative(
    spectra: Mapping[str, PathLike],
    top_figure: PathLike,
    negative_figure: PathLike,
    numbers: PathLike,
    *,
    top: int,
    title: str,
) -> None:
    """A pair of figures from one spectrum per network: the `top` largest eigenvalues in
    increasing order (Figs. 3, 4) and the negative ones against their rank as a percentage
    of M (Figs. 5, 6), with the numbers the summary quotes."""
    labelled = _labelled_spectra(spectra)
    plotting.save_figure(plotting.largest_eigenvalues(labelled, top=top, title=title), top_figure)
    plotting.save_figure(plotting.negative_eigenvalues(labelled, title=title), negative_figure)
    _write_json({
        label: {"M": dim, "largest": float(values[-1]),
                "top_edge": float(np.sort(values)[-min(top, values.size)]),
                "smallest": float(values[0]),
                "negative_to_largest": float(abs(min(values[0], 0.0)) / values[-1])}
        for label, (values, dim) in labelled.items()
    }, numbers)  # fmt: skip
