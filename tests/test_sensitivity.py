"""The sensitivity runs' comparison (`sensitivity`, `summary_sensitivity`): a variant's
counters beside the setup's, and a verdict that flips when a count moves."""

from __future__ import annotations

import numpy as np
import pytest

from hessian_spectra import sensitivity, tables
from hessian_spectra.summary_sensitivity import sensitivity_lines
from hessian_spectra.verdicts import FAILS, HOLDS, Claims


def row(values, seed=0, stop=None):
    """Table 1's row of a spectrum, as the rule table1 makes it."""
    return tables.table1_row(
        np.asarray(values, dtype=np.float64), algorithm="gd", activation="relu", n_classes=3,
        cov=10.0, seed=seed, init=0, stop=stop, steps=100, gradient_norm=1e-4,
    )  # fmt: skip


BULK = list(np.linspace(-1e-4, 1e-4, 40))
THREE = [*BULK, 1.0, 1.1, 1.2]  # three outliers above the largest gap
FIVE = [*BULK, 1.0, 1.05, 1.1, 1.15, 1.2]


def test_a_pair_row_keeps_both_runs_counts():
    pair = sensitivity.pair_row("n100", row(THREE), row(FIVE))
    assert (pair["base_gap"], pair["gap"]) == (3, 5)
    assert pair["variant"] == "n100" and pair["seed"] == 0 and pair["stop"] is None
    assert pair["mean"] == pytest.approx(np.mean(FIVE))


def test_a_count_moves_only_beyond_the_tolerance():
    assert not sensitivity.moved({"gap": 4, "base_gap": 3}, "gap")
    assert sensitivity.moved({"gap": 5, "base_gap": 3}, "gap")
    assert sensitivity.moved({"heur": None, "base_heur": 3}, "heur")
    assert not sensitivity.moved({"heur": None, "base_heur": None}, "heur")


@pytest.mark.parametrize(("varied", "verdict"), [(THREE, HOLDS), (FIVE, FAILS)])
def test_the_verdict_flips_when_a_count_moves(varied, verdict):
    rows = [sensitivity.pair_row("bias", row(THREE, seed), row(varied, seed)) for seed in (0, 1)]
    claims = Claims()
    text = "\n".join(sensitivity_lines(claims, {"rows": rows}))
    (claim,) = claims.items
    assert claim["verdict"] == verdict
    assert claim["numbers"]["gap_moved"] == (0 if verdict == HOLDS else 2)
    assert f"**{verdict}**" in text and "biases drawn N(0, 0.1^2)" in text
    summary = sensitivity.summary_of(rows)["bias"]
    assert summary["pairs"] == 2 and summary["gap_moved"] == claim["numbers"]["gap_moved"]
