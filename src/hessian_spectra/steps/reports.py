"""Table 1 and results/summary.md."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from .. import storage, summary, tables

PathLike = str | os.PathLike


def table1(
    spectra: Sequence[Mapping],
    csv_output: PathLike,
    markdown_output: PathLike,
    latex_output: PathLike,
) -> None:
    """Table 1 from one spectrum per grid point.

    Each entry of `spectra` has the run's `algorithm`, `activation`, `n_classes`, `cov`
    and the `path` of its spectrum file.
    """
    rows = []
    for entry in spectra:
        values, _ = storage.read_spectrum(entry["path"])
        rows.append(
            tables.table1_row(
                values,
                algorithm=entry["algorithm"],
                activation=entry["activation"],
                n_classes=entry["n_classes"],
                cov=entry["cov"],
            )
        )
    tables.write_csv(rows, csv_output)
    for text, path in (
        (tables.to_markdown(rows), markdown_output),
        (tables.to_latex(rows), latex_output),
    ):
        with storage.atomic_path(path) as tmp:
            tmp.write_text(text)


def write_summary(
    table_csv: PathLike,
    logistic_numbers: PathLike,
    gauss_newton_numbers: PathLike,
    output: PathLike,
    *,
    mnist_fc_numbers: PathLike | None = None,
    mnist_conv_numbers: PathLike | None = None,
    cifar_inputs: Mapping[str, PathLike] | None = None,
) -> None:
    """results/summary.md from the table and the figures' numbers; `cifar_inputs` holds
    the paths "training", "line" (numbers) and "top_lb", "top_sb" (spectra)."""

    def load(path):
        return None if path is None else json.loads(Path(path).read_text())

    cifar = None
    if cifar_inputs:
        cifar = {
            "training": load(cifar_inputs["training"]),
            "line": load(cifar_inputs["line"]),
            **{
                key: float(storage.read_spectrum(cifar_inputs[key])[0][-1])
                for key in ("top_lb", "top_sb")
            },
        }
    text = summary.render(
        tables.read_csv(table_csv),
        load(logistic_numbers),
        load(gauss_newton_numbers),
        load(mnist_fc_numbers),
        load(mnist_conv_numbers),
        cifar,
    )
    with storage.atomic_path(output) as tmp:
        tmp.write_text(text)
