"""results/summary.json and summary.md: each claim of the paper the workflow tests, with
our numbers.

A claim is marked as holding only when the number next to it shows it, by the test written
beside it; otherwise it is marked as not holding, or as mixed. `build` decides every claim
and keeps it with its numbers (summary.json); `render` words the result (summary.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from . import summary_networks, summary_paper, summary_theory
from .runs import BlobRun
from .tables import COUNTERS, agreement
from .verdicts import Claims


def _paper_cutoff_lines(rows: Sequence[dict]) -> list[str]:
    """The count above the paper's own elbow cutoffs, beside the kneed elbow: absolute
    cutoffs depend on the scale of the spectrum, so they transfer only where our scale
    matches the paper's."""
    with_cutoff = [r for r in rows if r["above_paper_cutoff"] is not None]
    if not with_cutoff:
        return []
    near, total = agreement(with_cutoff, "above_paper_cutoff", tolerance=1)
    elbow, _ = agreement(with_cutoff, "heur", tolerance=1)
    return [
        f"Above the paper's own elbow cutoffs (Table 1's last column, for the {total} runs "
        f"it gives one for): within one of k in {near}/{total} runs; the kneed elbow on the "
        f"same runs: {elbow}/{total}. An absolute cutoff holds only at the paper's scale of "
        "the spectrum, which depends on where training stopped.",
        "",
    ]


def _counter_lines(claims: Claims, rows: Sequence[dict], fig2: Sequence[Mapping]) -> list[str]:
    """Table 1's counters against k over the grid, and Fig. 2's runs (`fig2`: the fields
    of each run the figure shows)."""
    lines = [
        "## Outliers follow the data: k clusters give k outliers (Sec. 3.1, Table 1)",
        "",
        "| rule | count = k | within 1 of k | within 1 of k: relu / tanh |",
        "|---|---:|---:|---:|",
    ]
    for key in COUNTERS:
        exact, total = agreement(rows, key)
        near, _ = agreement(rows, key, tolerance=1)
        by_act = " / ".join(
            "{}/{}".format(
                *agreement([r for r in rows if r["activation"] == act], key, tolerance=1)
            )
            for act in ("relu", "tanh")
        )
        lines.append(f"| {key} | {exact}/{total} | {near}/{total} | {by_act} |")
    best = max(COUNTERS, key=lambda key: agreement(rows, key, tolerance=1)[0])
    near, total = agreement(rows, best, tolerance=1)
    lines += [
        "",
        f"Claim: the number of outliers equals the number of clusters. Best rule: `{best}`, "
        f"within one of k in {near}/{total} runs: "
        + claims.decide(
            "the number of outliers equals the number of clusters",
            True if near == total else (False if near < total / 2 else None),
            rule=best,
            within_one=near,
            runs=total,
        )
        + " (over the whole grid; the paper's own rows, its counts and ours scored the "
        "same way, are in the section on Table 1 against the paper).",
        "",
    ]
    lines += _paper_cutoff_lines(rows)
    shown = [_row_of(rows, run) for run in fig2]
    shown = sorted((r for r in shown if r is not None), key=lambda r: r["n_classes"])
    if shown:
        setting = BlobRun.of(fig2[0]).in_words(with_k=False)
        pairs = ", ".join(f"k={r['n_classes']}: {r['gap']}" for r in shown)
        hits = sum(r["gap"] == r["n_classes"] for r in shown)
        lines += [
            f"Fig. 2 ({setting}), count above the largest gap: {pairs}. "
            f"Claim: it equals k for every k: "
            + claims.decide(
                f"Fig. 2 ({setting}): the count above the largest gap equals k",
                True if hits == len(shown) else (None if hits else False),
                counts={r["n_classes"]: r["gap"] for r in shown},
                hits=hits,
                runs=len(shown),
            )
            + f" ({hits}/{len(shown)}).",
            "",
        ]
    return lines


def _row_of(rows: Sequence[dict], run: Mapping) -> dict | None:
    """Table 1's row of the blob run with `run`'s fields, if the grid holds it."""
    key = (run["algorithm"], run["activation"], run["n_classes"], float(run["cov"]))
    found = [r for r in rows if (r["algorithm"], r["activation"], r["n_classes"], r["cov"]) == key]
    return found[0] if found else None


def _negative_lines(claims: Claims, rows: Sequence[dict]) -> list[str]:
    ratios = np.array([abs(min(r["min"], 0.0)) / r["max"] for r in rows])
    small = int((ratios < 0.1).sum())
    return [
        "## Negative eigenvalues are much smaller than the outliers (Sec. 3.4)",
        "",
        f"|lambda_min| / lambda_max over the {len(rows)} runs: median {np.median(ratios):.2e}, "
        f"largest {ratios.max():.2e}; below 0.1 in {small}/{len(rows)} runs, below 0.01 in "
        f"{int((ratios < 0.01).sum())}/{len(rows)}. Claim: "
        + claims.decide(
            "negative eigenvalues are much smaller than the outliers",
            True if small == len(rows) else (None if small else False),
            median=float(np.median(ratios)),
            largest=float(ratios.max()),
            below_limit=small,
            runs=len(rows),
            limit=0.1,
        )
        + " (test: below 0.1 in every run).",
        "",
    ]


def _stopping_lines(
    claims: Claims, rows: Sequence[dict], tolerances: Mapping[str, float | None]
) -> list[str]:
    """Whether each algorithm's runs stopped at their gradient tolerance, not at the cap:
    every absolute number of a spectrum depends on where training stopped."""
    lines = ["## Where training stopped", ""]
    for algorithm, tolerance in tolerances.items():
        runs = [r for r in rows if r["algorithm"] == algorithm]
        if not runs:
            continue
        steps = [r["steps"] for r in runs]
        norms = [r["gradient_norm"] for r in runs]
        span = (
            f"{min(steps):,} to {max(steps):,} steps, final gradient norm "
            f"{min(norms):.1e} to {max(norms):.1e}"
        )
        if tolerance is None:
            lines += [f"{algorithm.upper()}: a fixed number of steps ({span}).", ""]
            continue
        reached = [norm < tolerance for norm in norms]
        lines += [
            f"{algorithm.upper()} runs until the full-batch gradient norm is below "
            f"{tolerance:g} ({span}). Every run stopped there, not at the step cap: "
            + claims.decide_over(
                f"every {algorithm.upper()} run stopped at its gradient tolerance",
                reached,
                tolerance=tolerance,
                steps=[min(steps), max(steps)],
            )
            + f" ({sum(reached)}/{len(reached)}).",
            "",
        ]
    return lines


# Sagun et al. (2014), quoted in Sec. 4: with one step size GD and SGD "reach the same loss
# value at the same number of iterations". "The same" is read as within 10 %.
SAME_STEPS_LIMIT = 0.1


def _gd_vs_sgd_lines(claims: Claims, pairs: Mapping, rows: Sequence[dict]) -> list[str]:
    counts = {(r["algorithm"], r["activation"], r["n_classes"], r["cov"]): r for r in rows}
    lines = [
        "## GD and SGD from the same start (Secs. 1 and 4)",
        "",
        "| act | k | cov | steps GD | steps SGD | end-point distance / distance GD travelled "
        "| lambda_max SGD / GD | max rank-wise difference / lambda_max(GD) | gap count GD, SGD |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    same_steps, distances, differences, same_gap = [], [], [], []
    for entry in sorted(pairs.values(), key=lambda e: (e["activation"], e["n_classes"], e["cov"])):
        act, k, cov = entry["activation"], entry["n_classes"], entry["cov"]
        gd, sgd = counts[("gd", act, k, cov)], counts[("sgd", act, k, cov)]
        same_steps.append(
            abs(entry["steps_sgd"] - entry["steps_gd"]) <= SAME_STEPS_LIMIT * entry["steps_gd"]
        )
        distances.append(entry["relative_distance"])
        differences.append(entry["spectrum_difference"])
        same_gap.append(gd["gap"] == sgd["gap"])
        lines.append(
            f"| {act} | {k} | {cov:g} | {entry['steps_gd']:,} | {entry['steps_sgd']:,} | "
            f"{entry['relative_distance']:.3f} | {entry['max_sgd'] / entry['max_gd']:.3f} | "
            f"{entry['spectrum_difference']:.3f} | {gd['gap']}, {sgd['gap']} |"
        )
    start = (
        "the same initial point"
        if all(e["same_start"] for e in pairs.values())
        else ("different initial points (blobs.train.gd.seed and sgd.seed differ)")
    )
    lines += [
        "",
        f"Both algorithms start from {start} with the same step size and stop at the same "
        "full-batch gradient tolerance. Claim (Sagun et al. 2014, quoted in Sec. 4): with "
        "the same step size they reach the same loss in the same number of iterations: "
        + claims.decide_over(
            "GD and SGD with one step size reach the tolerance in the same number of steps",
            same_steps,
            limit=SAME_STEPS_LIMIT,
        )
        + f" ({sum(same_steps)}/{len(same_steps)} grid points within "
        f"{SAME_STEPS_LIMIT:.0%} in steps to the tolerance).",
        "",
        f"Finding: SGD ends {np.median(distances):.3f} (median; at most {max(distances):.3f}) "
        "of the distance GD travelled away from GD's end point, the two spectra differ by "
        f"at most {max(differences):.3f} of lambda_max(GD) (median {np.median(differences):.3f}), "
        f"and the count above the largest gap agrees in {sum(same_gap)}/{len(same_gap)} grid "
        "points. Where these are small, SGD locates the solution GD does: one basin, as "
        "Sec. 4 argues for large and small batches.",
        "",
    ]
    return lines


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
    mnist_fc: Mapping | None = None,
    mnist_conv: Mapping | None = None,
    mnist_roles: Mapping[str, str] | None = None,
    cifar: Mapping | None = None,
) -> dict:
    """Every claim decided, by section: {"title", "sections": [{"title", "claims", "text"}]}
    (summary.json). `gradient_tolerances` maps each algorithm to its stopping tolerance
    (None: a fixed number of steps); `fig2` holds the fields of Fig. 2's runs; the GD
    against SGD section comes with `gd_vs_sgd`, the paper's rows with `paper_rows` and
    `near_k` (results/table1_vs_paper.csv, spectrum_near_k.json), the MNIST sections with
    both MNIST numbers and `mnist_roles` (label -> "width", "LB" or "SB"), the CIFAR-10 one
    with `cifar` = {"training": ..., "line": ..., "top_lb": float, "top_sb": float}."""
    producers = [
        lambda claims: _stopping_lines(claims, rows, gradient_tolerances),
        lambda claims: _counter_lines(claims, rows, fig2),
    ]
    if paper_rows is not None and near_k is not None:
        producers.append(lambda claims: summary_paper.paper_rows_lines(claims, paper_rows, near_k))
    if gd_vs_sgd:
        producers.append(lambda claims: _gd_vs_sgd_lines(claims, gd_vs_sgd, rows))
    producers += [
        lambda claims: _negative_lines(claims, rows),
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
