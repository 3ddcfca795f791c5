"""The summary's sections on Table 1's grid: where training stopped, the outlier counts
against k (Table 1, Fig. 2) and the negative eigenvalues.

Table 1 holds every run (cell and seed) at every stop; these sections judge the runs at
their final stop (`final_rows`), pooled over seeds, with the spread over seeds beside each
hit count: the lowest and highest count of one seed, and a Wilson 95 % interval on the
pooled rate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .paper_comparison import wilson_interval
from .runs import BlobRun
from .tables import COUNTERS, agreement
from .verdicts import NEGATIVE_TO_LARGEST_LIMIT, Claims


def _same_stop(stop: float | None, tolerance: float | None) -> bool:
    if stop is None or tolerance is None:
        return stop is tolerance
    return math.isclose(stop, tolerance, rel_tol=1e-9)


def final_rows(rows: Sequence[dict], tolerances: Mapping[str, float | None]) -> list[dict]:
    """The rows of Table 1 at each run's final stop: where `stop` is its algorithm's
    tolerance in `tolerances` (None: a run without tolerances, one stop)."""
    return [row for row in rows if _same_stop(row["stop"], tolerances[row["algorithm"]])]


def hit_spread(rows: Sequence[dict], key: str, tolerance: int = 0) -> dict:
    """Rows whose `key` counts k to within `tolerance`: pooled, with its Wilson interval,
    and the lowest and highest hits of one seed, out of that seed's rows."""
    hits, total = agreement(rows, key, tolerance)
    seeds = sorted({row["seed"] for row in rows})
    per_seed = [agreement([r for r in rows if r["seed"] == s], key, tolerance) for s in seeds]
    return {
        "hits": hits,
        "runs": total,
        "interval": list(wilson_interval(hits, total)),
        "per_seed": [min(h for h, _ in per_seed), max(h for h, _ in per_seed)],
        "of_per_seed": max(n for _, n in per_seed),
        "seeds": len(seeds),
    }


def _range(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


def _hits_text(spread: Mapping) -> str:
    """'12/20 runs (95 %: 39-78 %; per seed 5-7 of 10)', without the per-seed part for
    one seed."""
    low, high = spread["interval"]
    text = f"{spread['hits']}/{spread['runs']} runs (95 %: {low:.0%}-{high:.0%}"
    if spread["seeds"] > 1:
        text += f"; per seed {_range(*spread['per_seed'])} of {spread['of_per_seed']}"
    return text + ")"


def paper_cutoff_lines(rows: Sequence[dict]) -> list[str]:
    """The count above the paper's own elbow cutoffs, beside the kneed elbow: absolute
    cutoffs depend on the scale of the spectrum, so they transfer only where our scale
    matches the paper's."""
    with_cutoff = [r for r in rows if r["above_paper_cutoff"] is not None]
    if not with_cutoff:
        return []
    cells = len({(r["algorithm"], r["activation"], r["n_classes"], r["cov"]) for r in with_cutoff})
    exact, near = (hit_spread(with_cutoff, "above_paper_cutoff", t) for t in (0, 1))
    return [
        f"Above the paper's own elbow cutoffs (Table 1's last column, for the {cells} cells "
        f"it gives one for): equal to k in {_hits_text(exact)}, within one of k in "
        f"{_hits_text(near)}; the kneed elbow on the same runs, within one of k in "
        f"{_hits_text(hit_spread(with_cutoff, 'heur', 1))}. An absolute cutoff holds only at "
        "the paper's scale of the spectrum, which depends on where training stopped.",
        "",
    ]


def _stop_name(stop: float | None) -> str:
    return "no tolerance" if stop is None else f"|grad| < {stop:g}"


def counter_lines(
    claims: Claims, rows: Sequence[dict], final: Sequence[dict], fig2: Sequence[Mapping]
) -> list[str]:
    """Table 1's counters against k over the grid at the final stop (`final`), the best
    one at every stop of `rows`, and Fig. 2's runs (`fig2`: the fields of each run the
    figure shows)."""
    seeds = len({r["seed"] for r in final})
    pooled = "one seed" if seeds == 1 else f"{seeds} seeds pooled"
    lines = [
        "## Outliers follow the data: k clusters give k outliers (Sec. 3.1, Table 1)",
        "",
        f"Every grid run at its final stop, {pooled}; 95 %: the Wilson interval of the pooled "
        f"rate; per seed: the lowest and highest hits of one seed's {len(final) // seeds} runs.",
        "",
        "| rule | count = k | 95 % | per seed | within 1 of k | per seed "
        "| within 1 of k: relu / tanh |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key in COUNTERS:
        exact, near = hit_spread(final, key), hit_spread(final, key, 1)
        by_act = " / ".join(
            "{}/{}".format(*agreement([r for r in final if r["activation"] == act], key, 1))
            for act in ("relu", "tanh")
        )
        low, high = exact["interval"]
        lines.append(
            f"| {key} | {exact['hits']}/{exact['runs']} | {low:.0%}-{high:.0%} "
            f"| {_range(*exact['per_seed'])} | {near['hits']}/{near['runs']} "
            f"| {_range(*near['per_seed'])} | {by_act} |"
        )
    best = max(COUNTERS, key=lambda key: agreement(final, key, tolerance=1)[0])
    exact, near = hit_spread(final, best), hit_spread(final, best, 1)
    stops = sorted({r["stop"] for r in rows}, key=lambda s: math.inf if s is None else -s)
    by_stop = {stop: agreement([r for r in rows if r["stop"] == stop], best) for stop in stops}
    total = near["runs"]
    lines += [
        "",
        f"Claim: the number of outliers equals the number of clusters. Best rule: `{best}`, "
        f"within one of k in {_hits_text(near)}: "
        + claims.decide(
            "the number of outliers equals the number of clusters",
            True if near["hits"] == total else (False if near["hits"] < total / 2 else None),
            rule=best,
            within_one=near["hits"],
            runs=total,
            within_one_interval=near["interval"],
            within_one_per_seed=near["per_seed"],
            exact=exact["hits"],
            exact_interval=exact["interval"],
            exact_per_seed=exact["per_seed"],
            seeds=seeds,
            exact_by_stop={"none" if st is None else f"{st:g}": hn for st, hn in by_stop.items()},
        )
        + " (over the whole grid; the paper's own rows, its counts and ours scored the "
        "same way, are in the section on Table 1 against the paper).",
        "",
    ]
    if len(by_stop) > 1:
        lines += [
            f"Count = k by `{best}` at each stop of training (the first gradient norm below "
            "it): "
            + ", ".join(f"{_stop_name(st)}: {h}/{n}" for st, (h, n) in by_stop.items())
            + ".",
            "",
        ]
    return lines + paper_cutoff_lines(final) + _fig2_lines(claims, final, fig2)


def _row_of(rows: Sequence[dict], run: Mapping) -> dict | None:
    """The row of the blob run with `run`'s fields and seed among `rows` (those of the
    final stop), if the grid holds it."""
    fields = ("algorithm", "activation", "n_classes", "cov", "seed")
    key = tuple(float(run[f]) if f == "cov" else run[f] for f in fields)
    found = [r for r in rows if tuple(r[f] for f in fields) == key]
    return found[0] if found else None


def _fig2_lines(claims: Claims, final: Sequence[dict], fig2: Sequence[Mapping]) -> list[str]:
    """Fig. 2's count above the largest gap at each k, seed by seed (first seed first)."""
    shown = [(run, _row_of(final, run)) for run in fig2]
    shown = [(run, row) for run, row in shown if row is not None]
    if not shown:
        return []
    counts: dict[int, list[int]] = {}
    for _, row in sorted(shown, key=lambda pair: pair[1]["n_classes"]):
        counts.setdefault(row["n_classes"], []).append(row["gap"])
    seeds = list(dict.fromkeys(run["seed"] for run, _ in shown))
    setting = BlobRun(**shown[0][0]).in_words(with_k=False)
    listed = ", ".join(f"k={k}: {'/'.join(map(str, c))}" for k, c in counts.items())
    if len(seeds) > 1:
        listed += f" (seeds {'/'.join(map(str, seeds))})"
    hits = sum(c == k for k, found in counts.items() for c in found)
    return [
        f"Fig. 2 ({setting}), count above the largest gap: {listed}. "
        f"Claim: it equals k for every k: "
        + claims.decide(
            f"Fig. 2 ({setting}): the count above the largest gap equals k",
            True if hits == len(shown) else (None if hits else False),
            counts=counts,
            seeds=seeds,
            hits=hits,
            runs=len(shown),
        )
        + f" ({hits}/{len(shown)}).",
        "",
    ]


def negative_lines(claims: Claims, final: Sequence[dict]) -> list[str]:
    """|lambda_min| / lambda_max of every run at its final stop."""
    ratios = np.array([abs(min(r["min"], 0.0)) / r["max"] for r in final])
    limit = NEGATIVE_TO_LARGEST_LIMIT
    small = int((ratios < limit).sum())
    return [
        "## Negative eigenvalues are much smaller than the outliers (Sec. 3.4)",
        "",
        f"|lambda_min| / lambda_max over the {len(final)} runs at their final stop: median "
        f"{np.median(ratios):.2e}, largest {ratios.max():.2e}; below 0.1 in "
        f"{int((ratios < 0.1).sum())}/{len(final)} runs, below {limit:g} (the yardstick of "
        f"this claim and of MNIST's, two orders of magnitude) in {small}/{len(final)}. Claim: "
        + claims.decide(
            "negative eigenvalues are much smaller than the outliers",
            True if small == len(final) else (None if small else False),
            median=float(np.median(ratios)),
            largest=float(ratios.max()),
            below_limit=small,
            runs=len(final),
            limit=limit,
        )
        + f" (test: below {limit:g} in every run).",
        "",
    ]


def stopping_lines(
    claims: Claims, final: Sequence[dict], tolerances: Mapping[str, float | None]
) -> list[str]:
    """Whether each algorithm's runs reached their final stop, the smallest gradient
    tolerance, not the step cap: every absolute number of a spectrum depends on where
    training stopped."""
    lines = ["## Where training stopped", ""]
    for algorithm, tolerance in tolerances.items():
        runs = [r for r in final if r["algorithm"] == algorithm]
        if not runs:
            continue
        steps = [r["steps"] for r in runs]
        norms = [r["gradient_norm"] for r in runs]
        span = (
            f"{len(runs)} run{'s' * (len(runs) > 1)}, {min(steps):,} to {max(steps):,} steps, "
            f"final gradient norm {min(norms):.1e} to {max(norms):.1e}"
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
