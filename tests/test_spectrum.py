"""Dense eigenvalues and the largest-gap outlier count."""

from __future__ import annotations

import numpy as np
import pytest

from hessian_spectra.spectrum import (
    Elbow,
    bulk_floor,
    count_above_largest_gap,
    count_above_largest_ratio,
    dense_eigenvalues,
    elbow,
    numerical_rank,
    outlier_counts,
)


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


@pytest.mark.parametrize("outliers", [1, 2, 5, 10, 50])
def test_gap_counts_planted_outliers(outliers):
    rng = np.random.default_rng(outliers)
    bulk = rng.normal(0.0, 1e-4, size=4000)
    spikes = rng.uniform(0.5, 1.0, size=outliers)
    assert count_above_largest_gap(rng.permutation(np.concatenate([bulk, spikes]))) == outliers


def test_gap_picks_the_largest_of_several_gaps():
    # gaps: 1 (0 -> 1), 5 (1 -> 6), 1 (6 -> 7): the largest leaves 2 values above.
    assert count_above_largest_gap(np.array([0.0, 1.0, 6.0, 7.0])) == 2


def test_gap_ties_go_to_the_lowest_gap():
    assert count_above_largest_gap(np.array([0.0, 1.0, 2.0, 3.0])) == 3


@pytest.mark.parametrize("values", [[], [1.0], [0.0] * 10])
def test_gap_of_degenerate_spectra_is_zero(values):
    assert count_above_largest_gap(np.array(values)) == 0


def scree_like_a_trained_net(outliers: int, seed: int) -> np.ndarray:
    """Outliers decaying from 1 to 0.1, a positive tail from 1e-2 to 1e-3 and a negative bulk.

    The convex L of a trained network's scree plot (see results/fig2.pdf): the largest gap is
    the first one, so the gap rule finds 1, while ratio and elbow find the outliers.
    """
    rng = np.random.default_rng(seed)
    bulk = -np.abs(rng.normal(0.0, 1e-4, size=2000))
    tail = np.linspace(1e-2, 1e-3, 200)
    return rng.permutation(np.concatenate([bulk, tail, np.geomspace(1.0, 0.1, outliers)]))


@pytest.mark.parametrize("outliers", [2, 5, 10, 20, 50])
def test_ratio_and_elbow_count_planted_outliers(outliers):
    values = scree_like_a_trained_net(outliers, seed=outliers)
    assert count_above_largest_ratio(values) == outliers
    assert elbow(values) == Elbow(count=outliers, cutoff=1e-2)


def test_ratio_ignores_round_off_inside_the_bulk():
    """Between 1e-12 and 1e-16 the ratio is 1e4, far above the outliers' 10: ignored."""
    values = np.array([-1e-6, 1e-16, 1e-12, 2e-6, 1e-2, 1e-1, 1.0])
    assert bulk_floor(values) == 1e-6
    assert count_above_largest_ratio(values) == 3


def test_floor_without_negative_eigenvalues_is_round_off():
    values = np.array([0.0, 1e-20, 1e-3, 1.0])
    assert bulk_floor(values) == pytest.approx(4 * np.finfo(float).eps)
    # 1e-3 over the round-off floor (1e12) beats 1.0 over 1e-3: both count as outliers.
    assert count_above_largest_ratio(values) == 2


def test_ratio_ties_go_to_the_lowest_ratio():
    values = np.array([-1.0, 2.0, 4.0, 8.0])  # ratios 2, 2 and 2 over the floor 1
    assert count_above_largest_ratio(values) == 3


@pytest.mark.parametrize("values", [[], [0.0] * 10, [-1.0, 0.5]])
def test_counters_of_degenerate_spectra(values):
    values = np.array(values)
    counts = outlier_counts(values)
    assert counts["gap"] == count_above_largest_gap(values)
    assert counts["ratio"] == int((values > bulk_floor(values)).sum())
    assert counts["heur"] is None and counts["cutoff"] is None


def test_no_clear_gap_gives_no_agreement_between_counters():
    """A smooth power-law spectrum has no outliers: the rules disagree and find no k."""
    values = np.concatenate([-np.geomspace(1e-4, 1e-6, 50), np.geomspace(1e-5, 1.0, 500)])
    counts = outlier_counts(values)
    assert counts["gap"] == 1  # the top step of a geometric sequence is the largest gap
    assert counts["ratio"] > 100  # ratios are all equal: the lowest wins
    assert counts["heur"] is not None and counts["heur"] > 5


def test_outlier_counts_keys():
    counts = outlier_counts(scree_like_a_trained_net(5, seed=1))
    assert counts == {"gap": 1, "ratio": 5, "heur": 5, "cutoff": 1e-2}


def test_lanczos_extremes_agree_with_the_dense_spectrum_of_a_hessian():
    """Top and bottom 20 eigenvalues of a real network Hessian by Lanczos over Hessian-vector
    products, against all eigenvalues of the assembled matrix."""
    from hessian_spectra.curvature import HessianOperator, mean_cross_entropy
    from hessian_spectra.models import FlatModel
    from hessian_spectra.spectrum import lanczos_extremes

    from .conftest import random_split, tiny_mlp

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
    from scipy.sparse.linalg import aslinearoperator

    from hessian_spectra.spectrum import lanczos_extremes

    identity = aslinearoperator(np.eye(10))
    with pytest.raises(ValueError, match="which"):
        lanczos_extremes(identity, 2, which="middle")
    with pytest.raises(ValueError, match="k must be in 1..9"):
        lanczos_extremes(identity, 10, which="largest")


def test_lanczos_product_cap_returns_what_converged():
    """A clustered bottom (like a trained net's) with a tiny product budget: fewer than k
    eigenvalues come back, each a true one, and the count is reported."""
    from scipy.sparse import diags
    from scipy.sparse.linalg import aslinearoperator

    from hessian_spectra.spectrum import lanczos_extremes

    rng = np.random.default_rng(0)
    diagonal = np.concatenate([-1e-3 * rng.random(400), rng.random(1600)])
    operator = aslinearoperator(diags(diagonal))
    capped = lanczos_extremes(operator, 40, which="smallest", tolerance=1e-12, max_products=150)
    full = lanczos_extremes(operator, 40, which="smallest", tolerance=1e-12)
    assert full.converged == 40
    np.testing.assert_allclose(full.eigenvalues, np.sort(diagonal)[:40], atol=1e-12)
    assert capped.converged < 40 and capped.products < full.products
    assert all(np.isclose(diagonal, value, atol=1e-9).any() for value in capped.eigenvalues)


def test_numerical_rank_leaves_out_round_off_zeros():
    b = np.random.default_rng(0).standard_normal((50, 7))
    values = np.linalg.eigvalsh(b @ b.T)  # rank 7; 43 zeros at round-off, some negative
    assert (values[:43] != 0).any()
    assert numerical_rank(values) == 7
