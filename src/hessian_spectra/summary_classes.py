"""The summary's section on the class structure of the Gauss-Newton term G (Papyan 2019,
2020; `classes`): C outliers from the class means, a mini-bulk of about C(C - 1) from the
cross-class means, separated from the bulk of the within-class part, and the top
eigenvectors in the span of the class means. Each claim is tested per net and decided
over all nets."""

from __future__ import annotations

from collections.abc import Mapping

from .verdicts import FINDING, Claims

# (a) The outliers end where G_means's rank does: the largest log-gap among G's top
# C^2 + C eigenvalues lies within this many places of rank(G_means). Softmax caps that rank
# at C - 1 (the weighted class means sum to zero), which is what is tested; a slack of one
# also accepts Papyan's count of C, while a gap at the end of the mini-bulk (near C(C - 1))
# or inside it fails. At C = 2 the slack reaches C(C - 1) = 2 too: there the test cannot
# tell the outliers from the mini-bulk.
OUTLIER_COUNT_SLACK = 1
# (b) "About C(C - 1)": the count of G's eigenvalues above lambda_max(G_within) within this
# fraction of rank(G_means + G_cross) (C(C - 1) at most; the two ranges overlap, see
# `classes`). Weyl's inequality caps the count at that rank, so the test can only fail from
# below: it fails where the within-class part reaches above more than a fifth of the
# between-class eigenvalues, i.e. where the mini-bulk is not separated from the bulk.
MINI_BULK_TOLERANCE = 0.2
# (c) "The top eigenvectors lie in the span of the class means": every principal angle
# between G's top rank(G_means) eigenvectors and that span below this many degrees, so
# each top direction keeps at least cos^2 30 deg = 3/4 of its squared length in the span.
SPAN_ANGLE_LIMIT_DEG = 30.0

OUTLIER_CLAIM = "G has C outliers, from the class means (C - 1 with softmax)"
MINI_BULK_CLAIM = (
    "a mini-bulk of about C(C - 1) eigenvalues, from the cross-class means, lies above the "
    "within-class bulk"
)
SPAN_CLAIM = "G's top eigenvectors lie in the span of the class means"


def constants() -> dict:
    """The thresholds of the three tests, for the step's numbers file."""
    return {
        "outlier_count_slack": OUTLIER_COUNT_SLACK,
        "mini_bulk_tolerance": MINI_BULK_TOLERANCE,
        "span_angle_limit_deg": SPAN_ANGLE_LIMIT_DEG,
    }


def outliers_separated(net: Mapping) -> bool:
    """(a): the largest log-gap lies within the slack of rank(G_means)."""
    return abs(net["largest_gap_position"] - net["means_rank"]) <= OUTLIER_COUNT_SLACK


def mini_bulk_separated(net: Mapping) -> bool:
    """(b): the count above lambda_max(G_within) within the tolerance of rank(G_between)."""
    return (
        abs(net["above_within"] - net["between_rank"]) <= MINI_BULK_TOLERANCE * net["between_rank"]
    )


def in_means_span(net: Mapping) -> bool:
    """(c): the largest principal angle below the limit (no class means: no span, fails)."""
    angle = net["largest_angle_deg"]
    return angle is not None and angle < SPAN_ANGLE_LIMIT_DEG


def _angle(net: Mapping) -> str:
    angle = net["largest_angle_deg"]
    return "n/a" if angle is None else f"{angle:.1f}"


def _shares(net: Mapping) -> str:
    return " / ".join(
        f"{net[key]:.3f}"
        for key in ("means_trace_share", "cross_trace_share", "within_trace_share")
    )


def _table(nets: list[Mapping]) -> list[str]:
    lines = [
        "| net | C | M | N | loss | rank G (bound) | rank G_means (bound) | "
        "rank G_cross (bound) | rank G_means + G_cross (bound) | lambda_max(G) | "
        "lambda_max(G_within) | above it | largest log-gap after | largest angle (deg) | "
        "trace shares means / cross / within |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in nets:
        lines.append(
            f"| {n['label']} | {n['n_classes']} | {n['M']:,} | {n['N']:,} | {n['loss']:.3g} | "
            f"{n['gauss_newton_rank']:,} ({n['gauss_newton_rank_bound']:,}) | "
            f"{n['means_rank']} ({n['means_rank_bound']}) | "
            f"{n['cross_rank']} ({n['cross_rank_bound']}) | "
            f"{n['between_rank']} ({n['between_rank_bound']}) | "
            f"{n['gauss_newton_top'][0]:.3g} | {n['within_largest']:.3g} | "
            f"{n['above_within']} | {n['largest_gap_position']} | {_angle(n)} | {_shares(n)} |"
        )
    return lines + [""]


def _gap(net: Mapping) -> str:
    return f"{net['largest_gap_position']} / {net['means_rank']}"


def _count(net: Mapping) -> str:
    return f"{net['above_within']} / {net['between_rank']}"


def _listed(nets: list[Mapping], form) -> str:
    return "; ".join(f"{n['label']}: {form(n)}" for n in nets)


def _claims(claims: Claims, nets: list[Mapping]) -> list[str]:
    outliers = [outliers_separated(n) for n in nets]
    mini_bulk = [mini_bulk_separated(n) for n in nets]
    span = [in_means_span(n) for n in nets]
    gaps = {n["label"]: [n["largest_gap_position"], n["means_rank"]] for n in nets}
    counts = {n["label"]: [n["above_within"], n["between_rank"]] for n in nets}
    angles = {n["label"]: n["largest_angle_deg"] for n in nets}
    verdicts = [
        claims.decide_over(OUTLIER_CLAIM, outliers, FINDING, gap_and_means_rank=gaps,
                           slack=OUTLIER_COUNT_SLACK),
        claims.decide_over(MINI_BULK_CLAIM, mini_bulk, FINDING, above_and_between_rank=counts,
                           tolerance=MINI_BULK_TOLERANCE),
        claims.decide_over(SPAN_CLAIM, span, FINDING, largest_angle_deg=angles,
                           limit_deg=SPAN_ANGLE_LIMIT_DEG),
    ]  # fmt: skip
    return [
        f"(a) Claim: {OUTLIER_CLAIM}: {verdicts[0]} ({sum(outliers)}/{len(nets)} nets). "
        f"The test: the largest log-gap among G's top C^2 + C eigenvalues lies within "
        f"{OUTLIER_COUNT_SLACK} of rank(G_means) (largest gap after / rank: "
        f"{_listed(nets, _gap)}).",
        "",
        f"(b) Claim: {MINI_BULK_CLAIM}: {verdicts[1]} ({sum(mini_bulk)}/{len(nets)} nets). "
        f"The test: the count of G's eigenvalues above lambda_max(G_within) within "
        f"{MINI_BULK_TOLERANCE:.0%} of rank(G_means + G_cross), which caps it (Weyl) "
        f"(count / rank: {_listed(nets, _count)}"
        "). That rank is at most C(C - 1), not rank(G_means) + rank(G_cross) "
        f"({_listed(nets, lambda n: n['means_rank'] + n['cross_rank'])}): where W is invertible "
        "the class means lie in the span of the cross-class differences.",
        "",
        f"(c) Claim: {SPAN_CLAIM}: {verdicts[2]} ({sum(span)}/{len(nets)} nets). The test: "
        f"every principal angle between G's top rank(G_means) eigenvectors and the span of "
        f"the class means below {SPAN_ANGLE_LIMIT_DEG:g} degrees (largest: "
        f"{_listed(nets, _angle)}).",
        "",
    ]


def classes_lines(claims: Claims, numbers: Mapping) -> list[str]:
    """The section, from the numbers file of `steps.classes.figure_classes`."""
    nets = list(numbers["nets"])
    lines = [
        "## Class structure of the Gauss-Newton term (Papyan 2019, 2020)",
        "",
        "G = (1/N) sum_i sum_c' p_ic' g_ic' g_ic'^T, g_ic' the gradient of sample i's loss had "
        "its label been c', splits exactly into G_means (the class means delta_c', rank "
        "<= C - 1), G_cross (the cross-class means delta_cc' about them, rank <= C(C - 1)) "
        "and G_within (the rest), each positive semi-definite; G_means + G_cross has rank "
        "<= C(C - 1). All eigenvalues of G in float64 (the Gram matrix of the N C x M "
        "per-label gradients on its smaller side); the parts' from their factors.",
        "",
    ]
    if not nets:
        for claim in (OUTLIER_CLAIM, MINI_BULK_CLAIM, SPAN_CLAIM):
            verdict = claims.untestable(claim, FINDING, nets=0)
            lines.append(f"Claim: {claim}: {verdict} (no nets).")
        return lines + [""]
    return lines + _table(nets) + _claims(claims, nets)
