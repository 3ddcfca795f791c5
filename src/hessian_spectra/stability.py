"""The edge of stability (Cohen et al. 2021), measured with exact Hessians along full-batch
gradient descent at several learning rates eta.

GD with step eta on a quadratic is stable only while its curvature lambda_max < 2 / eta,
so the sharpness ratio lambda_max eta / 2 is 1 at the edge. Cohen et al. see lambda_max
rise during training (progressive sharpening) until the ratio reaches 1, and then hover
there; with cross-entropy the sharpness may fall late in training. The claim
(`stability_test`): the runs that reach the edge settle there. Numpy only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

# A run "reaches the edge" at the first checkpoint whose ratio is at least this: within
# 10 % of 2 / eta, closer than a checkpoint grid resolves a quickly rising sharpness.
REACH_LEVEL = 0.9
# It "settles at the edge" where the median ratio over the checkpoints of the second half of
# training lies in this band: 2 / eta within 20 % either way. Cohen et al. see the
# sharpness hover at or just above 2 / eta for the rest of training; a median ignores the
# spikes of single unstable steps, and a run whose sharpness falls away or grows on lies
# outside. The second half by steps, not by checkpoints: the checkpoint grid is dense early.
SETTLED_BAND = (0.8, 1.2)
SETTLED_FROM = 0.5  # the fraction of the steps after which the ratio counts as settled
# Lanczos agrees with the dense solve at the last checkpoint where the two lambda_max differ
# by at most this, relative: ARPACK's tolerance is 1e-10, the dense solve's error M eps.
AGREEMENT_TOLERANCE = 1e-8
# ARPACK's tolerance on lambda_max at every checkpoint.
TOLERANCE = 1e-10


def sharpness_ratio(lambda_max: Sequence[float], learning_rate: float) -> np.ndarray:
    """lambda_max eta / 2 at each checkpoint: 1 at the edge of stability."""
    if learning_rate <= 0:
        raise ValueError(f"the learning rate must be positive, got {learning_rate}")
    return np.asarray(lambda_max, dtype=np.float64) * learning_rate / 2


def edge_of_stability(
    steps: Sequence[int], lambda_max: Sequence[float], learning_rate: float
) -> dict:
    """The ratio at each checkpoint, its peak, whether it reaches REACH_LEVEL, the first step
    where it does, and where it settles: the median ratio over the checkpoints from
    SETTLED_FROM of the last step on (None where it never reaches)."""
    steps = np.asarray(steps)
    if steps.shape != np.shape(lambda_max) or steps.size == 0:
        raise ValueError(f"{steps.size} steps for {np.size(lambda_max)} lambda_max values")
    ratio = sharpness_ratio(lambda_max, learning_rate)
    reached = np.flatnonzero(ratio >= REACH_LEVEL)
    first = int(reached[0]) if reached.size else None
    late = ratio[steps >= SETTLED_FROM * steps[-1]]
    return {
        "ratio": [float(value) for value in ratio],
        "peak_ratio": float(ratio.max()),
        "peak_step": int(steps[int(ratio.argmax())]),
        "reached": first is not None,
        "first_reach_step": None if first is None else int(steps[first]),
        "settled_ratio": None if first is None else float(np.median(late)),
    }


def settles(settled_ratio: float) -> bool:
    """Whether a settled ratio lies in SETTLED_BAND."""
    low, high = SETTLED_BAND
    return low <= settled_ratio <= high


def diverged(loss: Sequence[float]) -> bool:
    """Whether a run ended no better than it started (its training loss at the last
    checkpoint at least its first): a step size that blew the loss up and left the net dead
    (ReLUs that never fire again, the loss at ln k) has not trained, at any edge."""
    return loss[-1] >= loss[0]


def stability_test(trajectories: Sequence[Mapping]) -> dict:
    """The claim over the runs of one net (each with "learning_rate", "loss", "reached",
    "settled_ratio", "peak_ratio"): the runs that diverged (left out), which of the others
    reached the edge, which of those settled in SETTLED_BAND, and the largest ratio a run
    that trained saw (what a run would need to reach; 0 where none trained)."""
    trained = [t for t in trajectories if not diverged(t["loss"])]
    reached = [t for t in trained if t["reached"]]
    return {
        "diverged": [float(t["learning_rate"]) for t in trajectories if diverged(t["loss"])],
        "reached": [float(t["learning_rate"]) for t in reached],
        "settled": [settles(t["settled_ratio"]) for t in reached],
        "largest_ratio": max((float(t["peak_ratio"]) for t in trained), default=0.0),
    }


def lanczos_agrees(lanczos: float, exact: float) -> bool:
    """Whether Lanczos's lambda_max is the dense solve's within AGREEMENT_TOLERANCE."""
    return abs(lanczos - exact) <= AGREEMENT_TOLERANCE * abs(exact)
