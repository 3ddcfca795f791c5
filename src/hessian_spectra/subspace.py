"""Gradient descent happens in a tiny subspace (Gur-Ari, Roberts & Dyer 2018), measured with
exact Hessians along a training trajectory.

At each checkpoint: V, the top-C eigenvectors of the exact Hessian H of the mean training
loss (C classes); g, its full-batch gradient; the share of the gradient in span(V),
||V^T g||^2 / ||g||^2; and between consecutive checkpoints the overlap of their top-C
subspaces, ||V_t^T V_t+1||_F^2 / C (1: the same subspace; C / M for random ones). The
claim (`subspace_test`): after a short time the gradient lives in span(V), and that span
changes little. Numpy and torch only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

# The checkpoints after this fraction of the run's steps are "after a short time": Gur-Ari
# et al. see the gradient enter the top subspace within the first few percent of training.
SETTLE_FRACTION = 0.1
# "Most of the gradient" in span(V): at least this share of ||g||^2 at every late
# checkpoint. Gur-Ari et al. report the share rising to about 0.9 and above (their Fig. 1);
# half would only say the top C of M directions hold more than the other M - C together.
SHARE_LEVEL = 0.9
# "Changes little": consecutive top-C subspaces share at least this fraction of their
# dimensions (a random pair shares C / M, under 0.003 on the nets here).
OVERLAP_LEVEL = 0.9
# ARPACK's tolerance on the eigenpairs, and its seeded start vector.
TOLERANCE = 1e-10
SEED = 0


def gradient(loss, theta: torch.Tensor) -> np.ndarray:
    """The full-batch gradient of `loss` at `theta`, as numpy float64."""
    leaf = theta.detach().to(torch.float64).clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(loss(leaf), leaf)
    return grad.cpu().numpy()


def gradient_share(vectors: np.ndarray, grad: np.ndarray) -> float:
    """||V^T g||^2 / ||g||^2 for orthonormal columns V: the share of g in span(V)."""
    return float(np.sum((vectors.T @ grad) ** 2) / np.dot(grad, grad))


def subspace_overlap(before: np.ndarray, after: np.ndarray) -> float:
    """||A^T B||_F^2 / C for two orthonormal (M, C) bases: 1 where they span one subspace,
    0 where the subspaces are orthogonal."""
    if before.shape != after.shape:
        raise ValueError(f"bases of shapes {before.shape} and {after.shape} do not compare")
    return float(np.sum((before.T @ after) ** 2) / before.shape[1])


def late(steps: Sequence[int]) -> np.ndarray:
    """Which checkpoints come after SETTLE_FRACTION of the run (its last step)."""
    steps = np.asarray(steps)
    return steps >= SETTLE_FRACTION * steps[-1]


def subspace_test(trajectory: Mapping) -> dict:
    """The claim on one trajectory ({"steps", "share", "overlap"}, overlap[i] between
    checkpoints i and i + 1): the smallest share at the late checkpoints and the smallest
    overlap between consecutive late checkpoints, and whether each clears its level."""
    after = late(trajectory["steps"])
    shares = np.asarray(trajectory["share"])[after]
    overlaps = np.asarray(trajectory["overlap"])[after[:-1] & after[1:]]
    if overlaps.size == 0:
        raise ValueError(
            f"{trajectory.get('label', 'a trajectory')}: fewer than two checkpoints after "
            f"{SETTLE_FRACTION:.0%} of its steps {list(trajectory['steps'])}"
        )
    lowest_share, lowest_overlap = float(shares.min()), float(overlaps.min())
    return {
        "late_checkpoints": int(after.sum()),
        "lowest_share": lowest_share,
        "lowest_overlap": lowest_overlap,
        "gradient_in_top": lowest_share >= SHARE_LEVEL,
        "span_stays": lowest_overlap >= OVERLAP_LEVEL,
    }
