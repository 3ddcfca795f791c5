"""Dense eigenvalues and the largest-gap outlier count."""

from __future__ import annotations

import numpy as np
import pytest

from hessian_spectra.spectrum import count_above_largest_gap, dense_eigenvalues


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
