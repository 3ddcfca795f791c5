"""The MNIST-1K and CIFAR-10 sections of summary.md (Sections 3.2-4.1): each claim with
our numbers and the test that decides it."""

from __future__ import annotations

from collections.abc import Mapping

from .runs import MNIST_CLASSES, MNIST_PIXELS
from .verdicts import ENGINE_CHECK, FINDING, NEGATIVE_TO_LARGEST_LIMIT, Claims

# The paper's Fig. 5 reads the negative eigenvalues "as a percentage of M": the share of
# eigenvalues below -floor is about the same for every width. "About" is a factor 2 here.
SHARE_SPREAD_LIMIT = 2.0


# The share (k - 1) h / M tends to as the one-hidden-layer ReLU net widens.
RELU_SHARE_LIMIT = (MNIST_CLASSES - 1) / (MNIST_PIXELS + MNIST_CLASSES + 1)


def relu_negative_bound(parameter_count: int) -> int:
    """(k - 1) h, the most negative eigenvalues the Hessian of a one-hidden-layer ReLU net
    on MNIST (d = 784, k = 10, M = (d + 1) h + (h + 1) k) can have."""
    hidden = (parameter_count - MNIST_CLASSES) // (MNIST_PIXELS + 1 + MNIST_CLASSES)
    return (MNIST_CLASSES - 1) * hidden


def _negative_share_lines(claims: Claims, fc: Mapping) -> list[str]:
    """The share of negative eigenvalues above the round-off floor, per width, and whether
    it is about constant. Only full float64 spectra take part: a Lanczos spectrum does not
    give the share, and a float32 floor hides the small negative eigenvalues."""
    usable = {
        label: entry
        for label, entry in fc.items()
        if entry["complete"] and entry["precision"] == "float64"
    }
    left_out = sorted(set(fc) - set(usable))
    shares = [entry["negative_share"] for entry in usable.values()]
    described = ", ".join(
        f"{label}: {entry['negative_count']:,} of {entry['M']:,} = "
        f"{100 * entry['negative_share']:.2f} % (floor {entry['floor']:.1e})"
        for label, entry in usable.items()
    )
    if len(shares) < 2:
        holds, test = None, "fewer than two full float64 spectra: not tested"
    else:
        spread = max(shares) / min(shares) if min(shares) > 0 else float("inf")
        holds = spread <= SHARE_SPREAD_LIMIT
        test = f"largest / smallest share = {spread:.2f}, test: at most {SHARE_SPREAD_LIMIT:g}"
    at_bound = bool(usable) and all(
        entry["negative_count"] == relu_negative_bound(entry["M"]) for entry in usable.values()
    )
    kind = ENGINE_CHECK if at_bound else FINDING
    claim = claims.decide("the share of negative eigenvalues stays as the net widens", holds, kind)
    lines = [
        f"Negative eigenvalues below minus the round-off floor M * eps * max|lambda|, as a "
        f"share of M: {described or 'none'}. Claim: the share of negative eigenvalues stays "
        f"the same as the net widens: {claim} ({test}).",
        "",
    ]
    if at_bound:
        lines += [
            "Every count is (k - 1) h, the most a one-hidden-layer ReLU net allows: G is "
            "positive semi-definite, and R's only non-zero blocks couple each hidden unit's "
            "input weights with its output weights through residuals that sum to zero over "
            "the k classes (rank k - 1 per unit). The constant share is that bound's, (k - 1) h "
            f"/ M -> (k - 1) / (d + k + 1) = {RELU_SHARE_LIMIT:.2%}, "
            "so here it is an engine check, not a finding; a tanh net (`mnist.activation: "
            "tanh`), which has no such bound, measures it.",
            "",
        ]
    if left_out:
        lines += [
            f"Left out of that test: {', '.join(left_out)} (a Lanczos spectrum, or a "
            "reduced-precision one whose floor hides the small negative eigenvalues; "
            "results/mnist_fc.json records each floor).",
            "",
        ]
    return lines


def mnist_lines(claims: Claims, fc: Mapping) -> list[str]:
    """The fully connected widths of Figs. 3 and 5."""
    largest = [entry["largest"] for entry in fc.values()]
    edges = [entry["top_edge"] for entry in fc.values()]
    sizes = [entry["M"] for entry in fc.values()]
    spread = max(largest) / min(largest)
    edge_spread = max(edges) / min(edges)
    negatives = {label: entry["negative_to_largest"] for label, entry in fc.items()}
    small = sum(value < NEGATIVE_TO_LARGEST_LIMIT for value in negatives.values())
    lines = [
        "## MNIST-1K: the outliers do not follow the number of parameters (Sec. 3.2, Figs. 3, 5)",
        "",
        f"From M = {min(sizes):,} to {max(sizes):,} parameters the largest eigenvalue varies "
        f"by a factor {spread:.2f} ({', '.join(f'{v:.3g}' for v in largest)}) and the smallest "
        f"of the top ones shown by a factor {edge_spread:.2f}. Claim: the right edge does not "
        "change with the size of the network: "
        + claims.decide(
            "the right edge of the spectrum does not change with the number of parameters",
            spread < 2 and edge_spread < 2,
            largest_spread=spread,
            edge_spread=edge_spread,
            limit=2,
        )
        + " (test: both factors below 2).",
        "",
        *_negative_share_lines(claims, fc),
        "|lambda_min| / lambda_max: "
        + ", ".join(f"{label}: {value:.2e}" for label, value in negatives.items())
        + ". Claim: the negative eigenvalues are orders of magnitude smaller than the "
        "outliers: "
        + claims.decide(
            "MNIST: the negative eigenvalues are orders of magnitude smaller than the outliers",
            True if small == len(negatives) else (None if small else False),
            below_limit=small,
            nets=len(negatives),
            limit=NEGATIVE_TO_LARGEST_LIMIT,
        )
        + f" (test: below {NEGATIVE_TO_LARGEST_LIMIT}).",
        "",
    ]
    return lines


def batch_lines(claims: Claims, conv: Mapping, roles: Mapping[str, str]) -> list[str]:
    """The convnet of Figs. 4 and 6 after the large and the small batch; `roles` maps each
    label of `conv` to its run's role ("LB" or "SB")."""
    by_role = {roles[label]: entry for label, entry in conv.items()}
    lb, sb = by_role["LB"], by_role["SB"]
    ratio = lb["largest"] / sb["largest"]
    return [
        "## Large batch ends at larger outliers than small batch (Sec. 3.3, Figs. 4, 6)",
        "",
        f"Largest eigenvalue: LB {lb['largest']:.4g}, SB {sb['largest']:.4g} (LB / SB = "
        f"{ratio:.2f}); |lambda_min| / lambda_max: LB {lb['negative_to_largest']:.2e}, SB "
        f"{sb['negative_to_largest']:.2e}. Claim: LB has larger outliers: "
        + claims.decide("LB has larger outliers than SB", ratio > 1, ratio=ratio)
        + " (test: LB / SB > 1).",
        "",
    ]


def cifar_lines(
    claims: Claims, training: Mapping, line: Mapping, top_lb: float, top_sb: float
) -> list[str]:
    gain = training["test_accuracy_gain"]
    end_loss = max(line["train_loss_lb"], line["train_loss_sb"])
    barrier = line["train_barrier"]
    beyond_lb, beyond_sb = line["train_rise_beyond_lb"], line["train_rise_beyond_sb"]
    start, stop = line["coefficients"]
    return [
        "## CIFAR-10: large and small batch solutions lie in one basin (Sec. 4.1, Figs. 7-9)",
        "",
        f"Test accuracy at the end of Part I (batch {training['batch_sizes'][0]}): "
        f"{training['part1_test_accuracy']:.4f}; at the end of Part II (batch "
        f"{training['batch_sizes'][1]}): {training['part2_test_accuracy']:.4f}, a gain of "
        f"{100 * gain:+.2f} points. Claim: the small batch ends more accurate (paper: about "
        "+1 point): "
        + claims.decide("the small batch ends more accurate", gain > 0, gain=gain)
        + " (test: gain > 0).",
        "",
        f"Training loss at the switch {training['part1_train_loss']:.4g}, largest during "
        f"Part II {training['largest_train_loss_after_switch']:.4g}. Claim: the loss jumps "
        "when the batch shrinks: "
        + claims.decide(
            "the loss jumps when the batch shrinks",
            training["largest_train_loss_after_switch"] > training["part1_train_loss"],
        )
        + " (test: a Part II record above the switch's loss).",
        "",
        f"On the segment between the two solutions the training loss rises at most "
        f"{barrier:.3g} above the larger end point's ({end_loss:.4g}; test loss: "
        f"{line['test_barrier']:.3g}). Claim: no barrier between LB and SB: "
        + claims.decide("no barrier between LB and SB", barrier <= 0.01 * end_loss, barrier=barrier)
        + " (test: barrier below 1% of the larger end-point loss).",
        "",
        f"Past the end points (a = {start:g} and a = {stop:g}) the training loss rises by "
        f"{beyond_lb:.4g} beyond LB and {beyond_sb:.4g} beyond SB. Our reading of Fig. 7: the "
        "line leaving LB is steeper (LB is sharper): "
        + claims.decide("the line leaving LB is steeper", beyond_lb > beyond_sb)
        + " (test: larger rise beyond LB).",
        "",
        f"Beyond the paper: the largest Hessian eigenvalue (training subset) is {top_lb:.4g} "
        f"at LB and {top_sb:.4g} at SB (LB / SB = {top_lb / top_sb:.2f}). LB sits at larger "
        "outliers, as on MNIST: "
        + claims.decide("CIFAR-10: LB has larger outliers than SB", top_lb > top_sb)
        + " (test: LB / SB > 1).",
        "",
    ]
