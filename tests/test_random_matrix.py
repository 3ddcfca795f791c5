"""Marchenko-Pastur, BBP and the Appendix B logistic-regression spectra."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import integrate

from hessian_spectra import logistic, random_matrix


@pytest.mark.parametrize("alpha", [0.02, 0.5, 1.0, 2.0])
def test_density_mass_and_cdf(alpha):
    low, high = random_matrix.marchenko_pastur_edges(alpha, 0.25)
    mass, _ = integrate.quad(
        random_matrix.marchenko_pastur_density, low, high, args=(alpha, 0.25), limit=200
    )
    assert mass == pytest.approx(min(1.0, 1.0 / alpha), abs=1e-6)
    cdf = random_matrix.marchenko_pastur_cdf(np.array([-1.0, high + 1.0]), alpha, 0.25)
    assert cdf[0] == 0.0 and cdf[1] == pytest.approx(1.0, abs=1e-6)


def test_ks_distance_separates_the_law_from_a_shifted_spectrum():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2000, 400))
    values = np.linalg.eigvalsh(x.T @ x / 2000)
    assert random_matrix.kolmogorov_smirnov(values, 0.2) < 0.03
    assert random_matrix.kolmogorov_smirnov(1.3 * values, 0.2) > 0.15


def test_ks_distance_counts_the_atom_at_zero():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((200, 400))  # alpha = 2: half the eigenvalues are zero
    values = np.linalg.eigvalsh(x.T @ x / 200)
    assert random_matrix.kolmogorov_smirnov(values, 2.0) < 0.05


def test_bbp_outlier_and_transition():
    assert random_matrix.bbp_outlier(10.0, 0.5) == pytest.approx(10.0 * (1 + 0.5 / 9.0))
    assert random_matrix.bbp_outlier(1.5, 0.5) is None  # below 1 + sqrt(0.5)


def test_single_blob_hessian_is_a_quarter_of_the_sample_covariance():
    result = logistic.single_blob(dim=30, alpha=0.5, seed=3)
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(60, 30, generator=generator, dtype=torch.float64).numpy()
    expected = np.linalg.eigvalsh(0.25 * x.T @ x / 60)
    np.testing.assert_allclose(result.eigenvalues, expected, rtol=0, atol=1e-13)
    assert result.n_samples == 60 and result.alpha == 0.5 and result.ks_distance < 0.15


def test_two_blobs_have_one_outlier_where_bbp_puts_it():
    result = logistic.two_blobs(dim=200, alpha=0.1, separation=3.0, seed=0)
    values = result.eigenvalues
    bulk_edge = 0.5 * random_matrix.marchenko_pastur_edges(0.1)[1]
    assert (values > 1.2 * bulk_edge).sum() == 1
    assert values[-1] == pytest.approx(result.predicted_outlier, rel=0.05)
    assert (np.abs(values) < 1e-12).sum() == 200  # the softmax's redundant direction


def test_the_outliers_finite_n_spread_matches_a_monte_carlo():
    """The yardstick of Fig. 10's BBP check, against 300 independent Gaussian samples."""
    dim, n, spike = 60, 240, 10.0
    rng = np.random.default_rng(0)
    scale = np.ones(dim)
    scale[0] = np.sqrt(spike)
    tops = []
    for _ in range(300):
        x = rng.standard_normal((n, dim)) * scale
        tops.append(np.linalg.eigvalsh(x.T @ x / n)[-1])
    alpha = dim / n
    assert np.mean(tops) == pytest.approx(random_matrix.bbp_outlier(spike, alpha), rel=0.02)
    assert np.std(tops) == pytest.approx(
        random_matrix.bbp_outlier_spread(spike, alpha, n), rel=0.15
    )
    assert random_matrix.bbp_outlier_spread(1.5, alpha, n) is None  # below the transition
