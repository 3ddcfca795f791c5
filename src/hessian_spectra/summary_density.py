"""The summary's section on sampled spectral densities: stochastic Lanczos quadrature (ours
and the peer libraries', each at its default counts) against the exact float64 spectrum of
the same net (`steps.density`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .verdicts import FINDING, Claims

# A quadrature of m = 100 nodes resolves mass to about range / m: W1 within 1 % of the
# range is that resolution. KS, blind to scale, sees the bulk's shape near zero too: no
# point where the CDF is off by a tenth of M.
W1_RELATIVE_BOUND = 0.01
KS_BOUND = 0.1
# The share of M below zero (below minus the round-off floor where the spectrum has one,
# the paper's count of negative eigenvalues), within 5 points of the exact share.
NEGATIVE_SHARE_TOLERANCE = 0.05
# Outliers read off a density plot: each of the 10 largest within 1 % of the exact value.
TOP_RELATIVE_BOUND = 0.01

W1_CLAIM = (
    "stochastic Lanczos quadrature at the libraries' default counts places the spectral "
    "mass to within the resolution of its nodes (Wasserstein-1)"
)
KS_CLAIM = (
    "stochastic Lanczos quadrature at the libraries' default counts recovers the "
    "distribution of the eigenvalues (Kolmogorov-Smirnov)"
)
NEGATIVE_CLAIM = "stochastic Lanczos quadrature finds the share of negative eigenvalues"
TOP_CLAIM = "stochastic Lanczos quadrature's largest Ritz values are the top-10 eigenvalues"


def _number(value, form: str = ".2e") -> str:
    return "n/a" if value is None else format(value, form)


def _negative(entry: Mapping, row: Mapping) -> tuple[float, float]:
    """(the method's share, the exact share) below -floor, or below 0 without a floor."""
    key = (
        "negative_share"
        if entry["exact"]["round_off_floor"] is None
        else "negative_share_below_floor"
    )
    return row[key], entry["exact"][key]


def _table(entry: Mapping) -> list[str]:
    exact = entry["exact"]
    floor = exact["round_off_floor"]
    lines = [
        f"{entry['label']} (M = {entry['M']:,}): exact spectrum in [{exact['lambda_min']:.4g}, "
        f"{exact['lambda_max']:.4g}], negative share {exact['negative_share']:.3f}"
        + (
            ""
            if floor is None
            else f" ({exact['negative_share_below_floor']:.3f} below "
            f"-{floor:.1e}, the round-off floor)"
        )
        + ".",  # fmt: skip
        "",
        "| method | measure | steps x vectors | products | W1 | W1 / range | KS | "
        "top-10 rel. error | negative share |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in entry["methods"]:
        if row["skipped"] is not None:
            lines.append(f"| {row['name']} | skipped: {row['skipped']} ||||||||")
            continue
        lines.append(
            f"| {row['name']} | {row['measure']} | {row['iterations']} x {row['vectors']} | "
            f"{row['products']:,} | {row['w1']:.3g} | "
            f"{row['w1_relative']:.2e} | {row['ks']:.3f} | {_number(row['top10_error'])} | "
            f"{_negative(entry, row)[0]:.3f} |"
        )
    return lines + [""]


def _verdict(
    claims: Claims,
    claim: str,
    numbers: Mapping,
    measured: Callable[[Mapping, Mapping], tuple[bool, str] | None],
    test: str,
    **bounds,
) -> list[str]:
    """One verdict over every net and method run: `measured(entry, row)` gives whether the
    case holds and its numbers in words, or None where the case has no such number."""
    cases = [
        (entry["label"], row["name"], *result)
        for entry in numbers["nets"]
        for row in entry["methods"]
        if row["skipped"] is None and (result := measured(entry, row)) is not None
    ]
    if not cases:
        return [f"Claim: {claim}: {claims.untestable(claim, FINDING)} (no method ran).", ""]
    hits = [hit for _, _, hit, _ in cases]
    off = [f"{name} on {label}: {words}" for label, name, hit, words in cases if not hit]
    verdict = claims.decide_over(claim, hits, FINDING, off=off, **bounds)
    return [
        f"Claim: {claim}: {verdict} ({sum(hits)}/{len(hits)} nets x methods). Test: {test}. "
        + ("Off: " + "; ".join(off) + "." if off else "None off."),
        "",
    ]


def _against(name: str, value: float, bound: float) -> str:
    return f"{name} {value:.3g} ({value / bound:.1f}x the bound {bound:g})"


def _w1_case(entry: Mapping, row: Mapping) -> tuple[bool, str]:
    w1 = row["w1_relative"]
    return w1 <= W1_RELATIVE_BOUND, _against("W1 / range", w1, W1_RELATIVE_BOUND)


def _ks_case(entry: Mapping, row: Mapping) -> tuple[bool, str]:
    return row["ks"] <= KS_BOUND, _against("KS", row["ks"], KS_BOUND)


def _negative_case(entry: Mapping, row: Mapping) -> tuple[bool, str]:
    reported, exact = _negative(entry, row)
    error = abs(reported - exact)
    words = f"share {reported:.3f} against {exact:.3f} exact (off by {error:.3f})"
    return error <= NEGATIVE_SHARE_TOLERANCE, words


def _top_case(entry: Mapping, row: Mapping) -> tuple[bool, str] | None:
    error = row["top10_error"]
    if error is None:
        return None
    return error <= TOP_RELATIVE_BOUND, _against("rel. error", error, TOP_RELATIVE_BOUND)


def density_lines(claims: Claims, numbers: Mapping) -> list[str]:
    """The section, from the numbers file of `steps.density.figure_density`."""
    lines = [
        "## Sampled spectral densities against the exact spectrum",
        "",
        "Stochastic Lanczos quadrature (Ghorbani et al. 2019; Papyan 2020) estimates the "
        "Hessian's spectral density from a few Lanczos runs; here each estimate meets the "
        "exact float64 spectrum of the same net. Ours: full reorthogonalisation, Rademacher "
        "start vectors; each peer library at its own default counts. W1: the Wasserstein-1 "
        "distance to the exact eigenvalues (each 1/M); KS: the largest gap between the CDFs; "
        "top-10: the median over a method's runs of the largest relative error of its 10 "
        "largest Ritz values; negative share: the weight it puts below zero (below minus the "
        "round-off floor where the spectrum has one). A grid density (curvlinops) is its "
        "measure as the library returns it; `curvlinops fast_lanczos` is the quadrature under "
        "that grid, from the same call.",
        "",
    ]
    for entry in numbers["nets"]:
        lines += _table(entry)
    lines += _verdict(
        claims, W1_CLAIM, numbers, _w1_case,
        f"W1 / range <= {W1_RELATIVE_BOUND:g} on every net, every method",
        w1_relative_bound=W1_RELATIVE_BOUND,
    )  # fmt: skip
    lines += _verdict(
        claims, KS_CLAIM, numbers, _ks_case,
        f"KS <= {KS_BOUND:g} on every net, every method (a quadrature lumps the bulk near "
        "zero into a few heavy nodes: W1 barely sees where within it they fall, KS does)",
        ks_bound=KS_BOUND,
    )  # fmt: skip
    lines += _verdict(
        claims, NEGATIVE_CLAIM, numbers, _negative_case,
        f"the share within {NEGATIVE_SHARE_TOLERANCE:g} of the exact share",
        tolerance=NEGATIVE_SHARE_TOLERANCE,
    )  # fmt: skip
    lines += _verdict(
        claims, TOP_CLAIM, numbers, _top_case,
        f"rel. error <= {TOP_RELATIVE_BOUND:g} for every method with Ritz values",
        top_relative_bound=TOP_RELATIVE_BOUND,
    )  # fmt: skip
    return lines
