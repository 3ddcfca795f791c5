"""One style for every figure; each figure is a function of arrays (no files, no Snakemake).

The paper plots eigenvalues against their order (rank), which shows the degeneracy of the
bulk and the outliers in one picture; every figure here does the same (CIFAR-10's Figs. 7-9
are in `plotting_cifar`, Fig. 10 in `plotting_logistic`)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from .spectrum import count_above_largest_gap, round_off_floor  # noqa: E402
from .spectrum import negative_eigenvalues as real_negatives  # noqa: E402
from .storage import atomic_path  # noqa: E402

RANK_LABEL = "Rank of the eigenvalue"
EIGENVALUE_LABEL = "Eigenvalue"
# Figs. 3 and 5 draw the tanh widths (mnist.fc.tanh_hidden) beside the ReLU ones; Fig. 5's
# floors are dashed, so tanh is dash-dotted.
ACTIVATION_LINESTYLES = {"relu": "-", "tanh": "-."}


def apply_style() -> None:
    sns.set_theme(context="paper", style="whitegrid", palette="colorblind", font_scale=1.1)
    plt.rcParams.update({"figure.dpi": 100, "savefig.bbox": "tight", "pdf.fonttype": 42})


# The PNG beside each PDF: small enough to commit (report/record/figures/, the README's gallery).
PNG_DPI = 100


def png_path(path: str | os.PathLike) -> Path:
    """The PNG that `save_figure` writes beside the PDF at `path` (`fig2.pdf` -> `fig2.png`)."""
    return Path(path).with_suffix(".png")


def check_png_beside(figure: str | os.PathLike, png: str | os.PathLike) -> None:
    """Refuse a PNG output that is not the one `save_figure` writes beside `figure`."""
    if Path(png) != png_path(figure):
        raise ValueError(f"the PNG beside {figure} is {png_path(figure)}, not {png}")


def save_figure(fig: plt.Figure, path: str | os.PathLike) -> None:
    """Write a PDF and a PNG beside it (`png_path`), each atomically and without a
    timestamp or a software version, so equal inputs give equal files."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="pdf", metadata={"CreationDate": None, "ModDate": None})
    with atomic_path(png_path(path)) as tmp:
        fig.savefig(tmp, format="png", dpi=PNG_DPI, metadata={"Software": None})
    plt.close(fig)


def rank_axis(ax: plt.Axes, label: str) -> None:
    """An x axis of eigenvalue ranks: labelled, with whole-number ticks only."""
    ax.set_xlabel(label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def ordered(ax: plt.Axes, eigenvalues: np.ndarray, **style) -> None:
    values = np.sort(eigenvalues)
    ax.plot(np.arange(1, values.size + 1), values, **style)


def _negative_line(values: np.ndarray) -> str:
    """Fig. 1's count of negative eigenvalues: those below minus the float64 round-off floor
    M eps max|lambda|, as `steps.figures.figure_initial_and_final` records them (the
    number docs/blobs.md quotes); the raw count of values below 0 moves with round-off."""
    floor = round_off_floor(values)
    counted = real_negatives(values, floor, values.size)["negative_count"]
    return (
        f"{counted:,} of {values.size:,} below -floor\n(round-off floor M eps max|λ| = {floor:.1e})"
    )


def initial_and_final_spectra(initial: np.ndarray, final: np.ndarray, *, title: str) -> plt.Figure:
    """Fig. 1: the full ordered spectrum at the initial point and at the end of training."""
    apply_style()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharex=True, layout="constrained")
    for ax, values, name in zip(
        axes, (initial, final), ("Initial point", "End of GD"), strict=True
    ):
        ordered(ax, values, marker=".", markersize=2, linewidth=0.8)
        ax.set_title(name)
        rank_axis(ax, RANK_LABEL)
        ax.text(
            0.03,
            0.95,
            f"largest {values.max():.3g}\nsmallest {values.min():.3g}\n{_negative_line(values)}",
            transform=ax.transAxes,
            va="top",
            fontsize=8,
            bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0},
        )
    axes[0].set_ylabel(EIGENVALUE_LABEL)
    fig.suptitle(title)
    return fig


def _gap_label(label: str, counts: Sequence[int]) -> str:
    """'k = 5: 5 above the gap', and the range over seeds where there are several:
    '(seeds: 4-5)', or '(every seed: 5)'."""
    text = f"{label}: {counts[0]} above the gap"
    if len(counts) == 1:
        return text
    low, high = min(counts), max(counts)
    return text + (f" (every seed: {low})" if low == high else f" (seeds: {low}-{high})")


def _plot_largest(ax: plt.Axes, ascending: np.ndarray, top: int, **style) -> np.ndarray:
    """The `top` largest of an ascending spectrum against their rank from the top, the
    positive ones (a log axis); returns them, descending."""
    largest = ascending[::-1][:top]
    ranks = np.arange(1, largest.size + 1)
    positive = largest > 0
    ax.plot(ranks[positive], largest[positive], **style)
    return largest


def spectra_with_gap(
    spectra: Mapping[str, Sequence[np.ndarray]], *, top: int, title: str
) -> plt.Figure:
    """Fig. 2: ordered spectra, one series per label, with the count above the largest gap.

    Each label has one spectrum per seed, the first seed's first. Left: every eigenvalue
    against its rank. Right: the `top` largest on a log scale, ranked from the top, with a
    bar in the series' colour across the first seed's largest gap when that gap is among
    them (the bar stands at rank count + 0.5). The other seeds are thin, faint lines of
    the same colour beneath, in both panels. One legend beside the panels gives every
    count (the first seed's, and the range over seeds): its entries are stacked, so they
    never overlap, whatever the k (labels placed beside the bars printed over each other
    when bars were close).
    """
    apply_style()
    fig, (full_ax, top_ax) = plt.subplots(1, 2, figsize=(10, 4.0), layout="constrained")
    for label, seeds in spectra.items():
        ascending = [np.sort(values) for values in seeds]
        counts = [count_above_largest_gap(values) for values in ascending]
        values, above = ascending[0], counts[0]
        (line,) = full_ax.plot(
            np.arange(1, values.size + 1), values, linewidth=1.0, label=_gap_label(label, counts)
        )
        colour = line.get_color()
        largest = _plot_largest(
            top_ax, values, top, marker=".", markersize=3, linewidth=0.8, color=colour
        )
        if 0 < above < largest.size:  # the gap lies among the `top` shown
            top_ax.plot(
                [above + 0.5] * 2,
                [largest[above], largest[above - 1]],
                color=colour,
                linewidth=4,
                alpha=0.8,
                solid_capstyle="butt",
            )
        faint = {"color": colour, "linewidth": 0.5, "alpha": 0.35, "zorder": 1.5}
        for other in ascending[1:]:
            full_ax.plot(np.arange(1, other.size + 1), other, **faint)
            _plot_largest(top_ax, other, top, **faint)
    rank_axis(full_ax, RANK_LABEL)
    full_ax.set_ylabel(EIGENVALUE_LABEL)
    full_ax.set_title("Whole spectrum")
    handles, labels = full_ax.get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="outside right upper",
        fontsize=8,
        ncols=max(1, -(-len(labels) // 20)),  # columns of at most 20 entries
    )
    top_ax.set_yscale("log")
    rank_axis(top_ax, f"{RANK_LABEL} (from the largest)")
    top_ax.set_title(f"Largest {top}; the bar marks the largest gap")
    fig.suptitle(title)
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
            ascending = np.sort(values)
            largest = ascending[::-1][:top]
            ranks = np.arange(1, largest.size + 1)
            positive = largest > 0
            top_ax.plot(ranks[positive], largest[positive], label=name, **styles[name])
            smallest = ascending[:top]
            bottom_ax.plot(np.arange(1, smallest.size + 1), smallest, label=name, **styles[name])
        top_ax.set_yscale("log")
        top_ax.set_title(f"{label}: largest {top}")
        rank_axis(top_ax, f"{RANK_LABEL} (from the largest)")
        top_ax.set_ylabel(EIGENVALUE_LABEL)
        top_ax.legend(fontsize=8)
        bottom_ax.set_yscale("symlog", linthresh=1e-8)
        bottom_ax.set_title(f"{label}: smallest {top}")
        rank_axis(bottom_ax, f"{RANK_LABEL} (from the smallest)")
    return fig


def largest_eigenvalues(
    spectra: Mapping[str, tuple[np.ndarray, int]],
    *,
    top: int,
    title: str,
    linestyles: Mapping[str, str] | None = None,
) -> plt.Figure:
    """Figs. 3 and 4: the `top` largest eigenvalues of each network, in increasing order;
    solid unless `linestyles` gives a label's style."""
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
            linestyle=(linestyles or {}).get(label, "-"),
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


def negative_eigenvalues(
    curves: Mapping[str, NegativeCurve],
    *,
    title: str,
    linestyles: Mapping[str, str] | None = None,
) -> plt.Figure:
    """Figs. 5 and 6: every negative eigenvalue against its rank as a percentage of M
    (most negative first; solid unless `linestyles` gives a label's style), and each
    spectrum's round-off floor (dashed): values between -floor and 0 cannot be told from
    zero. The y axis is linear down to the smallest floor, logarithmic below, and the x axis
    logarithmic, so that the counted negative eigenvalues (a few per cent of M) and the
    round-off zeros after them are all visible. A Lanczos spectrum holds only its converged
    smallest values, so its curve ends early."""
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
            linestyle=(linestyles or {}).get(label, "-"),
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
