"""Appendix B: Hessian spectra of logistic regression, against random-matrix theory.

Both models are linear (no bias) and are evaluated at w = 0, where every sample has the
same curvature: the Hessian is then an exact multiple of the sample covariance X^T X / N,
so the Marchenko-Pastur law and the BBP transition apply with known constants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from . import random_matrix
from .curvature import HessianOperator
from .eigensolvers import dense_eigenvalues

# sigma'(0) = sigma(0) (1 - sigma(0)) = 1/4 multiplies X^T X / N for a single logistic unit.
LOGISTIC_CURVATURE_AT_ZERO = 0.25
# Two-class softmax at w = 0: diag(p) - p p^T = [[1/4, -1/4], [-1/4, 1/4]], eigenvalue 1/2.
SOFTMAX_CURVATURE_AT_ZERO = 0.5


@dataclass(frozen=True)
class SingleBlob:
    """Spectrum of a logistic unit on one Gaussian blob, and its distance to MP."""

    alpha: float
    n_samples: int
    eigenvalues: np.ndarray
    variance: float
    ks_distance: float


@dataclass(frozen=True)
class TwoBlobs:
    """Spectrum of a softmax on two blobs: one outlier, as BBP predicts."""

    alpha: float
    n_samples: int
    eigenvalues: np.ndarray
    spike: float
    predicted_outlier: float | None
    variance: float
    predicted_spread: float | None

    def count_above_bulk(self, margin: float = 1.2) -> int:
        """Eigenvalues above `margin` times the Marchenko-Pastur bulk's upper edge: the
        outliers (BBP predicts one)."""
        upper = random_matrix.marchenko_pastur_edges(self.alpha, self.variance)[1]
        return int((self.eigenvalues > margin * upper).sum())


def _hessian_eigenvalues(loss, dim: int) -> np.ndarray:
    operator = HessianOperator(loss, torch.zeros(dim, dtype=torch.float64))
    return dense_eigenvalues(operator.dense().numpy())


def single_blob(dim: int, alpha: float, seed: int) -> SingleBlob:
    """A logistic unit with log-loss on N = dim / alpha standard normal points.

    Labels are random; at w = 0 the Hessian does not depend on them.
    """
    n = max(1, round(dim / alpha))
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, dim, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 2, (n,), generator=generator).double()
    values = _hessian_eigenvalues(lambda w: F.binary_cross_entropy_with_logits(x @ w, y), dim)
    ratio = dim / n
    variance = LOGISTIC_CURVATURE_AT_ZERO
    return SingleBlob(
        ratio, n, values, variance, random_matrix.kolmogorov_smirnov(values, ratio, variance)
    )


def two_blobs(dim: int, alpha: float, separation: float, seed: int) -> TwoBlobs:
    """Softmax regression on two blobs N(+-mu, I) with |mu| = separation, N = dim / alpha.

    E[x x^T] = I + mu mu^T: a population spike l = 1 + separation^2, which BBP places at
    l (1 + alpha / (l - 1)) in X^T X / N, times 1/2 in the Hessian.
    """
    n = max(2, round(dim / alpha))
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    signs = 2.0 * labels.double() - 1.0
    x = torch.randn(n, dim, generator=generator, dtype=torch.float64)
    x[:, 0] += separation * signs

    def loss(w):
        return F.cross_entropy(x @ w.view(2, dim).T, labels)

    values = _hessian_eigenvalues(loss, 2 * dim)
    ratio = dim / n
    spike = 1.0 + separation**2
    predicted = random_matrix.bbp_outlier(spike, ratio)
    spread = random_matrix.bbp_outlier_spread(spike, ratio, n)
    return TwoBlobs(
        ratio,
        n,
        values,
        spike,
        None if predicted is None else SOFTMAX_CURVATURE_AT_ZERO * predicted,
        SOFTMAX_CURVATURE_AT_ZERO,
        None if spread is None else SOFTMAX_CURVATURE_AT_ZERO * spread,
    )


@dataclass(frozen=True)
class KSCalibration:
    """How far a correct single-blob spectrum lies from Marchenko-Pastur by chance, and how
    far this sample lies from a law that is `error` off in variance or in ratio."""

    critical: float  # the 95th percentile of the KS distance over independent draws
    wrong_variance: float
    wrong_ratio: float
    draws: int
    error: float


def calibrate_ks(result: SingleBlob, dim: int, seed: int, *, draws: int = 40, error: float = 0.1):
    """A Monte Carlo yardstick for the KS distance of `result` (drawn with `seed`).

    Eigenvalues are not independent samples, so 1.36 / sqrt(M) is far too lenient: it
    also passes a law with a 30 % wrong variance. The critical value is instead the 95th
    percentile over `draws` fresh samples (seeds seed + 1, ...); the check has power
    where the KS distances of `result` to the laws `error` off exceed it.
    """
    alpha = dim / result.n_samples
    null = [single_blob(dim, alpha, seed + 1 + draw).ks_distance for draw in range(draws)]
    values, variance = result.eigenvalues, result.variance
    return KSCalibration(
        critical=float(np.quantile(null, 0.95)),
        wrong_variance=random_matrix.kolmogorov_smirnov(
            values, result.alpha, variance * (1 + error)
        ),
        wrong_ratio=random_matrix.kolmogorov_smirnov(values, result.alpha * (1 + error), variance),
        draws=draws,
        error=error,
    )
