"""One style for every figure; each figure is a function of arrays (no files, no Snakemake).

The paper plots eigenvalues against their order (rank), which shows the degeneracy of the
bulk and the outliers in one picture; every figure here does the same (CIFAR-10's Figs. 7-9
are in `plotting_cifar`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

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


def _rank_axis(ax: plt.Axes, label: str) -> None:
    """An x axis of eigenvalue ranks: labelled, with whole-number ticks only."""
    ax.set_xlabel(label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


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
        _rank_axis(ax, RANK_LABEL)
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
    ranked from the top, with a marker on the first eigenvalue below the largest gap when
    that gap is among them (the legend on the left gives every count).
    """
    apply_style()
    fig, (full_ax, top_ax) = plt.subplots(1, 2, figsize=(10, 4.0), layout="constrained")
    for series, (label, values) in enumerate(spectra.items()):
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
        if 0 < above < largest.size:  # the gap lies among the `top` shown
            top_ax.plot(
                [above + 0.5] * 2,
                [largest[above], largest[above - 1]],
                color=line.get_color(),
                linewidth=4,
                alpha=0.8,
                solid_capstyle="butt",
            )
            top_ax.annotate(  # beside the bar's middle; series apart, so labels do not overlap
                f"{label}: {above}",
                (above + 0.5, float(np.sqrt(largest[above] * largest[above - 1]))),
                textcoords="offset points",
                xytext=(6, -10 * series),
                va="center",
                fontsize=8,
                color=line.get_color(),
            )
    _rank_axis(full_ax, RANK_LABEL)
    full_ax.set_ylabel(EIGENVALUE_LABEL)
    full_ax.set_title("Whole spectrum")
    full_ax.legend(fontsize=8)
    top_ax.set_yscale("log")
    _rank_axis(top_ax, f"{RANK_LABEL} (from the largest)")
    top_ax.set_title(f"Largest {top}; the bar marks the largest gap")
    fig.suptitle(title)
    return fig


def logistic_regression_spectra(single_blobs, two_blobs) -> plt.Figure:
    """Fig. 10: single-blob spectra against Marchenko-Pastur; two blobs give one outlier.

    `single_blobs` are `logistic.SingleBlob` results (top row, one panel each: histogram
    of the non-zero eigenvalues, MP density scaled to the same mass); `two_blobs` are
    `logistic.TwoBlobs` results (bottom row: ordered eigenvalues with the BBP prediction).
    """
    from .random_matrix import marchenko_pastur_density, marchenko_pastur_edges

    apply_style()
    columns = max(len(single_blobs), len(two_blobs))
    fig, panels = plt.subplots(
        2, columns, figsize=(3.2 * columns, 6.6), layout="constrained", squeeze=False
    )
    axes = panels[0]
    for ax in [*panels[0][len(single_blobs) :], *panels[1][len(two_blobs) :]]:
        ax.set_visible(False)
    for ax, result in zip(axes, single_blobs, strict=False):
        values = result.eigenvalues
        nonzero = values[np.abs(values) > 1e-9 * np.abs(values).max()]
        low, high = marchenko_pastur_edges(result.alpha, result.variance)
        heights, _, _ = ax.hist(nonzero, bins=30, density=True, alpha=0.6, label="Hessian")
        ax.set_ylim(0, 1.4 * heights.max())  # at alpha = 1 the density diverges at zero
        grid = np.linspace(max(low, 1e-6 * high), high, 400)
        # The histogram shows only the non-zero part: rescale the density to unit mass.
        mass = min(1.0, 1.0 / result.alpha)
        ax.plot(
            grid,
            marchenko_pastur_density(grid, result.alpha, result.variance) / mass,
            color="black",
            linewidth=1.2,
            label="Marchenko-Pastur",
        )
        ax.set_title(
            f"one blob, alpha = M/N = {result.alpha:g}\nKS distance {result.ks_distance:.3f}",
            fontsize=9,
        )
        ax.set_xlabel(EIGENVALUE_LABEL)
        if result.alpha > 1:
            ax.text(
                0.97,
                0.95,
                f"+ {values.size - nonzero.size} zero eigenvalues",
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=8,
            )
    axes[0].set_ylabel("Density")
    axes[0].legend(fontsize=8, loc="upper right")
    for ax, result in zip(panels[1], two_blobs, strict=False):
        _ordered(ax, result.eigenvalues, marker=".", markersize=2, linewidth=0.8)
        if result.predicted_outlier is not None:
            ax.axhline(
                result.predicted_outlier,
                color="black",
                linestyle="--",
                linewidth=1,
                label=f"BBP prediction {result.predicted_outlier:.3g}",
            )
            ax.legend(fontsize=8, loc="upper left")
        ax.set_title(
            f"two blobs, softmax, alpha = {result.alpha:g}\nlargest {result.eigenvalues[-1]:.3g}",
            fontsize=9,
        )
        _rank_axis(ax, RANK_LABEL)
    panels[1][0].set_ylabel(EIGENVALUE_LABEL)
    return fig


def gauss_newton_spectra(runs: Mapping[str, Mapping[str, np.ndarray]], *, top: int) -> plt.Figure:
    """The spectra of H, of its Gauss-Newton term G and of the residual R = H - G.

    One row per run: the `top` largest eigenvalues (log scale) and the smallest ones
    (symlog scale), where the negative eigenvalues of H meet those of R.
    """
    apply_style()
    fig, axes = plt.subplots(
        len(runs), 2, figsize=(10, 3.4 * len(runs)), squeeze=False, layout="constrained"
    )
    styles = {
        "H": {"color": "C0", "linewidth": 2.2},
        "G": {"color": "C1", "linestyle": "--"},
        "R = H - G": {"color": "C2", "linestyle": ":"},
    }
    for (top_ax, bottom_ax), (label, spectra) in zip(axes, runs.items(), strict=True):
        for name, values in spectra.items():
            ordered = np.sort(values)
            largest = ordered[::-1][:top]
            ranks = np.arange(1, largest.size + 1)
            positive = largest > 0
            top_ax.plot(ranks[positive], largest[positive], label=name, **styles[name])
            smallest = ordered[:top]
            bottom_ax.plot(np.arange(1, smallest.size + 1), smallest, label=name, **styles[name])
        top_ax.set_yscale("log")
        top_ax.set_title(f"{label}: largest {top}")
        _rank_axis(top_ax, f"{RANK_LABEL} (from the largest)")
        top_ax.set_ylabel(EIGENVALUE_LABEL)
        top_ax.legend(fontsize=8)
        bottom_ax.set_yscale("symlog", linthresh=1e-8)
        bottom_ax.set_title(f"{label}: smallest {top}")
        _rank_axis(bottom_ax, f"{RANK_LABEL} (from the smallest)")
    return fig


def largest_eigenvalues(
    spectra: Mapping[str, tuple[np.ndarray, int]], *, top: int, title: str
) -> plt.Figure:
    """Figs. 3 and 4: the `top` largest eigenvalues of each network, in increasing order."""
    apply_style()
    fig, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
    for label, (values, dim) in spectra.items():
        largest = np.sort(values)[-top:]
        ax.plot(
            np.arange(1, largest.size + 1),
            largest,
            marker=".",
            markersize=3,
            linewidth=0.9,
            label=f"{label} (M = {dim:,})",
        )
    ax.set_xlabel(f"Rank among the {top} largest (increasing order)")
    ax.set_ylabel(EIGENVALUE_LABEL)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


@dataclass(frozen=True)
class NegativeCurve:
    """One network's spectrum (ascending), its M and its round-off floor."""

    values: np.ndarray
    dim: int
    floor: float


def negative_eigenvalues(curves: Mapping[str, NegativeCurve], *, title: str) -> plt.Figure:
    """Figs. 5 and 6: every negative eigenvalue against its rank as a percentage of M
    (most negative first), and each spectrum's round-off floor (dashed): values between
    -floor and 0 cannot be told from zero. The y axis is linear down to the smallest floor,
    logarithmic below, and the x axis logarithmic, so that the counted negative eigenvalues
    (a few per cent of M) and the round-off zeros after them are all visible. A Lanczos spectrum
    holds only its converged smallest values, so its curve ends early."""
    apply_style()
    fig, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
    floors = [curve.floor for curve in curves.values() if curve.floor > 0]
    for label, curve in curves.items():
        negative = curve.values[curve.values < 0]
        counted = int((negative < -curve.floor).sum())
        (line,) = ax.plot(
            100.0 * np.arange(1, negative.size + 1) / curve.dim,
            negative,
            linewidth=1.2,
            label=f"{label} (M = {curve.dim:,}; {counted:,} below the floor)",
        )
        ax.axhline(-curve.floor, color=line.get_color(), linestyle="--", linewidth=0.8)
    if floors:
        ax.set_yscale("symlog", linthresh=min(floors))
    ax.set_xscale("log")  # the counted few per cent and the round-off zeros beyond them
    ax.plot([], [], color="grey", linestyle="--", linewidth=0.8, label="-(round-off floor)")
    ax.set_xlabel(f"{RANK_LABEL} (% of M)")
    ax.set_ylabel(EIGENVALUE_LABEL)
    ax.set_title(title)
    ax.legend(fontsize=7)
    return fig
