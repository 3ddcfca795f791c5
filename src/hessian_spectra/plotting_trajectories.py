"""The figures of the two trajectory experiments: the gradient's share in the top-C
eigenspace with the overlap of consecutive eigenspaces (`subspace`), and lambda_max against
2 / eta (`stability`). Steps are drawn on a symmetric-log axis (0 included) where they span
two decades or more."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .plotting import apply_style
from .stability import REACH_LEVEL, SETTLED_BAND
from .subspace import OVERLAP_LEVEL, SHARE_LEVEL

STEP_LABEL = "Step of gradient descent"


def _step_axis(ax: plt.Axes, series: Sequence[Mapping]) -> None:
    """Symmetric-log steps, linear up to the first step after 0, where they span decades."""
    steps = np.concatenate([np.asarray(s["steps"]) for s in series]) if series else np.zeros(1)
    positive = steps[steps > 0]
    if positive.size and positive.max() >= 100 * positive.min():
        ax.set_xscale("symlog", linthresh=float(positive.min()))
    ax.set_xlim(left=0)
    ax.set_xlabel(STEP_LABEL)


def _no_runs(ax: plt.Axes, series: Sequence[Mapping]) -> bool:
    if not series:
        ax.text(0.5, 0.5, "no runs", transform=ax.transAxes, ha="center", va="center")
    return not series


def subspace_figure(series: Sequence[Mapping]) -> plt.Figure:
    """Left: ||V^T g||^2 / ||g||^2 against the step; right: the overlap of each checkpoint's
    top-C eigenspace with the one before, at the later step. One line per trajectory
    ({"label", "C", "M", "steps", "share", "overlap"}); the claim's levels dashed."""
    apply_style()
    fig, (share_ax, overlap_ax) = plt.subplots(1, 2, figsize=(10, 4.0), layout="constrained")
    for s in series:
        (line,) = share_ax.plot(
            s["steps"], s["share"], marker=".", label=f"{s['label']} (C = {s['C']}, M = {s['M']:,})"
        )
        overlap_ax.plot(s["steps"][1:], s["overlap"], marker=".", color=line.get_color())
    for ax, level, title in (
        (share_ax, SHARE_LEVEL, "Share of the gradient in the top-C eigenspace"),
        (overlap_ax, OVERLAP_LEVEL, "Overlap of consecutive top-C eigenspaces"),
    ):
        if not _no_runs(ax, series):
            ax.axhline(level, color="0.4", linestyle="--", linewidth=0.8)
            _step_axis(ax, series)
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(title)
    share_ax.set_ylabel(r"$\|V^\top g\|^2 / \|g\|^2$")
    overlap_ax.set_ylabel(r"$\|V_t^\top V_{t+1}\|_F^2 / C$")
    if series:
        share_ax.legend(fontsize=8, loc="best")
    return fig


def stability_figure(series: Sequence[Mapping]) -> plt.Figure:
    """Left: lambda_max against the step per learning rate, with 2 / eta dashed in the
    line's colour; right: the ratio lambda_max eta / 2, with the reach level dashed and the
    settled band shaded. One line per trajectory ({"label", "learning_rate", "steps",
    "lambda_max", "ratio"})."""
    apply_style()
    fig, (sharp_ax, ratio_ax) = plt.subplots(1, 2, figsize=(10, 4.0), layout="constrained")
    for s in series:
        eta = s["learning_rate"]
        (line,) = sharp_ax.plot(
            s["steps"], s["lambda_max"], marker=".", label=f"{s['label']} (2/η = {2 / eta:.3g})"
        )
        sharp_ax.axhline(2 / eta, color=line.get_color(), linestyle="--", linewidth=1.0)
        ratio_ax.plot(s["steps"], s["ratio"], marker=".", color=line.get_color())
    positive = all((np.asarray(s["lambda_max"]) > 0).all() for s in series)
    if not _no_runs(sharp_ax, series):
        sharp_ax.legend(fontsize=8, loc="best")
        _step_axis(sharp_ax, series)
    if not _no_runs(ratio_ax, series):
        ratio_ax.axhspan(*SETTLED_BAND, color="0.85", zorder=0)
        ratio_ax.axhline(REACH_LEVEL, color="0.4", linestyle="--", linewidth=0.8)
        _step_axis(ratio_ax, series)
    if series and positive:  # sharpness spans decades as the loss falls
        sharp_ax.set_yscale("log")
        ratio_ax.set_yscale("log")
    sharp_ax.set_ylabel(r"$\lambda_{\max}$ (dashed: $2/\eta$)")
    sharp_ax.set_title("Sharpness against the stability limit")
    ratio_ax.set_ylabel(r"$\lambda_{\max}\,\eta/2$ (1: the edge)")
    ratio_ax.set_title("Sharpness ratio (shaded: the settled band)")
    return fig
