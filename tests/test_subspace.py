"""The gradient in the top eigenspace (Gur-Ari et al. 2018): the share and the overlap
against a dense eigh reference on a tiny trained net, their exact identities, the step from
checkpoints to a figure and its numbers, and the verdicts on both sides of each level."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from hessian_spectra import eigensolvers, subspace, training
from hessian_spectra.problems import Problem
from hessian_spectra.steps.datasets import make_dataset
from hessian_spectra.steps.training import train_runs
from hessian_spectra.steps.trajectories import figure_subspace
from hessian_spectra.summary_trajectories import OVERLAP_CLAIM, SHARE_CLAIM, subspace_lines
from hessian_spectra.verdicts import FAILS, FINDING, HOLDS, MIXED, Claims

ARCHITECTURE = {"kind": "mlp", "hidden": [5, 4], "activation": "tanh"}  # M = 74 at k = 3


def train_trajectory(tmp_path, learning_rate=0.5, steps=40, checkpoint_steps=(1, 5, 20)) -> dict:
    """A tiny net (6 -> [5, 4] -> 3 on 60 blob points) trained by full-batch GD with
    `steps.training.train_runs`, as a trajectory of its checkpoints."""
    dataset = tmp_path / "blobs.h5"
    if not dataset.exists():
        make_dataset("blobs", dataset, n_classes=3, dim=6, n_train=60, n_test=30, cov=3.0,
                     center_box=(-2.0, 2.0), seed=0)  # fmt: skip
    settings = training.TrainSettings(
        learning_rate=learning_rate, steps=steps, batch_size=None, log_every=steps, seed=0,
        checkpoint_steps=checkpoint_steps,
    )  # fmt: skip
    folder = tmp_path / f"eta{learning_rate:g}"
    names = {name: folder / f"{name}.pt" for name in settings.checkpoint_names}
    train_runs(
        [{"run": folder.name, "seed": 0, "dataset": dataset, "checkpoints": names,
          "history": folder / "history.csv"}],
        architecture=ARCHITECTURE, init_std=0.5, settings=settings,
    )  # fmt: skip
    order = [("init", 0), *((f"step{s}", s) for s in checkpoint_steps), ("final", steps)]
    return {
        "label": f"eta = {learning_rate:g}",
        "learning_rate": learning_rate,
        "n_classes": 3,
        "dataset": str(dataset),
        "checkpoints": [{"step": step, "path": str(names[name])} for name, step in order],
    }


def dense_reference(problem: Problem, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The top eigenpairs by numpy's dense eigh of autograd's Hessian, and autograd's
    gradient: nothing of `subspace` or of the curvature operators."""
    hessian = torch.autograd.functional.hessian(problem.loss, problem.theta, vectorize=True).numpy()
    values, vectors = np.linalg.eigh(hessian)
    gradient = torch.func.grad(problem.loss)(problem.theta).numpy()
    assert values[-count] - values[-count - 1] > 1e-6 * abs(values[-1])  # a defined subspace
    return values[::-1][:count], vectors[:, ::-1][:, :count], gradient


def test_share_and_overlap_equal_a_dense_eigh_reference_along_a_trained_net(tmp_path):
    trajectory = train_trajectory(tmp_path)
    figure, numbers = tmp_path / "subspace.pdf", tmp_path / "subspace.json"
    figure_subspace([trajectory], figure, tmp_path / "subspace.png", numbers)
    (entry,) = json.loads(numbers.read_text())["trajectories"]
    assert entry["steps"] == [0, 1, 5, 20, 40] and entry["M"] == 74 and entry["C"] == 3
    bases = []
    for index, checkpoint in enumerate(trajectory["checkpoints"]):
        problem = Problem.from_checkpoint(checkpoint["path"], trajectory["dataset"])
        values, vectors, gradient = dense_reference(problem, 3)
        share = np.sum((vectors.T @ gradient) ** 2) / np.dot(gradient, gradient)
        assert entry["share"][index] == pytest.approx(share, rel=1e-8, abs=1e-12)
        np.testing.assert_allclose(entry["eigenvalues_top"][index], values, rtol=1e-9)
        assert entry["loss"][index] == pytest.approx(float(problem.loss(problem.theta)))
        bases.append(vectors)
    overlaps = [np.sum((a.T @ b) ** 2) / 3 for a, b in zip(bases, bases[1:], strict=False)]
    np.testing.assert_allclose(entry["overlap"], overlaps, rtol=1e-8)
    assert min(entry["share"]) < 0.99 and min(entry["overlap"]) < 0.99  # not trivially 1
    assert figure.read_bytes().startswith(b"%PDF")
    assert (tmp_path / "subspace.png").read_bytes().startswith(b"\x89PNG")


def test_share_and_overlap_meet_their_exact_identities():
    rng = np.random.default_rng(0)
    basis, _ = np.linalg.qr(rng.standard_normal((40, 4)))
    assert subspace.gradient_share(basis, basis @ rng.standard_normal(4)) == pytest.approx(1.0)
    outside = rng.standard_normal(40)
    outside -= basis @ (basis.T @ outside)
    assert subspace.gradient_share(basis, outside) == pytest.approx(0.0, abs=1e-28)
    rotation, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    assert subspace.subspace_overlap(basis, basis @ rotation) == pytest.approx(1.0)
    full, _ = np.linalg.qr(rng.standard_normal((40, 8)))
    assert subspace.subspace_overlap(full[:, :4], full[:, 4:]) == pytest.approx(0.0, abs=1e-28)
    half = np.concatenate([full[:, :2], full[:, 4:6]], axis=1)  # shares 2 of 4 dimensions
    assert subspace.subspace_overlap(full[:, :4], half) == pytest.approx(0.5)


def test_top_eigenspace_finds_the_largest_of_a_known_spectrum():
    rng = np.random.default_rng(1)
    vectors, _ = np.linalg.qr(rng.standard_normal((50, 50)))
    spectrum = np.concatenate([[9.0, 7.0, 5.0], rng.uniform(-1.0, 1.0, 47)])
    matrix = (vectors * spectrum) @ vectors.T
    values, found = eigensolvers.top_eigenpairs(matrix, 3)
    np.testing.assert_allclose(values, [9.0, 7.0, 5.0], rtol=1e-10)
    assert subspace.subspace_overlap(found, vectors[:, :3]) == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(ValueError, match="count must be in 1..49"):
        eigensolvers.top_eigenpairs(matrix, 50)


def entry(share: list, overlap: list, label: str = "run") -> dict:
    measured = {"steps": [0, 10, 100, 500, 1000], "share": share, "overlap": overlap}
    return {"label": label, "learning_rate": 0.1, "C": 10, "M": 4270, **measured,
            **subspace.subspace_test(measured)}  # fmt: skip


def verdicts(*entries: dict) -> dict:
    claims = Claims()
    lines = subspace_lines(claims, {"constants": {}, "trajectories": list(entries)})
    assert lines[0].startswith("## ") and lines[1] == ""
    assert all(item["kind"] == FINDING for item in claims.items)
    return {item["claim"]: item["verdict"] for item in claims.items}


GOOD_SHARE, GOOD_OVERLAP = [0.1, 0.3, 0.95, 0.97, 0.99], [0.2, 0.5, 0.97, 0.99]


def test_the_verdicts_flip_on_either_side_of_their_levels():
    # Early checkpoints (steps 0 and 10, before 10 % of 1,000) do not count.
    assert verdicts(entry(GOOD_SHARE, GOOD_OVERLAP)) == {SHARE_CLAIM: HOLDS, OVERLAP_CLAIM: HOLDS}
    low_share = [0.1, 0.3, 0.95, subspace.SHARE_LEVEL - 0.01, 0.99]
    low_overlap = [0.2, 0.5, 0.97, subspace.OVERLAP_LEVEL - 0.01]
    assert verdicts(entry(low_share, low_overlap)) == {SHARE_CLAIM: FAILS, OVERLAP_CLAIM: FAILS}
    # The overlap between steps 10 and 100 straddles the fraction: it does not count.
    straddling = [0.2, 0.0, 0.97, 0.99]
    assert verdicts(entry(GOOD_SHARE, straddling))[OVERLAP_CLAIM] == HOLDS
    mixed = verdicts(entry(GOOD_SHARE, GOOD_OVERLAP), entry(low_share, GOOD_OVERLAP, "b"))
    assert mixed == {SHARE_CLAIM: MIXED, OVERLAP_CLAIM: HOLDS}


def test_a_trajectory_needs_two_late_checkpoints_and_ascending_steps(tmp_path):
    with pytest.raises(ValueError, match="fewer than two checkpoints after 10%"):
        subspace.subspace_test({"steps": [0, 1, 2, 100], "share": [0] * 4, "overlap": [0] * 3})
    trajectory = train_trajectory(tmp_path, steps=6, checkpoint_steps=(3,))
    trajectory["checkpoints"].reverse()
    with pytest.raises(ValueError, match="strictly ascending"):
        figure_subspace([trajectory], tmp_path / "s.pdf", tmp_path / "s.png", tmp_path / "s.json")
