"""The figure of the abstract's conjecture (`conjecture`): the width sweep beside the data
sweep, each setting's spectrum from the largest eigenvalue down, on log-log axes, so that
outliers that stay lie on one another at the left, and a bulk that grows stretches to the
right."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np

from .plotting import EIGENVALUE_LABEL, RANK_LABEL, apply_style
from .spectrum import round_off_floor


def _sweep_panel(ax: plt.Axes, spectra: Mapping[str, tuple[np.ndarray, int]], title: str) -> None:
    """Each spectrum's eigenvalues above its round-off floor M eps lambda_max (the rest
    cannot be told from zero, and a log axis has no room for the negative ones) against
    their rank from the largest, with a ring on the k-th, the smallest outlier."""
    for label, (values, n_classes) in spectra.items():
        descending = np.sort(values)[::-1]
        ranks = np.arange(1, descending.size + 1)
        shown = descending > round_off_floor(descending)
        (line,) = ax.plot(
            ranks[shown], descending[shown], linewidth=1.0, label=f"{label} (M = {values.size:,})"
        )
        ax.plot(
            n_classes,
            descending[n_classes - 1],
            marker="o",
            markersize=6,
            fillstyle="none",
            color=line.get_color(),
        )
    if not spectra:
        ax.text(0.5, 0.5, "no runs", transform=ax.transAxes, ha="center", va="center")
    else:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.legend(fontsize=8, loc="lower left")
    ax.set_xlabel(f"{RANK_LABEL} (from the largest)")
    ax.set_title(title)


def conjecture_spectra(
    width: Mapping[str, tuple[np.ndarray, int]], data: Mapping[str, tuple[np.ndarray, int]]
) -> plt.Figure:
    """Left: the width sweep (fixed data); right: the data sweep (fixed net). Each maps a
    setting's label, in sweep order, to its spectrum (any order) and its k."""
    apply_style()
    fig, (width_ax, data_ax) = plt.subplots(1, 2, figsize=(10, 4.0), layout="constrained")
    _sweep_panel(width_ax, width, "Adding parameters (fixed data)")
    _sweep_panel(data_ax, data, "Changing the data (fixed net)")
    width_ax.set_ylabel(EIGENVALUE_LABEL)
    fig.suptitle("Outliers and bulk; the ring marks the k-th largest eigenvalue")
    return fig
