"""The spectrum plan (`resources.spectrum_plan`): route, precision, solver and memory
decided once from the config and M, before any job runs."""

from __future__ import annotations

import pytest

from hessian_spectra import resources
from hessian_spectra.resources import (
    JOB_OVERHEAD_BYTES,
    MIB,
    dense_solve_bytes,
    low_rank_job_mem_mb,
    spectrum_plan,
)

MNIST_CAP = 22_000  # mnist.spectrum.memory_mb of config.yaml


@pytest.mark.parametrize(
    ("copies_of_float64", "precision", "solver"),
    [(2.0, "float64", "torch"), (1.5, "float64", "in-place"), (0.6, "float32", "in-place")],
)
def test_a_dense_plan_takes_the_most_precise_solve_that_fits(copies_of_float64, precision, solver):
    dim = 10_000
    cap = -(-(JOB_OVERHEAD_BYTES + int(copies_of_float64 * 8 * dim * dim)) // MIB)
    plan = spectrum_plan(dim, None, cap)
    assert (plan["route"], plan["precision"], plan["solver"]) == ("dense", precision, solver)
    assert plan["mem_mb"] == cap
    assert dense_solve_bytes(dim, precision, solver) + JOB_OVERHEAD_BYTES <= cap * MIB


def test_without_a_cap_a_dense_plan_declares_float64_with_the_solvers_workspace():
    plan = spectrum_plan(5_510)  # the k = 50 blob net
    assert (plan["precision"], plan["solver"]) == ("float64", "torch")
    assert plan["mem_mb"] == 1024 + 3 * -(-8 * 5_510**2 // MIB)


def test_the_default_mnist_nets_are_planned_in_float64():
    """Every MNIST-1K net of Figs. 3-6 in float64 within 22,000 MiB: h = 10, 30 and the
    convnet densely, h = 50 and 70 by the low-rank route their rank bound allows."""
    for dim in (7_960, 23_860, 21_840):
        plan = spectrum_plan(dim, None, MNIST_CAP)
        assert (plan["route"], plan["precision"]) == ("dense", "float64")
    for dim, width in ((39_760, 50), (55_660, 70)):
        bound = 1000 * 9 + 2 * 10 * width
        plan = spectrum_plan(dim, bound, MNIST_CAP)
        assert (plan["route"], plan["precision"]) == ("low-rank", "float64")
        assert plan["mem_mb"] == low_rank_job_mem_mb(dim, bound) <= MNIST_CAP


def test_a_low_rank_plan_that_does_not_fit_goes_dense_within_the_cap():
    bound = 1000 * 9 + 2 * 10 * 70
    plan = spectrum_plan(55_660, bound, 14_000)
    assert plan["route"] == "dense"
    assert (plan["precision"], plan["mem_mb"]) == ("float32", 14_000)


def test_a_low_rank_plan_carries_its_dense_fallback_in_the_same_memory():
    plan = spectrum_plan(55_660, 10_400, MNIST_CAP)
    assert plan["fallback"] == {"precision": "float32", "solver": "in-place"}


def test_a_cap_too_small_for_any_solve_names_its_key():
    with pytest.raises(ValueError, match=r"mnist\.spectrum\.memory_mb = 8000 MiB.*M = 100,000"):
        spectrum_plan(100_000, None, 8_000, key="mnist.spectrum.memory_mb")


def test_the_symmetry_check_declares_a_quarter_of_the_matrix_and_a_little_more():
    """The entries it keeps while band J of 32 is assembled: rows of bands 0..J in the
    columns of bands J.. (6.6 GB for the widest MNIST net instead of reading the file back
    about four times over)."""
    for dim in (1, 53, 4_000, 55_660):
        bands = resources.symmetry_bands(dim)
        assert bands[0] == 0 and bands[-1] == dim and len(bands) - 1 <= 32
        quarter = 8 * dim**2 / 4 / MIB
        assert quarter <= resources.symmetry_check_mb(dim) <= 1.07 * quarter + 1
    assert resources.symmetry_check_mb(55_660) == 6_279
    assert resources.hessian_job_mem_mb(55_660, 64, 1) == 1024 + 55 + 6_279


def test_slabs_are_whole_chunks_of_about_the_slab_size():
    assert resources.chunk_rows(55_660, 64) == 8  # 3.6 MB chunks
    assert resources.slab_rows(55_660, 8) == 1_200  # 534 MB
    assert resources.slab_rows(100, 8, slab_bytes=8 * 100 * 13) == 8
    assert resources.slab_rows(100, 8, slab_bytes=8 * 100 * 5) == 8  # at least a chunk
