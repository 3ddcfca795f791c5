"""One style for every figure; each figure is a function of arrays (no files, no Snakemake).

The paper plots eigenvalues on the y-axis against their order (rank) on the x-axis, which
shows the degeneracy of the bulk and the outliers in one picture; every figure here does
the same.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402

from .spectrum import count_above_largest_gap  # noqa: E402
from .storage import atomic_path  # noqa: E402

RANK_LABEL = "Rank of the eigenvalue"
EIGENVALUE_LABEL = "Eigenvalue"


def apply_style() -> None:
    sns.set_theme(context="paper", style="whitegrid", palette="colorblind", font_scale=1.1)
    plt.rcParams.update({"figure.dpi": 100, "savefig.bbox": "tight", "pdf.fonttype": 42})


def save_figure(fig: plt.Figure, path: str | os.PathLike) -> None:
    """Write a PDF atomically and without a timestamp, so equal inputs give equal files."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="pdf", metadata={"CreationDate": None, "ModDate": None})
    plt.close(fig)


def _ordered(ax: plt.Axes, eigenvalues: np.ndarray, **style) -> None:
    values = np.sort(eigenvalues)
    ax.plot(np.arange(1, values.size + 1), values, **style)


def initial_and_final_spectra(initial: np.ndarray, final: np.ndarray, *, title: str) -> plt.Figure:
    """Fig. 1: the full ordered spectrum at the initial point and at the end of training."""
    apply_style()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharex=True, layout="constrained")
    for ax, values, name in zip(
        axes, (initial, final), ("Initial point", "End of GD"), strict=True
    ):
        _ordered(ax, values, marker=".", markersize=2, linewidth=0.8)
        ax.set_title(name)
        ax.set_xlabel(RANK_LABEL)
        ax.text(
            0.03,
            0.95,
            f"largest {values.max():.3g}\nsmallest {values.min():.3g}\n"
            f"{int((values < 0).sum())} of {values.size} negative",
            transform=ax.transAxes,
            va="top",
            fontsize=8,
            bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0},
        )
    axes[0].set_ylabel(EIGENVALUE_LABEL)
    fig.suptitle(title)
    return fig


def spectra_with_gap(spectra: Mapping[str, np.ndarray], *, top: int, title: str) -> plt.Figure:
    """Fig. 2: ordered spectra, one series each, with the count above the largest gap.

    Left: every eigenvalue against its rank. Right: the `top` largest on a log scale,
    ranked from the top, with a marker on the first eigenvalue below the largest gap.
    """
    apply_style()
    fig, (full_ax, top_ax) = plt.subplots(1, 2, figsize=(10, 4.0), layout="constrained")
    for label, values in spectra.items():
        values = np.sort(values)
        above = count_above_largest_gap(values)
        (line,) = full_ax.plot(
            np.arange(1, values.size + 1),
            values,
            linewidth=1.0,
            label=f"{label}: {above} above the gap",
        )
        largest = values[::-1][:top]
        ranks = np.arange(1, largest.size + 1)
        positive = largest > 0
        top_ax.plot(
            ranks[positive],
            largest[positive],
            marker=".",
            markersize=3,
            linewidth=0.8,
            color=line.get_color(),
        )
        if 0 < above < values.size:
            top_ax.plot(
                [above + 0.5] * 2,
                [largest[above], largest[above - 1]],
                color=line.get_color(),
                linewidth=3,
                alpha=0.35,
            )
            top_ax.annotate(
                str(above),
                (above + 0.5, largest[above - 1]),
                textcoords="offset points",
                xytext=(3, 3),
                fontsize=8,
                color=line.get_color(),
            )
    full_ax.set_xlabel(RANK_LABEL)
    full_ax.set_ylabel(EIGENVALUE_LABEL)
    full_ax.set_title("Whole spectrum")
    full_ax.legend(fontsize=8)
    top_ax.set_yscale("log")
    top_ax.set_xlabel(f"{RANK_LABEL} (from the largest)")
    top_ax.set_title(f"Largest {top}; the bar marks the largest gap")
    fig.suptitle(title)
    return fig
