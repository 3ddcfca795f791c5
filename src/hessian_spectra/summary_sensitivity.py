"""The sensitivity section of summary.md: Table 1's counts in the authors' code's settings
beside the setup's, one variant at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .sensitivity import COUNT_TOLERANCE, by_variant, moved
from .tables import COUNTERS
from .verdicts import Claims

# What each variant of the default config changes, in words (others: their name).
DESCRIBED = {
    "n100": "N = 100 training points",
    "bias": "biases drawn N(0, 0.1^2)",
    "variance": "cov read as a variance (cluster std sqrt(cov))",
}


def _stop(stop: float | None) -> str:
    return "the end" if stop is None else f"|grad| < {stop:g}"


def _pair_cells(row: Mapping) -> str:
    counts = "; ".join(f"{row[f'base_{c}']} -> {row[c]}" for c in COUNTERS)
    return (
        f"| {row['variant']} | {row['algorithm'].upper()} {row['activation']} | "
        f"{row['n_classes']} | {row['cov']:g} | {row['seed']} | {_stop(row['stop'])} | "
        f"{row['base_M']} -> {row['M']} | {counts} | {row['mean'] / row['base_mean']:.2f} |"
    )


def sensitivity_lines(claims: Claims, numbers: Mapping) -> list[str]:
    """One table row per pair and stop, and per variant a verdict: no counter moves by
    more than COUNT_TOLERANCE in any pair."""
    rows: Sequence[Mapping] = numbers["rows"]
    lines = [
        "## Sensitivity: Table 1 in the authors' code's settings (Sec. 3.1, Appendix A)",
        "",
        "Each run beside the same cell and seed in the setup (arrows: setup -> variant); "
        f"counts {', '.join(COUNTERS)}; mean: the variant's mean eigenvalue over the setup's.",
        "",
        "| variant | run | k | cov | seed | stop | M | gap; ratio; heur | mean |",
        "|---|---|---:|---:|---:|---|---|---|---:|",
        *(_pair_cells(row) for row in rows),
        "",
    ]
    for variant, group in by_variant(rows).items():
        moves = {counter: sum(moved(row, counter) for row in group) for counter in COUNTERS}
        held = all(not moved(row, counter) for row in group for counter in ("gap", "ratio"))
        lines += [
            f"{DESCRIBED.get(variant, variant)} (`{variant}`): the counts move by more than "
            f"{COUNT_TOLERANCE} in "
            + ", ".join(f"{counter} {moves[counter]}/{len(group)}" for counter in COUNTERS)
            + " rows. Claim: Table 1's gap and ratio counts do not depend on this choice: "
            + claims.decide(
                f"Table 1's counts do not depend on the setting {variant}",
                held,
                rows=len(group),
                **{f"{counter}_moved": count for counter, count in moves.items()},
                tolerance=COUNT_TOLERANCE,
            )
            + f" (test: gap and ratio within {COUNT_TOLERANCE} of the setup's in every row).",
            "",
        ]
    return lines
