"""The class structure of the Gauss-Newton term G (Papyan 2019, "Measurements of Three-Level
Hierarchical Structure in the Outliers in the Spectrum of Deepnet Hessians"; Papyan 2020,
"Traces of Class/Cross-Class Structure Pervade Deep Learning Spectra").

For the mean softmax cross-entropy, G = (1/N) sum_i J_i^T (diag p_i - p_i p_i^T) J_i with
J_i the (C x M) Jacobian of sample i's logits, and diag p - p p^T =
sum_c' p_c' (e_c' - p)(e_c' - p)^T. With g_ic' = J_i^T (e_c' - p_i), the gradient of sample
i's loss had its label been c' (up to sign), G = B^T B / N, B the (N C x M) matrix of rows
b_ic' = sqrt(p_ic') g_ic'. Softmax makes sum_c' p_ic' g_ic' = 0 for every sample.

With the samples indexed by their true class c, the weights W_cc' = (1/N) sum_{i in c} p_ic'
(summing to 1), the pair means delta_cc' = sum_{i in c} p_ic' g_ic' / (N W_cc'), the class
weights W_c' = sum_c W_cc' and the class means delta_c' = sum_c W_cc' delta_cc' / W_c',
G is exactly G_means + G_cross + G_within, each positive semi-definite:

- G_means = sum_c' W_c' delta_c' delta_c'^T. Rank <= C - 1: sum_c' W_c' delta_c' =
  (1/N) sum_i sum_c' p_ic' g_ic' = 0.
- G_cross = sum_cc' W_cc' (delta_cc' - delta_c')(delta_cc' - delta_c')^T. Rank <= C(C - 1):
  for each c', sum_c W_cc' (delta_cc' - delta_c') = 0.
- G_within = (1/N) sum_i sum_c' p_ic' (g_ic' - delta_{y_i c'})(...)^T = R^T R / N.

G_means + G_cross = G_between = sum_cc' W_cc' delta_cc' delta_cc'^T, whose range is the span
of the C^2 pair means; softmax gives each true class c one relation, sum_c' W_cc' delta_cc'
= 0, so rank(G_between) <= C(C - 1) too. Both parts lie in that span: their ranges overlap
(where W is invertible the class means lie in the span of the cross-class differences), so
rank(G_means) + rank(G_cross) can reach C^2 - 1 while rank(G_between) stays <= C(C - 1).
By Weyl's inequality, lambda_(r+1)(G) <= lambda_(r+1)(G_between) + lambda_max(G_within)
= lambda_max(G_within) at r = rank(G_between): at most rank(G_between) eigenvalues of G lie
above lambda_max(G_within), and possibly fewer where the within-class part reaches above some of
the between-class eigenvalues.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.linalg import subspace_angles
from scipy.sparse.linalg import LinearOperator
from torch.func import jacrev, vmap

from . import eigensolvers, spectrum
from .problems import Problem

# Samples per vmap of the per-sample Jacobians: C x M x 8 bytes each, a few times over
# (64 MB per copy at C = 10, M = 7,960).
JACOBIAN_CHUNK = 100


@dataclass(frozen=True)
class LabelGradients:
    """rows[i, c'] = sqrt(p_ic') g_ic' ((N, C, M) float64), sqrt(p) ((N, C)) and the labels."""

    rows: torch.Tensor
    sqrt_probs: torch.Tensor
    labels: torch.Tensor

    @property
    def matrix(self) -> torch.Tensor:
        """B, (N C x M): G = B^T B / N."""
        return self.rows.reshape(-1, self.rows.shape[-1])

    @property
    def n_samples(self) -> int:
        return self.rows.shape[0]


def label_gradients(problem: Problem, chunk_size: int = JACOBIAN_CHUNK) -> LabelGradients:
    """Every sample's gradients for every label, from per-sample Jacobians of the logits
    (a vmap over samples of jacrev in the flat parameters), `chunk_size` samples at a time."""

    def logits(theta: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = problem.flat(theta, x.unsqueeze(0)).squeeze(0)
        return out, out

    jacobians = vmap(jacrev(logits, has_aux=True), in_dims=(None, 0))
    inputs, n = problem.data.x, len(problem.data)
    rows, sqrt_probs = None, []
    for start in range(0, n, chunk_size):
        jacobian, out = jacobians(problem.theta.detach(), inputs[start : start + chunk_size])
        probs = torch.softmax(out, dim=1)
        if rows is None:
            rows = jacobian.new_empty((n, *jacobian.shape[1:]))
        # g_ic' = J_i[c'] - p_i^T J_i, scaled by sqrt(p_ic').
        gradients = jacobian - torch.einsum("nc,ncm->nm", probs, jacobian).unsqueeze(1)
        rows[start : start + len(probs)] = probs.sqrt().unsqueeze(-1) * gradients
        sqrt_probs.append(probs.sqrt())
    return LabelGradients(rows, torch.cat(sqrt_probs), problem.data.y)


@dataclass(frozen=True)
class ClassStructure:
    """W_cc' ((C, C)) and delta_cc' ((C, C, M)) of the module doc, and the three parts' factors:
    each part is factor @ factor.T."""

    weights: torch.Tensor
    pair_means: torch.Tensor

    @property
    def class_weights(self) -> torch.Tensor:
        return self.weights.sum(dim=0)

    @property
    def class_means(self) -> torch.Tensor:
        """delta_c' ((C, M))."""
        summed = torch.einsum("ab,abm->bm", self.weights, self.pair_means)
        return summed / self.class_weights.unsqueeze(1)

    def between_factor(self) -> torch.Tensor:
        """(M, C^2): columns sqrt(W_cc') delta_cc'."""
        return (self.weights.sqrt().unsqueeze(-1) * self.pair_means).flatten(0, 1).T

    def means_factor(self) -> torch.Tensor:
        """(M, C): columns sqrt(W_c') delta_c'."""
        return (self.class_weights.sqrt().unsqueeze(1) * self.class_means).T

    def cross_factor(self) -> torch.Tensor:
        """(M, C^2): columns sqrt(W_cc') (delta_cc' - delta_c')."""
        centred = self.pair_means - self.class_means.unsqueeze(0)
        return (self.weights.sqrt().unsqueeze(-1) * centred).flatten(0, 1).T


def class_structure(gradients: LabelGradients, n_classes: int) -> ClassStructure:
    """The weights and pair means of `gradients`, samples grouped by their true class;
    every class must have samples (its pair means are undefined otherwise)."""
    counts = torch.bincount(gradients.labels, minlength=n_classes)
    if len(counts) != n_classes or bool((counts == 0).any()):
        raise ValueError(f"every one of the {n_classes} classes needs samples; counts {counts}")
    n = gradients.n_samples
    weights = gradients.rows.new_zeros((n_classes, n_classes))
    sums = gradients.rows.new_zeros((n_classes, n_classes, gradients.rows.shape[-1]))
    for c in range(n_classes):
        mine = gradients.labels == c
        sqrt_probs = gradients.sqrt_probs[mine]
        weights[c] = sqrt_probs.square().sum(dim=0) / n
        # sum_{i in c} p_ic' g_ic' = sum_{i in c} sqrt(p_ic') b_ic'.
        sums[c] = torch.einsum("nc,ncm->cm", sqrt_probs, gradients.rows[mine])
    return ClassStructure(weights, sums / (n * weights).unsqueeze(-1))


def within_operator(gradients: LabelGradients, structure: ClassStructure) -> LinearOperator:
    """G_within = R^T R / N as a scipy operator, R's rows b_ic' - sqrt(p_ic') delta_{y_i c'},
    without forming R (it is as large as B). R^T R = B^T R: the rows of R that share a
    class pair (c, c') sum to zero with the weights sqrt(p_ic'), by the pair mean's
    definition, so the mean rows contribute nothing to R^T (R v)."""
    rows, sqrt_probs, labels = gradients.rows, gradients.sqrt_probs, gradients.labels
    pair_means, n, dim = structure.pair_means, gradients.n_samples, rows.shape[-1]

    def product(vector: np.ndarray) -> np.ndarray:
        v = torch.from_numpy(np.asarray(vector, dtype=np.float64).ravel())
        residual = rows @ v - sqrt_probs * (pair_means @ v)[labels]  # R v, (N, C)
        return (torch.einsum("nc,ncm->m", residual, rows) / n).numpy()

    return LinearOperator((dim, dim), matvec=product, rmatvec=product, dtype=np.float64)


def within_largest(gradients: LabelGradients, structure: ClassStructure) -> float:
    """lambda_max(G_within) (Lanczos, to `eigensolvers.lanczos_extremes`' tolerance 1e-10)."""
    operator = within_operator(gradients, structure)
    return float(eigensolvers.lanczos_extremes(operator, 1, which="largest").eigenvalues[-1])


@dataclass(frozen=True)
class FactorSpectrum:
    """The nonzero eigenvalues (descending) of factor @ factor.T, its numerical rank and an
    orthonormal basis of its range ((M, rank))."""

    eigenvalues: np.ndarray
    rank: int
    basis: np.ndarray


def factor_spectrum(factor: torch.Tensor) -> FactorSpectrum:
    """From the singular values of the factor: squared, so nothing is lost to forming the
    product; the rank counts those above s_max max(shape) eps (numpy's matrix_rank)."""
    left, singular, _ = np.linalg.svd(factor.numpy(), full_matrices=False)
    rank = int((singular > singular.max() * max(factor.shape) * np.finfo(np.float64).eps).sum())
    return FactorSpectrum(singular**2, rank, left[:, :rank])


def gauss_newton_spectrum(gradients: LabelGradients, vectors: int) -> tuple[np.ndarray, np.ndarray]:
    """G's eigenvalues from the Gram matrix of B on its smaller side (B^T B / N or
    B B^T / N: the same nonzero eigenvalues), descending, all min(N C, M) of them; and
    G's top `vectors` eigenvectors ((M, vectors), the largest first; Lanczos on that
    Gram matrix)."""
    b = gradients.matrix
    n = gradients.n_samples
    by_parameters = b.shape[1] <= b.shape[0]
    gram = (b.T @ b if by_parameters else b @ b.T) / n
    eigenvalues = torch.linalg.eigvalsh(gram).numpy()[::-1].copy()
    if vectors == 0:
        return eigenvalues, np.zeros((b.shape[1], 0))
    side = gram.shape[0]
    operator = LinearOperator(
        (side, side), matvec=lambda v: (gram @ torch.from_numpy(v.ravel())).numpy(),
        dtype=np.float64,
    )  # fmt: skip
    _, top = eigensolvers.top_eigenpairs(operator, vectors, tolerance=1e-12)
    top = np.ascontiguousarray(top)
    if not by_parameters:  # u -> B^T u, normalised: G's eigenvectors from the Gram's
        top = (b.T @ torch.from_numpy(top)).numpy()
        top /= np.linalg.norm(top, axis=0)
    return eigenvalues, top


def largest_log_gap(descending: np.ndarray, count: int) -> int:
    """How many eigenvalues lie above the largest gap log(lambda_j / lambda_(j+1)) among the
    top `count`. Only those above the round-off floor take part (a logarithm of round-off
    means nothing); where the window reaches below it, the floor closes the list, so a
    step down to G's null space is a gap too."""
    if not descending.size or descending[0] <= 0:
        return 0
    floor = spectrum.round_off_floor(descending)
    top = descending[:count]
    above = top[top > floor]
    if above.size < top.size:
        above = np.append(above, floor)
    return int(np.argmax(-np.diff(np.log(above))) + 1) if above.size > 1 else above.size


def measure(problem: Problem, n_classes: int, chunk_size: int = JACOBIAN_CHUNK) -> dict:
    """The numbers of one net (the step's JSON entry): G's top 3 (C^2 + C) eigenvalues (those
    above its round-off floor) and its rank, the parts' eigenvalues, ranks and bounds,
    lambda_max(G_within), the counts above it and above the largest log gap among the top
    C^2 + C, and the principal angles between G's top rank(G_means) eigenvectors and the
    span of the class means."""
    gradients = label_gradients(problem, chunk_size)
    if gradients.rows.shape[1] != n_classes:
        raise ValueError(f"the net has {gradients.rows.shape[1]} logits, not {n_classes}")
    structure = class_structure(gradients, n_classes)
    means = factor_spectrum(structure.means_factor())
    cross = factor_spectrum(structure.cross_factor())
    between = factor_spectrum(structure.between_factor())
    values, top_vectors = gauss_newton_spectrum(gradients, means.rank)
    within = within_largest(gradients, structure)
    angles = np.degrees(subspace_angles(top_vectors, means.basis)) if means.rank else []
    n, dim = gradients.n_samples, problem.flat.dim
    trace, rank = float(values.sum()), spectrum.numerical_rank(values)
    with torch.no_grad():
        logits = problem.flat(problem.theta, problem.data.x)
    return {
        "M": dim,
        "N": n,
        "loss": float(problem.loss(problem.theta.detach())),
        "train_accuracy": float((logits.argmax(dim=1) == problem.data.y).double().mean()),
        "gauss_newton_top": values[: min(rank, 3 * (n_classes**2 + n_classes))].tolist(),
        "gauss_newton_rank": rank,
        "gauss_newton_rank_bound": min(dim, n * (n_classes - 1)),
        "means_eigenvalues": means.eigenvalues[: means.rank].tolist(),
        "means_rank": means.rank,
        "means_rank_bound": n_classes - 1,
        "cross_eigenvalues": cross.eigenvalues[: cross.rank].tolist(),
        "cross_rank": cross.rank,
        "cross_rank_bound": n_classes * (n_classes - 1),
        "between_rank": between.rank,
        "between_rank_bound": n_classes * (n_classes - 1),
        "within_largest": within,
        "above_within": int((values > within).sum()),
        "gap_window": n_classes**2 + n_classes,
        "largest_gap_position": largest_log_gap(values, n_classes**2 + n_classes),
        "principal_angles_deg": sorted(float(a) for a in angles),
        "largest_angle_deg": float(max(angles)) if len(angles) else None,
        "trace": trace,
        "means_trace_share": float(means.eigenvalues.sum()) / trace,
        "cross_trace_share": float(cross.eigenvalues.sum()) / trace,
        "within_trace_share": 1 - float(between.eigenvalues.sum()) / trace,
    }
