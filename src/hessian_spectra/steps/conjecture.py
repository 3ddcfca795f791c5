"""The figure and the numbers of the abstract's conjecture: the width sweep and the data
sweep of the blob network (`conjecture`, `plotting_conjecture`)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence

import numpy as np

from .. import conjecture, plotting, plotting_conjecture, storage

LOG = logging.getLogger(__name__)
PathLike = str | os.PathLike


def _measured(
    sweep: Mapping[str, Sequence[Mapping]],
) -> tuple[list[dict], dict[str, tuple[np.ndarray, int]]]:
    """Every run of a sweep measured (`conjecture.measure`), and the first run's spectrum
    and k of each label, to draw. The bulk's trace needs every eigenvalue: only full
    float64 spectra are accepted."""
    entries, drawn = [], {}
    for label, runs in sweep.items():
        for run in runs:
            values, attrs = storage.read_spectrum(run["spectrum"])
            if attrs.get("method") != "dense" or attrs.get("precision") != "float64":
                raise storage.ArtefactError(
                    f"spectrum {run['spectrum']} is not a full float64 spectrum "
                    f"({attrs.get('method')}, {attrs.get('precision')})"
                )
            n_classes = int(run["n_classes"])
            entries.append(
                {
                    "label": label,
                    "spectrum": str(run["spectrum"]),
                    "n_classes": n_classes,
                    "seed": int(run["seed"]),
                    **conjecture.measure(values, n_classes),
                }
            )
            drawn.setdefault(label, (values, n_classes))
    return entries, drawn


def figure_conjecture(
    width: Mapping[str, Sequence[Mapping]],
    data: Mapping[str, Sequence[Mapping]],
    figure: PathLike,
    png: PathLike,
    numbers: PathLike,
) -> None:
    """The figure (a PDF and the PNG `png` beside it) and its numbers (JSON) from the
    spectra of both sweeps. `width` and `data` map each setting's label, in sweep order
    (the width sweep from the smallest net), to its runs, one per seed: {"spectrum": path,
    "n_classes": k, "seed": s}; the first run of each label is drawn. The numbers:
    {"constants": the factors of the tests, "width" and "data": {"entries": one
    `conjecture.measure` per run with its label, spectrum, k and seed, **the sweep}}."""
    plotting.check_png_beside(figure, png)
    width_entries, width_drawn = _measured(width)
    data_entries, data_drawn = _measured(data)
    payload = {
        "constants": {
            "large_fraction": conjecture.LARGE_FRACTION,
            "outlier_stay_factor": conjecture.OUTLIER_STAY_FACTOR,
            "bulk_move_factor": conjecture.BULK_MOVE_FACTOR,
        },
        "width": {"entries": width_entries, **conjecture.width_sweep(width_entries)},
        "data": {"entries": data_entries, **conjecture.data_sweep(data_entries)},
    }
    plotting.save_figure(plotting_conjecture.conjecture_spectra(width_drawn, data_drawn), figure)
    storage.write_json(payload, numbers)
    LOG.info(
        "conjecture: width holds at %s of seeds %s, data at %s of seeds %s",
        payload["width"]["holds"],
        payload["width"]["seeds"],
        payload["data"]["holds"],
        payload["data"]["seeds"],
    )
