"""results/benchmarks.md: the wall time and peak memory of the workflow's jobs, per rule,
from the files of Snakemake's `benchmark:` directive (one TSV per job:
results/benchmarks/<rule>.tsv for a rule of one job, results/benchmarks/<rule>/<job>.tsv
otherwise). Standard library only."""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path

from .atomic import atomic_path


@dataclass(frozen=True)
class RuleBenchmarks:
    """What the benchmark files of one rule's jobs say together."""

    rule: str
    jobs: int
    total_s: float
    max_s: float
    max_rss_mb: float | None  # None where no job's memory was measured


def _number(text: str | None) -> float | None:
    """A measured value; Snakemake writes "-" or "NA" where it measured none."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def read_benchmarks(folder: str | os.PathLike) -> list[RuleBenchmarks]:
    """One entry per rule with benchmark files under `folder`, longest total first. A file
    with several rows (a `repeat()` benchmark) is one job measured several times: its mean
    wall time and its largest RSS count."""
    folder = Path(folder)
    runs: dict[str, list[tuple[float, float | None]]] = {}
    for path in sorted(folder.rglob("*.tsv")):
        relative = path.relative_to(folder)
        rule = relative.parts[0] if len(relative.parts) > 1 else relative.stem
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        seconds = [s for row in rows if (s := _number(row.get("s"))) is not None]
        if not seconds:
            continue
        rss = [m for row in rows if (m := _number(row.get("max_rss"))) is not None]
        runs.setdefault(rule, []).append((sum(seconds) / len(seconds), max(rss, default=None)))
    table = []
    for rule, jobs in runs.items():
        rss = [m for _, m in jobs if m is not None]
        table.append(
            RuleBenchmarks(
                rule=rule,
                jobs=len(jobs),
                total_s=sum(s for s, _ in jobs),
                max_s=max(s for s, _ in jobs),
                max_rss_mb=max(rss, default=None),
            )
        )
    return sorted(table, key=lambda entry: (-entry.total_s, entry.rule))


def render(table: list[RuleBenchmarks]) -> str:
    """The table in Markdown, with a last row over every rule."""
    lines = [
        "# Benchmarks",
        "",
        "Wall time and peak resident memory of the jobs, per rule, as Snakemake measured",
        "them (`benchmark:` files under results/benchmarks/, one per job, each from the job's",
        "last run, which may belong to an earlier build than the rest).",
        "",
        "| rule | jobs | total wall time (s) | max wall time (s) | max RSS (MB) |",
        "|---|---:|---:|---:|---:|",
    ]

    def rss(value: float | None) -> str:
        return "n/a" if value is None else f"{value:,.1f}"

    for entry in table:
        lines.append(
            f"| {entry.rule} | {entry.jobs} | {entry.total_s:,.1f} | {entry.max_s:,.1f} "
            f"| {rss(entry.max_rss_mb)} |"
        )
    if table:
        measured = [e.max_rss_mb for e in table if e.max_rss_mb is not None]
        lines.append(
            f"| **every rule** | {sum(e.jobs for e in table)} "
            f"| {sum(e.total_s for e in table):,.1f} | {max(e.max_s for e in table):,.1f} "
            f"| {rss(max(measured, default=None))} |"
        )
    else:
        lines.append("| (no benchmark files yet) | 0 | 0.0 | 0.0 | n/a |")
    return "\n".join(lines) + "\n"


def write_benchmarks_table(folder: str | os.PathLike, output: str | os.PathLike) -> None:
    """Render the benchmark files under `folder` (none yet is an empty table) to `output`."""
    folder = Path(folder)
    table = read_benchmarks(folder) if folder.is_dir() else []
    with atomic_path(output) as tmp:
        tmp.write_text(render(table))
