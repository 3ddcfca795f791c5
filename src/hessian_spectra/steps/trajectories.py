"""The figures and numbers of the two trajectory experiments, from the checkpoints of
full-batch GD runs: the gradient in the top eigenspace (`subspace`, Gur-Ari et al. 2018)
and the edge of stability (`stability`, Cohen et al. 2021).

A trajectory is {"label", "learning_rate", "n_classes": C, "dataset": path, "checkpoints":
[{"step", "path"}, ...]} with strictly ascending steps (`steps.training.train_runs`
writes them: "init" at step 0, "step<N>", "final")."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from .. import eigensolvers, plotting, plotting_trajectories, stability, storage, subspace
from ..problems import Problem

LOG = logging.getLogger(__name__)
PathLike = str | os.PathLike


def _problems(trajectory: Mapping) -> Iterator[tuple[int, Problem]]:
    """Each checkpoint's step and net on the trajectory's training set, checked: steps
    strictly ascending, each the step its file records."""
    steps = [int(c["step"]) for c in trajectory["checkpoints"]]
    if len(steps) < 2 or any(np.diff(steps) <= 0):
        raise ValueError(
            f"{trajectory['label']}: checkpoint steps {steps} must be at least two, strictly "
            "ascending (a checkpoint step equal to the run's last duplicates 'final')"
        )
    for step, checkpoint in zip(steps, trajectory["checkpoints"], strict=True):
        problem = Problem.from_checkpoint(checkpoint["path"], trajectory["dataset"])
        if problem.provenance["checkpoint_step"] != step:
            raise storage.ArtefactError(
                f"{checkpoint['path']} holds step {problem.provenance['checkpoint_step']}, "
                f"not the step {step} its trajectory {trajectory['label']} gives"
            )
        yield step, problem


def _png_beside(figure: PathLike, png: PathLike) -> None:
    plotting.check_png_beside(figure, png)


def measure_subspace(trajectory: Mapping) -> dict:
    """At each checkpoint the top-C eigenpairs of H (`eigensolvers.top_eigenpairs`), the share
    of the full-batch gradient in their span and the loss; between consecutive checkpoints
    the overlap of the spans (overlap[i]: checkpoints i and i + 1)."""
    count = int(trajectory["n_classes"])
    entry = {"label": trajectory["label"], "learning_rate": float(trajectory["learning_rate"]),
             "C": count, "steps": [], "loss": [], "share": [], "overlap": [],
             "eigenvalues_top": []}  # fmt: skip
    previous = None
    for step, problem in _problems(trajectory):
        start = time.perf_counter()
        values, vectors = eigensolvers.top_eigenpairs(
            problem.hessian().to_scipy(), count, tolerance=subspace.TOLERANCE, seed=subspace.SEED
        )
        gradient = subspace.gradient(problem.loss, problem.theta)
        entry["steps"].append(step)
        entry["loss"].append(float(problem.loss(problem.theta)))
        entry["share"].append(subspace.gradient_share(vectors, gradient))
        entry["eigenvalues_top"].append([float(value) for value in values])
        if previous is not None:
            entry["overlap"].append(subspace.subspace_overlap(previous, vectors))
        previous = vectors
        LOG.info(
            "%s step %d: share %.4f, lambda_1..C %.4g..%.4g (%.2f s)", trajectory["label"],
            step, entry["share"][-1], values[0], values[-1], time.perf_counter() - start,
        )  # fmt: skip
    entry["M"] = problem.flat.dim
    return {**entry, **subspace.subspace_test(entry)}


def figure_subspace(
    trajectories: Sequence[Mapping], figure: PathLike, png: PathLike, numbers: PathLike
) -> None:
    """The figure (a PDF and the PNG `png` beside it) of the gradient's share in the top-C
    eigenspace and of the overlap of consecutive eigenspaces along each trajectory, and its
    numbers: {"constants", "trajectories": one `measure_subspace` (with `subspace_test`'s
    verdict numbers) per trajectory}."""
    _png_beside(figure, png)
    entries = [measure_subspace(trajectory) for trajectory in trajectories]
    payload = {
        "constants": {
            "settle_fraction": subspace.SETTLE_FRACTION,
            "share_level": subspace.SHARE_LEVEL,
            "overlap_level": subspace.OVERLAP_LEVEL,
            "tolerance": subspace.TOLERANCE,
            "seed": subspace.SEED,
            "eigensolver": "scipy.sparse.linalg.eigsh (ARPACK), largest algebraic, with vectors",
        },
        "trajectories": entries,
    }
    plotting.save_figure(plotting_trajectories.subspace_figure(entries), figure)
    storage.write_json(payload, numbers)


def measure_stability(trajectory: Mapping) -> dict:
    """lambda_max of H at each checkpoint by Lanczos, and at the last also by a dense solve;
    the loss; and the ratio and where it settles (`stability.edge_of_stability`)."""
    eta = float(trajectory["learning_rate"])
    steps, lambda_max, loss = [], [], []
    for step, problem in _problems(trajectory):
        hessian = problem.hessian()
        top = eigensolvers.lanczos_extremes(
            hessian.to_scipy(), 1, which="largest", tolerance=stability.TOLERANCE
        )
        steps.append(step)
        lambda_max.append(float(top.eigenvalues[-1]))
        loss.append(float(problem.loss(problem.theta)))
        LOG.info("%s step %d: lambda_max %.6g, ratio %.4f (%d products)", trajectory["label"],
                 step, lambda_max[-1], lambda_max[-1] * eta / 2, top.products)  # fmt: skip
    start = time.perf_counter()
    exact = float(eigensolvers.dense_eigenvalues(hessian.dense().cpu().numpy())[-1])
    LOG.info("%s: dense lambda_max %.12g against Lanczos %.12g (%.1f s)", trajectory["label"],
             exact, lambda_max[-1], time.perf_counter() - start)  # fmt: skip
    return {
        "label": trajectory["label"],
        "learning_rate": eta,
        "M": problem.flat.dim,
        "steps": steps,
        "loss": loss,
        "lambda_max": lambda_max,
        "exact_last": exact,
        "lanczos_last": lambda_max[-1],
        "lanczos_agrees": stability.lanczos_agrees(lambda_max[-1], exact),
        **stability.edge_of_stability(steps, lambda_max, eta),
    }


def figure_stability(
    trajectories: Sequence[Mapping], figure: PathLike, png: PathLike, numbers: PathLike
) -> None:
    """The figure (a PDF and the PNG `png` beside it) of lambda_max against 2 / eta along
    trajectories of one net at several learning rates, and its numbers: {"constants",
    "trajectories": one `measure_stability` per trajectory, "test": `stability_test`}."""
    _png_beside(figure, png)
    datasets = {str(trajectory["dataset"]) for trajectory in trajectories}
    if len(datasets) != 1:
        raise ValueError(f"the edge of stability takes runs on one dataset, got {sorted(datasets)}")
    entries = [measure_stability(trajectory) for trajectory in trajectories]
    if len({entry["M"] for entry in entries}) > 1:
        raise ValueError("the edge of stability takes runs of one net, got several sizes M")
    payload = {
        "constants": {
            "reach_level": stability.REACH_LEVEL,
            "settled_band": list(stability.SETTLED_BAND),
            "settled_from": stability.SETTLED_FROM,
            "agreement_tolerance": stability.AGREEMENT_TOLERANCE,
            "tolerance": stability.TOLERANCE,
            "eigensolver": "eigensolvers.lanczos_extremes (ARPACK), largest 1; dense at the last",
        },
        "trajectories": entries,
        "test": stability.stability_test(entries),
    }
    plotting.save_figure(plotting_trajectories.stability_figure(entries), figure)
    storage.write_json(payload, numbers)
    LOG.info("edge of stability: %s", payload["test"])
