"""Our Hessian, Gauss-Newton matrix and top eigenvalues against curvlinops' (an independent
implementation: torch.func forward-over-reverse products), on a tiny float64 net; and each
peer's spectral density (`densities`) against our quadrature from the same start vectors."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from scipy.sparse.linalg import eigsh

from hessian_spectra import densities
from hessian_spectra.densities import lanczos_quadrature
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


# --- the peers' spectral densities (`densities`), against our quadrature ----------------

STEPS = 8  # few enough that Lanczos without reorthogonalisation (curvlinops) stays exact


@pytest.fixture
def moved() -> Problem:
    """A net whose point is not its module's parameters (as a checkpoint's net): the
    peers must read the point, not the module's initial values."""
    flat = FlatModel(tiny_mlp("tanh", dim=6, hidden=(5, 4), n_classes=4))
    theta = flat.flatten() + 0.3 * torch.randn(
        flat.dim, generator=torch.Generator().manual_seed(4), dtype=torch.float64
    )
    return Problem(flat, theta, random_split(n=31, dim=6, n_classes=4, seed=2))


def ours_from(problem: Problem, start: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    return lanczos_quadrature(problem.hessian().matvec, start, STEPS)


def assert_same_quadrature(density, runs: list[tuple[np.ndarray, np.ndarray]], scale: float):
    """`density` is the runs' quadratures, in order (nodes ascending in each), averaged."""
    assert density.kind == "quadrature" and len(density.ritz) == len(runs)
    nodes, weights = (np.concatenate(parts) for parts in zip(*runs, strict=True))
    assert np.abs(density.nodes - nodes).max() < 1e-9 * scale
    assert np.abs(density.weights - weights / len(runs)).max() < 1e-9


def pyhessian_runs(problem: Problem, seed: int, vectors: int) -> list:
    """Our quadratures from PyHessian's start vectors: after manual_seed(seed), randint_like
    per parameter, 0 -> -1."""
    torch.manual_seed(seed)
    runs = []
    for _ in range(vectors):
        pieces = [torch.randint_like(p, high=2) for p in problem.flat.model.parameters()]
        start = torch.cat([piece.reshape(-1) for piece in pieces])
        runs.append(ours_from(problem, torch.where(start == 0, -1.0, start)))
    return runs


def exact_normalization(vectors):
    norm = sum(torch.sum(v * v) for v in vectors) ** 0.5
    return [v / norm for v in vectors]


def test_pyhessian_density_is_our_quadrature_but_for_its_normalisation(moved, monkeypatch):
    """PyHessian divides each Lanczos vector by |w| + 1e-6 (utils.normalization): its nodes
    are off by about 1e-6 / beta relative. With that one line exact, they are ours."""
    utils = pytest.importorskip("pyhessian.utils")
    scale = np.abs(moved.hessian().dense().numpy()).max()
    runs = pyhessian_runs(moved, seed=3, vectors=2)
    (theirs,) = densities.pyhessian_density(moved, seed=3, iterations=STEPS, vectors=2).values()
    off = np.abs(theirs.nodes - np.concatenate([nodes for nodes, _ in runs])).max() / scale
    assert 1e-8 < off < 1e-4
    assert (theirs.iterations, theirs.vectors, theirs.products) == (STEPS, 2, 2 * STEPS)
    assert torch.get_default_dtype() == torch.float32  # the shim is undone
    for module in (utils, sys.modules["pyhessian.hessian"]):
        monkeypatch.setattr(module, "normalization", exact_normalization)
    (fixed,) = densities.pyhessian_density(moved, seed=3, iterations=STEPS, vectors=2).values()
    assert_same_quadrature(fixed, runs, scale)


def test_eigenthings_density_is_our_quadrature_from_its_start_vectors(moved):
    pytest.importorskip("hessian_eigenthings")
    from hessian_eigenthings.linalg import SingleDeviceBackend

    scale = np.abs(moved.hessian().dense().numpy()).max()
    (density,) = densities.eigenthings_density(moved, seed=5, iterations=STEPS, vectors=3).values()
    probe = torch.empty(moved.flat.dim, dtype=torch.float64)
    generators = [torch.Generator().manual_seed(5 + run) for run in range(3)]  # its seeds
    starts = [SingleDeviceBackend().rademacher_like(probe, generator=g) for g in generators]
    assert_same_quadrature(density, [ours_from(moved, start) for start in starts], scale)
    assert (density.iterations, density.vectors, density.products) == (STEPS, 3, 3 * STEPS)


def test_curvlinops_density_is_its_own_call_and_our_quadrature_beneath(moved):
    from curvlinops import lanczos_approximate_spectrum

    scale = np.abs(moved.hessian().dense().numpy()).max()
    results = densities.curvlinops_density(moved, seed=7, iterations=STEPS)
    grid, quadrature = results.values()
    operator = densities.curvlinops_operator(moved)  # its construction check draws vectors
    torch.manual_seed(7)
    their_grid, their_density = lanczos_approximate_spectrum(operator, STEPS)
    their_weights = their_density.numpy() / their_density.numpy().sum()
    assert grid.kind == "grid" and np.allclose(grid.nodes, their_grid.numpy(), rtol=1e-12)
    assert np.abs(grid.weights - their_weights).max() < 1e-9 * their_weights.max()
    torch.manual_seed(7)
    start = torch.randn(moved.flat.dim, dtype=torch.float64)  # fast_lanczos's draw
    assert_same_quadrature(quadrature, [ours_from(moved, start)], scale)
    assert quadrature.products == grid.products > STEPS  # its boundaries' products too


def test_the_peers_defaults_are_their_signatures(moved):
    pytest.importorskip("pyhessian")
    spectral_density = pytest.importorskip("hessian_eigenthings").spectral_density

    assert densities._default(spectral_density, "lanczos_steps") == 80
    assert densities._default(spectral_density, "num_runs") == 10
    (density,) = densities.pyhessian_density(moved).values()
    assert (density.iterations, density.vectors) == (min(100, moved.flat.dim), 1)
    grid = densities.curvlinops_density(moved)["curvlinops lanczos_approximate_spectrum"]
    assert (grid.iterations, grid.vectors) == (min(densities.CURVLINOPS_NCV, moved.flat.dim), 1)
