"""results/summary.json and summary.md: each claim of the paper the workflow tests, with
our numbers.

A claim is marked as holding only when the number next to it shows it, by the test written
beside it; otherwise it is marked as not holding, or as mixed. `build` decides every claim
and keeps it with its numbers (summary.json); `render` words the result (summary.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from . import (
    summary_blobs,
    summary_classes,
    summary_density,
    summary_networks,
    summary_paper,
    summary_theory,
    summary_trajectories,
)
from .gd_vs_sgd import ONE_BASIN_BARRIER, ONE_BASIN_DISTANCE, one_basin
from .summary_conjecture import conjecture_lines
from .summary_sensitivity import sensitivity_lines
from .verdicts import ENGINE_CHECK, Claims

# The sections beyond the paper (docs/beyond.md), in summary.md's order, each by the name of
# its numbers (results/<name>.json).
BEYOND_SECTIONS = {
    "classes": summary_classes.classes_lines,
    "subspace": summary_trajectories.subspace_lines,
    "stability": summary_trajectories.stability_lines,
    "density": summary_density.density_lines,
}

# Sagun et al. (2014), quoted in Sec. 4: with one step size GD and SGD "reach the same loss
# value at the same number of iterations". "The same" is read as within 10 %.
SAME_STEPS_LIMIT = 0.1


def _spread(values: Sequence[float], form: str) -> str:
    """One value as it is; several as 'median (lowest-highest)'."""
    if len(values) == 1:
        return format(values[0], form)
    low, high = format(min(values), form), format(max(values), form)
    return f"{format(float(np.median(values)), form)} ({low}-{high})"


def _counts(values: Sequence[int]) -> str:
    return str(min(values)) if min(values) == max(values) else f"{min(values)}-{max(values)}"


def _gd_vs_sgd_lines(claims: Claims, pairs: Mapping) -> list[str]:
    """GD against SGD from one start, one table row per grid point over its seeds; the
    one-basin test is `gd_vs_sgd.one_basin` (end-point distance and loss barrier)."""
    entries = sorted(
        pairs.values(), key=lambda e: (e["activation"], e["n_classes"], e["cov"], e["seed"])
    )
    points: dict[tuple, list[Mapping]] = {}
    for entry in entries:
        points.setdefault((entry["activation"], entry["n_classes"], entry["cov"]), []).append(entry)
    seeds = len(entries) // len(points)
    lines = [
        "## GD and SGD from the same start (Secs. 1 and 4)",
        "",
        "One row per grid point, "
        + ("one seed" if seeds == 1 else f"over its {seeds} seeds: median (lowest-highest)")
        + ". Distance: from SGD's end point to GD's, over the distance "
        "GD travelled (start to end); barrier: the largest training loss on the straight line "
        "between the end points less the larger end-point loss, over that loss; difference: "
        "the largest rank-wise difference of the two spectra over lambda_max(GD); gap: the "
        "count above the largest gap, GD; SGD.",
        "",
        "| act | k | cov | steps GD | steps SGD / GD | distance | barrier | lambda_max SGD / GD "
        "| difference | gap GD; SGD | same gap | one basin |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for (act, k, cov), group in points.items():
        n = len(group)
        lines.append(
            f"| {act} | {k} | {cov:g} | {_spread([e['steps_gd'] for e in group], ',.0f')} | "
            f"{_spread([e['steps_sgd'] / e['steps_gd'] for e in group], '.3f')} | "
            f"{_spread([e['relative_distance'] for e in group], '.3f')} | "
            f"{_spread([e['barrier'] / e['end_loss'] for e in group], '.1e')} | "
            f"{_spread([e['max_sgd'] / e['max_gd'] for e in group], '.3f')} | "
            f"{_spread([e['spectrum_difference'] for e in group], '.3f')} | "
            f"{_counts([e['gap_gd'] for e in group])}; {_counts([e['gap_sgd'] for e in group])} | "
            f"{sum(e['gap_gd'] == e['gap_sgd'] for e in group)}/{n} | "
            f"{sum(one_basin(e) for e in group)}/{n} |"
        )
    same_start = [e["same_start"] for e in entries]
    same_steps = [
        abs(e["steps_sgd"] - e["steps_gd"]) <= SAME_STEPS_LIMIT * e["steps_gd"] for e in entries
    ]
    distances = [e["relative_distance"] for e in entries]
    barriers = [e["barrier"] / e["end_loss"] for e in entries]
    basin = [one_basin(e) for e in entries]
    differences = [e["spectrum_difference"] for e in entries]
    same_gap = [e["gap_gd"] == e["gap_sgd"] for e in entries]
    start = "the same initial point" if all(same_start) else "different initial points"
    limit = ONE_BASIN_DISTANCE
    return lines + [
        "",
        f"Both algorithms start from {start} (each pair from GD's initialisation, an engine "
        "check: "
        + claims.decide_over(
            "GD and SGD of each pair start from one point", same_start, ENGINE_CHECK
        )
        + f", {sum(same_start)}/{len(entries)} pairs) with the same step size and stop at the "
        "same full-batch gradient tolerance. Claim (Sagun et al. 2014, quoted in Sec. 4): "
        "with the same step size they reach the same loss in the same number of iterations: "
        + claims.decide_over(
            "GD and SGD with one step size reach the tolerance in the same number of steps",
            same_steps,
            limit=SAME_STEPS_LIMIT,
        )
        + f" ({sum(same_steps)}/{len(entries)} pairs within {SAME_STEPS_LIMIT:.0%} in steps "
        "to the tolerance).",
        "",
        "Claim (Sec. 4): SGD locates the solution GD does, one basin. Test, set in advance: "
        f"SGD ends less than {limit:g} of the distance GD travelled from GD's end point (end "
        "points of equally long, orthogonal paths from one start lie 1.41 apart), and the "
        "training loss on the straight line between the end points rises at most "
        f"{ONE_BASIN_BARRIER:.0%} above the larger end-point loss: "
        + claims.decide_over(
            "GD and SGD from one start end in one basin (end-point distance and barrier)",
            basin,
            limit=limit,
            barrier_limit=ONE_BASIN_BARRIER,
            median=float(np.median(distances)),
            largest=max(distances),
            largest_barrier=max(barriers),
        )
        + f" ({sum(basin)}/{len(entries)} pairs; distance median {np.median(distances):.3f}, "
        f"largest {max(distances):.3f}; barrier at most {max(barriers):.1e} of the end-point "
        "loss).",
        "",
        f"The two spectra differ rank by rank by at most {max(differences):.3f} of "
        f"lambda_max(GD) (median {np.median(differences):.3f}). Claim: GD and SGD from one "
        "start count the same outliers above the largest gap: "
        + claims.decide_over("GD and SGD from one start count the same outliers", same_gap)
        + f" ({sum(same_gap)}/{len(entries)} pairs).",
        "",
    ]


TITLE = "Paper claims against this reproduction"
INTRO = (
    "Generated by the workflow (rule `summary`) from results/table1.csv and the numbers "
    "files of the figures (results/*.json); every verdict below is computed from the "
    "numbers beside it."
)


def build(
    rows: Sequence[dict],
    logistic: Mapping,
    gauss_newton: Mapping,
    *,
    gradient_tolerances: Mapping[str, float | None],
    fig2: Sequence[Mapping],
    gd_vs_sgd: Mapping | None = None,
    paper_rows: Sequence[Mapping] | None = None,
    near_k: Mapping | None = None,
    sensitivity: Mapping | None = None,
    conjecture: Mapping | None = None,
    mnist_fc: Mapping | None = None,
    mnist_conv: Mapping | None = None,
    mnist_roles: Mapping[str, str] | None = None,
    cifar: Mapping | None = None,
    beyond: Mapping[str, Mapping] | None = None,
) -> dict:
    """Every claim decided, by section: {"title", "sections": [{"title", "claims", "text"}]}
    (summary.json). `rows` are Table 1's, every run at every stop; `gradient_tolerances`
    maps each algorithm to its final stop's tolerance (None: a fixed number of steps), at
    which the grid is judged; `fig2` holds the fields of Fig. 2's runs (one per k and
    seed); the GD against SGD section comes with `gd_vs_sgd`, the paper's rows with
    `paper_rows` and `near_k` (results/table1_vs_paper.csv, spectrum_near_k.json), the
    sensitivity runs with `sensitivity` and the conjecture's sweeps with `conjecture`
    (results/sensitivity.json, conjecture.json), the
    MNIST sections with both MNIST numbers and `mnist_roles` (label -> "width", "LB" or
    "SB"), the CIFAR-10 one with `cifar` = {"training": ..., "line": ..., "top_lb": float,
    "top_sb": float}; the sections beyond the paper with `beyond`, each experiment's
    numbers by its name in BEYOND_SECTIONS."""
    final = summary_blobs.final_rows(rows, gradient_tolerances)
    producers = [
        lambda claims: summary_blobs.stopping_lines(claims, final, gradient_tolerances),
        lambda claims: summary_blobs.counter_lines(claims, rows, final, fig2),
    ]
    if paper_rows is not None and near_k is not None:
        producers.append(lambda claims: summary_paper.paper_rows_lines(claims, paper_rows, near_k))
    if sensitivity and sensitivity["rows"]:
        producers.append(lambda claims: sensitivity_lines(claims, sensitivity))
    if conjecture:
        producers.append(lambda claims: conjecture_lines(claims, conjecture))
    if gd_vs_sgd:
        producers.append(lambda claims: _gd_vs_sgd_lines(claims, gd_vs_sgd))
    producers += [
        lambda claims: summary_blobs.negative_lines(claims, final),
        lambda claims: summary_theory.logistic_lines(claims, logistic),
        lambda claims: summary_theory.gauss_newton_lines(claims, gauss_newton),
    ]
    if mnist_fc is not None and mnist_conv is not None:
        producers += [
            lambda claims: summary_networks.mnist_lines(claims, mnist_fc),
            lambda claims: summary_networks.batch_lines(claims, mnist_conv, mnist_roles),
        ]
    if cifar is not None:
        producers.append(lambda claims: summary_networks.cifar_lines(claims, **cifar))
    for name, lines_of in BEYOND_SECTIONS.items():
        if beyond and name in beyond:
            numbers = beyond[name]
            producers.append(
                lambda claims, lines_of=lines_of, numbers=numbers: lines_of(claims, numbers)
            )
    sections = []
    for produce in producers:
        claims = Claims()
        lines = produce(claims)
        if lines:
            heading, blank, *text = lines
            sections.append(
                {"title": heading.removeprefix("## "), "claims": claims.items, "text": text}
            )
    return {"title": TITLE, "intro": INTRO, "sections": sections}


def render(summary: Mapping) -> str:
    """summary.md: the sections of `build` with their text."""
    lines = [f"# {summary['title']}", "", summary["intro"], ""]
    for section in summary["sections"]:
        lines += [f"## {section['title']}", "", *section["text"]]
    return "\n".join(lines)
