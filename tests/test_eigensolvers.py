"""The eigensolvers: dense (torch's and LAPACK's in place) and Lanczos at either end of a
matrix-free operator. Which solve a job runs is planned in `resources` (tests/test_resources.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.sparse import diags
from scipy.sparse.linalg import aslinearoperator

from hessian_spectra import eigensolvers
from hessian_spectra.curvature import HessianOperator, mean_cross_entropy
from hessian_spectra.eigensolvers import (
    DenseSolve,
    dense_eigenvalues,
    gpu_solve,
    lanczos_extremes,
    solve_dense,
)
from hessian_spectra.models import FlatModel

from .conftest import random_split, tiny_mlp

CPU = torch.device("cpu")


def test_no_gpu_solve_on_the_cpu():
    assert gpu_solve(1_000, "float64", CPU) is None


def test_dense_eigenvalues_match_numpy():
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((60, 60))
    matrix = matrix + matrix.T
    values = dense_eigenvalues(matrix)
    np.testing.assert_allclose(values, np.linalg.eigvalsh(matrix), rtol=0, atol=1e-12)
    assert np.all(np.diff(values) >= 0)


def test_dense_eigenvalues_refuse_other_dtypes_and_shapes():
    with pytest.raises(ValueError, match="float64"):
        dense_eigenvalues(np.eye(3, dtype=np.float32))
    with pytest.raises(ValueError, match="square"):
        dense_eigenvalues(np.zeros((2, 3)))


@pytest.mark.parametrize("library", ["torch", "scipy"])
def test_in_place_solver_equals_numpy_and_overwrites_its_input(monkeypatch, library):
    """Torch's exported LAPACK where there is one (here), scipy's otherwise."""
    if library == "scipy":
        monkeypatch.setattr(eigensolvers, "_torch_syevd", lambda precision: None)
    else:
        assert eigensolvers._torch_syevd("float64") is not None
    rng = np.random.default_rng(1)
    a = rng.standard_normal((60, 60))
    matrix = (a + a.T) / 2
    expected = np.linalg.eigvalsh(matrix)
    work = torch.from_numpy(matrix.copy())
    values = solve_dense(work, DenseSolve("float64", "in-place", "cpu"))
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-12)
    assert not np.array_equal(work.numpy(), matrix)  # no copy was made


@pytest.mark.parametrize("solver", ["torch", "in-place"])
def test_dense_eigenvalues_are_bit_identical_run_to_run(solver):
    """MKL's threaded eigensolvers reorder their reductions from call to call unless its
    Conditional Numerical Reproducibility is on (set when hessian_spectra is imported):
    without it, four solves of one matrix of odd size (here 1,501; the MNIST-1K fc-h3 net
    has M = 2,395) gave four different last bits."""
    a = np.random.default_rng(2).standard_normal((1501, 1501))
    matrix = (a + a.T) / 2
    plan = DenseSolve("float64", solver, "cpu")
    first, *others = (solve_dense(torch.from_numpy(matrix.copy()), plan) for _ in range(3))
    for other in others:
        assert np.array_equal(first, other)


def test_lanczos_extremes_agree_with_the_dense_spectrum_of_a_hessian():
    """Top and bottom 20 eigenvalues of a real network Hessian by Lanczos over Hessian-vector
    products, against all eigenvalues of the assembled matrix."""
    flat = FlatModel(tiny_mlp("tanh", dim=12, hidden=(10, 8), n_classes=4))
    data = random_split(n=40, dim=12, n_classes=4, seed=2)
    operator = HessianOperator(mean_cross_entropy(flat, data), flat.flatten())
    dense = dense_eigenvalues(operator.dense().numpy())

    scale = np.abs(dense).max()
    top = lanczos_extremes(operator.to_scipy(), 20, which="largest")
    bottom = lanczos_extremes(operator.to_scipy(), 20, which="smallest")
    np.testing.assert_allclose(top.eigenvalues, dense[-20:], rtol=0, atol=1e-8 * scale)
    np.testing.assert_allclose(bottom.eigenvalues, dense[:20], rtol=0, atol=1e-8 * scale)
    assert dense[0] < 0 < dense[-1]  # both ends are real ends, not zeros
    assert 20 < top.products < operator.dim * 5


def test_lanczos_refuses_bad_requests():
    identity = aslinearoperator(np.eye(10))
    with pytest.raises(ValueError, match="which"):
        lanczos_extremes(identity, 2, which="middle")
    with pytest.raises(ValueError, match="k must be in 1..9"):
        lanczos_extremes(identity, 10, which="largest")


def test_lanczos_product_cap_returns_what_converged():
    """A clustered bottom (like a trained net's) with a tiny product budget: fewer than k
    eigenvalues come back, each a true one, and the count is reported."""
    rng = np.random.default_rng(0)
    diagonal = np.concatenate([-1e-3 * rng.random(400), rng.random(1600)])
    operator = aslinearoperator(diags(diagonal))
    capped = lanczos_extremes(operator, 40, which="smallest", tolerance=1e-12, max_products=150)
    full = lanczos_extremes(operator, 40, which="smallest", tolerance=1e-12)
    assert full.converged == 40
    np.testing.assert_allclose(full.eigenvalues, np.sort(diagonal)[:40], atol=1e-12)
    assert capped.converged < 40 and capped.products < full.products
    assert all(np.isclose(diagonal, value, atol=1e-9).any() for value in capped.eigenvalues)
    assert capped.describe() == {
        "driver": "scipy.sparse.linalg.eigsh (ARPACK)", "k": 40, "tolerance": 1e-12,
        "max_products": 150, "products": capped.products, "converged_smallest": capped.converged,
    }  # fmt: skip
