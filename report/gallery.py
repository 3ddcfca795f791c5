"""The README's two tables of verdicts: each figure of the paper (the gallery) and each
experiment beyond it, with its image of record, the claim in one line and our verdict,
read from the record's summary (`report/readme_numbers.py` fills the pages with these)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from result_blocks import config_of, fig2_counts, listing, load  # beside this file

from hessian_spectra import network_runs, summary_networks
from hessian_spectra.verdicts import Claims


# The README's gallery: each figure (and the two results without one) beside the paper's
# claim in one line and our verdict, read from the record. A verdict is the summary's
# (summary.json); Figs. 3-6, which the default summary leaves out (`summary.include_mnist`),
# get the summary's own tests run on the record's MNIST numbers; a figure that no claim
# tests shows its numbers instead.
class Shown(NamedTuple):
    label: str
    page: str  # where its section is, from the README
    paper: str  # the paper's claim, in one line
    claims: tuple[tuple[str, str], ...] = ()  # (our words, the claim as the summary states it)
    png: str | None = None  # report/record/figures/<png>.png
    numbers: Callable[[Path], str | None] | None = None  # where no claim tests it


def _fig1_shown(record: Path) -> str | None:
    if not (record / "fig1.json").exists():
        return None
    end = load(record, "fig1.json")["final"]
    return (
        f"shown (no test of its own): at the end lambda_max = {end['max']:.2g}, "
        f"{end['negative_count']:,} of {end['M']:,} eigenvalues below minus the round-off "
        f"floor, \\|lambda_min\\| / lambda_max = {end['negative_to_largest']:.1e}"
    )


def _fig2_shown(record: Path) -> str | None:
    if not (record / "table1.csv").exists():
        return None
    counts, _ = fig2_counts(record)
    return (
        f"first seed's counts {listing([found[0] for found in counts.values()])} for k = "
        f"{listing(list(counts))}"
    )


def _fig6_shown(record: Path) -> str | None:
    if not (record / "mnist_conv.json").exists():
        return None
    nets = load(record, "mnist_conv.json")
    return "shown (no test of its own): " + ", ".join(
        f"{label} {net['negative_share']:.2%} of M below minus the floor, \\|lambda_min\\| / "
        f"lambda_max {net['negative_to_largest']:.1e}"
        for label, net in nets.items()
    )


GALLERY = (
    Shown(
        "Fig. 1",
        "docs/blobs.md#fig-1-the-spectrum-at-a-random-initial-point-and-at-the-end-of-gd",
        "at a random point the spectrum spreads on both sides of zero; after GD it is a bulk "
        "at zero and a few outliers (Sec. 2.1)",
        (("over the grid, negatives much smaller than the outliers (Sec. 3.4)",
          "negative eigenvalues are much smaller than the outliers"),),
        png="fig1",
        numbers=_fig1_shown,
    ),
    Shown(
        "Fig. 2",
        "docs/blobs.md#fig-2-the-gap-above-the-bulk-equals-the-number-of-clusters",
        "after SGD the number of eigenvalues above the gap equals the number of classes k "
        "(Sec. 3.1)",
        (("count above the largest gap = k", "Fig. 2 "),),
        png="fig2",
        numbers=_fig2_shown,
    ),
    Shown(
        "Table 1",
        "docs/blobs.md#table-1-counting-the-outliers-over-the-whole-grid",
        "over the grid of k, GD / SGD, ReLU / tanh and cov, the gap, ratio and elbow rules "
        "count k outliers (Sec. 3.1)",
        (("k outliers", "the number of outliers equals the number of clusters"),
         ("the paper's scale of the spectrum", "the paper's scale of the spectrum reproduces"),
         ("every GD / SGD run stopped at its gradient tolerance",
          "every GD run stopped at its gradient tolerance"),
         ("", "every SGD run stopped at its gradient tolerance")),
    ),
    Shown(
        "GD and SGD",
        "docs/blobs.md#gd-and-sgd-the-same-solution-from-the-same-start",
        "at one step size GD and SGD reach the same loss in the same number of iterations "
        "(Sagun et al. 2014, quoted in Sec. 4)",
        (("same number of steps to the tolerance",
          "GD and SGD with one step size reach the tolerance in the same number of steps"),
         ("one basin (distance and barrier)", "GD and SGD from one start end in one basin")),
    ),
    Shown(
        "Sensitivity",
        "docs/blobs.md#variants-of-the-setup-the-sensitivity-runs-and-the-conjectures-sweeps",
        "(not in the paper: the authors' code's settings, N = 100, biases N(0, 0.1^2), cov as "
        "a variance, against ours)",
        (("counts unchanged at N = 100", "Table 1's counts do not depend on the setting n100"),
         ("with drawn biases", "Table 1's counts do not depend on the setting bias"),
         ("with cov as a variance", "Table 1's counts do not depend on the setting variance")),
    ),
    Shown(
        "Conjecture",
        "docs/blobs.md#variants-of-the-setup-the-sensitivity-runs-and-the-conjectures-sweeps",
        "adding parameters merely scales the bulk, changing the data only affects the "
        "outliers (abstract)",
        (("wider net: outliers stay, bulk scales", "at fixed data, adding parameters"),
         ("other data: outliers move, bulk stays", "at a fixed net, changing the data")),
        png="fig_conjecture",
    ),
    Shown(
        "Fig. 3",
        "docs/mnist.md",
        "the right edge of the spectrum does not change with the number of parameters "
        "(Sec. 3.2)",
        (("right edge unchanged as M grows",
          "the right edge of the spectrum does not change with the number of parameters"),),
        png="fig3",
    ),
    Shown(
        "Fig. 5",
        "docs/mnist.md#the-round-off-floor-and-figs-5-6",
        "the negative eigenvalues are orders of magnitude smaller than the outliers, and their "
        "share of M stays as the net widens (Sec. 3.2)",
        (("orders of magnitude smaller",
          "MNIST: the negative eigenvalues are orders of magnitude smaller than the outliers"),
         ("same share of M", "the share of negative eigenvalues stays as the net widens"),
         ("tanh widths, same share", "tanh: the share of negative eigenvalues stays"),
         ("the curves converge", "the curves of negative eigenvalues converge")),
        png="fig5",
    ),
    Shown(
        "Fig. 4",
        "docs/mnist.md",
        "a large batch ends at larger outliers than a small one (Sec. 3.3)",
        (("LB has larger outliers", "LB has larger outliers than SB"),),
        png="fig4",
    ),
    Shown(
        "Fig. 6",
        "docs/mnist.md#the-round-off-floor-and-figs-5-6",
        "the negative eigenvalues of the same large- and small-batch pair (Sec. 3.3)",
        png="fig6",
        numbers=_fig6_shown,
    ),
    Shown(
        "Fig. 8",
        "docs/cifar.md",
        "switching from batch 1,000 to 32 makes the loss jump, and the small batch ends about "
        "1 point more accurate (Sec. 4.1)",
        (("loss jumps at the switch", "the loss jumps when the batch shrinks"),
         ("about 1 point more accurate", "the small batch ends about 1 point more accurate"),
         ("more accurate at all", "the small batch ends more accurate")),
        png="fig8",
    ),
    Shown(
        "Fig. 9",
        "docs/cifar.md#the-line",
        "no barrier on the straight line between the large- and small-batch solutions "
        "(Sec. 4.1)",
        (("no barrier", "no barrier between LB and SB"),),
        png="fig9",
    ),
    Shown(
        "Fig. 7",
        "docs/cifar.md#fig-7-is-our-reading",
        "lines leaving each end point confirm that the large-batch solution is sharper "
        "(Sec. 4.1; no caption in the source, our reading)",
        (("the line leaving LB is steeper", "the line leaving LB is steeper"),
         ("LB's top Hessian eigenvalue larger", "CIFAR-10: LB has larger outliers than SB")),
        png="fig7",
    ),
    Shown(
        "Fig. 10",
        "docs/appendix-b.md",
        "logistic regression on one blob: a Marchenko-Pastur bulk of ratio M/N; two blobs: "
        "one outlier (Appendix B)",
        (("Marchenko-Pastur", "at w = 0 the bulk of logistic regression on one blob"),
         ("one outlier where BBP puts it", "at w = 0 two blobs give exactly one outlier"),
         ("at the trained weights, Marchenko-Pastur",
          "at the trained weights the bulk follows Marchenko-Pastur"),
         ("at the trained weights, one outlier where BBP puts it",
          "two blobs at the trained weights give one outlier")),
        png="fig10",
    ),
    Shown(
        "H = G + R",
        "docs/blobs.md#the-gauss-newton-decomposition-h--g--r-section-22-not-a-figure-of-the-paper",
        "G carries the outliers, R is small, negative eigenvalues come from R (Sec. 2.2; the "
        "paper has no figure for it)",
        (("rank(G) <= N (k - 1)", "rank(G) <= N (k - 1)"),
         ("G positive semi-definite", "G is positive semi-definite"),
         ("R small", "R is small against lambda_max(H)")),
        png="fig_ggn",
    ),
)  # fmt: skip


# The experiments beyond the paper (docs/beyond.md), each with the work whose claim it tests.
BEYOND = (
    Shown(
        "Class structure of G",
        "docs/beyond.md#the-class-structure-of-g",
        "G's outliers come from the class means: C of them (C - 1 with softmax), then a "
        "C(C - 1) mini-bulk from the cross-class means (Papyan 2019, 2020)",
        (("C outliers", "G has C outliers"),
         ("the mini-bulk above the bulk", "a mini-bulk of about C(C - 1)"),
         ("top eigenvectors in the class means' span", "G's top eigenvectors lie in")),
        png="fig_classes",
    ),
    Shown(
        "Gradient subspace",
        "docs/beyond.md#the-gradient-in-the-top-eigenspace",
        "after a short time the gradient lives in the top-C eigenspace of the Hessian, which "
        "changes little (Gur-Ari, Roberts & Dyer 2018)",
        (("gradient in the top-C eigenspace", "after a short time the gradient lives"),
         ("that eigenspace stays", "after a short time the top-C eigenspace")),
        png="fig_subspace",
    ),
    Shown(
        "Edge of stability",
        "docs/beyond.md#the-edge-of-stability",
        "under full-batch GD, lambda_max reaches 2 / eta and stays there (Cohen et al. 2021)",
        (("stays at 2 / eta", "once lambda_max reaches 2 / eta"),
         ("Lanczos = dense", "Lanczos's lambda_max equals")),
        png="fig_stability",
    ),
    Shown(
        "Sampled densities",
        "docs/beyond.md#sampled-densities-against-the-exact-spectrum",
        "stochastic Lanczos quadrature at the libraries' defaults recovers the spectral "
        "density (Ghorbani et al. 2019; PyHessian, hessian-eigenthings, curvlinops)",
        (("mass placed (W1)", "stochastic Lanczos quadrature at the libraries' default counts "
          "places"),
         ("distribution (KS)", "stochastic Lanczos quadrature at the libraries' default counts "
          "recovers"),
         ("negative share", "stochastic Lanczos quadrature finds the share"),
         ("top-10", "stochastic Lanczos quadrature's largest Ritz values")),
        png="fig_density",
    ),
)  # fmt: skip


def decided_claims(record: Path) -> list[dict]:
    """Every claim the record decides: the summary's, then the MNIST claims it left out,
    decided by the summary's own tests on the record's MNIST numbers."""
    claims = []
    if (record / "summary.json").exists():
        sections = load(record, "summary.json")["sections"]
        claims = [claim for section in sections for claim in section["claims"]]
    if (record / "mnist_fc.json").exists() and (record / "mnist_conv.json").exists():
        mnist = Claims()
        summary_networks.mnist_lines(mnist, load(record, "mnist_fc.json"))
        roles = {run.label: run.role for run in network_runs.mnist_runs(config_of(record)).values()}
        summary_networks.batch_lines(mnist, load(record, "mnist_conv.json"), roles)
        stated = {claim["claim"] for claim in claims}
        claims += [claim for claim in mnist.items if claim["claim"] not in stated]
    return claims


def _detail(numbers: dict) -> str:
    """The number a verdict rests on, in a few words."""
    if "hits" in numbers:
        return f" ({numbers['hits']}/{numbers.get('cases', numbers.get('runs'))})"
    if "within_one" in numbers:
        low, high = numbers["within_one_interval"]
        hits = f"{numbers['within_one']}/{numbers['runs']}, 95 %: {low:.0%}-{high:.0%}"
        return f" (within one of k in {hits}, rule {numbers['rule']})"
    if "below_limit" in numbers:
        cases = numbers.get("runs", numbers.get("nets"))
        return f" ({numbers['below_limit']}/{cases} below {numbers['limit']:g})"
    if "largest_spread" in numbers:
        spreads = f"{numbers['largest_spread']:.2f} and {numbers['edge_spread']:.2f}"
        return f" (the top and the edge vary by factors {spreads})"
    if "gap_moved" in numbers:
        moved = f"{numbers['gap_moved']} and {numbers['ratio_moved']} of {numbers['rows']}"
        return f" (gap and ratio moved by more than one in {moved} rows)"
    if "spread" in numbers:
        return f" (largest / smallest share {numbers['spread']:.2f})"
    if "ratio" in numbers:
        return f" (LB / SB = {numbers['ratio']:.2f})"
    if "gain" in numbers:
        return f" ({100 * numbers['gain']:+.2f} points of test accuracy)"
    if "barrier" in numbers:
        return f" (barrier {numbers['barrier']:.3g} in training loss)"
    if "smallest" in numbers and "largest" in numbers:
        times = f"{numbers['smallest']:.2g} to {numbers['largest']:.2g}"
        return f" (the paper's mean eigenvalue {times} times ours)"
    return ""


def _verdict(claim: dict) -> str:
    check = " (engine check)" if claim["kind"] == "engine check" else ""
    return f"**{claim['verdict']}**{_detail(claim['numbers'])}{check}"


def _ours(shown: Shown, decided: list[dict], record: Path) -> str:
    parts = []
    for words, stated in shown.claims:
        claim = next((c for c in decided if c["claim"].startswith(stated)), None)
        if claim is None:
            continue
        if words:
            parts.append(f"{words}: {_verdict(claim)}")
        else:  # one more verdict of the claim before it
            parts[-1] += f", {_verdict(claim)}" if parts else ""
    numbers = shown.numbers(record) if shown.numbers else None
    if numbers:
        parts.append(numbers)
    return "; ".join(parts) or "(not in this record)"


def _image(shown: Shown, record: Path) -> str:
    if shown.png is None:
        return "(a table)" if shown.label.startswith("Table") else "(no figure)"
    if not (record / "figures" / f"{shown.png}.png").exists():
        return "(not in this record)"
    path = f"report/record/figures/{shown.png}.png"
    return f'<a href="{path}"><img src="{path}" width="260" alt="{shown.label}"></a>'


def _table(record: Path, shown_rows: tuple[Shown, ...], header: str) -> str:
    """One row per `Shown`: its page, its image of record, the claim, our verdict."""
    decided = decided_claims(record)
    rows = [
        f"| [{shown.label}]({shown.page}) | {_image(shown, record)} | {shown.paper} | "
        f"{_ours(shown, decided, record)} |"
        for shown in shown_rows
    ]
    return "\n".join([header, "|---|---|---|---|", *rows])


def gallery(record: Path) -> str:
    """The README's table: each figure, its image of record, the paper's claim, our verdict."""
    return _table(record, GALLERY, "| Figure | | The paper | Ours |")


def beyond(record: Path) -> str:
    """The README's table of the experiments beyond the paper, as the gallery."""
    return _table(record, BEYOND, "| Experiment | | The claim | Ours |")
