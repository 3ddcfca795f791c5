"""The MNIST-1K and CIFAR-10 verdicts of summary.md (`summary_networks`) on hand-made
numbers: Fig. 5's convergence, the share of negative eigenvalues of the tanh widths beside
the ReLU ones, and the CIFAR-10 gain against the paper's magnitude; each able to fail."""

from __future__ import annotations

import pytest

from hessian_spectra import summary_networks
from hessian_spectra.verdicts import Claims


def net(width: int, activation: str = "relu", count: int | None = None, **extra) -> dict:
    """mnist_fc.json's entry of a one-hidden-layer net; `count` negative eigenvalues below
    the floor, by default the ReLU bound (k - 1) h."""
    m = 785 * width + 10 * (width + 1)
    count = 9 * width if count is None else count
    return {
        "M": m, "largest": 1.0, "top_edge": 0.1, "smallest": -1e-3,
        "negative_to_largest": 1e-3, "complete": True, "precision": "float64",
        "floor": 1e-12, "negative_count": count, "negative_share": count / m,
        "activation": activation, **extra,
    }  # fmt: skip


def widths_with_distances(distances) -> dict:
    """Widths 10, 30, 50, ... with `distances` between successive curves."""
    widths = [10 + 20 * i for i in range(len(distances) + 1)]
    fc = {f"hidden = {widths[0]}": net(widths[0])}
    for before, width, distance in zip(widths, widths[1:], distances, strict=False):
        fc[f"hidden = {width}"] = net(
            width, previous=f"hidden = {before}", distance_to_previous=distance
        )
    return fc


def decided(fc: dict) -> tuple[str, dict]:
    """summary.md's MNIST text and each claim's (verdict, kind)."""
    claims = Claims()
    text = "\n".join(summary_networks.mnist_lines(claims, fc))
    return text, {item["claim"]: (item["verdict"], item["kind"]) for item in claims.items}


CONVERGE = "the curves of negative eigenvalues converge as the net widens"


@pytest.mark.parametrize(
    ("distances", "verdict"),
    [
        ((3e-3, 2e-3, 1e-3), "holds"),
        ((1e-3, 2e-3, 3e-3), "does not hold"),
        ((3e-3, 1e-3, 2e-3), "mixed"),
        ((3e-3, 3e-3), "does not hold"),  # not smaller: no convergence
        ((3e-3,), "not testable here"),
        ((), "not testable here"),
    ],
)
def test_the_convergence_verdict_follows_the_distances_between_successive_widths(
    distances, verdict
):
    text, claims = decided(widths_with_distances(distances))
    assert claims[CONVERGE] == (verdict, "finding")
    assert f"shape converges as the net widens: **{verdict}**" in text
    if distances:
        assert f"hidden = 10 to hidden = 30: {distances[0]:.3g}" in text


def test_tanh_widths_get_a_share_claim_of_their_own_and_it_is_a_finding():
    """At the ReLU bound the ReLU share is an engine check; the tanh share is a finding even
    where a tanh count happens to equal (k - 1) h, and it fails where the share moves."""
    relu = {f"hidden = {h}": net(h) for h in (10, 30)}
    steady = {f"tanh, hidden = {h}": net(h, "tanh", count=40 * h) for h in (10, 30)}
    text, claims = decided(relu | steady)
    share = "the share of negative eigenvalues stays as the net widens"
    assert claims[share] == ("holds", "engine check")
    assert claims[f"tanh: {share}"] == ("holds", "finding")
    assert "The tanh widths beside them (`mnist.fc.tanh_hidden`)" in text
    assert "tanh, hidden = 30: 1,200 of 23,860" in text
    at_bound = {f"tanh, hidden = {h}": net(h, "tanh") for h in (10, 30)}
    assert decided(relu | at_bound)[1][f"tanh: {share}"] == ("holds", "finding")
    moving = {"tanh, hidden = 10": net(10, "tanh", 40), "tanh, hidden = 30": net(30, "tanh", 900)}
    assert decided(relu | moving)[1][f"tanh: {share}"] == ("does not hold", "finding")
    lone = {"tanh, hidden = 10": net(10, "tanh", 400)}
    assert decided(relu | lone)[1][f"tanh: {share}"] == ("not testable here", "finding")
    assert f"tanh: {share}" not in decided(relu)[1]  # no tanh widths, no tanh claim


def test_the_paper_claims_are_judged_on_the_paper_widths_only():
    """A tanh net's larger top does not move the right edge of the ReLU widths, nor its
    larger negatives their size against the top."""
    relu = {f"hidden = {h}": net(h) for h in (10, 30)}
    tanh = {"tanh, hidden = 10": net(10, "tanh", largest=5.0, negative_to_largest=0.5)}
    _, claims = decided(relu | tanh)
    edge = "the right edge of the spectrum does not change with the number of parameters"
    assert claims[edge][0] == "holds"
    small = "MNIST: the negative eigenvalues are orders of magnitude smaller than the outliers"
    assert claims[small][0] == "holds"
    everything_tanh = {label: entry | {"activation": "tanh"} for label, entry in tanh.items()}
    assert decided(everything_tanh)[1][edge][0] == "holds"  # mnist.activation: tanh


def cifar(gain: float, n_train: int = 50_000, n_test: int = 10_000) -> str:
    claims = Claims()
    training = {
        "batch_sizes": [1000, 32], "part1_test_accuracy": 0.7,
        "part2_test_accuracy": 0.7 + gain, "part1_train_loss": 0.02,
        "largest_train_loss_after_switch": 0.4, "test_accuracy_gain": gain,
        "n_train": n_train, "n_test": n_test,
    }  # fmt: skip
    line = {
        "coefficients": [-0.5, 1.5], "train_loss_lb": 0.02, "train_loss_sb": 0.05,
        "train_barrier": 0.0, "test_barrier": 0.0, "train_rise_beyond_lb": 3.0,
        "train_rise_beyond_sb": 1.0,
    }  # fmt: skip
    return "\n".join(summary_networks.cifar_lines(claims, training, line, 40.0, 10.0))


@pytest.mark.parametrize(
    ("gain", "magnitude", "positive"),
    [
        (0.0049, "does not hold", "holds"),
        (0.005, "holds", "holds"),
        (0.01, "holds", "holds"),
        (0.02, "holds", "holds"),
        (0.0201, "does not hold", "holds"),
        (-0.01, "does not hold", "does not hold"),
    ],
)
def test_the_accuracy_gain_is_tested_against_the_papers_magnitude(gain, magnitude, positive):
    """Within 0.5 to 2 points (GAIN_BAND, about the paper's one point) or not; gain > 0
    is the weaker second line."""
    assert summary_networks.GAIN_BAND == (0.005, 0.02)
    text = cifar(gain)
    assert f"about 1 point more accurate (the paper's gain): **{magnitude}**" in text
    assert f"the small batch ends more accurate: **{positive}** (test: gain > 0)" in text


def test_the_cifar_section_says_which_data_its_numbers_come_from():
    assert "50,000 training and 10,000 test images" in cifar(0.01)
    assert "all of CIFAR-10, as in the paper" in cifar(0.01)
    subset = cifar(0.01, n_train=160, n_test=40)
    assert "160 training and 40 test images" in subset
    assert "not the paper's 50,000 and 10,000" in subset and "as in the paper" not in subset
