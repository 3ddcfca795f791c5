"""Table 1: one row per trained blob run, with the paper's counts beside ours."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from . import paper, spectrum
from .atomic import atomic_path

# What names a row: the run (runs.BlobRun's fields) and its stop.
RUN_FIELDS = ("algorithm", "activation", "n_classes", "cov", "seed", "init", "stop")
COLUMNS = (
    "algorithm", "activation", "M", "cov", "n_classes", "seed", "init", "stop",
    "mean", "std", "min", "max", "steps", "gradient_norm",
    "gap", "ratio", "heur", "cutoff", "above_paper_cutoff",
    "paper_gap", "paper_ratio", "paper_heur", "paper_cutoff",
)  # fmt: skip
COUNTERS = ("gap", "ratio", "heur")


def stop_record(history: Mapping[str, np.ndarray], tolerance: float | None, point: str):
    """The step and gradient norm of a run's evaluation at one stop: for "final" its last;
    for an earlier stop the first whose gradient norm is below `tolerance` (or its last, if
    none is: the run ended first and saved the stop there)."""
    steps, norms = history["step"], history["gradient_norm"]
    index = len(steps) - 1
    if point != "final":
        below = np.flatnonzero(np.asarray(norms[1:]) < tolerance)  # evaluations after step 0
        index = int(below[0]) + 1 if below.size else index
    return int(steps[index]), float(norms[index])


def table1_row(
    eigenvalues: np.ndarray,
    *,
    algorithm: str,
    activation: str,
    n_classes: int,
    cov: float,
    seed: int,
    init: int,
    stop: float | None,
    steps: int,
    gradient_norm: float,
) -> dict:
    """Our statistics and counts of one spectrum, and the paper's where Table 1 has them;
    the run is named by its fields, seed and init, `stop` is the gradient tolerance whose
    checkpoint it is, and `steps` and `gradient_norm` say where training was then."""
    values = np.asarray(eigenvalues, dtype=np.float64)
    reference = paper.TABLE_1.get((algorithm, activation, n_classes, float(cov)), {})
    paper_cutoff = paper.elbow_cutoff(algorithm, activation, n_classes, cov)
    return {
        "algorithm": algorithm,
        "activation": activation,
        "M": int(values.size),
        "cov": float(cov),
        "n_classes": int(n_classes),
        "seed": int(seed),
        "init": int(init),
        "stop": None if stop is None else float(stop),
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
        "seed",
        "init",
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


def _spread(values: Sequence[float | None], fmt: str = "g") -> str:
    """Values over the seeds of a cell: the one value, or the median with the range
    ("4 [3-5]"); N/A for a seed without a value makes the cell N/A when all are."""
    known = [v for v in values if v is not None]
    if not known:
        return "N/A"
    low, middle, high = min(known), float(np.median(known)), max(known)
    text = format(middle, fmt) if len(set(known)) > 1 else format(known[0], fmt)
    if len(set(known)) > 1:
        text += f" [{format(low, fmt)}-{format(high, fmt)}]"
    if len(known) < len(values):
        text += f" ({len(values) - len(known)} N/A)"
    return text


def _count(rows: Sequence[dict], key: str) -> str:
    ours = _spread([row[key] for row in rows])
    if not _paper_has_row(rows[0]):
        return ours
    theirs = rows[0]["paper_" + key]
    # The paper's missing counts are unreadable ratios ("?") or elbows it did not find.
    shown = str(theirs) if theirs is not None else ("N/A" if key == "heur" else "?")
    return f"{ours} ({shown})"


def _cutoff(rows: Sequence[dict]) -> str:
    ours = _spread([row["cutoff"] for row in rows], ".2g")
    if not _paper_has_row(rows[0]):
        return ours
    theirs = "N/A" if rows[0]["paper_cutoff"] is None else f"{rows[0]['paper_cutoff']:g}"
    return f"{ours} ({theirs})"


def cells(rows: Iterable[dict]) -> dict[tuple, list[dict]]:
    """The rows by cell and stop (algorithm, activation, k, cov, stop), each list holding
    the cell's seeds, in the order the cells first appear."""
    grouped: dict[tuple, list[dict]] = {}
    for row in rows:
        key = (row["algorithm"], row["activation"], row["n_classes"], row["cov"], row["stop"])
        grouped.setdefault(key, []).append(row)
    return grouped


def display_rows(rows: Iterable[dict]) -> list[list[str]]:
    """The table as strings, one line per cell and stop over its seeds: "ours (paper)"
    where the paper has the row, ours as the median and range over seeds."""
    out = []
    for (alg, act, k, cov, stop), seeds in cells(rows).items():
        out.append([
            f"{alg.upper()} {act}",
            str(seeds[0]["M"]),
            f"{cov:g}",
            "end" if stop is None else f"{stop:g}",
            str(len(seeds)),
            _spread([r["mean"] for r in seeds], ".2e"),
            _spread([r["steps"] for r in seeds], ","),
            _spread([r["gradient_norm"] for r in seeds], ".1e"),
            str(k),
            *(_count(seeds, key) for key in COUNTERS),
            _cutoff(seeds),
            _spread([r["above_paper_cutoff"] for r in seeds]),
        ])  # fmt: skip
    return out


HEADER = (
    "alg-act", "M", "cov", "stop", "seeds", "mean", "steps", "|grad|", "nc", "gap", "ratio",
    "heur", "cutoff", "> paper cutoff",
)  # fmt: skip


def to_markdown(rows: Sequence[dict]) -> str:
    lines = [
        "# Table 1: counting outliers of the Hessian spectrum",
        "",
        "One line per cell of the grid and stop of its training, over the cell's seeds: a",
        "single value where every seed gives it, else the median [smallest-largest].",
        "`x (y)`: our count x, the paper's y where Table 1 has that cell (`?` unreadable",
        "in the source, `N/A` no elbow found). M = parameters, stop = the gradient-norm",
        "tolerance whose checkpoint is counted (`end`: a run without one), mean of all M",
        "eigenvalues, steps = training steps taken to the stop, |grad| = the full-batch",
        "gradient norm there, nc = number of clusters (the count to find).",
        "`> paper cutoff`: eigenvalues above the paper's own elbow cutoff for that cell (its",
        "Table 1 row's, or the one cutoff its (alg, act, cov) group shares in the paper).",
        "results/table1.csv has every run's row.",
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
