"""Table 1, GD against SGD, results/summary.json and summary.md, and the config a run was
made with."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
import yaml

from .. import (
    basin,
    gd_vs_sgd,
    models,
    paper_comparison,
    sensitivity,
    storage,
    summary,
    summary_paper,
    tables,
)
from ..runs import BlobRun
from ..split import to_splits

PathLike = str | os.PathLike


def table1(
    runs: Sequence[Mapping],
    csv_output: PathLike,
    markdown_output: PathLike,
    latex_output: PathLike,
) -> None:
    """Table 1 from one spectrum per grid run and stop.

    Each entry of `runs` has the run's `algorithm`, `activation`, `n_classes`, `cov`,
    `seed`, `init`, its `stop` (the gradient tolerance, None for a run without one) and
    `point` (its checkpoint), the path of the `spectrum` there and of the run's training
    `history`, which says where the stop was passed.
    """
    rows = [_row(entry) for entry in runs]
    tables.write_csv(rows, csv_output)
    for text, path in (
        (tables.to_markdown(rows), markdown_output),
        (tables.to_latex(rows), latex_output),
    ):
        with storage.atomic_path(path) as tmp:
            tmp.write_text(text)


def _row(entry: Mapping) -> dict:
    """The Table 1 row of one run at one stop: `entry` as the rule table1 passes it."""
    values, _ = storage.read_spectrum(entry["spectrum"])
    history = storage.read_columns(entry["history"])
    step, norm = tables.stop_record(history, entry["stop"], entry["point"])
    fields = {key: entry[key] for key in tables.RUN_FIELDS}
    return tables.table1_row(values, **fields, steps=step, gradient_norm=norm)


def compare_variants(pairs: Sequence[Mapping], output: PathLike) -> None:
    """The sensitivity runs: for each {"variant", "base", "varied"} (each an entry as for
    `table1`, at one stop) the counters of both, and per variant how many moved. The
    setup's run at a stop is counted once, though every variant is set beside it."""
    base_rows = {}
    for pair in pairs:
        base = pair["base"]
        if base["spectrum"] not in base_rows:
            base_rows[base["spectrum"]] = _row(base)
    rows = [
        sensitivity.pair_row(
            pair["variant"], base_rows[pair["base"]["spectrum"]], _row(pair["varied"])
        )
        for pair in pairs
    ]
    storage.write_json({"rows": rows, "variants": sensitivity.summary_of(rows)}, output)


# Points of the straight line between the GD and SGD end points where the training loss is
# evaluated for the barrier (both ends included).
LINE_POINTS = 11


def compare_gd_and_sgd(pairs: Mapping[str, Mapping], output: PathLike) -> None:
    """results/gd_vs_sgd.json: `gd_vs_sgd.compare` per grid point and seed. Each entry of
    `pairs` has the point's `activation`, `n_classes`, `cov`, `seed`, the `dataset` both
    runs trained on and, per algorithm ("gd", "sgd"), the paths of its "init" and "final"
    checkpoints and its final "spectrum". The barrier is the training loss along the line
    between the two end points (`basin.evaluate_line`, LINE_POINTS points)."""

    def run(paths: Mapping[str, PathLike]) -> dict:
        final = storage.load_checkpoint(paths["final"])
        return {
            "init": storage.load_checkpoint(paths["init"])["parameters"].numpy(),
            "final": final["parameters"].numpy(),
            "steps": final["step"],
            "model": final["model"],
            "eigenvalues": storage.read_spectrum(paths["spectrum"])[0],
        }

    def line(entry: Mapping, gd: dict, sgd: dict) -> dict[str, float]:
        train, test = to_splits(storage.read_arrays(entry["dataset"])[0])
        coefficients = basin.line_coefficients(0.0, 1.0, LINE_POINTS)
        losses = basin.evaluate_line(
            models.build_model(gd["model"]), torch.from_numpy(gd["final"]),
            torch.from_numpy(sgd["final"]), coefficients, train, test, batch_size=len(train),
        )["train_loss"]  # fmt: skip
        ends = losses[coefficients == 0.0][0], losses[coefficients == 1.0][0]
        return {"barrier": basin.barrier(coefficients, losses), "end_loss": float(max(ends))}

    numbers = {}
    for name, entry in pairs.items():
        gd, sgd = run(entry["gd"]), run(entry["sgd"])
        numbers[name] = gd_vs_sgd.compare(
            gd, sgd, **line(entry, gd, sgd),
            **{key: entry[key] for key in ("activation", "n_classes", "cov", "seed")},
        )  # fmt: skip
    storage.write_json(numbers, output)


def compare_with_paper(
    runs: Sequence[Mapping],
    table_csv: PathLike,
    csv_output: PathLike,
    markdown_output: PathLike,
    near_k_output: PathLike,
) -> None:
    """results/table1_vs_paper.csv and .md, the paper's 19 rows beside ours at every seed
    and stop, with the group elbow of each (algorithm, activation, cov, stop, seed), and
    results/spectrum_near_k.json, keyed "<run name>/<point>": the top 2k + 5 eigenvalues
    of every grid run at every stop with the gaps after its (k - 1)-th and k-th. Each entry
    of `runs` has a grid run's fields (`runs.BlobRun`'s), its `stop` (the tolerance, None
    for a run without one), `point` (its checkpoint) and the `spectrum` there."""
    spectra, near = {}, {}
    for entry in runs:
        run = BlobRun(
            entry["algorithm"], entry["activation"], int(entry["n_classes"]),
            float(entry["cov"]), int(entry["seed"]), int(entry["init"]),
        )  # fmt: skip
        stop = None if entry["stop"] is None else float(entry["stop"])
        key = (*run.cell, run.seed, stop)
        spectra[key] = storage.read_spectrum(entry["spectrum"])[0]
        near[key] = (f"{run.name}/{entry['point']}",
                     run.fields() | {"stop": stop, "point": entry["point"]})  # fmt: skip
    group = paper_comparison.group_elbow_counts(spectra)
    rows = paper_comparison.paper_rows(tables.read_csv(table_csv), group)
    storage.write_rows(csv_output, rows, paper_comparison.COLUMNS)
    with storage.atomic_path(markdown_output) as tmp:
        tmp.write_text(summary_paper.to_markdown(rows))
    near_k = {
        name: paper_comparison.spectrum_near_k(spectra[key], key[2]) | group[key] | fields
        for key, (name, fields) in near.items()
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
    sensitivity_numbers: PathLike | None = None,
    conjecture_numbers: PathLike | None = None,
    mnist_fc_numbers: PathLike | None = None,
    mnist_conv_numbers: PathLike | None = None,
    mnist_roles: Mapping[str, str] | None = None,
    cifar_inputs: Mapping[str, PathLike] | None = None,
    beyond_numbers: Mapping[str, PathLike] | None = None,
) -> None:
    """results/summary.json (every claim with its verdict and numbers, `summary.build`) and
    summary.md rendered from it, from the table and the figures' numbers. `fig2` holds the
    fields of Fig. 2's runs, `mnist_roles` the role of each MNIST label, and `cifar_inputs`
    the paths "training", "line" (numbers) and "top_lb", "top_sb" (spectra), and
    `beyond_numbers` the numbers of the experiments beyond the paper by name
    (`summary.BEYOND_SECTIONS`)."""

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
        sensitivity=load(sensitivity_numbers),
        conjecture=load(conjecture_numbers),
        mnist_fc=load(mnist_fc_numbers),
        mnist_conv=load(mnist_conv_numbers),
        mnist_roles=mnist_roles,
        cifar=cifar,
        beyond={name: load(path) for name, path in (beyond_numbers or {}).items()},
    )
    storage.write_json(decided, json_output)
    with storage.atomic_path(markdown_output) as tmp:
        tmp.write_text(summary.render(decided))


def write_config(config: Mapping, output: PathLike) -> None:
    """The config a run was made with, as YAML: its record says which runs each figure
    selected."""
    with storage.atomic_path(output) as tmp:
        tmp.write_text(yaml.safe_dump(json.loads(json.dumps(config)), sort_keys=False))
