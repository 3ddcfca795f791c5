"""Fig. 10 of Appendix B (logistic regression on Gaussian blobs) in `plotting`'s style:
single-blob spectra against Marchenko-Pastur, two-blob spectra against the BBP outlier."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .plotting import EIGENVALUE_LABEL, RANK_LABEL, apply_style, ordered, rank_axis
from .random_matrix import marchenko_pastur_density, marchenko_pastur_edges


def logistic_regression_spectra(single_blobs, two_blobs) -> plt.Figure:
    """Fig. 10: single-blob spectra against Marchenko-Pastur; two blobs give one outlier.

    `single_blobs` are `logistic.SingleBlob` results (top row, one panel each: histogram
    of the non-zero eigenvalues, MP density scaled to the same mass); `two_blobs` are
    `logistic.TwoBlobs` results (bottom row: ordered eigenvalues with the BBP prediction).
    """
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
        ordered(ax, result.eigenvalues, marker=".", markersize=2, linewidth=0.8)
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
        rank_axis(ax, RANK_LABEL)
    panels[1][0].set_ylabel(EIGENVALUE_LABEL)
    return fig
