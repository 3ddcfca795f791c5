"""Table 1, GD against SGD, results/summary.json and summary.md, and the config a run was
made with."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from .. import gd_vs_sgd, paper_comparison, storage, summary, tables
from ..runs import BlobRun

PathLike = str | os.PathLike


def table1(
    runs: Sequence[Mapping],
    csv_output: PathLike,
    markdown_output: PathLike,
    latex_output: PathLike,
) -> None:
    """Table 1 from one spectrum per grid point.

    Each entry of `runs` has the run's `algorithm`, `activation`, `n_classes`, `cov`, the
    path of its final `spectrum` and of its training `history` (whose last record is where
    training stopped).
    """
    rows = []
    for entry in runs:
        values, _ = storage.read_spectrum(entry["spectrum"])
        history = storage.read_columns(entry["history"])
        rows.append(
            tables.table1_row(
                values,
                algorithm=entry["algorithm"],
                activation=entry["activation"],
                n_classes=entry["n_classes"],
                cov=entry["cov"],
                steps=int(history["step"][-1]),
                gradient_norm=float(history["gradient_norm"][-1]),
            )
        )
    tables.write_csv(rows, csv_output)
    for text, path in (
        (tables.to_markdown(rows), markdown_output),
        (tables.to_latex(rows), latex_output),
    ):
        with storage.atomic_path(path) as tmp:
            tmp.write_text(text)


def compare_gd_and_sgd(pairs: Mapping[str, Mapping], output: PathLike) -> None:
    """results/gd_vs_sgd.json: `gd_vs_sgd.compare` per grid point. Each entry of `pairs`
    has the point's `activation`, `n_classes`, `cov` and, per algorithm ("gd", "sgd"), the
    paths of its "init" and "final" checkpoints and its final "spectrum"."""

    def run(paths: Mapping[str, PathLike]) -> dict:
        final = storage.load_checkpoint(paths["final"])
        return {
            "init": storage.load_checkpoint(paths["init"])["parameters"].numpy(),
            "final": final["parameters"].numpy(),
            "steps": final["step"],
            "eigenvalues": storage.read_spectrum(paths["spectrum"])[0],
        }

    numbers = {
        name: gd_vs_sgd.compare(
            run(entry["gd"]),
            run(entry["sgd"]),
            activation=entry["activation"],
            n_classes=entry["n_classes"],
            cov=entry["cov"],
        )
        for name, entry in pairs.items()
    }
    storage.write_json(numbers, output)


def compare_with_paper(
    runs: Sequence[Mapping],
    table_csv: PathLike,
    csv_output: PathLike,
    markdown_output: PathLike,
    near_k_output: PathLike,
) -> None:
    """results/table1_vs_paper.csv and .md, the paper's 19 rows beside ours with the group
    elbow of each (algorithm, activation, cov), and results/spectrum_near_k.json, the top
    2k + 5 eigenvalues of every grid run with the gaps after its (k - 1)-th and k-th. Each
    entry of `runs` has a grid run's fields and its final `spectrum`."""
    spectra = {
        (entry["algorithm"], entry["activation"], entry["n_classes"], float(entry["cov"])):
        storage.read_spectrum(entry["spectrum"])[0]
        for entry in runs
    }  # fmt: skip
    group = paper_comparison.group_elbow_counts(spectra)
    rows = paper_comparison.paper_rows(tables.read_csv(table_csv), group)
    storage.write_rows(csv_output, rows, paper_comparison.COLUMNS)
    with storage.atomic_path(markdown_output) as tmp:
        tmp.write_text(paper_comparison.to_markdown(rows))
    near_k = {
        BlobRun(*key).name: paper_comparison.spectrum_near_k(values, key[2]) | group[key]
        for key, values in spectra.items()
    }
    storage.write_json(near_k, near_k_output)


def write_summary(
    table_csv: PathLike,
    logistic_numbers: PathLike,
    gauss_newton_numbers: PathLike,
    json_output: PathLike,
    markdown_output: PathLike,
    *,
    gradient_tolerances: Mapping[str, float | None],
    fig2: Sequence[Mapping],
    gd_vs_sgd_numbers: PathLike | None = None,
    paper_rows: PathLike | None = None,
    near_k_numbers: PathLike | None = None,
    mnist_fc_numbers: PathLike | None = None,
    mnist_conv_numbers: PathLike | None = None,
    mnist_roles: Mapping[str, str] | None = None,
    cifar_inputs: Mapping[str, PathLike] | None = None,
) -> None:
    """results/summary.json (every claim with its verdict and numbers, `summary.build`) and
    summary.md rendered from it, from the table and the figures' numbers. `fig2` holds the
    fields of Fig. 2's runs, `mnist_roles` the role of each MNIST label, and `cifar_inputs`
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
    decided = summary.build(
        tables.read_csv(table_csv),
        load(logistic_numbers),
        load(gauss_newton_numbers),
        gradient_tolerances=gradient_tolerances,
        fig2=fig2,
        gd_vs_sgd=load(gd_vs_sgd_numbers),
        paper_rows=None if paper_rows is None else paper_comparison.read_rows(paper_rows),
        near_k=load(near_k_numbers),
        mnist_fc=load(mnist_fc_numbers),
        mnist_conv=load(mnist_conv_numbers),
        mnist_roles=mnist_roles,
        cifar=cifar,
    )
    storage.write_json(decided, json_output)
    with storage.atomic_path(markdown_output) as tmp:
        tmp.write_text(summary.render(decided))


def write_config(config: Mapping, output: PathLike) -> None:
    """The config a run was made with, as YAML: its record says which runs each figure
    selected."""
    with storage.atomic_path(output) as tmp:
        tmp.write_text(yaml.safe_dump(json.loads(json.dumps(config)), sort_keys=False))
