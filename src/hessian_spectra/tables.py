"""Table 1: one row per trained blob run, with the paper's counts beside ours."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence

import numpy as np

from . import paper, spectrum
from .atomic import atomic_path

COLUMNS = (
    "algorithm", "activation", "M", "cov", "n_classes",
    "mean", "std", "min", "max", "steps", "gradient_norm",
    "gap", "ratio", "heur", "cutoff", "above_paper_cutoff",
    "paper_gap", "paper_ratio", "paper_heur", "paper_cutoff",
)  # fmt: skip
COUNTERS = ("gap", "ratio", "heur")


def table1_row(
    eigenvalues: np.ndarray,
    *,
    algorithm: str,
    activation: str,
    n_classes: int,
    cov: float,
    steps: int,
    gradient_norm: float,
) -> dict:
    """Our statistics and counts of one spectrum, and the paper's where Table 1 has them;
    `steps` and `gradient_norm` say where its training stopped."""
    values = np.asarray(eigenvalues, dtype=np.float64)
    reference = paper.TABLE_1.get((algorithm, activation, n_classes, float(cov)), {})
    paper_cutoff = paper.elbow_cutoff(algorithm, activation, n_classes, cov)
    return {
        "algorithm": algorithm,
        "activation": activation,
        "M": int(values.size),
        "cov": float(cov),
        "n_classes": int(n_classes),
        "mean": float(values.mean()),
        "std": float(values.std()),
        "min": float(values.min()),
        "max": float(values.max()),
        "steps": int(steps),
        "gradient_norm": float(gradient_norm),
        **spectrum.outlier_counts(values),
        "above_paper_cutoff": (
            None if paper_cutoff is None else int((values > paper_cutoff).sum())
        ),
        **{f"paper_{key}": reference.get(key) for key in (*COUNTERS, "cutoff")},
    }


def write_csv(rows: Sequence[dict], path: str | os.PathLike) -> None:
    """Missing values (no elbow, no paper row) are empty cells."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({key: "" if row[key] is None else row[key] for key in COLUMNS})


def read_csv(path: str | os.PathLike) -> list[dict]:
    """Rows of `write_csv` with their types back (None for empty cells)."""
    integers = {
        "M",
        "n_classes",
        "steps",
        "above_paper_cutoff",
        *COUNTERS,
        *(f"paper_{c}" for c in COUNTERS),
    }
    texts = {"algorithm", "activation"}
    rows = []
    with open(path, newline="") as handle:
        for raw in csv.DictReader(handle):
            row = {}
            for key in COLUMNS:
                cell = raw[key]
                if key in texts:
                    row[key] = cell
                elif cell == "":
                    row[key] = None
                else:
                    row[key] = int(cell) if key in integers else float(cell)
            rows.append(row)
    return rows


def _paper_has_row(row: dict) -> bool:
    key = (row["algorithm"], row["activation"], row["n_classes"], float(row["cov"]))
    return key in paper.TABLE_1


def _count(row: dict, key: str) -> str:
    ours = "N/A" if row[key] is None else str(row[key])
    if not _paper_has_row(row):
        return ours
    theirs = row["paper_" + key]
    # The paper's missing counts are unreadable ratios ("?") or elbows it did not find.
    shown = str(theirs) if theirs is not None else ("N/A" if key == "heur" else "?")
    return f"{ours} ({shown})"


def _cutoff(row: dict) -> str:
    ours = "N/A" if row["cutoff"] is None else f"{row['cutoff']:.2g}"
    if not _paper_has_row(row):
        return ours
    theirs = "N/A" if row["paper_cutoff"] is None else f"{row['paper_cutoff']:g}"
    return f"{ours} ({theirs})"


def display_rows(rows: Iterable[dict]) -> list[list[str]]:
    """The table as strings: "ours (paper)" where the paper has the row."""
    out = []
    for row in rows:
        out.append([
            f"{row['algorithm'].upper()} {row['activation']}",
            str(row["M"]),
            f"{row['cov']:g}",
            f"{row['mean']:.2e}",
            f"{row['std']:.2e}",
            f"{row['steps']:,}",
            f"{row['gradient_norm']:.1e}",
            str(row["n_classes"]),
            *(_count(row, key) for key in COUNTERS),
            _cutoff(row),
            "N/A" if row["above_paper_cutoff"] is None else str(row["above_paper_cutoff"]),
        ])  # fmt: skip
    return out


HEADER = (
    "alg-act", "M", "cov", "mean", "std", "steps", "|grad|", "nc", "gap", "ratio", "heur", "cutoff",
    "> paper cutoff",
)  # fmt: skip


def to_markdown(rows: Sequence[dict]) -> str:
    lines = [
        "# Table 1: counting outliers of the Hessian spectrum",
        "",
        "One row per trained blob run. `x (y)`: our count x, the paper's y where Table 1 has",
        "that run (`?` unreadable in the source, `N/A` no elbow found). M = parameters,",
        "mean and std of all M eigenvalues, steps = training steps taken, |grad| = the",
        "full-batch gradient norm where training stopped, nc = number of clusters (the count",
        "to find).",
        "`> paper cutoff`: eigenvalues above the paper's own elbow cutoff for that run (its",
        "Table 1 row's, or the one cutoff its (alg, act, cov) group shares in the paper).",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" for _ in HEADER) + "|",
    ]
    lines += ["| " + " | ".join(cells) + " |" for cells in display_rows(rows)]
    return "\n".join(lines) + "\n"


def to_latex(rows: Sequence[dict]) -> str:
    def escape(text: str) -> str:
        return text.replace("_", r"\_")

    lines = [
        r"\begin{tabular}{l" + "r" * (len(HEADER) - 1) + "}",
        r"\toprule",
        " & ".join(HEADER) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(escape(cell) for cell in cells) + r" \\" for cells in display_rows(rows)]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def agreement(rows: Sequence[dict], key: str, tolerance: int = 0) -> tuple[int, int]:
    """How many rows count n_classes (k) to within `tolerance`, out of how many rows."""
    hits = sum(
        1 for row in rows if row[key] is not None and abs(row[key] - row["n_classes"]) <= tolerance
    )
    return hits, len(rows)
