"""Our Hessian, Gauss-Newton matrix and top eigenvalues against curvlinops' (an independent
implementation: torch.func forward-over-reverse products), on a tiny float64 net."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.sparse.linalg import eigsh

from hessian_spectra.eigensolvers import lanczos_extremes
from hessian_spectra.models import FlatModel
from hessian_spectra.problems import Problem

from .conftest import random_split, tiny_mlp

curvlinops = pytest.importorskip(
    "curvlinops", reason="curvlinops is a peer library: pip install -e '.[peers]'"
)


@pytest.fixture(params=["relu", "tanh"])
def problem(request) -> Problem:
    flat = FlatModel(tiny_mlp(request.param, dim=6, hidden=(5, 4), n_classes=4))
    return Problem(flat, flat.flatten(), random_split(n=31, dim=6, n_classes=4, seed=2))


def curvlinops_matrix(problem: Problem, kind: str) -> np.ndarray:
    """curvlinops' `kind` (Hessian, GGN) of the mean cross-entropy, applied to the
    identity."""
    operator = getattr(curvlinops, f"{kind}LinearOperator")(
        problem.flat.model,
        torch.nn.CrossEntropyLoss(reduction="mean"),
        list(problem.flat.model.parameters()),
        [(problem.data.x, problem.data.y)],
    )
    return (operator @ torch.eye(problem.flat.dim, dtype=torch.float64)).numpy()


def relative_error(ours: np.ndarray, theirs: np.ndarray) -> float:
    return float(np.abs(ours - theirs).max() / np.abs(theirs).max())


def test_hessian_equals_curvlinops(problem):
    theirs = curvlinops_matrix(problem, "Hessian")
    assert np.abs(theirs).max() > 1e-2  # a Hessian worth comparing
    assert relative_error(problem.hessian().dense().numpy(), theirs) < 1e-12


def test_gauss_newton_equals_curvlinops_ggn(problem):
    theirs = curvlinops_matrix(problem, "GGN")
    # G differs from H by the residual R: the comparison tells the two apart.
    assert relative_error(theirs, curvlinops_matrix(problem, "Hessian")) > 1e-3
    assert relative_error(problem.gauss_newton().dense().numpy(), theirs) < 1e-12


def test_top_eigenvalues_equal_curvlinops(problem):
    k = 5
    theirs_dense = np.linalg.eigvalsh(curvlinops_matrix(problem, "Hessian"))[-k:]
    ours = lanczos_extremes(problem.hessian().to_scipy(), k, which="largest").eigenvalues
    operator = curvlinops.HessianLinearOperator(
        problem.flat.model, torch.nn.CrossEntropyLoss(), list(problem.flat.model.parameters()),
        [(problem.data.x, problem.data.y)],
    )  # fmt: skip
    theirs = np.sort(eigsh(operator.to_scipy(), k=k, which="LA", tol=1e-12)[0])
    scale = np.abs(theirs_dense).max()
    assert np.abs(ours - theirs_dense).max() < 1e-12 * scale
    assert np.abs(ours - theirs).max() < 1e-12 * scale
