"""The summary's section on the abstract's conjecture: adding parameters merely scales the
bulk, changing the data only affects the outliers (`conjecture`'s two sweeps)."""

from __future__ import annotations

from collections.abc import Mapping

from .conjecture import BULK_MOVE_FACTOR, LARGE_FRACTION, OUTLIER_STAY_FACTOR
from .verdicts import FINDING, Claims

WIDTH_CLAIM = "at fixed data, adding parameters leaves the outliers and scales the bulk"
DATA_CLAIM = "at a fixed net, changing the data moves the outliers and leaves the bulk"


def _shown(spread: Mapping | None, form: str = ".3g") -> str:
    """'median [lowest, highest]' over the seeds; one value where they agree."""
    if spread is None:
        return "n/a"
    median, low, high = (format(spread[key], form) for key in ("median", "low", "high"))
    return median if low == high else f"{median} [{low}, {high}]"


def _settings_table(sweep: Mapping) -> list[str]:
    lines = [
        "| setting | M | k | seeds | lambda_max | lambda_k (smallest outlier) | "
        "bulk edge lambda_k+1 | bulk trace | bulk mean abs | bulk / outlier trace | "
        f"above {LARGE_FRACTION:g} lambda_max |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sweep["settings"]:
        lines.append(
            f"| {s['label']} | {s['M']:,} | {s['n_classes']} | {len(s['seeds'])} | "
            f"{_shown(s['lambda_max'])} | {_shown(s['smallest_outlier'])} | "
            f"{_shown(s['bulk_edge'])} | {_shown(s['bulk_trace'])} | "
            f"{_shown(s['bulk_mean_abs'])} | {_shown(s['bulk_to_outlier_mass'])} | "
            f"{_shown(s['above_fraction'], ',.0f')} |"
        )
    return lines + [""]


def _pairs_table(sweep: Mapping, outliers: str, bulk: str) -> list[str]:
    """One row per pair compared, with the seeds where the outliers and the bulk did
    what the claim says (`outliers`, `bulk`: the keys of those tests), on tested pairs."""
    lines = [
        "| from -> to | M ratio | largest top-k factor | bulk trace ratio | "
        f"bulk mean abs ratio | seeds: {outliers.replace('_', ' ')} | "
        f"seeds: {bulk.replace('_', ' ')} |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    tested = [tuple(pair) for pair in sweep["tested"]]
    for pair in sweep["pairs"]:
        seeds = pair["per_seed"]
        if (pair["from"], pair["to"]) in tested:
            counts = [f"{sum(c[key] for c in seeds)}/{len(seeds)}" for key in (outliers, bulk)]
        else:
            counts = ["not tested"] * 2
        lines.append(
            f"| {pair['from']} -> {pair['to']} | {pair['M_ratio']:.2f} | "
            f"{_shown(pair['outlier_factor'])} | {_shown(pair['bulk_trace_ratio'])} | "
            f"{_shown(pair['bulk_mean_ratio'])} | {counts[0]} | {counts[1]} |"
        )
    return lines + [""]


def _width_lines(claims: Claims, sweep: Mapping) -> list[str]:
    title = "Width sweep (fixed data; each net against the smallest)"
    if not sweep["holds"]:
        verdict = claims.untestable(WIDTH_CLAIM, FINDING, settings=len(sweep["settings"]))
        return [f"{title}: {verdict} (fewer than two widths at a common seed).", ""]
    last = sweep["pairs"][-1]
    verdict = claims.decide_over(
        WIDTH_CLAIM,
        sweep["holds"],
        FINDING,
        outlier_factor=last["outlier_factor"],
        bulk_trace_ratio=last["bulk_trace_ratio"],
        M_ratio=last["M_ratio"],
        outlier_stay_factor=OUTLIER_STAY_FACTOR,
        bulk_move_factor=BULK_MOVE_FACTOR,
    )
    return [
        f"{title}:",
        "",
        *_settings_table(sweep),
        *_pairs_table(sweep, "outliers_stay", "bulk_moves"),
        f"Claim: {WIDTH_CLAIM}: {verdict} ({sum(sweep['holds'])}/{len(sweep['holds'])} "
        f"seeds). The test, per seed, between {last['from']} and {last['to']} "
        f"(M {last['M_ratio']:.2f} times larger): each of the k largest eigenvalues, rank "
        f"by rank, stays within a factor {OUTLIER_STAY_FACTOR:g} (largest factor "
        f"{_shown(last['outlier_factor'])}) "
        f"and the bulk trace changes by more than a factor {BULK_MOVE_FACTOR:g} (ratio "
        f"{_shown(last['bulk_trace_ratio'])}; mean abs ratio "
        f"{_shown(last['bulk_mean_ratio'])}, which stays near 1 where the bulk grows by "
        "adding eigenvalues of the same size).",
        "",
    ]


def _data_lines(claims: Claims, sweep: Mapping) -> list[str]:
    title = "Data sweep (fixed net; every pair of settings)"
    if not sweep["holds"]:
        verdict = claims.untestable(DATA_CLAIM, FINDING, settings=len(sweep["settings"]))
        return [f"{title}: {verdict} (fewer than two data settings at a common seed).", ""]
    comparisons = [c for pair in sweep["pairs"] for c in pair["per_seed"]]
    moved = sum(c["outliers_move"] for c in comparisons)
    stayed = sum(c["bulk_stays"] for c in comparisons)
    verdict = claims.decide_over(
        DATA_CLAIM,
        sweep["holds"],
        FINDING,
        comparisons=len(comparisons),
        outliers_move=moved,
        bulk_stays=stayed,
        outlier_stay_factor=OUTLIER_STAY_FACTOR,
        bulk_move_factor=BULK_MOVE_FACTOR,
    )
    return [
        f"{title}:",
        "",
        *_settings_table(sweep),
        *_pairs_table(sweep, "outliers_move", "bulk_stays"),
        f"Claim: {DATA_CLAIM}: {verdict} ({sum(sweep['holds'])}/{len(sweep['holds'])} "
        "seeds). The test, per seed, in every pair of settings: one of the top min(k) "
        f"eigenvalues, rank by rank, changes by more than a factor {OUTLIER_STAY_FACTOR:g} "
        f"(in {moved}/{len(comparisons)} pairs x seeds) and the bulk trace and mean abs "
        f"stay within a factor {BULK_MOVE_FACTOR:g} (in {stayed}/{len(comparisons)}). The "
        "number of outliers is k by definition here, so its change with k is no test; "
        "Table 1's counters measure it.",
        "",
    ]


def conjecture_lines(claims: Claims, numbers: Mapping) -> list[str]:
    """The section, from the numbers file of `steps.conjecture.figure_conjecture`."""
    return [
        "## Adding parameters scales the bulk, changing the data moves the outliers (abstract)",
        "",
        "Blob network 100 -> [h, h] -> k at the end of training, the exact float64 spectrum. "
        "Outliers: the k largest eigenvalues; bulk: all the others. Each value over the seeds "
        "(each seed redraws data and initialisation; settings are compared seed by seed): "
        "median [lowest, highest]. A ratio is the later setting's value over the earlier one's.",
        "",
        *_width_lines(claims, numbers["width"]),
        *_data_lines(claims, numbers["data"]),
    ]
