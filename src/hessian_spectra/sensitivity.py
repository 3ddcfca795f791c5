"""The sensitivity runs: Table 1's counters of a run in a variant of the setup (the
authors' code's settings: N = 100, biases drawn N(0, 0.1^2), cov as a variance) beside
those of the same cell and seed in the setup, at every stop."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .tables import COUNTERS

# What one pair's row keeps of each run's Table 1 row.
KEPT = ("M", "mean", "max", "min", "steps", "gradient_norm", *COUNTERS)
# A counter "moves" with a variant when it changes by more than this many eigenvalues.
COUNT_TOLERANCE = 1


def pair_row(variant: str, base: Mapping, varied: Mapping) -> dict:
    """One cell, seed and stop: its fields, then each kept number of the setup's run
    (`base_<key>`) and of the variant's (`<key>`)."""
    fields = {key: base[key] for key in ("algorithm", "activation", "n_classes", "cov", "seed")}
    return (
        {"variant": variant, **fields, "stop": base["stop"]}
        | {f"base_{key}": base[key] for key in KEPT}
        | {key: varied[key] for key in KEPT}
    )


def moved(row: Mapping, counter: str) -> bool:
    """Whether `counter` differs between the variant and the setup by more than the
    tolerance (a missing count, no elbow, moves only if the other has one)."""
    ours, base = row[counter], row[f"base_{counter}"]
    if ours is None or base is None:
        return (ours is None) != (base is None)
    return abs(ours - base) > COUNT_TOLERANCE


def by_variant(rows: Sequence[Mapping]) -> dict[str, list[Mapping]]:
    """The rows of each variant, in the order they first appear."""
    grouped: dict[str, list[Mapping]] = {}
    for row in rows:
        grouped.setdefault(row["variant"], []).append(row)
    return grouped


def summary_of(rows: Sequence[Mapping]) -> dict:
    """Per variant, over its pairs at every stop: how many moved per counter, and the range
    of the variant's mean eigenvalue over the setup's."""
    result = {}
    for variant, group in by_variant(rows).items():
        ratios = [row["mean"] / row["base_mean"] for row in group if row["base_mean"]]
        result[variant] = {
            "pairs": len(group),
            **{
                f"{counter}_moved": sum(moved(row, counter) for row in group)
                for counter in COUNTERS
            },  # fmt: skip
            "mean_ratio_low": min(ratios, default=None),
            "mean_ratio_high": max(ratios, default=None),
        }
    return result
