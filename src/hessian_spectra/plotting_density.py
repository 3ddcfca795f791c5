"""The figure of the sampled densities (`steps.density`): per net, each method's density
over the exact spectrum's histogram (log density: the outliers hold a few eigenvalues in
M), and below it the CDFs on a symmetric-log axis, where the bulk near zero and the share
of negative eigenvalues (the CDF at 0) can be read off."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullLocator

from .densities import Density
from .plotting import EIGENVALUE_LABEL, apply_style

# Display only: quadrature nodes drawn as Gaussians of this width (a fraction of the exact
# range, one histogram bin); grid densities (curvlinops) drawn as the library gives them.
DISPLAY_WIDTH_FRACTION = 0.01
HISTOGRAM_BINS = 100
GRID_POINTS = 2000


def _smoothed(density: Density, grid: np.ndarray, width: float) -> np.ndarray:
    if density.kind == "grid":
        spacing = density.nodes[1] - density.nodes[0]
        return np.interp(grid, density.nodes, density.weights / spacing, left=0.0, right=0.0)
    bumps = np.exp(-0.5 * ((grid[:, None] - density.nodes[None, :]) / width) ** 2)
    return bumps @ density.weights / (width * np.sqrt(2 * np.pi))


def _symlog_ticks(ax: plt.Axes, threshold: float, low: float, high: float) -> None:
    """About four decades a side marked on a symmetric-log axis (the default marks each)."""
    ticks = [0.0]
    for side, extent in ((-1.0, -low), (1.0, high)):
        if extent > threshold:
            decades = np.arange(np.ceil(np.log10(threshold)), np.ceil(np.log10(extent)) + 1)
            step = max(1, int(np.ceil(decades.size / 4)))
            ticks += [side * 10.0**d for d in decades[::-1][::step]]
    ax.set_xticks(sorted(ticks))
    ax.xaxis.set_minor_locator(NullLocator())


def _cdf(ax: plt.Axes, values: np.ndarray, weights: np.ndarray, **style) -> None:
    order = np.argsort(values)
    ax.step(values[order], np.cumsum(weights[order]) / weights.sum(), where="post", **style)


def _net_panels(
    top: plt.Axes,
    bottom: plt.Axes,
    label: str,
    exact: np.ndarray,
    floor: float | None,
    drawn: Sequence[tuple[str, Density]],
) -> None:
    spread = exact[-1] - exact[0]
    low, high = exact[0] - 0.05 * spread, exact[-1] + 0.05 * spread
    width = DISPLAY_WIDTH_FRACTION * spread
    counts, edges, _ = top.hist(
        exact, bins=HISTOGRAM_BINS, range=(exact[0], exact[-1]), density=True, color="0.8",
        label=f"exact (M = {exact.size:,})",
    )  # fmt: skip
    grid = np.linspace(low, high, GRID_POINTS)
    uniform = np.full(exact.size, 1.0 / exact.size)
    _cdf(bottom, exact, uniform, color="black", linewidth=2.0, label="exact")
    for name, density in drawn:
        (line,) = top.plot(grid, _smoothed(density, grid, width), linewidth=1.0, label=name)
        _cdf(bottom, density.nodes, density.weights, color=line.get_color(), linewidth=1.0)
    top.set_yscale("log")
    top.set_ylim(bottom=0.3 * counts[counts > 0].min(), top=3 * counts.max())
    top.set_xlim(low, high)
    top.set_title(label)
    top.legend(fontsize=7, loc="upper right")
    threshold = max(floor or 0.0, 1e-9 * spread)
    bottom.set_xscale("symlog", linthresh=threshold)
    _symlog_ticks(bottom, threshold, exact[0], exact[-1])
    bottom.axvline(0.0, color="0.5", linewidth=0.5)
    bottom.set_xlabel(f"{EIGENVALUE_LABEL} (symmetric log, linear within {threshold:.1e})")


def density_panels(
    panels: Sequence[tuple[str, np.ndarray, float | None, Sequence[tuple[str, Density]]]],
) -> plt.Figure:
    """One column per net: (label, ascending exact spectrum, its round-off floor or None,
    the methods' (name, density)). Top: densities over the exact histogram, quadratures
    smoothed with a Gaussian of DISPLAY_WIDTH_FRACTION of the range; bottom: the CDFs."""
    apply_style()
    columns = max(1, len(panels))
    fig, axes = plt.subplots(
        2, columns, figsize=(5.0 * columns, 7.0), layout="constrained", squeeze=False
    )
    for index, (label, exact, floor, drawn) in enumerate(panels):
        _net_panels(axes[0, index], axes[1, index], label, exact, floor, drawn)
    axes[0, 0].set_ylabel("Density (log)")
    axes[1, 0].set_ylabel("Cumulative share of eigenvalues")
    fig.suptitle(
        "Sampled spectral densities against the exact spectrum (Gaussian width "
        f"{DISPLAY_WIDTH_FRACTION:g} x range, for display only)"
    )
    return fig
