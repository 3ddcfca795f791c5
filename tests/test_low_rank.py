"""The low-rank float64 route to a full spectrum: its rank bound, its exactness against
numpy, and its fall-back when the bound or the file cannot be trusted."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch

from hessian_spectra import assembly, hessian_file, low_rank, resources, storage
from hessian_spectra.curvature import HessianOperator, mean_cross_entropy
from hessian_spectra.models import FlatModel
from hessian_spectra.steps.hessian import compute_spectrum
from hessian_spectra.storage import ArtefactError

from .conftest import random_split, tiny_mlp

# One hidden ReLU layer: M = 60 * 10 + 10 + 10 * 3 + 3 = 643, rank(H) <= 30 * 2 + 2 * 3 * 10.
DIM, HIDDEN, CLASSES, SAMPLES = 60, 10, 3, 30
BOUND = SAMPLES * (CLASSES - 1) + 2 * CLASSES * HIDDEN


def assemble(path, activation="relu") -> np.ndarray:
    flat = FlatModel(tiny_mlp(activation, dim=DIM, hidden=(HIDDEN,), n_classes=CLASSES))
    loss = mean_cross_entropy(flat, random_split(n=SAMPLES, dim=DIM, n_classes=CLASSES, seed=3))
    theta = flat.flatten()
    assembly.assemble(HessianOperator(loss, theta), path, block_size=64, attrs={"run": "t"})
    return torch.func.hessian(loss)(theta).numpy()


def numerical_rank(matrix: np.ndarray) -> int:
    values = np.linalg.eigvalsh(matrix)
    return int(
        (np.abs(values) > matrix.shape[0] * np.finfo(float).eps * np.abs(values).max()).sum()
    )


def test_the_rank_bound_holds_and_is_given_only_where_proven(tmp_path):
    architecture = {"kind": "mlp", "hidden": [HIDDEN], "activation": "relu"}
    assert resources.hessian_rank_bound(architecture, SAMPLES, CLASSES) == BOUND == 120
    rank = numerical_rank(assemble(tmp_path / "h.h5"))
    assert BOUND // 2 < rank <= BOUND  # the bound holds (dead units make it loose)
    for other in ({**architecture, "activation": "tanh"}, {**architecture, "hidden": [4, 4]},
                  {"kind": "convnet", "activation": "relu"}):  # fmt: skip
        assert resources.hessian_rank_bound(other, SAMPLES, CLASSES) is None
    tanh = assemble(tmp_path / "tanh.h5", activation="tanh")
    assert numerical_rank(tanh) > BOUND  # why tanh gets no bound


def solve_spectrum(folder, rank_bound, memory_mb):
    """compute_spectrum of folder/h.h5 into folder/s.h5, as the plan for its size says."""
    dim = hessian_file.read_attrs(folder / "h.h5")["parameter_count"]
    plan = resources.spectrum_plan(dim, rank_bound, memory_mb)
    compute_spectrum(folder / "h.h5", folder / "s.h5", plan=plan, memory_mb=plan["mem_mb"])
    return plan


def test_low_rank_spectrum_equals_numpys(tmp_path):
    reference = assemble(tmp_path / "h.h5")
    assert resources.low_rank_worthwhile(reference.shape[0], BOUND)
    solve_spectrum(tmp_path, BOUND, memory_mb=4096)
    values, attrs = storage.read_spectrum(tmp_path / "s.h5")
    expected = np.linalg.eigvalsh(reference)
    assert "low-rank" in attrs["driver"] and attrs["precision"] == "float64"
    assert attrs["range_certificate"] < 1e-13 and attrs["probe_asymmetry"] < 1e-13
    assert values.size == reference.shape[0]
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-12 * np.abs(expected).max())


def test_a_bound_below_the_rank_fails_its_certificate_and_the_solve_goes_dense(tmp_path):
    reference = assemble(tmp_path / "h.h5")
    too_small = 0  # 64 columns, below the rank
    assert resources.low_rank_width(reference.shape[0], too_small) < numerical_rank(reference)
    assert not low_rank.eigenvalues(tmp_path / "h.h5", too_small).exact
    solve_spectrum(tmp_path, too_small, memory_mb=4096)
    values, attrs = storage.read_spectrum(tmp_path / "s.h5")
    assert "low-rank" not in attrs["driver"]
    expected = np.linalg.eigvalsh(reference)
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-12 * np.abs(expected).max())


def test_a_changed_entry_is_caught_by_the_probe_and_named(tmp_path):
    assemble(tmp_path / "h.h5")
    with h5py.File(tmp_path / "h.h5", "r+") as handle:
        handle["hessian"][100, 3] += 0.1  # one entry: the mirror one keeps its value
    solve = low_rank.eigenvalues(tmp_path / "h.h5", BOUND)
    assert solve.asymmetry > low_rank.CERTIFICATE_LIMIT and not solve.exact
    with pytest.raises(ArtefactError, match="h.h5.*contents changed"):
        solve_spectrum(tmp_path, BOUND, memory_mb=4096)


def test_a_job_too_small_for_the_low_rank_workspace_solves_densely(tmp_path):
    assemble(tmp_path / "h.h5")
    assert resources.low_rank_needed_bytes(643, BOUND) > 1 << 20  # more than the 1 MiB left below
    solve_spectrum(tmp_path, BOUND, memory_mb=1024 + 4)
    assert "low-rank" not in storage.read_spectrum(tmp_path / "s.h5")[1]["driver"]


def test_a_job_declaring_less_memory_than_its_plan_stops_naming_both(tmp_path):
    """A resource override (a profile, --set-resources) cannot change the plan's solve."""
    assemble(tmp_path / "h.h5")
    plan = resources.spectrum_plan(643, BOUND, 4096)
    with pytest.raises(MemoryError, match=r"declares 1,000 MiB.*low-rank, float64.*needs"):
        compute_spectrum(tmp_path / "h.h5", tmp_path / "s.h5", plan=plan, memory_mb=1000)
    assert not (tmp_path / "s.h5").exists()
