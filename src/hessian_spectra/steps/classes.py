"""The figure and the numbers of G's class structure (Papyan 2019, 2020): each net's
Gauss-Newton term split into class means, cross-class means and within-class part
(`classes`, `plotting_classes`, `summary_classes`)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence

from .. import classes, plotting, plotting_classes, storage, summary_classes
from ..problems import Problem

LOG = logging.getLogger(__name__)
PathLike = str | os.PathLike


def figure_classes(
    nets: Sequence[Mapping], figure: PathLike, png: PathLike, numbers: PathLike
) -> None:
    """The figure (a PDF and the PNG `png` beside it) and its numbers (JSON) of `nets`, each
    {"label", "checkpoint", "dataset", "n_classes"}: the checkpoint's net on its dataset's
    training split. The numbers: {"constants": the thresholds of `summary_classes`, "nets":
    [{label, checkpoint, dataset, n_classes, **`classes.measure`}]}, in the order given
    (the seconds each net took go to the log, so equal inputs give equal files)."""
    plotting.check_png_beside(figure, png)
    entries = []
    for net in nets:
        start = time.perf_counter()
        problem = Problem.from_checkpoint(net["checkpoint"], net["dataset"])
        measured = classes.measure(problem, int(net["n_classes"]))
        entries.append(
            {
                "label": str(net["label"]),
                "checkpoint": str(net["checkpoint"]),
                "dataset": str(net["dataset"]),
                "n_classes": int(net["n_classes"]),
                **measured,
            }
        )
        LOG.info(
            "classes %s: M = %d, ranks means %d cross %d between %d, %d above "
            "lambda_max(G_within), largest log-gap after %d, largest angle %s deg (%.1f s)",
            net["label"], measured["M"], measured["means_rank"], measured["cross_rank"],
            measured["between_rank"], measured["above_within"],
            measured["largest_gap_position"], measured["largest_angle_deg"],
            time.perf_counter() - start,
        )  # fmt: skip
    plotting.save_figure(plotting_classes.classes_spectra(entries), figure)
    storage.write_json({"constants": summary_classes.constants(), "nets": entries}, numbers)
