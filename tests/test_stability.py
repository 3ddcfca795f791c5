"""The edge of stability (Cohen et al. 2021): lambda_max along trained nets against dense
solves, the ratio and where it settles on hand-made numbers, the step from checkpoints to
a figure and its numbers, and the verdicts on both sides of each level."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from hessian_spectra import stability
from hessian_spectra.problems import Problem
from hessian_spectra.steps.trajectories import figure_stability
from hessian_spectra.summary_trajectories import EDGE_CLAIM, LANCZOS_CLAIM, stability_lines
from hessian_spectra.verdicts import ENGINE_CHECK, FAILS, FINDING, HOLDS, MIXED, UNTESTABLE, Claims

from .test_subspace import train_trajectory


def test_lambda_max_equals_the_dense_solve_at_every_checkpoint(tmp_path):
    trajectories = [train_trajectory(tmp_path, eta) for eta in (0.5, 2.0)]
    figure, numbers = tmp_path / "stability.pdf", tmp_path / "stability.json"
    figure_stability(trajectories, figure, tmp_path / "stability.png", numbers)
    payload = json.loads(numbers.read_text())
    assert payload["constants"]["settled_band"] == list(stability.SETTLED_BAND)
    for trajectory, entry in zip(trajectories, payload["trajectories"], strict=True):
        assert entry["steps"] == [0, 1, 5, 20, 40] and entry["M"] == 74
        for index, checkpoint in enumerate(trajectory["checkpoints"]):
            problem = Problem.from_checkpoint(checkpoint["path"], trajectory["dataset"])
            hessian = torch.autograd.functional.hessian(
                problem.loss, problem.theta, vectorize=True
            ).numpy()
            largest = np.linalg.eigvalsh(hessian)[-1]
            assert entry["lambda_max"][index] == pytest.approx(largest, rel=1e-9)
            ratio = largest * entry["learning_rate"] / 2
            assert entry["ratio"][index] == pytest.approx(ratio, rel=1e-9)
        assert entry["lanczos_last"] == entry["lambda_max"][-1] and entry["lanczos_agrees"]
        assert entry["exact_last"] == pytest.approx(entry["lanczos_last"], rel=1e-9)
    assert payload["test"]["largest_ratio"] == max(e["peak_ratio"] for e in payload["trajectories"])
    assert figure.read_bytes().startswith(b"%PDF")
    assert (tmp_path / "stability.png").read_bytes().startswith(b"\x89PNG")


def test_runs_on_two_datasets_are_refused(tmp_path):
    first = train_trajectory(tmp_path / "a", steps=6, checkpoint_steps=(3,))
    second = train_trajectory(tmp_path / "b", steps=6, checkpoint_steps=(3,))
    with pytest.raises(ValueError, match="runs on one dataset"):
        figure_stability(
            [first, second], tmp_path / "s.pdf", tmp_path / "s.png", tmp_path / "s.json"
        )


def test_the_ratio_reaches_and_settles_where_the_numbers_say():
    steps = [0, 10, 20, 50, 100, 200]
    lambda_max = [1.0, 5.0, 19.0, 21.0, 20.0, 2.0]  # eta = 0.1: the edge at 20
    edge = stability.edge_of_stability(steps, lambda_max, 0.1)
    np.testing.assert_allclose(edge["ratio"], [0.05, 0.25, 0.95, 1.05, 1.0, 0.1])
    assert edge["reached"] and edge["first_reach_step"] == 20
    # Settled: the median over the second half of the steps (100 and 200), not the early
    # checkpoints the grid crowds near the start.
    assert edge["settled_ratio"] == pytest.approx(0.55)  # median of 1.0, 0.1
    assert (edge["peak_ratio"], edge["peak_step"]) == (pytest.approx(1.05), 50)
    below = stability.edge_of_stability(steps, [17.0] * 6, 0.1)
    assert not below["reached"] and below["settled_ratio"] is None
    assert stability.edge_of_stability([0], [18.0], 0.1)["reached"]  # 0.9: reached
    with pytest.raises(ValueError, match="2 steps for 3"):
        stability.edge_of_stability([0, 1], [1.0, 2.0, 3.0], 0.1)


def entry(eta: float, lambda_max: list, lanczos_error: float = 0.0, loss=None) -> dict:
    steps = list(range(0, 100 * len(lambda_max), 100))
    exact = lambda_max[-1] * (1 + lanczos_error)
    loss = [1.0 / (1 + step) for step in steps] if loss is None else loss  # a run that trains
    return {"label": f"eta = {eta:g}", "learning_rate": eta, "M": 4270, "steps": steps,
            "loss": loss, "lambda_max": lambda_max, "exact_last": exact,
            "lanczos_last": lambda_max[-1],
            **stability.edge_of_stability(steps, lambda_max, eta)}  # fmt: skip


def verdicts(*entries: dict) -> dict:
    claims = Claims()
    lines = stability_lines(claims, {"trajectories": list(entries),
                                     "test": stability.stability_test(entries)})  # fmt: skip
    assert lines[0].startswith("## ") and lines[1] == ""
    kinds = {item["claim"]: item["kind"] for item in claims.items}
    assert kinds == {EDGE_CLAIM: FINDING, LANCZOS_CLAIM: ENGINE_CHECK}
    return {item["claim"]: item["verdict"] for item in claims.items}


HOVERS = [2.0, 10.0, 19.0, 21.0, 20.0, 20.5]  # eta = 0.1: at the edge from step 200 on
FALLS = [2.0, 10.0, 19.0, 21.0, 10.0, 5.0, 2.0]  # reaches it, then falls away (median 0.5)
BELOW = [2.0, 5.0, 8.0, 17.0, 17.9]  # at most 0.895


def test_the_edge_verdict_flips_and_is_untestable_where_no_rate_reaches_the_edge():
    assert verdicts(entry(0.1, HOVERS), entry(0.01, BELOW))[EDGE_CLAIM] == HOLDS
    assert verdicts(entry(0.1, FALLS))[EDGE_CLAIM] == FAILS
    assert verdicts(entry(0.1, HOVERS), entry(0.1, FALLS))[EDGE_CLAIM] == MIXED
    assert verdicts(entry(0.1, [19.0, 25.0, 25.0, 24.0]))[EDGE_CLAIM] == FAILS  # 1.25: above
    claims = Claims()
    test = stability.stability_test([entry(0.1, BELOW)])
    lines = stability_lines(claims, {"trajectories": [entry(0.1, BELOW)], "test": test})
    assert claims.items[0]["verdict"] == UNTESTABLE
    assert claims.items[0]["numbers"]["largest_ratio"] == pytest.approx(0.895)
    assert any("the largest seen: 0.895" in line for line in lines)


def test_a_run_that_ends_no_better_than_it_started_is_left_out():
    """A step size that blows the loss up and leaves the net dead reaches any ratio on the
    way: it is reported and left out of the test, whose verdict the others decide."""
    dead = entry(0.2, FALLS, loss=[2.3, 0.5, 1e6, 2.4, 2.3, 2.3, 2.3])
    assert stability.diverged(dead["loss"]) and dead["reached"]
    claims = Claims()
    lines = stability_lines(
        claims,
        {"trajectories": [entry(0.1, HOVERS), dead],
         "test": stability.stability_test([entry(0.1, HOVERS), dead])},
    )  # fmt: skip
    assert claims.items[0]["verdict"] == HOLDS  # FALLS alone would fail it
    assert any("did not train" in line and "eta = 0.2" in line for line in lines)
    assert verdicts(dead)[EDGE_CLAIM] == UNTESTABLE  # nothing left that trained
    trained = entry(0.2, FALLS, loss=[2.3, 0.5, 1e6, 2.4, 2.3, 2.3, 2.29])
    assert verdicts(trained)[EDGE_CLAIM] == FAILS  # the same ratios, but it trained


def test_the_lanczos_check_flips_with_the_dense_solve():
    agreeing = entry(0.1, HOVERS, lanczos_error=0.1 * stability.AGREEMENT_TOLERANCE)
    assert verdicts(agreeing)[LANCZOS_CLAIM] == HOLDS
    disagreeing = entry(0.1, HOVERS, lanczos_error=10 * stability.AGREEMENT_TOLERANCE)
    assert verdicts(agreeing, disagreeing)[LANCZOS_CLAIM] == FAILS
