"""What a spectrum says: the outlier counters, the bulk floor and the numerical rank; and
that saying it needs no torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from hessian_spectra.spectrum import (
    Elbow,
    bulk_floor,
    count_above_largest_gap,
    count_above_largest_ratio,
    elbow,
    negative_curve_distance,
    numerical_rank,
    outlier_counts,
)


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


def test_numerical_rank_leaves_out_round_off_zeros():
    b = np.random.default_rng(0).standard_normal((50, 7))
    values = np.linalg.eigvalsh(b @ b.T)  # rank 7; 43 zeros at round-off, some negative
    assert (values[:43] != 0).any()
    assert numerical_rank(values) == 7


def test_the_analysis_and_table_1_import_without_torch():
    """Counting outliers and reading or writing Table 1 (as report/readme_numbers.py does)
    load neither torch nor the solvers."""
    code = (
        "import sys, hessian_spectra.spectrum, hessian_spectra.tables\n"
        "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if 'hessian' in m)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_curve_distance_is_the_exact_l1_area_between_two_step_curves():
    """Each eigenvalue is a step 100 / M wide in % of M, a curve is 0 past its last one."""
    two = np.array([-2.0, -1.0])
    assert negative_curve_distance(two, 100, two, 100) == 0.0
    assert negative_curve_distance(two, 100, np.array([]), 100) == pytest.approx(3.0)
    # The same shape at twice the M: every eigenvalue twice, each step half as wide.
    assert negative_curve_distance(two, 100, np.repeat(two, 2), 200) == pytest.approx(0.0)
    # -1 over (0, 1] % against -1 over (0, 2] %: they differ by 1 over (1, 2].
    assert negative_curve_distance(np.array([-1.0]), 100, np.array([-1.0]), 50) == 1.0
    assert negative_curve_distance(np.array([-3.0, -1.0]), 100, np.array([-1.0]), 50) == 2.0
    assert negative_curve_distance(np.array([]), 10, np.array([]), 20) == 0.0


def width_series(amplitudes, dims=(1000, 3000, 5000, 7000)) -> list[float]:
    """The distances between successive curves -a exp(-x / 0.5) over x in (0, 1.2] % of M,
    one per (amplitude, M): a net's negative eigenvalues as a smooth shape, sampled at its M."""
    curves = []
    for amplitude, dim in zip(amplitudes, dims, strict=True):
        x = 100.0 * np.arange(1, int(0.012 * dim) + 1) / dim
        curves.append((-amplitude * np.exp(-x / 0.5), dim))
    return [negative_curve_distance(*a, *b) for a, b in zip(curves, curves[1:], strict=False)]


def test_curves_that_converge_give_shrinking_distances_and_others_do_not():
    converging = width_series([1 + 1 / h for h in (10, 30, 50, 70)])
    assert converging[0] > converging[1] > converging[2] > 0
    alternating = width_series([1.0, 1.5, 1.0, 1.5])
    assert not alternating[0] > alternating[1] > alternating[2]
    diverging = width_series([1.0, 1.1, 1.3, 1.6])
    assert diverging[0] < diverging[1] < diverging[2]
