"""Figs. 7-9 of Section 4.1 (CIFAR-10, large then small batch) in `plotting`'s style: loss
and accuracy through the batch switch, and along the line through the two solutions."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np

from .plotting import apply_style


def _loss_and_accuracy_axes(width: float) -> tuple[plt.Figure, np.ndarray]:
    apply_style()
    fig, axes = plt.subplots(1, 2, figsize=(width, 3.6), layout="constrained")
    axes[0].set_ylabel("Loss")
    axes[1].set_ylabel("Accuracy")
    return fig, axes


def training_through_switch(
    steps: np.ndarray, metrics: Mapping[str, np.ndarray], *, switch_step: int, title: str
) -> plt.Figure:
    """Fig. 8: train and test loss and accuracy against iterations, through the switch from
    the large batch (Part I) to the small batch (Part II)."""
    fig, axes = _loss_and_accuracy_axes(10)
    for ax, quantity in zip(axes, ("loss", "accuracy"), strict=True):
        for split in ("train", "test"):
            ax.plot(steps, metrics[f"{split}_{quantity}"], label=split, linewidth=1.0)
        ax.axvline(switch_step, color="0.3", linestyle="--", linewidth=0.8)
        ax.text(
            switch_step, 0.98, " LB -> SB", transform=ax.get_xaxis_transform(), va="top", fontsize=8
        )
        ax.set_xlabel("Iteration")
        ax.legend()
    fig.suptitle(title)
    return fig


def straight_line(coefficients: np.ndarray, metrics: Mapping[str, np.ndarray]) -> plt.Figure:
    """Fig. 9: train and test loss and accuracy on theta(a) = (1 - a) theta_LB + a theta_SB,
    the end points marked."""
    fig, axes = _loss_and_accuracy_axes(10)
    for ax, quantity in zip(axes, ("loss", "accuracy"), strict=True):
        for split in ("train", "test"):
            ax.plot(coefficients, metrics[f"{split}_{quantity}"], marker=".", label=split)
        for alpha, name in ((0.0, "LB"), (1.0, "SB")):
            ax.axvline(alpha, color="0.3", linestyle=":", linewidth=0.8)
            ax.text(alpha, 0.98, f" {name}", transform=ax.get_xaxis_transform(), va="top")
        ax.set_xlabel("Interpolation coefficient a")
        ax.legend()
    fig.suptitle("CIFAR-10: the straight line through the LB and SB solutions")
    return fig


def away_from_end_points(
    distance_from_lb: np.ndarray, coefficients: np.ndarray, metrics: Mapping[str, np.ndarray]
) -> plt.Figure:
    """Fig. 7 (our reading of Section 4.1): the loss along the line as it leaves each end
    point, against the distance travelled in weight space, LB and SB side by side."""
    apply_style()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True, layout="constrained")
    length = distance_from_lb[coefficients == 1.0][0]
    sides = {
        "leaving LB (a < 0)": (coefficients <= 0.0, -distance_from_lb),
        "leaving SB (a > 1)": (coefficients >= 1.0, distance_from_lb - length),
    }
    for ax, split in zip(axes, ("train", "test"), strict=True):
        for label, (mask, travelled) in sides.items():
            order = np.argsort(travelled[mask])
            ax.plot(
                travelled[mask][order],
                metrics[f"{split}_loss"][mask][order],
                marker=".",
                label=label,
            )
        ax.set_title(f"{split} loss")
        ax.set_xlabel("Distance from the end point in weight space")
        ax.legend()
    axes[0].set_ylabel("Loss")
    fig.suptitle("CIFAR-10: the loss along the line beyond each end point")
    return fig
