"""The abstract's conjecture, measured: "increasing the number of parameters merely scales
the bulk of the spectrum; [...] changing the data only affects the outliers".

Each spectrum is split into its outliers, the k largest eigenvalues (k classes), and its
bulk, every other eigenvalue (`measure`). Two sweeps compare the spectra of the blob
network: at fixed data over the hidden width (`width_sweep`; claim: the outliers stay and
the bulk moves) and at a fixed net over the data (`data_sweep`; claim: the outliers move
and the bulk stays). Settings are compared seed by seed (a seed redraws the data and the
initialisation, so only equal seeds pair up), each claim decided per seed with the factors
below, and every ratio reported over the seeds as a median and a range. Numpy only.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

# `above_fraction` counts the eigenvalues with |lambda| above this fraction of lambda_max:
# three orders of magnitude below the top, and far above the float64 round-off floor
# M eps lambda_max (6e-12 lambda_max at M = 27,850), so it sees the bulk's spread, not
# round-off.
LARGE_FRACTION = 1e-3
# The outliers "stay" when each of the top-k eigenvalues, rank by rank, changes by at most
# this factor (and "move" when one changes by more): the project's yardstick for "about
# the same" (as SHARE_SPREAD_LIMIT in `summary_networks`).
OUTLIER_STAY_FACTOR = 2.0
# The bulk "moves" when its trace changes by more than this factor; it "stays" when its
# trace and its mean |lambda| both change by at most it. Widening h = 30 -> 120 multiplies
# M by 6.5, so a bulk that grows with M moves well past it; over the data sweep M changes
# by at most 1.37 (k = 2 -> 50, output layer only), so M's own change cannot move the bulk.
# The same factor as the outliers', so neither side of a claim gets a looser test.
BULK_MOVE_FACTOR = 2.0


def measure(values: np.ndarray, n_classes: int) -> dict:
    """The outliers and the bulk of one spectrum (any order), as plain numbers: M, the
    outliers (descending), lambda_max, the outliers' and the bulk's traces, the bulk's mean
    |lambda| and edge (lambda_k+1), bulk trace / outlier trace (None unless the outlier
    trace is positive), and how many |lambda| exceed LARGE_FRACTION lambda_max.

    The outliers are the k largest eigenvalues. Softmax leaves k - 1 class directions per
    sample, but the paper counts k outliers and the project's Table 1 counts near k; and
    the error of taking one too many is the milder one: a bulk eigenvalue among the
    outliers is one rank of the rank-by-rank comparison, whereas an outlier left in the
    bulk can outweigh the bulk's thousands of near-zero eigenvalues in its trace.
    """
    ordered = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    if ordered.size <= n_classes:
        raise ValueError(
            f"a spectrum of {ordered.size} eigenvalues has no bulk beyond k = {n_classes}"
        )
    outliers, bulk = ordered[:n_classes], ordered[n_classes:]
    lambda_max = float(ordered[0])
    outlier_trace, bulk_trace = float(outliers.sum()), float(bulk.sum())
    return {
        "M": int(ordered.size),
        "outliers": [float(value) for value in outliers],
        "lambda_max": lambda_max,
        "outlier_trace": outlier_trace,
        "bulk_trace": bulk_trace,
        "bulk_mean_abs": float(np.abs(bulk).mean()),
        "bulk_edge": float(bulk[0]),
        "bulk_to_outlier_mass": bulk_trace / outlier_trace if outlier_trace > 0 else None,
        "above_fraction": int((np.abs(ordered) > LARGE_FRACTION * lambda_max).sum()),
    }


def _spread(values: Sequence[float | None]) -> dict | None:
    """{"median", "low", "high"} of the defined values; None where none is."""
    defined = [value for value in values if value is not None]
    if not defined:
        return None
    return {"median": float(np.median(defined)), "low": min(defined), "high": max(defined)}


def _ratio(before: float, after: float) -> float | None:
    """after / before where both are positive; None (no comparison) otherwise."""
    return after / before if before > 0 and after > 0 else None


def _within(ratio: float | None, factor: float) -> bool:
    return ratio is not None and 1 / factor <= ratio <= factor


def _beyond(ratio: float | None, factor: float) -> bool:
    return ratio is not None and not _within(ratio, factor)


def _outlier_factor(before: Sequence[float], after: Sequence[float]) -> float | None:
    """The largest factor by which one of the top eigenvalues changed, rank by rank over
    the ranks both have: exp of the largest |log ratio|; None if one is not positive."""
    ratios = [_ratio(b, a) for b, a in zip(before, after, strict=False)]
    if None in ratios:
        return None
    return math.exp(max(abs(math.log(ratio)) for ratio in ratios))


def _compare(before: Mapping, after: Mapping) -> dict:
    """How one seed's spectrum changed from one setting to another, and what that says."""
    factor = _outlier_factor(before["outliers"], after["outliers"])
    trace = _ratio(before["bulk_trace"], after["bulk_trace"])
    mean = _ratio(before["bulk_mean_abs"], after["bulk_mean_abs"])
    return {
        "seed": before["seed"],
        "outlier_factor": factor,
        "bulk_trace_ratio": trace,
        "bulk_mean_ratio": mean,
        "outliers_stay": factor is not None and factor <= OUTLIER_STAY_FACTOR,
        "outliers_move": factor is not None and factor > OUTLIER_STAY_FACTOR,
        "bulk_moves": _beyond(trace, BULK_MOVE_FACTOR),
        "bulk_stays": _within(trace, BULK_MOVE_FACTOR) and _within(mean, BULK_MOVE_FACTOR),
    }


def _settings(entries: Sequence[Mapping]) -> dict[str, dict[int, Mapping]]:
    """label -> seed -> entry, labels in the order they first appear; one M and one k per
    label, one entry per label and seed."""
    settings: dict[str, dict[int, Mapping]] = {}
    for entry in entries:
        seeds = settings.setdefault(entry["label"], {})
        if entry["seed"] in seeds:
            raise ValueError(f"{entry['label']}: seed {entry['seed']} given twice")
        seeds[entry["seed"]] = entry
    for label, seeds in settings.items():
        if len({(e["M"], e["n_classes"]) for e in seeds.values()}) > 1:
            raise ValueError(f"{label}: the seeds differ in M or k")
    return settings


def _summary(label: str, seeds: Mapping[int, Mapping]) -> dict:
    """One setting over its seeds."""
    first = next(iter(seeds.values()))
    keys = ("lambda_max", "bulk_edge", "bulk_trace", "bulk_mean_abs", "bulk_to_outlier_mass")
    return {
        "label": label,
        "M": first["M"],
        "n_classes": first["n_classes"],
        "seeds": sorted(seeds),
        "smallest_outlier": _spread([e["outliers"][-1] for e in seeds.values()]),
        "above_fraction": _spread([e["above_fraction"] for e in seeds.values()]),
        **{key: _spread([e[key] for e in seeds.values()]) for key in keys},
    }


def _pair(settings: Mapping[str, Mapping[int, Mapping]], before: str, after: str) -> dict:
    """Two settings compared at every seed they share."""
    shared = sorted(set(settings[before]) & set(settings[after]))
    per_seed = [_compare(settings[before][s], settings[after][s]) for s in shared]
    first_before, first_after = (next(iter(settings[label].values())) for label in (before, after))
    return {
        "from": before,
        "to": after,
        "M_ratio": first_after["M"] / first_before["M"],
        "per_seed": per_seed,
        **{
            key: _spread([c[key] for c in per_seed])
            for key in ("outlier_factor", "bulk_trace_ratio", "bulk_mean_ratio")
        },
    }


def _sweep(
    settings: Mapping[str, Mapping[int, Mapping]],
    pairs: Sequence[tuple[str, str]],
    tested: Sequence[tuple[str, str]],
    holds: Callable[[Mapping], bool],
) -> dict:
    """The settings and the `pairs` of labels compared; per seed, whether `holds` (a test
    of one comparison) passes on every pair in `tested` that the seed has."""
    compared = [_pair(settings, before, after) for before, after in pairs]
    verdicts: dict[int, bool] = {}
    for pair in compared:
        if (pair["from"], pair["to"]) in tested:
            for comparison in pair["per_seed"]:
                seed = comparison["seed"]
                verdicts[seed] = verdicts.get(seed, True) and holds(comparison)
    return {
        "settings": [_summary(label, seeds) for label, seeds in settings.items()],
        "pairs": compared,
        "tested": [list(pair) for pair in tested],
        "seeds": sorted(verdicts),
        "holds": [verdicts[seed] for seed in sorted(verdicts)],
    }


def width_sweep(entries: Sequence[Mapping]) -> dict:
    """The width sweep at fixed data, nets in the order of their M, whatever the order of
    the labels: every net against the smallest; the claim, per seed, on the smallest
    against the largest: the outliers stay and the bulk moves. Every net must have the
    same k."""
    if len({entry["n_classes"] for entry in entries}) > 1:
        raise ValueError("a width sweep compares nets on the same data: one k")
    settings = dict(
        sorted(_settings(entries).items(), key=lambda item: next(iter(item[1].values()))["M"])
    )
    labels = list(settings)
    pairs = [(labels[0], label) for label in labels[1:]]
    return _sweep(settings, pairs, pairs[-1:], lambda c: c["outliers_stay"] and c["bulk_moves"])


def data_sweep(entries: Sequence[Mapping]) -> dict:
    """The data sweep at a fixed net: every pair of settings, and the claim, per seed, on
    all of them: the outliers move and the bulk stays. Settings with different k share
    their top min(k) ranks; the count of outliers is k by definition here, so it is no
    test (Table 1's counters measure it)."""
    settings = _settings(entries)
    pairs = list(itertools.combinations(settings, 2))
    return _sweep(settings, pairs, pairs, lambda c: c["outliers_move"] and c["bulk_stays"])
