"""The Marchenko-Pastur law and the BBP transition (Appendix B of the paper).

For an N x M matrix X of i.i.d. entries with variance s2, the eigenvalues of the sample
covariance X^T X / N follow, as N, M grow with M / N -> alpha, the Marchenko-Pastur law:
a density on [s2 (1 - sqrt(alpha))^2, s2 (1 + sqrt(alpha))^2] and, when alpha > 1, an atom
of mass 1 - 1/alpha at zero. A spike l in the population covariance (Theorem 1, BBP) gives
an outlier at l (1 + alpha / (l - 1)) once l > 1 + sqrt(alpha).
"""

from __future__ import annotations

import numpy as np
from scipy import integrate


def marchenko_pastur_edges(alpha: float, variance: float = 1.0) -> tuple[float, float]:
    return variance * (1 - np.sqrt(alpha)) ** 2, variance * (1 + np.sqrt(alpha)) ** 2


def marchenko_pastur_density(x: np.ndarray, alpha: float, variance: float = 1.0) -> np.ndarray:
    """The continuous part of the law (it integrates to min(1, 1/alpha))."""
    low, high = marchenko_pastur_edges(alpha, variance)
    x = np.asarray(x, dtype=np.float64)
    inside = (x > low) & (x < high) & (x > 0)
    density = np.zeros_like(x)
    xi = x[inside]
    density[inside] = np.sqrt((high - xi) * (xi - low)) / (2 * np.pi * variance * alpha * xi)
    return density


def marchenko_pastur_cdf(x: np.ndarray, alpha: float, variance: float = 1.0) -> np.ndarray:
    """P(lambda <= x), atom at zero included."""
    low, high = marchenko_pastur_edges(alpha, variance)
    atom = max(0.0, 1.0 - 1.0 / alpha)

    def continuous(upper: float) -> float:
        if upper <= low:
            return 0.0
        value, _ = integrate.quad(
            marchenko_pastur_density, low, min(upper, high), args=(alpha, variance), limit=200
        )
        return value

    return np.array(
        [
            (atom if point >= 0 else 0.0) + continuous(point)
            for point in np.asarray(x, dtype=np.float64)
        ]
    )


def kolmogorov_smirnov(eigenvalues: np.ndarray, alpha: float, variance: float = 1.0) -> float:
    """sup |F_empirical - F_MP| over the sample: how far a spectrum is from the law.

    Eigenvalues within 1e-9 of the largest (in relative terms) of zero are round-off of
    exact zeros and count as zero, where the atom of the law sits.
    """
    values = np.sort(np.asarray(eigenvalues, dtype=np.float64))
    values[np.abs(values) <= 1e-9 * np.abs(values).max()] = 0.0
    points = np.unique(values)
    n = values.size
    empirical_at = np.searchsorted(values, points, side="right") / n
    empirical_before = np.searchsorted(values, points, side="left") / n
    model_at = marchenko_pastur_cdf(points, alpha, variance)
    atom = max(0.0, 1.0 - 1.0 / alpha)
    model_before = model_at - np.where(points == 0, atom, 0.0)
    return float(
        max(np.abs(empirical_at - model_at).max(), np.abs(empirical_before - model_before).max())
    )


def bbp_outlier(spike: float, alpha: float) -> float | None:
    """Where a population spike `spike` (unit noise variance) lands in the sample
    spectrum, or None below the transition 1 + sqrt(alpha), where it stays in the bulk."""
    if spike <= 1 + np.sqrt(alpha):
        return None
    return spike * (1 + alpha / (spike - 1))


def bbp_outlier_spread(spike: float, alpha: float, n_samples: int) -> float | None:
    """Standard deviation of the outlier at finite N for Gaussian data (Paul 2007; Baik &
    Silverstein 2006): Var = 2 spike^2 (1 - alpha / (spike - 1)^2) / N. The yardstick of
    "the outlier is where BBP puts it" at the sample size used; None below the transition."""
    if bbp_outlier(spike, alpha) is None:
        return None
    return float(spike * np.sqrt(2 * (1 - alpha / (spike - 1) ** 2) / n_samples))
