"""The figure of G's class structure (`classes`): per net, G's top eigenvalues (above its
round-off floor) by rank on log-log axes, with the eigenvalues of its class-means part and
its cross-class part drawn over them, and the largest eigenvalue of its within-class part
as a line: where G's eigenvalues cross that line, the outliers end."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .plotting import EIGENVALUE_LABEL, RANK_LABEL, apply_style

PANELS_PER_ROW = 3


def _net_panel(ax: plt.Axes, net: Mapping) -> None:
    """One net's panel, from its entry of the step's numbers (`classes.measure`)."""
    top = np.asarray(net["gauss_newton_top"])
    ranks = np.arange(1, top.size + 1)
    ax.plot(ranks, top, ".-", color="0.3", markersize=3, linewidth=0.8, label="G")
    for key, marker, label in (
        ("means_eigenvalues", "o", "G_means"),
        ("cross_eigenvalues", "x", "G_cross"),
    ):
        values = np.asarray(net[key])
        ax.plot(np.arange(1, values.size + 1), values, marker, markersize=4, fillstyle="none",
                linestyle="none", label=f"{label} (rank {values.size})")  # fmt: skip
    ax.axhline(net["within_largest"], color="C3", linestyle="--", linewidth=1.0,
               label="λ_max(G_within)")  # fmt: skip
    ax.axvline(net["largest_gap_position"] + 0.5, color="C2", linestyle=":", linewidth=1.0,
               label=f"largest log-gap (after {net['largest_gap_position']})")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"{RANK_LABEL} (from the largest)")
    ax.set_title(f"{net['label']} (C = {net['n_classes']}, M = {net['M']:,})", fontsize=10)
    ax.legend(fontsize=7, loc="best")


def classes_spectra(nets: Sequence[Mapping]) -> plt.Figure:
    """A panel per net, `PANELS_PER_ROW` to a row, in the order given."""
    apply_style()
    columns = max(1, min(PANELS_PER_ROW, len(nets)))
    rows = max(1, -(-len(nets) // columns))
    fig, axes = plt.subplots(
        rows, columns, figsize=(4.2 * columns, 3.6 * rows), layout="constrained", squeeze=False
    )
    for ax, net in zip(axes.flat, nets, strict=False):
        _net_panel(ax, net)
    for ax in axes.flat[len(nets) :]:
        ax.axis("off")
    if not nets:
        axes[0, 0].text(0.5, 0.5, "no nets", transform=axes[0, 0].transAxes, ha="center")
    for ax in axes[:, 0]:
        ax.set_ylabel(EIGENVALUE_LABEL)
    fig.suptitle("Class structure of the Gauss-Newton term G: outliers, mini-bulk, bulk")
    return fig
