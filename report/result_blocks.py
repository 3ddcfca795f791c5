"""The results paragraphs of README.md and docs/*.md: one function per numbers block,
each rendering its sentences from the files of a record (`report/readme_numbers.py` says
which files, and fills the pages with these)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml

from hessian_spectra import paper_comparison, runs, summary_blobs, tables


def load(record: Path, name: str):
    """One JSON file of the record."""
    return json.loads((record / name).read_text())


def config_of(record: Path) -> dict:
    """The config the record was made with: which runs its figures selected."""
    return yaml.safe_load((record / "config.yaml").read_text())


def _final_rows(record: Path) -> list[dict]:
    """Table 1's rows at each run's final stop (where it ended)."""
    config = config_of(record)
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


def listing(values) -> str:
    """Values in words: "a", "a and b", "a, b and c"."""
    values = [str(v) for v in values]
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _share(hits: int, n: int) -> str:
    """hits/n with its Wilson 95 % interval."""
    low, high = paper_comparison.wilson_interval(hits, n)
    return f"{hits}/{n} (95 %: {low:.0%}-{high:.0%})"


def fig1(record: Path) -> str:
    numbers = load(record, "fig1.json")
    start, end = numbers["initial"], numbers["final"]
    run = runs.fig1_run(config_of(record))
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


def fig2_counts(record: Path) -> tuple[dict[int, list[int]], str]:
    """The gap count of each of Fig. 2's runs by k, over the seeds (the first seed's
    first), and their setting in words."""
    config = config_of(record)
    counts: dict[int, list[int]] = {}
    for row in _rows_of(record, runs.fig2_runs(config)):
        counts.setdefault(row["n_classes"], []).append(row["gap"])
    return dict(sorted(counts.items())), runs.fig2_title(config)


def fig2(record: Path) -> str:
    counts, setting = fig2_counts(record)
    seeds = max(len(c) for c in counts.values())
    hits = [sum(c == k for c in found) for k, found in counts.items()]
    return (
        f"The count above the largest gap equals k in {listing([f'{h}/{seeds}' for h in hits])} "
        f"seeds for k = {listing(list(counts))} ({setting}); the first seed counts "
        f"{listing([found[0] for found in counts.values()])}."
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
    counts, setting = fig2_counts(record)
    first = runs.fig2_runs(config_of(record))[0].seed
    elbows = {
        r["n_classes"]: "N/A" if r["heur"] is None else str(r["heur"])
        for r in _rows_of(record, runs.fig2_runs(config_of(record)))
        if r["seed"] == first
    }
    return (
        f"At the end of training, over {_plural(seeds, 'seed')} per cell, within one of k by "
        "counter: "
        + "; ".join(per_activation)
        + f". The kneed elbow counts {listing(list(elbows.values()))} for k = "
        f"{listing(list(elbows))} ({setting}, first seed)."
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
        f"{_near_k(record, at_stop, stop)}"
    )


def _near_k(record: Path, at_stop: list[dict], stop) -> str:
    """Where our drop to the bulk comes (after k - 1 or k eigenvalues), and how the paper's
    columns read as k - 1 or k plus their offsets."""
    found = paper_comparison.drops(load(record, "spectrum_near_k.json"), at_stop, stop)
    if found is None:
        return ""
    reading = "; ".join(
        f"{counter} k - 1 {e['offset']:+d} in {e['k_minus_1']} of {e['of']} rows (k "
        f"{e['offset']:+d} in {e['k']})"
        for counter, e in paper_comparison.k_minus_one_reading(at_stop, stop).items()
    )
    return (
        f" Our spectra drop to the bulk after k - 1 eigenvalues in {found['after_k_minus_1']} "
        f"of {found['runs']} runs, after k in the others (the gap below the k-th eigenvalue "
        f"{found['gap_after_k']:.2f} of the largest gap, below the (k - 1)-th "
        f"{found['gap_after_k_minus_1']:.2f}, medians); the paper's columns read as {reading}."
    )


def gd_vs_sgd(record: Path) -> str:
    pairs = list(load(record, "gd_vs_sgd.json").values())
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
    numbers = load(record, "fig10.json")
    single, two = numbers["single_blob"], numbers["two_blobs"]

    def join(entries, key, form):
        return listing([format(e[key], form) for e in entries])

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
    numbers = load(record, "fig10.json")
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


def _median_range(values, form: str = "g") -> str:
    """The median of `values`, and their range when there are several (one per seed)."""
    median = format(float(np.median(values)), form)
    if len(values) == 1:
        return median
    return f"{median} ({format(min(values), form)}-{format(max(values), form)})"


def sensitivity(record: Path) -> str:
    """Each variant's counts beside the setup's at the final stop, over the seeds of each
    point (medians, and in how many seeds a count moved by more than one), and its mean
    eigenvalue against the setup's."""
    rows = load(record, "sensitivity.json")["rows"]
    final = min(row["stop"] for row in rows)
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        if row["stop"] == final:
            key = (row["variant"], row["activation"], row["n_classes"], row["cov"])
            groups.setdefault(key, []).append(row)
    parts = []
    for (variant, activation, k, cov), group in groups.items():
        seeds = len(group)
        counts = ", ".join(
            f"{c} {np.median([r[f'base_{c}'] for r in group]):g} -> "
            f"{np.median([r[c] for r in group]):g}"
            for c in ("gap", "ratio", "heur")
        )
        if seeds > 1:
            moved = ", ".join(
                f"{c} {sum(abs(r[c] - r[f'base_{c}']) > 1 for r in group)}"
                for c in ("gap", "ratio", "heur")
            )
            counts += f" (medians; moved by more than one in {moved} of {seeds} seeds)"
        scale = _median_range([r["mean"] / r["base_mean"] for r in group], ".2f")
        parts.append(f"{variant}, GD {activation}, k = {k}, cov = {cov:g}, "
                     f"{_plural(seeds, 'seed')}: {counts}, mean eigenvalue x{scale}")  # fmt: skip
    return f"At the end (|grad| < {final:g}), setup -> variant: " + "; ".join(parts) + "."


def conjecture(record: Path) -> str:
    """The two sweeps: the outliers' factor and the bulk's ratios between their settings,
    over the seeds (median and range), and in how many seeds each passed the tests of
    `conjecture` (factors of 2, conjecture.json's constants)."""
    numbers = load(record, "conjecture.json")
    width, data = numbers["width"], numbers["data"]
    first, last = width["settings"][0], width["settings"][-1]
    (pair,) = [p for p in width["pairs"] if p["to"] == last["label"]]
    seeds = len(pair["per_seed"])

    def over_seeds(entry: dict, key: str, form: str = ".2f") -> str:
        return _median_range([s[key] for s in entry["per_seed"]], form)

    def passed(pairs: list[dict], test: str) -> str:
        cases = [s[test] for p in pairs for s in p["per_seed"]]
        return f"{sum(cases)}/{len(cases)}"

    def spread(key: str) -> str:
        values = [s[key] for p in data["pairs"] for s in p["per_seed"]]
        return f"{min(values):.2g} to {max(values):.2g}"

    def setting(stat: dict) -> str:
        median = f"{stat['median']:,.0f}"
        return median if seeds == 1 else f"{median} ({stat['low']:,}-{stat['high']:,})"

    above = [setting(s["above_fraction"]) for s in (first, last)]
    stay, move = (
        f"{numbers['constants'][key]:g}" for key in ("outlier_stay_factor", "bulk_move_factor")
    )
    large = numbers["constants"]["large_fraction"]
    labels = "; ".join(s["label"] for s in data["settings"])
    over = "At one seed" if seeds == 1 else f"Over {seeds} seeds (median and range)"
    return (
        f"{over}, from {first['label']} to {last['label']} (M {first['M']:,} to "
        f"{last['M']:,}): the k largest eigenvalues change by a factor "
        f"{over_seeds(pair, 'outlier_factor')} (within {stay} in "
        f"{passed([pair], 'outliers_stay')}), the bulk's trace by "
        f"{over_seeds(pair, 'bulk_trace_ratio')} (by more than {move} in "
        f"{passed([pair], 'bulk_moves')}) and its mean |lambda| by "
        f"{over_seeds(pair, 'bulk_mean_ratio')}; the eigenvalues above {large:g} lambda_max "
        f"number {above[0]} and {above[1]}. Between the {len(data['settings'])} data settings "
        f"({labels}), {_plural(len(data['pairs']), 'pair')}: the top-k factor is "
        f"{spread('outlier_factor')} (beyond {stay} in {passed(data['pairs'], 'outliers_move')}) "
        f"and the bulk trace ratio {spread('bulk_trace_ratio')} (within {move}, the mean "
        f"|lambda| too, in {passed(data['pairs'], 'bulk_stays')})."
    )


def fig_ggn(record: Path) -> str:
    numbers = load(record, "fig_ggn.json")
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
    top = config_of(record)["mnist"]["spectrum"]["top"]
    parts = [
        f"{label}: M = {net['M']:,}, lambda_max {net['largest']:.3g}, {_ordinal(top)} largest "
        f"{net['top_edge']:.3g}, {net['negative_count']:,} below minus the floor "
        f"{net['floor']:.1e} ({net['negative_share']:.2%} of M), |lambda_min| / lambda_max "
        f"{net['negative_to_largest']:.1e}"
        for name in ("mnist_fc.json", "mnist_conv.json")
        for label, net in load(record, name).items()
    ]
    return "; ".join(parts) + "."


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def summary(record: Path) -> str:
    """Each section of the summary with the verdicts it decides, in order."""
    sections = load(record, "summary.json")["sections"]

    def worded(claim: dict) -> str:
        check = claim.get("kind") == "engine check"
        return claim["verdict"] + (" (engine check)" if check else "")

    return "\n".join(
        f"- {section['title']}: {', '.join(map(worded, section['claims']))}"
        for section in sections
        if section["claims"]
    )
