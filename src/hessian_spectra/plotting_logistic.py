"""Fig. 10 of Appendix B (logistic regression on Gaussian blobs) in `plotting`'s style:
single-blob spectra against Marchenko-Pastur, two-blob spectra against the BBP outlier,
each at w = 0 (an engine check) and at the trained weights (the paper's case)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .logistic import Separable
from .plotting import EIGENVALUE_LABEL, RANK_LABEL, apply_style, ordered, rank_axis
from .random_matrix import marchenko_pastur_density, marchenko_pastur_edges

AT_ZERO = "w = 0: engine check against theory"
TRAINED = "trained weights: the paper's case"


def logistic_regression_spectra(single_blobs, two_blobs, single_trained, two_trained) -> plt.Figure:
    """Fig. 10 in four rows: one blob at w = 0, then trained; two blobs at w = 0, then
    trained.

    `single_blobs` and `single_trained` are `logistic.SingleBlob` results (histogram of the
    non-zero eigenvalues, MP density of the result's variance scaled to the same mass);
    `two_blobs` and `two_trained` are `logistic.TwoBlobs` results (ordered eigenvalues, the
    bulk edge and the BBP prediction). A trained case may be `logistic.Separable`: its
    panel says so, there being no trained weights to show.
    """
    apply_style()
    rows = (
        (f"One blob, logistic unit. {AT_ZERO}", single_blobs, _one_blob_panel, "Density"),
        (f"One blob, logistic unit. {TRAINED}", single_trained, _one_blob_panel, "Density"),
        (f"Two blobs, softmax. {AT_ZERO}", two_blobs, _two_blobs_panel, EIGENVALUE_LABEL),
        (f"Two blobs, softmax. {TRAINED}", two_trained, _two_blobs_panel, EIGENVALUE_LABEL),
    )
    columns = max(len(results) for _, results, _, _ in rows)
    fig = plt.figure(figsize=(3.2 * columns, 13.6), layout="constrained")
    subfigures = fig.subfigures(len(rows), 1)
    for subfig, (title, results, panel, ylabel) in zip(subfigures, rows, strict=True):
        subfig.suptitle(title, fontsize=10, fontweight="bold")
        axes = subfig.subplots(1, columns, squeeze=False)[0]
        for ax in axes[len(results) :]:
            ax.set_visible(False)
        for ax, result in zip(axes, results, strict=False):
            if isinstance(result, Separable):
                _separable_panel(ax, result)
            else:
                panel(ax, result)
        axes[0].set_ylabel(ylabel)
    return fig


def _one_blob_panel(ax: plt.Axes, result) -> None:
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
        label=f"Marchenko-Pastur, variance {result.variance:.3g}",
    )
    ax.set_title(
        f"alpha = M/N = {result.alpha:g}\nKS distance {result.ks_distance:.3f}", fontsize=9
    )
    ax.set_xlabel(EIGENVALUE_LABEL)
    ax.legend(fontsize=7, loc="upper right")
    if result.alpha > 1:
        ax.text(
            0.97,
            0.8,
            f"+ {values.size - nonzero.size} zero eigenvalues",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8,
        )


def _two_blobs_panel(ax: plt.Axes, result) -> None:
    ordered(ax, result.eigenvalues, marker=".", markersize=2, linewidth=0.8)
    edge = marchenko_pastur_edges(result.alpha, result.variance)[1]
    ax.axhline(edge, color="grey", linestyle=":", linewidth=1, label=f"bulk edge {edge:.3g}")
    if result.predicted_outlier is not None:
        ax.axhline(
            result.predicted_outlier,
            color="black",
            linestyle="--",
            linewidth=1,
            label=f"BBP prediction {result.predicted_outlier:.3g}",
        )
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title(
        f"alpha = {result.alpha:g}, {result.count_above_bulk()} above the bulk\n"
        f"largest {result.eigenvalues[-1]:.3g}",
        fontsize=9,
    )
    rank_axis(ax, RANK_LABEL)


def _separable_panel(ax: plt.Axes, result: Separable) -> None:
    ax.text(
        0.5,
        0.5,
        f"M = {result.parameters:,}, N = {result.n_samples:,}:\n"
        "the points are linearly separable,\nthe log-loss has no finite minimum:\n"
        "no trained weights",
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=8,
    )
    ax.set_title(f"alpha = {result.alpha:g}", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
