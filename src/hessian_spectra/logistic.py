"""Appendix B: Hessian spectra of logistic regression, against random-matrix theory.

Both models are linear (no bias). At w = 0 every sample has the same curvature, so the
Hessian is an exact multiple of X^T X / N and Marchenko-Pastur and BBP hold by theorem (an
engine check). The paper's case is the Hessian at the trained weights (Appendix B does not
say how it trained; we read: at the minimum), reached from w = 0 by full-batch L-BFGS in
float64 (`train`, `StoppingRule`). There the curvature sigma'(x.w) differs per sample and
the laws are tested with its average in place of the constant. Linearly separable data
have no finite minimum: reported as `Separable`, not trained, nothing added (no weight
decay, no early stop); with N <= M every data set in general position is separable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from scipy import optimize

from . import random_matrix
from .curvature import HessianOperator
from .eigensolvers import dense_eigenvalues

# sigma'(0) = sigma(0) (1 - sigma(0)) = 1/4 multiplies X^T X / N for a single logistic unit.
LOGISTIC_CURVATURE_AT_ZERO = 0.25
# Two-class softmax at w = 0: diag(p) - p p^T = [[1/4, -1/4], [-1/4, 1/4]], eigenvalue 1/2.
SOFTMAX_CURVATURE_AT_ZERO = 0.5
# A largest margin above this (with every |w_j| <= 1) means separable: 10 times HiGHS's
# default feasibility tolerance, 1e-7. A non-separable set gives 0 to round-off.
SEPARATING_MARGIN = 1e-6


@dataclass(frozen=True)
class StoppingRule:
    """L-BFGS stops once the gradient's Euclidean norm is at most `tolerance`, or after
    `max_steps` iterations (then its `Training` says it did not converge)."""

    tolerance: float
    max_steps: int


@dataclass(frozen=True)
class Training:
    """Where training stopped: the loss, its gradient's norm, the L-BFGS iterations."""

    loss: float
    gradient_norm: float
    steps: int
    converged: bool


@dataclass(frozen=True)
class Separable:
    """A trained case whose data are linearly separable: no finite minimum, not trained."""

    alpha: float
    n_samples: int
    parameters: int


@dataclass(frozen=True)
class SingleBlob:
    """Spectrum of a logistic unit on one Gaussian blob, and its distance to MP of
    variance `variance` (the average per-sample curvature); `training` is None at w = 0."""

    alpha: float
    n_samples: int
    eigenvalues: np.ndarray
    variance: float
    ks_distance: float
    training: Training | None = None


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
    training: Training | None = None

    def count_above_bulk(self, margin: float = 1.2) -> int:
        """Eigenvalues above `margin` times the Marchenko-Pastur bulk's upper edge: the
        outliers (BBP predicts one)."""
        upper = random_matrix.marchenko_pastur_edges(self.alpha, self.variance)[1]
        return int((self.eigenvalues > margin * upper).sum())


def _hessian_eigenvalues(loss, point: torch.Tensor) -> np.ndarray:
    return dense_eigenvalues(HessianOperator(loss, point).dense().numpy())


def _one_blob_data(dim: int, alpha: float, seed: int):
    """N = dim / alpha standard normal points, labels Bernoulli(1/2) independent of them."""
    n = max(1, round(dim / alpha))
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, dim, generator=generator, dtype=torch.float64)
    return x, torch.randint(0, 2, (n,), generator=generator).double()


def _two_blobs_data(dim: int, alpha: float, separation: float, seed: int):
    """N = dim / alpha points, alternately from N(-mu, I) (class 0) and N(+mu, I)."""
    n = max(2, round(dim / alpha))
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    x = torch.randn(n, dim, generator=generator, dtype=torch.float64)
    x[:, 0] += separation * (2.0 * labels.double() - 1.0)
    return x, labels


def log_loss(x: torch.Tensor, y: torch.Tensor):
    return lambda w: F.binary_cross_entropy_with_logits(x @ w, y)


def softmax_loss(x: torch.Tensor, labels: torch.Tensor):
    return lambda w: F.cross_entropy(x @ w.view(2, x.shape[1]).T, labels)


def single_blob(dim: int, alpha: float, seed: int) -> SingleBlob:
    """A logistic unit with log-loss on N = dim / alpha standard normal points, at w = 0,
    where the Hessian does not depend on the (random) labels."""
    x, y = _one_blob_data(dim, alpha, seed)
    values = _hessian_eigenvalues(log_loss(x, y), torch.zeros(dim, dtype=torch.float64))
    ratio, variance = dim / len(y), LOGISTIC_CURVATURE_AT_ZERO
    return SingleBlob(
        ratio, len(y), values, variance, random_matrix.kolmogorov_smirnov(values, ratio, variance)
    )


def two_blobs(dim: int, alpha: float, separation: float, seed: int) -> TwoBlobs:
    """Softmax regression on two blobs N(+-mu, I) with |mu| = separation, N = dim / alpha,
    at w = 0.

    E[x x^T] = I + mu mu^T: a population spike l = 1 + separation^2, which BBP places at
    l (1 + alpha / (l - 1)) in X^T X / N, times 1/2 in the Hessian.
    """
    x, labels = _two_blobs_data(dim, alpha, separation, seed)
    zero = torch.zeros(2 * dim, dtype=torch.float64)
    values = _hessian_eigenvalues(softmax_loss(x, labels), zero)
    return _two_blobs_result(x, values, separation, SOFTMAX_CURVATURE_AT_ZERO)


def _two_blobs_result(x, values, separation, curvature, training=None) -> TwoBlobs:
    """BBP's outlier and its finite-N spread for X^T X / N, scaled by `curvature`."""
    n, ratio, spike = len(x), x.shape[1] / len(x), 1.0 + separation**2
    predicted = random_matrix.bbp_outlier(spike, ratio)
    spread = random_matrix.bbp_outlier_spread(spike, ratio, n)
    return TwoBlobs(
        ratio,
        n,
        values,
        spike,
        None if predicted is None else curvature * predicted,
        curvature,
        None if spread is None else curvature * spread,
        training,
    )


def linearly_separable(x: torch.Tensor, signs: torch.Tensor) -> bool:
    """Whether some w puts every point strictly on its side, signs_i x_i.w > 0: then the
    log-loss has no finite minimum. A linear program (HiGHS) finds the largest margin t,
    signs_i x_i.w >= t with every |w_j| <= 1; it is always feasible (w = 0, t = 0), so it
    always decides, where asking for a separating w alone can end undecided."""
    n, dim = x.shape
    program = optimize.linprog(
        np.r_[np.zeros(dim), -1.0],  # maximise t
        A_ub=np.hstack([-(signs[:, None] * x).numpy(), np.ones((n, 1))]),
        b_ub=np.zeros(n),
        bounds=[(-1.0, 1.0)] * dim + [(None, 1.0)],
        method="highs",
    )
    if program.status != 0:
        raise RuntimeError(f"the separating margin was not found: {program.message}")
    return -program.fun > SEPARATING_MARGIN


def _gradient(loss, w: torch.Tensor) -> tuple[float, torch.Tensor]:
    value = loss(w)
    (gradient,) = torch.autograd.grad(value, w)
    return float(value.detach()), gradient


def train(loss, parameters: int, rule: StoppingRule) -> tuple[torch.Tensor, Training]:
    """Minimise `loss` from w = 0 by full-batch L-BFGS in float64 with a strong Wolfe line
    search (deterministic), one iteration at a time until `rule` stops it; each may spend
    up to 25 evaluations on its line search (torch ties that to max_eval, not max_iter)."""
    w = torch.zeros(parameters, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [w],
        max_iter=1,
        max_eval=26,
        tolerance_grad=0.0,
        tolerance_change=0.0,
        line_search_fn="strong_wolfe",
    )

    def closure():
        optimizer.zero_grad()
        value = loss(w)
        value.backward()
        return value

    steps = 0
    while float(_gradient(loss, w)[1].norm()) > rule.tolerance and steps < rule.max_steps:
        optimizer.step(closure)
        steps += 1
    value, gradient = _gradient(loss, w)
    norm = float(gradient.norm())
    return w.detach(), Training(value, norm, steps, norm <= rule.tolerance)


def trained_single_blob(
    dim: int, alpha: float, seed: int, rule: StoppingRule
) -> SingleBlob | Separable:
    """`single_blob`'s unit trained to its minimum, or `Separable`. The labels carry no
    signal, so the minimum lies near w = 0 but not at it; the MP variance is the average
    curvature (1/N) sum sigma'(x_i.w), the constant 1/4 at w = 0."""
    x, y = _one_blob_data(dim, alpha, seed)
    ratio = dim / len(y)
    if linearly_separable(x, 2.0 * y - 1.0):
        return Separable(ratio, len(y), dim)
    loss = log_loss(x, y)
    w, training = train(loss, dim, rule)
    logits = x @ w
    variance = float((torch.sigmoid(logits) * torch.sigmoid(-logits)).mean())
    values = _hessian_eigenvalues(loss, w)
    distance = random_matrix.kolmogorov_smirnov(values, ratio, variance)
    return SingleBlob(ratio, len(y), values, variance, distance, training)


def trained_two_blobs(
    dim: int, alpha: float, separation: float, seed: int, rule: StoppingRule
) -> TwoBlobs | Separable:
    """`two_blobs`' softmax trained to its minimum, or `Separable`. BBP's outlier, its
    spread and the bulk edge are scaled by the average curvature (1/N) sum 2 p_0 p_1 (the
    non-zero eigenvalue of diag(p) - p p^T), the constant 1/2 at w = 0."""
    x, labels = _two_blobs_data(dim, alpha, separation, seed)
    if linearly_separable(x, 2.0 * labels.double() - 1.0):
        return Separable(dim / len(x), len(x), 2 * dim)
    loss = softmax_loss(x, labels)
    w, training = train(loss, 2 * dim, rule)
    p = torch.softmax(x @ w.view(2, dim).T, dim=1)
    curvature = float((2 * p[:, 0] * p[:, 1]).mean())
    values = _hessian_eigenvalues(loss, w)
    return _two_blobs_result(x, values, separation, curvature, training)


@dataclass(frozen=True)
class KSCalibration:
    """How far a correct single-blob spectrum lies from Marchenko-Pastur by chance, and how
    far this sample lies from a law that is `error` off in variance or in ratio."""

    critical: float  # the 95th percentile of the KS distance over independent draws
    wrong_variance: float
    wrong_ratio: float
    draws: int
    error: float


def calibrate_ks(
    result: SingleBlob,
    dim: int,
    seed: int,
    *,
    draws: int = 40,
    error: float = 0.1,
    experiment: Callable[[int, float, int], SingleBlob | Separable] = single_blob,
):
    """A Monte Carlo yardstick for the KS distance of `result` (drawn with `seed`).

    Eigenvalues are not independent samples, so 1.36 / sqrt(M) is far too lenient: it
    also passes a law with a 30 % wrong variance. The critical value is instead the 95th
    percentile over `draws` fresh runs of the same `experiment` (seeds seed + 1, ...;
    `single_blob`, or a trained one), less any separable draw (not trained; `draws` of the
    result counts those used); the check has power where the KS distances of `result` to
    the laws `error` off exceed it.
    """
    alpha = dim / result.n_samples
    runs = [experiment(dim, alpha, seed + 1 + draw) for draw in range(draws)]
    null = [run.ks_distance for run in runs if isinstance(run, SingleBlob)]
    if not null:
        raise ValueError(f"every draw at alpha = {alpha:g} is separable: no yardstick")
    values, variance = result.eigenvalues, result.variance
    return KSCalibration(
        critical=float(np.quantile(null, 0.95)),
        wrong_variance=random_matrix.kolmogorov_smirnov(
            values, result.alpha, variance * (1 + error)
        ),
        wrong_ratio=random_matrix.kolmogorov_smirnov(values, result.alpha * (1 + error), variance),
        draws=len(null),
        error=error,
    )
