"""The summary's sections on the two trajectory experiments: the gradient in the top
eigenspace (Gur-Ari et al. 2018; `subspace`) and the edge of stability (Cohen et al. 2021;
`stability`), from the numbers files of `steps.trajectories`."""

from __future__ import annotations

from collections.abc import Mapping

from .stability import (
    AGREEMENT_TOLERANCE,
    REACH_LEVEL,
    SETTLED_BAND,
    SETTLED_FROM,
    lanczos_agrees,
)
from .subspace import OVERLAP_LEVEL, SETTLE_FRACTION, SHARE_LEVEL
from .verdicts import ENGINE_CHECK, FINDING, Claims

SHARE_CLAIM = "after a short time the gradient lives in the top-C eigenspace of the Hessian"
OVERLAP_CLAIM = "after a short time the top-C eigenspace of the Hessian changes little"
EDGE_CLAIM = "once lambda_max reaches 2 / eta, gradient descent stays at the edge of stability"
LANCZOS_CLAIM = "Lanczos's lambda_max equals the dense solve's"


def subspace_lines(claims: Claims, numbers: Mapping) -> list[str]:
    """One table row per trajectory and two verdicts over the trajectories: the share at
    every late checkpoint at least SHARE_LEVEL, the overlap of consecutive late eigenspaces
    at least OVERLAP_LEVEL."""
    entries = numbers["trajectories"]
    lines = [
        "## Gradient descent happens in a tiny subspace (Gur-Ari, Roberts & Dyer 2018)",
        "",
        "Full-batch GD; at each checkpoint the top-C eigenvectors V of the exact Hessian (C "
        "classes), the share of the full-batch gradient g in their span, ||V^T g||^2 / "
        "||g||^2, and the overlap of consecutive top-C eigenspaces, ||V_t^T V_t+1||_F^2 / C "
        f"(1: the same subspace). Late: the checkpoints from {SETTLE_FRACTION:.0%} of a run's "
        "steps on.",
        "",
        "| trajectory | eta | C | M | steps | late checkpoints | share at the last | "
        "lowest late share | lowest late overlap |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in entries:
        lines.append(
            f"| {e['label']} | {e['learning_rate']:g} | {e['C']} | {e['M']:,} | "
            f"{e['steps'][-1]:,} | {e['late_checkpoints']} | {e['share'][-1]:.3f} | "
            f"{e['lowest_share']:.3f} | {e['lowest_overlap']:.3f} |"
        )
    lines.append("")
    if not entries:
        return [
            *lines,
            *(f"Claim: {claim}: {claims.untestable(claim, FINDING, trajectories=0)} "
              "(no trajectories)." for claim in (SHARE_CLAIM, OVERLAP_CLAIM)),
            "",
        ]  # fmt: skip
    share = claims.decide_over(
        SHARE_CLAIM,
        [e["gradient_in_top"] for e in entries],
        FINDING,
        lowest_share=min(e["lowest_share"] for e in entries),
        share_level=SHARE_LEVEL,
        settle_fraction=SETTLE_FRACTION,
    )
    overlap = claims.decide_over(
        OVERLAP_CLAIM,
        [e["span_stays"] for e in entries],
        FINDING,
        lowest_overlap=min(e["lowest_overlap"] for e in entries),
        overlap_level=OVERLAP_LEVEL,
        settle_fraction=SETTLE_FRACTION,
    )
    return [
        *lines,
        f"Claim: {SHARE_CLAIM}: {share} (test: the share at every late checkpoint at least "
        f"{SHARE_LEVEL:g}, in {sum(e['gradient_in_top'] for e in entries)}/{len(entries)} "
        f"trajectories; Gur-Ari et al. see most of the gradient, 0.9 and more, there).",
        "",
        f"Claim: {OVERLAP_CLAIM}: {overlap} (test: the overlap between consecutive late "
        f"checkpoints at least {OVERLAP_LEVEL:g}, in "
        f"{sum(e['span_stays'] for e in entries)}/{len(entries)} trajectories; random "
        "subspaces would overlap by C / M).",
        "",
    ]


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def stability_lines(claims: Claims, numbers: Mapping) -> list[str]:
    """One table row per learning rate; a verdict over the rates whose ratio reaches
    REACH_LEVEL (its settled median in SETTLED_BAND), not testable where none does; and an
    engine check of Lanczos against the dense solve at each run's last checkpoint."""
    entries, test = numbers["trajectories"], numbers["test"]
    low, high = SETTLED_BAND
    lines = [
        "## The edge of stability (Cohen et al. 2021)",
        "",
        "One net trained by full-batch GD at several learning rates eta; lambda_max of the "
        "exact Hessian at each checkpoint (Lanczos), and the ratio lambda_max eta / 2 (1: "
        "the edge, where GD on the quadratic model stops being stable). A run reaches the "
        f"edge at its first ratio of at least {REACH_LEVEL:g}; it settles where the median "
        f"ratio over the second half of the steps (from {SETTLED_FROM:g} of the last) lies.",
        "",
        "| trajectory | eta | 2 / eta | M | steps | peak ratio (step) | first reached | "
        "settled ratio | ratio at the last | loss at the last |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in entries:
        first = "never" if e["first_reach_step"] is None else f"{e['first_reach_step']:,}"
        lines.append(
            f"| {e['label']} | {e['learning_rate']:g} | {2 / e['learning_rate']:.4g} | "
            f"{e['M']:,} | {e['steps'][-1]:,} | {e['peak_ratio']:.3f} ({e['peak_step']:,}) | "
            f"{first} | {_ratio(e['settled_ratio'])} | {e['ratio'][-1]:.3f} | "
            f"{e['loss'][-1]:.3g} |"
        )
    lines.append("")
    if test["diverged"]:
        lines.append(
            "Left out of the test, as they did not train (the loss at the last checkpoint at "
            "least the first: the first steps blew it up and left the net dead): eta = "
            + ", ".join(f"{rate:g}" for rate in test["diverged"])
            + "."
        )
    if not test["reached"]:
        verdict = claims.untestable(
            EDGE_CLAIM, FINDING, largest_ratio=test["largest_ratio"], reach_level=REACH_LEVEL
        )
        lines.append(
            f"Claim: {EDGE_CLAIM}: {verdict}: no learning rate took the ratio to "
            f"{REACH_LEVEL:g} (the largest seen: {test['largest_ratio']:.3f})."
        )
    else:
        settled = [e["settled_ratio"] for e in entries if e["learning_rate"] in test["reached"]]
        verdict = claims.decide_over(
            EDGE_CLAIM,
            test["settled"],
            FINDING,
            learning_rates=test["reached"],
            settled_ratios=settled,
            band=list(SETTLED_BAND),
        )
        lines.append(
            f"Claim: {EDGE_CLAIM}: {verdict} (test: the settled ratio in [{low:g}, {high:g}] "
            f"for each learning rate that trained and reached the edge ({len(settled)}): "
            + ", ".join(f"{ratio:.3f}" for ratio in settled)
            + "). With cross-entropy the sharpness can fall late in training, as the loss "
            "goes to zero: the ratio at the last checkpoint shows it."
        )
    differences = [abs(e["lanczos_last"] - e["exact_last"]) / abs(e["exact_last"]) for e in entries]
    agrees = claims.decide(
        LANCZOS_CLAIM,
        all(lanczos_agrees(e["lanczos_last"], e["exact_last"]) for e in entries),
        ENGINE_CHECK,
        largest_relative_difference=max(differences),
        tolerance=AGREEMENT_TOLERANCE,
    )
    return [
        *lines,
        "",
        f"Engine check: {LANCZOS_CLAIM} at each run's last checkpoint: {agrees} (largest "
        f"relative difference {max(differences):.1e}; tolerance {AGREEMENT_TOLERANCE:g}).",
        "",
    ]
