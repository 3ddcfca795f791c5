"""The numbers of the results paragraphs of README.md and of the pages under docs/, and the
README's gallery of figures, read from the results of record.

`report/record/` holds the small text artefacts (RECORDED) of one default-config run of the
blob experiments, of one run of Figs. 3-6 (with `config/mnist-offline.yaml` here), the
config they were made with (`config.yaml`, rule `config_used`), from which the runs Figs. 1
and 2 show are read, and in `figures/` the PNG each figure rule writes beside its PDF. Each
block between `<!-- numbers: NAME -->` and `<!-- /numbers -->` of README.md or docs/*.md is
rendered from them; a test checks the pages against this.

    python report/readme_numbers.py --record results   # copy a run's files, config.yaml too
    python report/readme_numbers.py --write            # rewrite the pages' blocks
    python report/readme_numbers.py                    # check; exit 1 naming each stale block
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import yaml

from hessian_spectra import (
    network_runs,
    paper_comparison,
    runs,
    summary_blobs,
    summary_networks,
    tables,
)
from hessian_spectra.verdicts import Claims

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "report" / "record"
README = ROOT / "README.md"
DOCS = ROOT / "docs"
FIGURES = RECORD / "figures"  # the PNG of each figure of the record, beside its PDF in results/
RECORDED = (
    "config.yaml", "fig1.json", "table1.csv", "table1_vs_paper.csv", "spectrum_near_k.json",
    "gd_vs_sgd.json", "fig10.json", "fig_ggn.json", "summary.json", "summary.md",
    "mnist_fc.json", "mnist_conv.json", "sensitivity.json", "conjecture.json",
    "classes.json", "subspace.json", "stability.json", "density.json",
)  # fmt: skip
BLOCK = re.compile(r"(<!-- numbers: (\w+) -->\n)(.*?)(<!-- /numbers -->)", re.DOTALL)


def _load(record: Path, name: str):
    return json.loads((record / name).read_text())


def _config(record: Path) -> dict:
    return yaml.safe_load((record / "config.yaml").read_text())


def _final_rows(record: Path) -> list[dict]:
    """Table 1's rows at each run's final stop (where it ended)."""
    config = _config(record)
    final = {alg: runs.stops(config, alg)[-1][0] for alg in runs.ALGORITHMS}
    return summary_blobs.final_rows(tables.read_csv(record / "table1.csv"), final)


def _rows_of(record: Path, selected: list[runs.BlobRun]) -> list[dict]:
    """Table 1's rows of the `selected` runs at their final stop, in their order."""
    rows = {
        runs.BlobRun(
            r["algorithm"], r["activation"], r["n_classes"], r["cov"], r["seed"], r["init"]
        ): r
        for r in _final_rows(record)
    }
    return [rows[run] for run in selected if run in rows]


def _listing(values) -> str:
    values = [str(v) for v in values]
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _share(hits: int, n: int) -> str:
    """hits/n with its Wilson 95 % interval."""
    low, high = paper_comparison.wilson_interval(hits, n)
    return f"{hits}/{n} (95 %: {low:.0%}-{high:.0%})"


def fig1(record: Path) -> str:
    numbers = _load(record, "fig1.json")
    start, end = numbers["initial"], numbers["final"]
    run = runs.fig1_run(_config(record))
    steps = [r["steps"] for r in _rows_of(record, [run])]
    stopped = (
        f"after {steps[0]:,} {run.algorithm.upper()} steps (its gradient tolerance)"
        if steps
        else f"after {run.algorithm.upper()}"
    )
    return (
        f"At initialisation the eigenvalues range from {start['min']:.2f} to {start['max']:.2f} "
        f"with {start['negative']:,} of {start['M']:,} negative ({start['negative_count']:,} "
        f"beyond the round-off floor M eps max|lambda| = {start['floor']:.1e}); {stopped} the "
        f"largest is {end['max']:.2g}, the smallest {end['min']:.2g} "
        f"(|lambda_min| / lambda_max = {end['negative_to_largest']:.1e}), and "
        f"{end['negative_count']:,} eigenvalues lie below minus the floor "
        f"({end['floor']:.1e})."
    )


def _fig2_counts(record: Path) -> tuple[dict[int, list[int]], str]:
    """The gap count of each of Fig. 2's runs by k, over the seeds (the first seed's
    first), and their setting in words."""
    config = _config(record)
    counts: dict[int, list[int]] = {}
    for row in _rows_of(record, runs.fig2_runs(config)):
        counts.setdefault(row["n_classes"], []).append(row["gap"])
    return dict(sorted(counts.items())), runs.fig2_title(config)


def fig2(record: Path) -> str:
    counts, setting = _fig2_counts(record)
    seeds = max(len(c) for c in counts.values())
    hits = [sum(c == k for c in found) for k, found in counts.items()]
    return (
        f"The count above the largest gap equals k in {_listing([f'{h}/{seeds}' for h in hits])} "
        f"seeds for k = {_listing(list(counts))} ({setting}); the first seed counts "
        f"{_listing([found[0] for found in counts.values()])}."
    )


def table1(record: Path) -> str:
    rows = _final_rows(record)
    seeds = len({r["seed"] for r in rows})
    per_activation = []
    for act in ("relu", "tanh"):
        chosen = [r for r in rows if r["activation"] == act]
        hits = ", ".join(
            f"{key} {_share(*tables.agreement(chosen, key, tolerance=1))}"
            for key in tables.COUNTERS
        )
        per_activation.append(f"{act}: {hits}")
    counts, setting = _fig2_counts(record)
    first = runs.fig2_runs(_config(record))[0].seed
    elbows = {
        r["n_classes"]: "N/A" if r["heur"] is None else str(r["heur"])
        for r in _rows_of(record, runs.fig2_runs(_config(record)))
        if r["seed"] == first
    }
    return (
        f"At the end of training, over {_plural(seeds, 'seed')} per cell, within one of k by "
        "counter: "
        + "; ".join(per_activation)
        + f". The kneed elbow counts {_listing(list(elbows.values()))} for k = "
        f"{_listing(list(elbows))} ({setting}, first seed)."
    )


def table1_vs_paper(record: Path) -> str:
    """The paper's 19 rows at the stop chosen by the match of the mean eigenvalue, both
    columns scored against k the same way, the offsets between them, and the scale."""
    rows = paper_comparison.read_rows(record / "table1_vs_paper.csv")
    chosen = paper_comparison.chosen_stop(rows)
    stop = chosen["stop"]
    at_stop = [r for r in rows if r["stop"] == stop]
    rates = paper_comparison.hit_rates(rows)[stop]
    n_rows = len({paper_comparison.cell_of(r) for r in at_stop})

    def scored(name: str, r: dict) -> str:
        exact_low, exact_high = r["ours_exact_interval"]
        near_low, near_high = r["ours_within_one_interval"]
        return (
            f"{name}: paper {r['paper_exact']}/{r['rows']} exact and {r['paper_within_one']}/"
            f"{r['rows']} within one, ours {r['ours_exact']}/{r['ours_n']} ({exact_low:.0%}-"
            f"{exact_high:.0%}) and {r['ours_within_one']}/{r['ours_n']} ({near_low:.0%}-"
            f"{near_high:.0%})"
        )

    parts = "; ".join(
        scored(name, rates[key])
        for name, key in (
            ("gap", "gap"),
            ("ratio", "ratio"),
            ("heur against our group elbow", "heur"),
            ("against our per-spectrum knee", "kneed"),
        )
    )
    shifts = ", ".join(
        f"{name} ours {e['offset']:+d} in {e['rows']} of {e['of']} rows x seeds"
        for name, e in paper_comparison.offsets(rows)[stop].items()
    )
    ratio = paper_comparison.scale(rows)[stop]
    medians = ", ".join(
        f"{paper_comparison.stop_words(s)}: {m:.2f}" for s, m in chosen["medians"].items()
    )
    return (
        f"The stop whose mean eigenvalue matches the paper's best (median |log(paper mean / "
        f"ours)|: {medians}) is {paper_comparison.stop_words(stop)}. There, on the paper's "
        f"{n_rows} rows (ours over their seeds, with 95 % intervals): {parts}. The paper's "
        f"columns read as {shifts}. Its mean eigenvalue is {ratio['smallest']:.2g} to "
        f"{ratio['largest']:.2g} times ours, and its cutoffs lie at or above our largest "
        f"eigenvalue in {ratio['cutoffs_above_top']} of {ratio['cutoff_rows']} rows."
    )


def gd_vs_sgd(record: Path) -> str:
    pairs = list(_load(record, "gd_vs_sgd.json").values())
    points = {(p["activation"], p["n_classes"], p["cov"]) for p in pairs}
    steps_gd = [p["steps_gd"] for p in pairs]
    step_ratio = [p["steps_sgd"] / p["steps_gd"] for p in pairs]
    distance = [p["relative_distance"] for p in pairs]
    barrier = [p["barrier"] / p["end_loss"] for p in pairs]
    difference = [p["spectrum_difference"] for p in pairs]
    top_ratio = [p["max_sgd"] / p["max_gd"] for p in pairs]
    return (
        f"Over {len(points)} points x {_plural(len(pairs) // len(points), 'seed')}, GD needs "
        f"{min(steps_gd):,} to {max(steps_gd):,} steps to reach the tolerance, and SGD from "
        f"the same start {min(step_ratio):.3f} to {max(step_ratio):.3f} times as many. SGD "
        f"ends {np.median(distance):.3f} (median; {min(distance):.3f} to {max(distance):.3f}) "
        f"of the distance GD travelled away from GD's end point, and the loss on the line "
        f"between the two rises at most {max(barrier):.1e} of the end-point loss above it; "
        f"the largest eigenvalues agree within a factor {min(top_ratio):.2f} to "
        f"{max(top_ratio):.2f}, and the two spectra differ rank by rank by at most "
        f"{max(difference):.3f} of lambda_max(GD) (median {np.median(difference):.3f})."
    )


def fig10(record: Path) -> str:
    numbers = _load(record, "fig10.json")
    single, two = numbers["single_blob"], numbers["two_blobs"]

    def join(entries, key, form):
        return _listing([format(e[key], form) for e in entries])

    return (
        f"KS distances {join(single, 'ks_distance', '.3f')} at alpha = "
        f"{join(single, 'alpha', 'g')}, against the Monte Carlo critical values "
        f"{join(single, 'ks_critical', '.3f')} ({single[0]['ks_draws']} draws); a law 10% off "
        f"gives {join(single, 'ks_wrong_variance', '.3f')} (variance) and "
        f"{join(single, 'ks_wrong_ratio', '.3f')} (ratio). Two blobs at alpha = "
        f"{join(two, 'alpha', 'g')} (N = {join(two, 'N', ',')}): "
        f"{join(two, 'n_above_bulk', 'd')} eigenvalues above the bulk edge, the largest at "
        f"{join(two, 'largest', '.3g')} against BBP's {join(two, 'predicted_outlier', '.3g')} "
        f"(finite-N standard deviations {join(two, 'predicted_spread', '.2f')})."
    )


def fig10_trained(record: Path) -> str:
    """The trained panels of Fig. 10: which ratios could be trained, and how each fared."""
    numbers = _load(record, "fig10.json")
    parts = []
    for key, kind in (("single_blob_trained", "one blob"), ("two_blobs_trained", "two blobs")):
        for entry in numbers[key]:
            at = f"{kind} at alpha = {entry['alpha']:g} (N = {entry['N']:,})"
            if entry["separable"]:
                parts.append(f"{at}: linearly separable, no trained weights")
            elif "ks_distance" in entry:
                parts.append(f"{at}: KS {entry['ks_distance']:.3f} against the critical "
                             f"{entry['ks_critical']:.3f}, mean curvature "
                             f"{entry['mean_curvature']:.3f}")  # fmt: skip
            else:
                parts.append(f"{at}: {entry['n_above_bulk']} above the bulk edge, the largest "
                             f"{entry['largest']:.3g} against BBP's "
                             f"{entry['predicted_outlier']:.3g} (spread "
                             f"{entry['predicted_spread']:.2g})")  # fmt: skip
    return "; ".join(parts) + "."


def sensitivity(record: Path) -> str:
    """Each variant's counts beside the setup's at the final stop, and its mean eigenvalue."""
    rows = _load(record, "sensitivity.json")["rows"]
    final = min(row["stop"] for row in rows)
    parts = []
    for row in rows:
        if row["stop"] != final:
            continue
        counts = ", ".join(f"{c} {row[f'base_{c}']} -> {row[c]}" for c in ("gap", "ratio", "heur"))
        parts.append(f"{row['variant']}, GD {row['activation']}, k = {row['n_classes']}, "
                     f"cov = {row['cov']:g}, seed {row['seed']}: {counts}, mean eigenvalue "
                     f"x{row['mean'] / row['base_mean']:.2f}")  # fmt: skip
    return f"At the end (|grad| < {final:g}), setup -> variant: " + "; ".join(parts) + "."


def conjecture(record: Path) -> str:
    """The two sweeps: the outliers' factor and the bulk's ratios between their settings."""
    numbers = _load(record, "conjecture.json")
    width, data = numbers["width"], numbers["data"]
    first, last = width["settings"][0], width["settings"][-1]
    (pair,) = [p for p in width["pairs"] if p["to"] == last["label"]]
    factors = [p["outlier_factor"]["median"] for p in data["pairs"]]
    traces = [p["bulk_trace_ratio"]["median"] for p in data["pairs"]]

    def spread(values):
        return f"{min(values):.2g} to {max(values):.2g}"

    return (
        f"From {first['label']} to {last['label']} (M {first['M']:,} to {last['M']:,}): the k "
        f"largest eigenvalues stay within a factor {pair['outlier_factor']['median']:.2f}, the "
        f"bulk's trace changes by {pair['bulk_trace_ratio']['median']:.2f} and its mean "
        f"|lambda| by {pair['bulk_mean_ratio']['median']:.2f}, while the eigenvalues above "
        f"1e-3 lambda_max grow from {first['above_fraction']['median']:,.0f} to "
        f"{last['above_fraction']['median']:,.0f}: the added parameters spread about the same "
        f"bulk mass over more eigenvalues. Across the {len(data['settings'])} data settings "
        f"({'; '.join(s['label'] for s in data['settings'])}) the top-k factor between two "
        f"settings is {spread(factors)} and the bulk trace ratio {spread(traces)}: the bulk "
        "follows the data too. One seed each."
    )


def fig_ggn(record: Path) -> str:
    numbers = _load(record, "fig_ggn.json")
    parts = [
        f"{run}: rank(G) {entry['rank_G']:,} of M = {entry['M']:,} (N(k-1) = "
        f"{entry['rank_bound']:,}), lambda_min(G) / lambda_max(G) = "
        f"{entry['min_G'] / entry['max_G']:.0e}, norm(R) / lambda_max(H) = "
        f"{entry['norm_R_over_max_H']:.3f}, top-k of G within "
        f"{entry['top_k_relative_difference']:.1%} of H's"
        for run, entry in numbers.items()
    ]
    return "; ".join(parts) + "."


def mnist(record: Path) -> str:
    """Per MNIST-1K net: the top, the right edge of Fig. 3 / 4, and the negative
    eigenvalues beyond the round-off floor (Figs. 5 / 6)."""
    top = _config(record)["mnist"]["spectrum"]["top"]
    parts = [
        f"{label}: M = {net['M']:,}, lambda_max {net['largest']:.3g}, {_ordinal(top)} largest "
        f"{net['top_edge']:.3g}, {net['negative_count']:,} below minus the floor "
        f"{net['floor']:.1e} ({net['negative_share']:.2%} of M), |lambda_min| / lambda_max "
        f"{net['negative_to_largest']:.1e}"
        for name in ("mnist_fc.json", "mnist_conv.json")
        for label, net in _load(record, name).items()
    ]
    return "; ".join(parts) + "."


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def summary(record: Path) -> str:
    """Each section of the summary with the verdicts it decides, in order."""
    sections = _load(record, "summary.json")["sections"]

    def worded(claim: dict) -> str:
        check = claim.get("kind") == "engine check"
        return claim["verdict"] + (" (engine check)" if check else "")

    return "\n".join(
        f"- {section['title']}: {', '.join(map(worded, section['claims']))}"
        for section in sections
        if section["claims"]
    )


# The README's gallery: each figure (and the two results without one) beside the paper's
# claim in one line and our verdict, read from the record. A verdict is the summary's
# (summary.json); Figs. 3-6, which the default summary leaves out (`summary.include_mnist`),
# get the summary's own tests run on the record's MNIST numbers; a figure that no claim
# tests shows its numbers instead.
class Shown(NamedTuple):
    label: str
    page: str  # where its section is, from the README
    paper: str  # the paper's claim, in one line
    claims: tuple[tuple[str, str], ...] = ()  # (our words, the claim as the summary states it)
    png: str | None = None  # report/record/figures/<png>.png
    numbers: Callable[[Path], str | None] | None = None  # where no claim tests it


def _fig1_shown(record: Path) -> str | None:
    if not (record / "fig1.json").exists():
        return None
    end = _load(record, "fig1.json")["final"]
    return (
        f"shown (no test of its own): at the end lambda_max = {end['max']:.2g}, "
        f"{end['negative_count']:,} of {end['M']:,} eigenvalues below minus the round-off "
        f"floor, \\|lambda_min\\| / lambda_max = {end['negative_to_largest']:.1e}"
    )


def _fig2_shown(record: Path) -> str | None:
    if not (record / "table1.csv").exists():
        return None
    counts, _ = _fig2_counts(record)
    return (
        f"first seed's counts {_listing([found[0] for found in counts.values()])} for k = "
        f"{_listing(list(counts))}"
    )


def _fig6_shown(record: Path) -> str | None:
    if not (record / "mnist_conv.json").exists():
        return None
    nets = _load(record, "mnist_conv.json")
    return "shown (no test of its own): " + ", ".join(
        f"{label} {net['negative_share']:.2%} of M below minus the floor, \\|lambda_min\\| / "
        f"lambda_max {net['negative_to_largest']:.1e}"
        for label, net in nets.items()
    )


GALLERY = (
    Shown(
        "Fig. 1",
        "docs/blobs.md#fig-1-the-spectrum-at-a-random-initial-point-and-at-the-end-of-gd",
        "at a random point the spectrum spreads on both sides of zero; after GD it is a bulk "
        "at zero and a few outliers (Sec. 2.1)",
        (("over the grid, negatives much smaller than the outliers (Sec. 3.4)",
          "negative eigenvalues are much smaller than the outliers"),),
        png="fig1",
        numbers=_fig1_shown,
    ),
    Shown(
        "Fig. 2",
        "docs/blobs.md#fig-2-the-gap-above-the-bulk-equals-the-number-of-clusters",
        "after SGD the number of eigenvalues above the gap equals the number of classes k "
        "(Sec. 3.1)",
        (("count above the largest gap = k", "Fig. 2 "),),
        png="fig2",
        numbers=_fig2_shown,
    ),
    Shown(
        "Table 1",
        "docs/blobs.md#table-1-counting-the-outliers-over-the-whole-grid",
        "over the grid of k, GD / SGD, ReLU / tanh and cov, the gap, ratio and elbow rules "
        "count k outliers (Sec. 3.1)",
        (("k outliers", "the number of outliers equals the number of clusters"),
         ("the paper's scale of the spectrum", "the paper's scale of the spectrum reproduces"),
         ("every GD / SGD run stopped at its gradient tolerance",
          "every GD run stopped at its gradient tolerance"),
         ("", "every SGD run stopped at its gradient tolerance")),
    ),
    Shown(
        "GD and SGD",
        "docs/blobs.md#gd-and-sgd-the-same-solution-from-the-same-start",
        "at one step size GD and SGD reach the same loss in the same number of iterations "
        "(Sagun et al. 2014, quoted in Sec. 4)",
        (("same number of steps to the tolerance",
          "GD and SGD with one step size reach the tolerance in the same number of steps"),
         ("one basin (distance and barrier)", "GD and SGD from one start end in one basin")),
    ),
    Shown(
        "Sensitivity",
        "docs/blobs.md#variants-of-the-setup-the-sensitivity-runs-and-the-conjectures-sweeps",
        "(not in the paper: the authors' code's settings, N = 100, biases N(0, 0.1^2), cov as "
        "a variance, against ours)",
        (("counts unchanged at N = 100", "Table 1's counts do not depend on the setting n100"),
         ("with drawn biases", "Table 1's counts do not depend on the setting bias"),
         ("with cov as a variance", "Table 1's counts do not depend on the setting variance")),
    ),
    Shown(
        "Conjecture",
        "docs/blobs.md#variants-of-the-setup-the-sensitivity-runs-and-the-conjectures-sweeps",
        "adding parameters merely scales the bulk, changing the data only affects the "
        "outliers (abstract)",
        (("wider net: outliers stay, bulk scales", "at fixed data, adding parameters"),
         ("other data: outliers move, bulk stays", "at a fixed net, changing the data")),
        png="fig_conjecture",
    ),
    Shown(
        "Fig. 3",
        "docs/mnist.md",
        "the right edge of the spectrum does not change with the number of parameters "
        "(Sec. 3.2)",
        (("right edge unchanged as M grows",
          "the right edge of the spectrum does not change with the number of parameters"),),
        png="fig3",
    ),
    Shown(
        "Fig. 5",
        "docs/mnist.md#the-round-off-floor-and-figs-5-6",
        "the negative eigenvalues are orders of magnitude smaller than the outliers, and their "
        "share of M stays as the net widens (Sec. 3.2)",
        (("orders of magnitude smaller",
          "MNIST: the negative eigenvalues are orders of magnitude smaller than the outliers"),
         ("same share of M", "the share of negative eigenvalues stays as the net widens"),
         ("tanh widths, same share", "tanh: the share of negative eigenvalues stays"),
         ("the curves converge", "the curves of negative eigenvalues converge")),
        png="fig5",
    ),
    Shown(
        "Fig. 4",
        "docs/mnist.md",
        "a large batch ends at larger outliers than a small one (Sec. 3.3)",
        (("LB has larger outliers", "LB has larger outliers than SB"),),
        png="fig4",
    ),
    Shown(
        "Fig. 6",
        "docs/mnist.md#the-round-off-floor-and-figs-5-6",
        "the negative eigenvalues of the same large- and small-batch pair (Sec. 3.3)",
        png="fig6",
        numbers=_fig6_shown,
    ),
    Shown(
        "Fig. 8",
        "docs/cifar.md",
        "switching from batch 1,000 to 32 makes the loss jump, and the small batch ends about "
        "1 point more accurate (Sec. 4.1)",
        (("loss jumps at the switch", "the loss jumps when the batch shrinks"),
         ("about 1 point more accurate", "the small batch ends about 1 point more accurate"),
         ("more accurate at all", "the small batch ends more accurate")),
        png="fig8",
    ),
    Shown(
        "Fig. 9",
        "docs/cifar.md#the-line",
        "no barrier on the straight line between the large- and small-batch solutions "
        "(Sec. 4.1)",
        (("no barrier", "no barrier between LB and SB"),),
        png="fig9",
    ),
    Shown(
        "Fig. 7",
        "docs/cifar.md#fig-7-is-our-reading",
        "lines leaving each end point confirm that the large-batch solution is sharper "
        "(Sec. 4.1; no caption in the source, our reading)",
        (("the line leaving LB is steeper", "the line leaving LB is steeper"),
         ("LB's top Hessian eigenvalue larger", "CIFAR-10: LB has larger outliers than SB")),
        png="fig7",
    ),
    Shown(
        "Fig. 10",
        "docs/appendix-b.md",
        "logistic regression on one blob: a Marchenko-Pastur bulk of ratio M/N; two blobs: "
        "one outlier (Appendix B)",
        (("Marchenko-Pastur", "at w = 0 the bulk of logistic regression on one blob"),
         ("one outlier where BBP puts it", "at w = 0 two blobs give exactly one outlier"),
         ("at the trained weights, Marchenko-Pastur",
          "at the trained weights the bulk follows Marchenko-Pastur"),
         ("at the trained weights, one outlier where BBP puts it",
          "two blobs at the trained weights give one outlier")),
        png="fig10",
    ),
    Shown(
        "H = G + R",
        "docs/blobs.md#the-gauss-newton-decomposition-h--g--r-section-22-not-a-figure-of-the-paper",
        "G carries the outliers, R is small, negative eigenvalues come from R (Sec. 2.2; the "
        "paper has no figure for it)",
        (("rank(G) <= N (k - 1)", "rank(G) <= N (k - 1)"),
         ("G positive semi-definite", "G is positive semi-definite"),
         ("R small", "R is small against lambda_max(H)")),
        png="fig_ggn",
    ),
)  # fmt: skip


# The experiments beyond the paper (docs/beyond.md), each with the work whose claim it tests.
BEYOND = (
    Shown(
        "Class structure of G",
        "docs/beyond.md#the-class-structure-of-g",
        "G's outliers come from the class means: C of them (C - 1 with softmax), then a "
        "C(C - 1) mini-bulk from the cross-class means (Papyan 2019, 2020)",
        (("C outliers", "G has C outliers"),
         ("the mini-bulk above the bulk", "a mini-bulk of about C(C - 1)"),
         ("top eigenvectors in the class means' span", "G's top eigenvectors lie in")),
        png="fig_classes",
    ),
    Shown(
        "Gradient subspace",
        "docs/beyond.md#the-gradient-in-the-top-eigenspace",
        "after a short time the gradient lives in the top-C eigenspace of the Hessian, which "
        "changes little (Gur-Ari, Roberts & Dyer 2018)",
        (("gradient in the top-C eigenspace", "after a short time the gradient lives"),
         ("that eigenspace stays", "after a short time the top-C eigenspace")),
        png="fig_subspace",
    ),
    Shown(
        "Edge of stability",
        "docs/beyond.md#the-edge-of-stability",
        "under full-batch GD, lambda_max reaches 2 / eta and stays there (Cohen et al. 2021)",
        (("stays at 2 / eta", "once lambda_max reaches 2 / eta"),
         ("Lanczos = dense", "Lanczos's lambda_max equals")),
        png="fig_stability",
    ),
    Shown(
        "Sampled densities",
        "docs/beyond.md#sampled-densities-against-the-exact-spectrum",
        "stochastic Lanczos quadrature at the libraries' defaults recovers the spectral "
        "density (Ghorbani et al. 2019; PyHessian, hessian-eigenthings, curvlinops)",
        (("mass placed (W1)", "stochastic Lanczos quadrature at the libraries' default counts "
          "places"),
         ("distribution (KS)", "stochastic Lanczos quadrature at the libraries' default counts "
          "recovers"),
         ("negative share", "stochastic Lanczos quadrature finds the share"),
         ("top-10", "stochastic Lanczos quadrature's largest Ritz values")),
        png="fig_density",
    ),
)  # fmt: skip


def _decided(record: Path) -> list[dict]:
    """Every claim the record decides: the summary's, then the MNIST claims it left out,
    decided by the summary's own tests on the record's MNIST numbers."""
    claims = []
    if (record / "summary.json").exists():
        sections = _load(record, "summary.json")["sections"]
        claims = [claim for section in sections for claim in section["claims"]]
    if (record / "mnist_fc.json").exists() and (record / "mnist_conv.json").exists():
        mnist = Claims()
        summary_networks.mnist_lines(mnist, _load(record, "mnist_fc.json"))
        roles = {run.label: run.role for run in network_runs.mnist_runs(_config(record)).values()}
        summary_networks.batch_lines(mnist, _load(record, "mnist_conv.json"), roles)
        stated = {claim["claim"] for claim in claims}
        claims += [claim for claim in mnist.items if claim["claim"] not in stated]
    return claims


def _detail(numbers: dict) -> str:
    """The number a verdict rests on, in a few words."""
    if "hits" in numbers:
        return f" ({numbers['hits']}/{numbers.get('cases', numbers.get('runs'))})"
    if "within_one" in numbers:
        low, high = numbers["within_one_interval"]
        hits = f"{numbers['within_one']}/{numbers['runs']}, 95 %: {low:.0%}-{high:.0%}"
        return f" (within one of k in {hits}, rule {numbers['rule']})"
    if "below_limit" in numbers:
        cases = numbers.get("runs", numbers.get("nets"))
        return f" ({numbers['below_limit']}/{cases} below {numbers['limit']:g})"
    if "largest_spread" in numbers:
        spreads = f"{numbers['largest_spread']:.2f} and {numbers['edge_spread']:.2f}"
        return f" (the top and the edge vary by factors {spreads})"
    if "gap_moved" in numbers:
        moved = f"{numbers['gap_moved']} and {numbers['ratio_moved']} of {numbers['rows']}"
        return f" (gap and ratio moved by more than one in {moved} rows)"
    if "spread" in numbers:
        return f" (largest / smallest share {numbers['spread']:.2f})"
    if "ratio" in numbers:
        return f" (LB / SB = {numbers['ratio']:.2f})"
    if "gain" in numbers:
        return f" ({100 * numbers['gain']:+.2f} points of test accuracy)"
    if "barrier" in numbers:
        return f" (barrier {numbers['barrier']:.3g} in training loss)"
    if "smallest" in numbers and "largest" in numbers:
        times = f"{numbers['smallest']:.2g} to {numbers['largest']:.2g}"
        return f" (the paper's mean eigenvalue {times} times ours)"
    return ""


def _verdict(claim: dict) -> str:
    check = " (engine check)" if claim["kind"] == "engine check" else ""
    return f"**{claim['verdict']}**{_detail(claim['numbers'])}{check}"


def _ours(shown: Shown, decided: list[dict], record: Path) -> str:
    parts = []
    for words, stated in shown.claims:
        claim = next((c for c in decided if c["claim"].startswith(stated)), None)
        if claim is None:
            continue
        if words:
            parts.append(f"{words}: {_verdict(claim)}")
        else:  # one more verdict of the claim before it
            parts[-1] += f", {_verdict(claim)}" if parts else ""
    numbers = shown.numbers(record) if shown.numbers else None
    if numbers:
        parts.append(numbers)
    return "; ".join(parts) or "(not in this record)"


def _image(shown: Shown, record: Path) -> str:
    if shown.png is None:
        return "(a table)" if shown.label.startswith("Table") else "(no figure)"
    if not (record / "figures" / f"{shown.png}.png").exists():
        return "(not in this record)"
    path = f"report/record/figures/{shown.png}.png"
    return f'<a href="{path}"><img src="{path}" width="260" alt="{shown.label}"></a>'


def _table(record: Path, shown_rows: tuple[Shown, ...], header: str) -> str:
    """One row per `Shown`: its page, its image of record, the claim, our verdict."""
    decided = _decided(record)
    rows = [
        f"| [{shown.label}]({shown.page}) | {_image(shown, record)} | {shown.paper} | "
        f"{_ours(shown, decided, record)} |"
        for shown in shown_rows
    ]
    return "\n".join([header, "|---|---|---|---|", *rows])


def gallery(record: Path) -> str:
    """The README's table: each figure, its image of record, the paper's claim, our verdict."""
    return _table(record, GALLERY, "| Figure | | The paper | Ours |")


def beyond(record: Path) -> str:
    """The README's table of the experiments beyond the paper, as the gallery."""
    return _table(record, BEYOND, "| Experiment | | The claim | Ours |")


BLOCKS: dict[str, Callable[[Path], str]] = {
    "fig1": fig1,
    "fig2": fig2,
    "table1": table1,
    "table1_vs_paper": table1_vs_paper,
    "gd_vs_sgd": gd_vs_sgd,
    "fig10": fig10,
    "fig10_trained": fig10_trained,
    "sensitivity": sensitivity,
    "conjecture": conjecture,
    "fig_ggn": fig_ggn,
    "mnist": mnist,
    "summary": summary,
    "gallery": gallery,
    "beyond": beyond,
}


def pages() -> list[Path]:
    """The pages whose blocks are rendered from the record: README.md and docs/*.md."""
    return [README, *sorted(DOCS.glob("*.md"))]


def rendered(text: str, record: Path = RECORD) -> str:
    """A page with every numbers block rendered from `record`."""

    def fill(match: re.Match) -> str:
        name = match.group(2)
        if name not in BLOCKS:
            raise KeyError(f"numbers block '{name}' has no renderer in {__file__}")
        return f"{match.group(1)}{BLOCKS[name](record)}\n{match.group(4)}"

    return BLOCK.sub(fill, text)


def stale_blocks(text: str, record: Path = RECORD) -> list[str]:
    fresh = dict((m.group(2), m.group(3)) for m in BLOCK.finditer(rendered(text, record)))
    return [m.group(2) for m in BLOCK.finditer(text) if fresh[m.group(2)] != m.group(3)]


def record_run(results: Path) -> None:
    """Copy a run's text artefacts (RECORDED) and its figures' PNGs into the record."""
    found = [name for name in RECORDED if (results / name).exists()]
    if not found:
        sys.exit(f"{results} holds none of {', '.join(RECORDED)}")
    if "config.yaml" not in found:
        sys.exit(
            f"{results}/config.yaml is missing: the record needs the config the run "
            "was made with; request results/config.yaml (rule config_used) from that run"
        )
    RECORD.mkdir(parents=True, exist_ok=True)
    for name in found:
        shutil.copy2(results / name, RECORD / name)
    figures = sorted(path.name for path in results.glob("*.png"))
    if figures:
        FIGURES.mkdir(exist_ok=True)
        for name in figures:
            shutil.copy2(results / name, FIGURES / name)
    print(f"recorded {', '.join(found + [f'figures/{name}' for name in figures])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", type=Path, metavar="RESULTS", help="copy from RESULTS")
    parser.add_argument("--write", action="store_true", help="rewrite the pages' blocks")
    args = parser.parse_args()
    if args.record:
        record_run(args.record)
    texts = {page: page.read_text() for page in pages()}
    if args.write or args.record:
        fresh = {page: rendered(text) for page, text in texts.items()}  # every page, or none
        for page, text in fresh.items():
            page.write_text(text)
        return
    stale = [
        f"{page.relative_to(ROOT)}: {name}"
        for page, text in texts.items()
        for name in stale_blocks(text)
    ]
    if stale:
        sys.exit(f"numbers blocks out of date with {RECORD}: {'; '.join(stale)}")


if __name__ == "__main__":
    main()
