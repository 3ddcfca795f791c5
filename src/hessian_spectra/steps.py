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
    cifar,
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
    trajectory,
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
    cifar_inputs: Mapping[str, PathLike] | None = None,
) -> None:
    """results/summary.md from the table and the figures' numbers; `cifar_inputs` holds
    the paths "training", "line" (numbers) and "top_lb", "top_sb" (spectra)."""

    def load(path):
        return None if path is None else json.loads(Path(path).read_text())

    cifar = None
    if cifar_inputs:
        cifar = {
            "training": load(cifar_inputs["training"]),
            "line": load(cifar_inputs["line"]),
            **{
                key: float(storage.read_spectrum(cifar_inputs[key])[0][-1])
                for key in ("top_lb", "top_sb")
            },
        }
    text = summary.render(
        tables.read_csv(table_csv),
        load(logistic_numbers),
        load(gauss_newton_numbers),
        load(mnist_fc_numbers),
        load(mnist_conv_numbers),
        cifar,
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
        values = spectrum.dense_eigenvalues(matrix, target)
        del matrix
        scratch.unlink()
        settings = {"method": "dense", "driver": spectrum.DENSE_DRIVER, "device": str(target)}
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
            "device": str(target),
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


# --- CIFAR-10, Section 4.1 ----------------------------------------------------------------


def make_cifar(output: PathLike, **settings) -> None:
    """CIFAR-10 as uint8 arrays with its normalisation (see `cifar.cifar10_subset`)."""
    arrays, attrs = cifar.cifar10_subset(**settings)
    storage.write_arrays(output, arrays, attrs)
    LOG.info("wrote %s: %s", output, attrs)


def _cifar_splits(dataset: PathLike, target: torch.device, dtype=torch.float32):
    arrays, attrs = storage.read_arrays(dataset)
    if attrs.get("kind") != "cifar10":
        raise storage.ArtefactError(f"dataset {dataset} is not a CIFAR-10 dataset file")
    train, test = cifar.normalised_splits(arrays, attrs, dtype)
    return train.to(target), test.to(target)


def _fingerprint(payload: Mapping) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def train_cifar_part(
    dataset: PathLike,
    output: PathLike,
    *,
    settings: trajectory.PartSettings,
    architecture: Mapping,
    start: PathLike | None = None,
    device: str = "auto",
) -> None:
    """One part of the LB -> SB experiment into a trajectory file (records 0..R: steps,
    train/test loss and accuracy on the full sets, float32 parameters).

    Part I (`start` None) starts from the seeded initialisation, Part II from the last
    record of the trajectory `start`. Records go to a journal beside `output` as they are
    made, so a killed job, run again, resumes from its last record.
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
        previous = storage.read_trajectory(start, records="last")
        if previous["attrs"].get("model") != json.dumps(spec, sort_keys=True):
            raise storage.ArtefactError(
                f"trajectory {start} was trained with the model {previous['attrs'].get('model')}"
                f", not {spec}; rerun it with the same cifar.model"
            )
        flat = FlatModel(model)
        flat.load(torch.from_numpy(previous["parameters"]))
        inputs |= {"start": str(start), "start_sha256": storage.file_sha256(start)}
    model.to(target)
    record_settings = dict(vars(settings))
    journal = storage.RecordJournal(
        Path(output).with_name(f".{Path(output).name}.journal"),
        _fingerprint({"settings": record_settings, "model": spec, **inputs}),
    )
    done = journal.resumable()
    if done:
        payload = journal.read(done - 1)
        FlatModel(model).load(payload["parameters"].to(target))
        LOG.info(
            "resuming part %d from record %d (step %d)", settings.part, done - 1, payload["step"]
        )
    else:
        metrics = trajectory.record_metrics(
            model, train_split, test_split, settings.eval_batch_size
        )
        journal.write(0, FlatModel(model).flatten(), 0, metrics)
        LOG.info("part %d record 0: %s", settings.part, metrics)
        done = 1
    LOG.info(
        "part %d: M = %d, N = %d on %s, %s",
        settings.part,
        FlatModel(model).dim,
        len(train_split),
        target,
        settings,
    )

    def on_record(index, step, parameters, metrics):
        journal.write(index, parameters, step, metrics)

    trajectory.train_part(
        model, train_split, test_split, settings, first_record=done - 1, on_record=on_record
    )
    journal.finish(
        output,
        settings.records + 1,
        {
            **record_settings,
            **inputs,
            "dataset": str(dataset),
            "model": json.dumps(spec, sort_keys=True),
            "parameter_count": FlatModel(model).dim,
            "dtype": "float32",
            "optimiser": "SGD, constant learning rate, no momentum, no weight decay",
        },
    )


def _end_points(part1: PathLike, part2: PathLike):
    """The last records of Part I (LB) and Part II (SB), and the model they belong to."""
    ends = [storage.read_trajectory(path, records="last") for path in (part1, part2)]
    if ends[0]["attrs"].get("model") != ends[1]["attrs"].get("model"):
        raise storage.ArtefactError(f"trajectories {part1} and {part2} hold different models")
    spec = json.loads(ends[0]["attrs"]["model"])
    return spec, [torch.from_numpy(end["parameters"]) for end in ends]


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
    coefficients = trajectory.line_coefficients(start, stop, points)
    results = trajectory.evaluate_line(
        model,
        theta_lb.to(target),
        theta_sb.to(target),
        coefficients,
        train_split,
        test_split,
        eval_batch_size,
    )
    distance = float(torch.linalg.vector_norm((theta_sb - theta_lb).double()))
    with storage.atomic_path(output) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["coefficient", "distance_from_lb", *storage.TRAJECTORY_METRICS])
        for position, alpha in enumerate(coefficients):
            writer.writerow(
                [repr(float(alpha)), repr(float(alpha) * distance)]
                + [repr(float(results[name][position])) for name in storage.TRAJECTORY_METRICS]
            )
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
    subset = data.Split(train_split.x[chosen], train_split.y[chosen]).to(target)
    end = storage.read_trajectory(trajectory_file, records="last")
    flat = FlatModel(models.build_model(json.loads(end["attrs"]["model"])).to(target))
    theta = torch.from_numpy(end["parameters"]).to(torch.float64).to(target)
    operator = HessianOperator(mean_cross_entropy(flat, subset), theta)

    def matvec(vector: np.ndarray) -> np.ndarray:
        return operator.matvec(torch.from_numpy(vector).to(target)).cpu().numpy()

    result = spectrum.lanczos_extremes(
        matvec, operator.dim, k, which="largest", tolerance=tolerance, max_products=max_products
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
            "driver": "scipy.sparse.linalg.eigsh (ARPACK)",
            "k": k,
            "tolerance": tolerance,
            "max_products": max_products,
            "products": result.products,
            "converged_largest": result.converged,
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
    part1: PathLike, part2: PathLike, figure: PathLike, numbers: PathLike
) -> None:
    """Fig. 8 from the two trajectories, and the accuracy gain of Part II."""
    first, second = (storage.read_trajectory(path) for path in (part1, part2))
    switch = int(first["step"][-1])
    steps = np.concatenate([first["step"], switch + second["step"][1:]])
    metrics = {
        name: np.concatenate([first[name], second[name][1:]]) for name in storage.TRAJECTORY_METRICS
    }
    batches = first["attrs"]["batch_size"], second["attrs"]["batch_size"]
    plotting.save_figure(
        plotting.training_through_switch(
            steps,
            metrics,
            switch_step=switch,
            title=f"CIFAR-10, bare AlexNet: batch {batches[0]}, then batch {batches[1]}",
        ),
        figure,
    )
    _write_json(
        {
            "switch_step": switch,
            "batch_sizes": list(batches),
            **{f"part1_{name}": float(first[name][-1]) for name in storage.TRAJECTORY_METRICS},
            **{f"part2_{name}": float(second[name][-1]) for name in storage.TRAJECTORY_METRICS},
            "test_accuracy_gain": float(second["test_accuracy"][-1] - first["test_accuracy"][-1]),
            "largest_train_loss_after_switch": float(second["train_loss"].max()),
        },
        numbers,
    )


def figure_cifar_line(line: PathLike, fig9: PathLike, fig7: PathLike, numbers: PathLike) -> None:
    """Figs. 9 and 7 from the straight-line evaluation, with the barrier between the end
    points and the rise of the loss beyond each of them."""
    with open(line, newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise storage.ArtefactError(f"line evaluation {line} has no rows")
    values = {key: np.array([float(row[key]) for row in rows]) for key in rows[0]}
    coefficients = values["coefficient"]
    plotting.save_figure(plotting.straight_line(coefficients, values), fig9)
    plotting.save_figure(
        plotting.away_from_end_points(values["distance_from_lb"], coefficients, values), fig7
    )
    payload = {
        "coefficients": [float(coefficients.min()), float(coefficients.max())],
        "distance_lb_sb": float(values["distance_from_lb"][coefficients == 1.0][0]),
    }
    for split in ("train", "test"):
        losses = values[f"{split}_loss"]
        beyond_lb, beyond_sb = trajectory.rise_beyond_ends(coefficients, losses)
        payload[f"{split}_barrier"] = trajectory.barrier(coefficients, losses)
        payload[f"{split}_rise_beyond_lb"] = beyond_lb
        payload[f"{split}_rise_beyond_sb"] = beyond_sb
        payload[f"{split}_loss_lb"] = float(losses[coefficients == 0.0][0])
        payload[f"{split}_loss_sb"] = float(losses[coefficients == 1.0][0])
    _write_json(payload, numbers)
