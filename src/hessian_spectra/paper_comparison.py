"""Table 1 against the paper on the paper's own rows, both sides scored the same way.

The paper lists 19 of the 40 grid points. For each we put its counts, elbow cutoff and
mean eigenvalue beside ours at every seed and stop, and score both columns against k by
the same rules: exact, and within one (the paper marks +-1 as near-hits); the paper's
once per row, ours pooled over rows x seeds (Wilson interval, per-seed range). Made
numbers here: its "heur" as it evidently was, one elbow of each (algorithm, activation,
cov) group's pooled scree plot (`group_elbow_counts`, per stop and seed; the per-spectrum
knee stays beside it, "kneed"); constant offsets between its columns and ours
(`offsets`); the stop whose mean eigenvalue matches the paper's (`chosen_stop`), the only
one where its absolute cutoffs are applied; the top 2k + 5 eigenvalues with the gaps
after the (k - 1)-th and k-th (`spectrum_near_k`, pooled by `drops`); and whether the
paper's columns read as k - 1 or k plus their offsets (`k_minus_one_reading`). Numpy
only; `summary_paper` words the numbers (results/table1_vs_paper.md and the summary's
section).
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from . import paper, spectrum

COUNTERS = ("gap", "ratio", "heur")
Stop = float | None  # a gradient tolerance; None for runs without one


def cell_of(row: Mapping) -> tuple[str, str, int, float]:
    """The paper's Table 1 row that a row is of: algorithm, activation, k, cov."""
    return (row["algorithm"], row["activation"], row["n_classes"], float(row["cov"]))


def run_key(row: Mapping) -> tuple:
    """A run at a stop: its cell, seed and stop."""
    return (*cell_of(row), row["seed"], row["stop"])


def stop_words(stop: Stop) -> str:
    """A stop in words, for tables and text."""
    return "end of training" if stop is None else f"gradient norm < {stop:g}"


def by_stop(rows: Sequence[Mapping]) -> dict[Stop, list[Mapping]]:
    """The rows of each stop, largest tolerance first."""
    stops = sorted({r["stop"] for r in rows}, key=lambda s: (s is None, -(s or 0.0)))
    return {stop: [r for r in rows if r["stop"] == stop] for stop in stops}


def by_cell(rows: Sequence[Mapping]) -> dict[tuple, list[Mapping]]:
    """The rows of each cell (its seeds), in the rows' order."""
    cells: dict[tuple, list[Mapping]] = {}
    for row in rows:
        cells.setdefault(cell_of(row), []).append(row)
    return cells


def _median(values) -> float | None:
    found = [v for v in values if v is not None]
    return float(np.median(found)) if found else None


def group_elbow_counts(spectra: Mapping[tuple, np.ndarray]) -> dict[tuple, dict]:
    """Per run key (algorithm, activation, k, cov, ...): the cutoff of its group's pooled
    elbow and its count above it. A group is the key less its k (one stop of one seed);
    the knee of its pooled spectra is its one cutoff, as the paper set one by eye."""
    groups: dict[tuple, list] = {}
    for key, values in spectra.items():
        groups.setdefault((key[0], key[1], *key[3:]), []).append(np.asarray(values))
    cutoffs = {group: spectrum.elbow(np.concatenate(members)).cutoff
               for group, members in groups.items()}  # fmt: skip
    counts = {}
    for key, values in spectra.items():
        cutoff = cutoffs[(key[0], key[1], *key[3:])]
        count = None if cutoff is None else int((np.asarray(values) > cutoff).sum())
        counts[key] = {"group_cutoff": cutoff, "group_heur": count}
    return counts


def spectrum_near_k(eigenvalues: np.ndarray, n_classes: int) -> dict:
    """The top 2k + 5 eigenvalues (descending), and whether the drop to the bulk comes
    after the k-th or the (k - 1)-th (softmax leaves k - 1 class directions): the gaps
    below each, relative to the largest gap, and the ratios across them."""
    values = np.sort(np.asarray(eigenvalues, dtype=np.float64))[::-1]
    k = n_classes
    gaps = values[:-1] - values[1:]
    largest = float(gaps.max())

    def across(i: int) -> tuple[float, float]:  # between the i-th and (i + 1)-th, 1-based
        ratio = values[i - 1] / values[i] if values[i] > 0 else float("inf")
        return float(gaps[i - 1] / largest), float(ratio)

    gap_k, ratio_k = across(k)
    gap_k1, ratio_k1 = across(k - 1) if k > 1 else (0.0, 1.0)
    return {
        "top": values[: 2 * k + 5].tolist(),
        "largest_gap_after": int(np.argmax(gaps)) + 1,
        "gap_after_k": gap_k,
        "gap_after_k_minus_1": gap_k1,
        "ratio_after_k": ratio_k,
        "ratio_after_k_minus_1": ratio_k1,
        "drop_after": k if ratio_k >= ratio_k1 else k - 1,
    }


def paper_rows(rows: Sequence[Mapping], group: Mapping) -> list[dict]:
    """The paper's runs beside ours: by stop, then in the paper's order, then by seed.
    `rows` are Table 1's (tables.table1_row), `group` the output of `group_elbow_counts`
    keyed by `run_key`."""
    ours = {run_key(r): r for r in rows}
    out = []
    for stop, at_stop in by_stop(rows).items():
        for cell, theirs in paper.TABLE_1.items():
            for seed in sorted({r["seed"] for r in at_stop}):
                if (key := (*cell, seed, stop)) not in ours:
                    continue
                row = ours[key]
                out.append({
                    "algorithm": cell[0], "activation": cell[1], "n_classes": cell[2],
                    "cov": cell[3], "seed": seed, "stop": stop, "M": row["M"],
                    **{f"paper_{c}": theirs[c] for c in COUNTERS},
                    "gap": row["gap"], "ratio": row["ratio"],
                    "heur": group[key]["group_heur"], "kneed": row["heur"],
                    "paper_cutoff": theirs["cutoff"], "group_cutoff": group[key]["group_cutoff"],
                    "above_paper_cutoff": row["above_paper_cutoff"], "max": row["max"],
                    "paper_mean": theirs["mean"], "mean": row["mean"],
                    "mean_ratio": theirs["mean"] / row["mean"] if row["mean"] else None,
                })  # fmt: skip
    return out


def wilson_interval(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a hit rate hits / n (95 % at z = 1.96); it stays in
    [0, 1] and is not empty at 0 / n or n / n, where the normal one is. (0, 1) for n = 0."""
    if n == 0:
        return (0.0, 1.0)
    p, z2 = hits / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def chosen_stop(rows: Sequence[Mapping]) -> dict:
    """The stop that compares with the paper: where the median over rows and seeds of
    |log(paper mean / our mean)| is smallest (ties: the smallest tolerance). Returns it
    ("stop"), that median per stop ("medians") and the median paper / ours ("ratios")."""
    medians, ratios = {}, {}
    for stop, at_stop in by_stop(rows).items():
        ratio = [r["mean_ratio"] for r in at_stop]
        logs = [abs(math.log(q)) if q is not None and q > 0 else math.inf for q in ratio]
        medians[stop], ratios[stop] = float(np.median(logs)), _median(ratio)
    stop = min(medians, key=lambda s: (medians[s], math.inf if s is None else s), default=None)
    return {"stop": stop, "medians": medians, "ratios": ratios}


def _hits(value, k: int, slack: int) -> bool:
    return value is not None and abs(value - k) <= slack


def _rate(rows: Sequence[Mapping], counter: str) -> dict:
    """One counter at one stop: the paper once per row, ours per row and seed (a seed
    where ours found no count is a miss, `ours_none` says how many)."""
    theirs = f"paper_{counter}" if counter in COUNTERS else "paper_heur"
    scored = [r for r in rows if r[theirs] is not None]
    cells, seeds = by_cell(scored), sorted({r["seed"] for r in scored})
    rate = {"rows": len(cells), "seeds": len(seeds), "ours_n": len(scored),
            "ours_none": sum(r[counter] is None for r in scored)}  # fmt: skip
    for name, slack in (("exact", 0), ("within_one", 1)):
        rate[f"paper_{name}"] = sum(
            _hits(m[0][theirs], m[0]["n_classes"], slack) for m in cells.values()
        )
        hits = sum(_hits(r[counter], r["n_classes"], slack) for r in scored)
        per_seed = [
            sum(_hits(r[counter], r["n_classes"], slack) for r in scored if r["seed"] == seed)
            for seed in seeds
        ]
        rate[f"ours_{name}"] = hits
        rate[f"ours_{name}_interval"] = wilson_interval(hits, len(scored))
        rate[f"ours_{name}_per_seed"] = (min(per_seed, default=0), max(per_seed, default=0))
    return rate


def hit_rates(rows: Sequence[Mapping]) -> dict[Stop, dict[str, dict]]:
    """Per stop and counter, on the rows where the paper gives a count: how often the
    paper's and ours equal k, and are within one of k. The count above the paper's own
    cutoff ("above_paper_cutoff") only at the chosen stop: absolute cutoffs transfer only
    at the paper's scale."""
    chosen = chosen_stop(rows)["stop"]
    return {
        stop: {
            counter: _rate(at_stop, counter)
            for counter in (*COUNTERS, "kneed", "above_paper_cutoff")
            if counter != "above_paper_cutoff" or stop == chosen
        }
        for stop, at_stop in by_stop(rows).items()
    }


def scale(rows: Sequence[Mapping]) -> dict[Stop, dict]:
    """Per stop, the paper's mean eigenvalue over ours, each row's the median over its
    seeds: their range over the rows and over the GD rows (None without any), and in how
    many rows with a paper cutoff it lies at or above our largest eigenvalue (median over
    seeds)."""
    out = {}
    for stop, at_stop in by_stop(rows).items():
        cells = by_cell(at_stop)
        ratio = {c: _median(r["mean_ratio"] for r in m) for c, m in cells.items()}
        found = [v for v in ratio.values() if v is not None]
        gd = [v for c, v in ratio.items() if c[0] == "gd" and v is not None]
        cut = [m for m in cells.values() if m[0]["paper_cutoff"] is not None]
        out[stop] = {
            "rows": len(cells),
            "smallest": min(found, default=None), "largest": max(found, default=None),
            "gd_smallest": min(gd, default=None), "gd_largest": max(gd, default=None),
            "cutoff_rows": len(cut),
            "cutoffs_above_top": sum(
                m[0]["paper_cutoff"] >= _median(r["max"] for r in m) for m in cut
            ),
        }  # fmt: skip
    return out


def offsets(rows: Sequence[Mapping]) -> dict[Stop, dict[str, dict]]:
    """Per stop and counter: the most common difference paper - ours over rows x seeds,
    in how many of those where both give a count it holds, and of how many."""
    found: dict[Stop, dict] = {}
    for stop, at_stop in by_stop(rows).items():
        found[stop] = {}
        for counter in COUNTERS:
            differences = [
                r[f"paper_{counter}"] - r[counter]
                for r in at_stop
                if r[f"paper_{counter}"] is not None and r[counter] is not None
            ]
            if differences:
                offset, count = Counter(differences).most_common(1)[0]
                found[stop][counter] = {"offset": offset, "rows": count, "of": len(differences)}
    return found


def k_minus_one_reading(rows: Sequence[Mapping], stop: Stop) -> dict[str, dict]:
    """Per counter, whether the paper's column reads as k - 1 (the class directions softmax
    leaves) plus its offset against ours at `stop`, or as k plus it: in how many of the
    paper's rows (each once, whatever the seeds) its count is k - 1 + offset, k + offset,
    and of how many rows with a count."""
    cells = {cell_of(r): r for r in by_stop(rows)[stop]}
    found = {}
    for counter, entry in offsets(rows)[stop].items():
        offset = entry["offset"]
        counted = [(r["n_classes"], r[f"paper_{counter}"])
                   for r in cells.values() if r[f"paper_{counter}"] is not None]  # fmt: skip
        found[counter] = {
            "offset": offset,
            "k_minus_1": sum(count == k - 1 + offset for k, count in counted),
            "k": sum(count == k + offset for k, count in counted),
            "of": len(counted),
        }
    return found


def drops(near_k: Mapping, rows: Sequence[Mapping], stop: Stop) -> dict | None:
    """Where the drop to the bulk comes at `stop`, over the runs of `rows` (rows x seeds):
    after the (k - 1)-th eigenvalue in how many (`spectrum_near_k`'s drop_after), and the
    median gaps below the k-th and the (k - 1)-th relative to the largest gap; None where
    `near_k` holds none of them."""
    wanted = {(*cell_of(r), r["seed"]) for r in rows}
    found = [e for e in near_k.values()
             if e["stop"] == stop and (*cell_of(e), e["seed"]) in wanted]  # fmt: skip
    if not found:
        return None
    return {
        "after_k_minus_1": sum(e["drop_after"] == e["n_classes"] - 1 for e in found),
        "runs": len(found),
        "gap_after_k": float(np.median([e["gap_after_k"] for e in found])),
        "gap_after_k_minus_1": float(np.median([e["gap_after_k_minus_1"] for e in found])),
    }


COLUMNS = (
    "algorithm", "activation", "M", "cov", "n_classes", "seed", "stop",
    "paper_gap", "gap", "paper_ratio", "ratio", "paper_heur", "heur", "kneed",
    "paper_cutoff", "group_cutoff", "above_paper_cutoff", "max",
    "paper_mean", "mean", "mean_ratio",
)  # fmt: skip
_TEXT = {"algorithm", "activation"}
_FLOATS = {"cov", "stop", "paper_cutoff", "group_cutoff", "max", "paper_mean", "mean",
           "mean_ratio"}  # fmt: skip


def read_rows(path) -> list[dict]:
    """The rows of results/table1_vs_paper.csv with their types (None for empty cells)."""

    def typed(key: str, cell: str):
        if key in _TEXT or cell == "":
            return cell if key in _TEXT else None
        return float(cell) if key in _FLOATS else int(cell)

    with open(path, newline="") as handle:
        return [
            {key: typed(key, cell) for key, cell in row.items()} for row in csv.DictReader(handle)
        ]
