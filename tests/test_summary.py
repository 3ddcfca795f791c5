"""The summary's claims and verdicts (`summary` and its sections): each verdict computed
from the numbers beside it, and able to fail. One file over 300 lines: every test builds
the whole summary from the same small numbers (LOGISTIC, GAUSS_NEWTON, rows_for)."""

from __future__ import annotations

import json
import re

import pytest

from hessian_spectra import paper, summary, summary_networks, verdicts
from hessian_spectra.runs import BlobRun

LOGISTIC = {
    "single_blob": [
        {
            "alpha": 1.0,
            "M": 100,
            "N": 100,
            "ks_distance": 0.02,
            "ks_critical": 0.03,
            "ks_wrong_variance": 0.04,
            "ks_wrong_ratio": 0.09,
            "ks_draws": 40,
            "ks_error": 0.1,
        }
    ],
    "two_blobs": [
        {
            "alpha": 0.1,
            "M": 200,
            "N": 1000,
            "spike": 10.0,
            "predicted_outlier": 5.0,
            "predicted_spread": 0.2,
            "largest": 5.1,
            "n_above_bulk": 1,
        }
    ],
}
GAUSS_NEWTON = {
    "run": {
        "M": 150,
        "rank_G": 90,
        "rank_bound": 100,
        "min_G": -1e-18,
        "max_G": 1.0,
        "min_H": -0.1,
        "max_H": 1.0,
        "min_R": -0.2,
        "norm_R_over_max_H": 0.05,
        "top_k_relative_difference": 0.01,
    },
}


TOLERANCES = {"sgd": 1e-4, "gd": 1e-4}


def build(rows, logistic=LOGISTIC, gauss_newton=GAUSS_NEWTON, fig2=None, **sections) -> dict:
    """summary.build with Fig. 2 showing the SGD, ReLU, cov = 1 runs at the final stop
    unless `fig2` says otherwise, and the MNIST roles read from the convnet labels."""
    if fig2 is None:
        fig2 = [
            {key: r[key] for key in ("algorithm", "n_classes", "seed", "init")}
            | {"activation": "relu", "cov": 1.0}
            for r in rows
            if r["algorithm"] == "sgd" and r["stop"] == TOLERANCES["sgd"]
        ]
    if "mnist_conv" in sections:
        sections["mnist_roles"] = {label: label[:2] for label in sections["mnist_conv"]}
    return summary.build(
        rows, logistic, gauss_newton, gradient_tolerances=TOLERANCES, fig2=fig2, **sections
    )


def render(rows, logistic=LOGISTIC, gauss_newton=GAUSS_NEWTON, **sections) -> str:
    return summary.render(build(rows, logistic, gauss_newton, **sections))


def rows_for(
    counts: dict[int, int], algorithm: str = "sgd", seed: int = 0, stop: float = 1e-4
) -> list[dict]:
    """Table 1's rows of one seed at one stop (by default the final one)."""
    return [
        {
            "algorithm": algorithm,
            "activation": "relu",
            "cov": 1.0,
            "n_classes": k,
            "seed": seed,
            "init": int(algorithm == "sgd"),
            "stop": stop,
            "gap": c,
            "ratio": c,
            "heur": c,
            "above_paper_cutoff": c,
            "min": -1e-4,
            "max": 1.0,
            "steps": 1000 * k,
            "gradient_norm": 9e-5,
        }
        for k, c in counts.items()
    ]


def test_summary_marks_claims_that_the_numbers_show():
    text = render(rows_for({2: 2, 5: 5}))
    assert "within one of k in 2/2 runs (95 %: 34%-100%): **holds**" in text
    assert "paper's own elbow cutoffs (Table 1's last column, for the 2 cells" in text
    assert "| gap | 2/2 | 34%-100% | 2 | 2/2 | 2 | 2/2 / 0/0 |" in text
    assert "k=2: 2, k=5: 5" in text and "**holds** (2/2)" in text
    assert "below 0.1 in 2/2 runs" in text
    assert "ratio M/N: **holds** (1/1 below the critical value" in text
    assert "in variance at 1/1 ratios and in ratio at 1/1" in text
    assert "lambda_max(G): **holds** (1/1 runs where N(k-1) < M)" in text
    assert "| 0.1 | 1000 | 1 | 5.1 | 5 | 0.2 | yes |" in text
    assert "where BBP puts it: **holds** (1/1" in text
    assert text.count("**does not hold**") == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda rows, log, ggn: rows[0].update(gap=9, ratio=9, heur=9), "**mixed**"),
        (
            lambda rows, log, ggn: log["two_blobs"][0].update(largest=5.5),
            "exactly one outlier, where BBP puts it: **does not hold**",
        ),
        (
            lambda rows, log, ggn: log["single_blob"][0].update(ks_distance=0.5),
            "ratio M/N: **does not hold**",
        ),
        (
            lambda rows, log, ggn: ggn["run"].update(rank_G=101),
            "lambda_max(G): **does not hold** (0/1 runs where N(k-1) < M)",
        ),
        (
            lambda rows, log, ggn: ggn["run"].update(rank_bound=200, rank_G=190),
            "**not testable here** (N(k-1) >= M in every run",
        ),
        (
            lambda rows, log, ggn: ggn["run"].update(min_G=-1e-12),
            "lambda_max(G)): **does not hold**; so by Weyl",
        ),
        (
            lambda rows, log, ggn: ggn["run"].update(norm_R_over_max_H=0.4),
            "R is small: norm(R) < 0.1 lambda_max(H): **does not hold** (0/1)",
        ),
        (
            lambda rows, log, ggn: log["single_blob"][0].update(ks_distance=0.04),
            "Marchenko-Pastur law of ratio M/N: **does not hold**",
        ),
    ],
)
def test_summary_refuses_claims_the_numbers_contradict(change, expected):
    rows = rows_for({2: 2, 5: 5})
    logistic = {
        "single_blob": [dict(LOGISTIC["single_blob"][0])],
        "two_blobs": [dict(LOGISTIC["two_blobs"][0])],
    }
    gauss_newton = {"run": dict(GAUSS_NEWTON["run"])}
    change(rows, logistic, gauss_newton)
    assert expected in render(rows, logistic, gauss_newton)


def mnist_fc_numbers(shares=(0.01, 0.012), precisions=("float64", "float64")) -> dict:
    return {
        f"hidden = {h}": {
            "M": m, "largest": big, "top_edge": edge, "smallest": -1e-3,
            "negative_to_largest": 1e-3 / big, "complete": True, "precision": precision,
            "floor": 1e-12, "negative_count": round(share * m), "negative_share": share,
        }
        for (h, m, big, edge), share, precision in zip(
            [(10, 7960, 1.0, 0.1), (70, 55660, 1.5, 0.12)], shares, precisions, strict=True
        )
    }  # fmt: skip


def test_summary_mnist_claims():
    fc = mnist_fc_numbers()
    conv = {
        "SB (batch 10)": {"largest": 2.0, "negative_to_largest": 0.1},
        "LB (batch 512)": {"largest": 5.0, "negative_to_largest": 0.05},
    }
    text = render(rows_for({2: 2}), mnist_fc=fc, mnist_conv=conv)
    assert "varies by a factor 1.50" in text
    assert "change with the size of the network: **holds**" in text
    assert "(LB / SB = 2.50)" in text and "LB has larger outliers: **holds**" in text
    conv["LB (batch 512)"]["largest"] = 1.0
    assert "LB has larger outliers: **does not hold**" in render(
        rows_for({2: 2}), mnist_fc=fc, mnist_conv=conv
    )


@pytest.mark.parametrize(
    ("shares", "precisions", "verdict"),
    [
        ((0.01, 0.012), ("float64", "float64"), "**holds** (largest / smallest share = 1.20"),
        ((0.01, 0.03), ("float64", "float64"), "**does not hold** (largest / smallest share = 3"),
        ((0.01, 0.0), ("float64", "float64"), "**does not hold** (largest / smallest share = inf"),
        ((0.01, 0.0), ("float64", "float32"), "**not testable here** (fewer than two full"),
    ],
)
def test_summary_negative_share_verdict_can_fail(shares, precisions, verdict):
    """The share of negative eigenvalues above the floor, constant in width or not; a
    reduced-precision spectrum is left out of the test and named."""
    conv = {"SB (batch 10)": {"largest": 2.0, "negative_to_largest": 0.1},
            "LB (batch 512)": {"largest": 5.0, "negative_to_largest": 0.05}}  # fmt: skip
    text = render(rows_for({2: 2}), mnist_fc=mnist_fc_numbers(shares, precisions), mnist_conv=conv)
    assert f"stays the same as the net widens: {verdict}" in text
    assert ("Left out of that test: hidden = 70" in text) == ("float32" in precisions)


def cifar_numbers(**line_changes) -> dict:
    training = {
        "batch_sizes": [1000, 32],
        "part1_test_accuracy": 0.70,
        "part2_test_accuracy": 0.71,
        "part1_train_loss": 0.02,
        "largest_train_loss_after_switch": 0.4,
        "test_accuracy_gain": 0.01,
        "n_train": 50_000,
        "n_test": 10_000,
    }
    line = {
        "coefficients": [-0.5, 1.5],
        "train_loss_lb": 0.02,
        "train_loss_sb": 0.05,
        "train_barrier": 0.0,
        "test_barrier": 0.0,
        "train_rise_beyond_lb": 3.0,
        "train_rise_beyond_sb": 1.0,
        **line_changes,
    }
    return {"training": training, "line": line, "top_lb": 40.0, "top_sb": 10.0}


def test_summary_cifar_claims():
    text = render(rows_for({2: 2}), cifar=cifar_numbers())
    assert "a gain of +1.00 points" in text and "ends more accurate" in text
    assert "the loss jumps when the batch shrinks: **holds**" in text
    assert "no barrier between LB and SB: **holds**" in text
    assert "(LB is sharper): **holds**" in text
    assert "(LB / SB = 4.00)" in text and "as on MNIST: **holds**" in text
    barrier = render(rows_for({2: 2}), cifar=cifar_numbers(train_barrier=0.2))
    assert "no barrier between LB and SB: **does not hold**" in barrier
    flat_lb = render(rows_for({2: 2}), cifar=cifar_numbers(train_rise_beyond_lb=0.5))
    assert "(LB is sharper): **does not hold**" in flat_lb


def test_summary_says_whether_every_run_stopped_at_its_tolerance():
    """Judged at each run's final stop: an earlier stop's larger gradient norm is no step
    cap; a final stop's is, and flips the verdict."""
    early = rows_for({2: 2, 5: 5}, stop=1e-3)
    for row in early:
        row["gradient_norm"] = 9e-4
    rows = rows_for({2: 2, 5: 5}) + early + rows_for({2: 2}, algorithm="gd", stop=None)

    def text() -> str:
        tolerances = {"sgd": 1e-4, "gd": None}
        return summary.render(
            summary.build(rows, LOGISTIC, GAUSS_NEWTON, gradient_tolerances=tolerances, fig2=[])
        )

    assert "SGD runs until the full-batch gradient norm is below 0.0001 (2 runs" in text()
    assert "not at the step cap: **holds** (2/2)" in text()
    assert "GD: a fixed number of steps (1 run, 2,000 to 2,000 steps" in text()
    rows[1]["gradient_norm"] = 2e-4  # the k = 5 run hit its step cap
    assert "not at the step cap: **mixed** (1/2)" in text()
    rows[0]["gradient_norm"] = 3e-4
    assert "not at the step cap: **does not hold** (0/2)" in text()


def test_counts_are_judged_at_the_final_stop_pooled_over_seeds():
    """The earlier stop's counts (1 at every k) leave the verdict alone; the final stop's
    are pooled over two seeds, with the spread of one seed and a Wilson interval."""
    final = rows_for({2: 2, 5: 5}) + rows_for({2: 2, 5: 4}, seed=1)
    early = rows_for({2: 1, 5: 1}, stop=1e-3) + rows_for({2: 1, 5: 1}, seed=1, stop=1e-3)
    decided = build(final + early)
    claims = {c["claim"]: c for s in decided["sections"] for c in s["claims"]}
    counted = claims["the number of outliers equals the number of clusters"]
    assert counted["verdict"] == "holds"  # within one of k at 4/4; 6/8 with the early stop
    numbers = counted["numbers"]
    assert (numbers["runs"], numbers["within_one"], numbers["exact"]) == (4, 4, 3)
    assert numbers["exact_per_seed"] == [1, 2] and numbers["seeds"] == 2
    assert numbers["exact_interval"] == pytest.approx([0.3006, 0.9544], abs=1e-4)
    assert numbers["exact_by_stop"] == {"0.001": [0, 4], "0.0001": [3, 4]}
    text = summary.render(decided)
    assert "| gap | 3/4 | 30%-95% | 1-2 | 4/4 | 2 | 4/4 / 0/0 |" in text
    assert "|grad| < 0.001: 0/4, |grad| < 0.0001: 3/4." in text
    assert "within one of k in 4/4 runs (95 %: 51%-100%; per seed 2 of 2): **holds**" in text
    assert "over the 4 runs at their final stop" in text
    fig2 = claims["Fig. 2 (SGD, ReLU, cov = 1): the count above the largest gap equals k"]
    assert fig2["numbers"] == {"counts": {"2": [2, 2], "5": [5, 4]}, "seeds": [0, 1],
                               "hits": 3, "runs": 4}  # fmt: skip
    assert "k=2: 2/2, k=5: 5/4 (seeds 0/1). Claim: it equals k for every k: **mixed**" in text


def gd_vs_sgd_numbers(
    steps_sgd: int = 2100,
    same_start: bool = True,
    distances=(0.05,),
    gaps=((3, 2),),
    barrier: float = 0.0,
) -> dict:
    """gd_vs_sgd.json of the point relu, k = 2, cov = 1 at one seed per distance, the loss
    on the line `barrier` above an end-point loss of 1e-3."""
    return {
        f"relu-k2-cov1-s{seed}-i0": {
            "activation": "relu", "n_classes": 2, "cov": 1.0, "seed": seed, "steps_gd": 2000,
            "steps_sgd": steps_sgd, "same_start": same_start, "travelled_gd": 10.0,
            "travelled_sgd": 10.5, "distance": 10.0 * distance, "relative_distance": distance,
            "max_gd": 1.0, "max_sgd": 1.1, "spectrum_difference": 0.1, "gap_gd": gap_gd,
            "gap_sgd": gap_sgd, "barrier": barrier, "end_loss": 1e-3,
        }
        for seed, (distance, (gap_gd, gap_sgd)) in enumerate(zip(distances, gaps, strict=True))
    }  # fmt: skip


@pytest.mark.parametrize(
    ("steps_sgd", "verdict"),
    [(2100, "**holds** (1/1 pairs within"), (2300, "**does not hold** (0/1 pairs within")],
)
def test_summary_gd_against_sgd_verdict_can_fail(steps_sgd, verdict):
    rows = rows_for({2: 2})
    decided = build(rows, gd_vs_sgd=gd_vs_sgd_numbers(steps_sgd))
    text = summary.render(decided)
    assert f"in the same number of iterations: {verdict}" in text
    ratio = f"{steps_sgd / 2000:.3f}"
    assert (
        f"| relu | 2 | 1 | 2,000 | {ratio} | 0.050 | 0.0e+00 | 1.100 | 0.100 | 3; 2 | 0/1 | 1/1 |"
    ) in text
    assert "count the same outliers above the largest gap: **does not hold** (0/1 pairs)" in text
    assert "start from the same initial point (each pair from GD's initialisation, an " in text
    kinds = {c["claim"]: c["kind"] for s in decided["sections"] for c in s["claims"]}
    assert kinds["GD and SGD of each pair start from one point"] == "engine check"
    assert kinds["GD and SGD from one start end in one basin (end-point distance and barrier)"] == (
        "finding"
    )
    moved = render(rows, gd_vs_sgd=gd_vs_sgd_numbers(same_start=False))
    assert "different initial points (each pair from GD's initialisation, an engine check: " \
        "**does not hold**, 0/1 pairs)" in moved  # fmt: skip


@pytest.mark.parametrize(
    ("distances", "verdict"),
    [
        ((0.05, 0.3, 0.45), "**holds** (3/3 pairs; distance median 0.300"),
        ((0.05, 0.3, 0.55), "**mixed** (2/3 pairs; distance median 0.300"),
        ((0.6, 0.9, 1.4), "**does not hold** (0/3 pairs; distance median 0.900"),
    ],
)
def test_the_one_basin_verdict_fails_beyond_its_stated_distance(distances, verdict):
    """Three seeds of one point: the table gives their median and range, and one basin
    holds only where every end-point distance is below gd_vs_sgd.ONE_BASIN_DISTANCE."""
    numbers = gd_vs_sgd_numbers(distances=distances, gaps=((2, 2), (2, 2), (2, 3)))
    text = render(rows_for({2: 2}), gd_vs_sgd=numbers)
    assert "SGD ends less than 0.5 of the distance GD travelled from GD's end point" in text
    assert f"rises at most 1% above the larger end-point loss: {verdict}" in text
    low, mid, high = (f"{d:.3f}" for d in distances)
    basin = sum(d < 0.5 for d in distances)
    assert f"| 1.050 (1.050-1.050) | {mid} ({low}-{high}) | 0.0e+00 (0.0e+00-0.0e+00) |" in text
    assert f"| 2; 2-3 | 2/3 | {basin}/3 |" in text
    assert "count the same outliers above the largest gap: **mixed** (2/3 pairs)" in text


def test_the_fig2_verdict_speaks_of_the_runs_fig2_selects():
    rows = rows_for({2: 1, 5: 1}) + rows_for({2: 2, 5: 5}, algorithm="gd")
    for row in rows[2:]:
        row["activation"] = "tanh"
    chosen = [
        {"algorithm": "gd", "activation": "tanh", "n_classes": k, "cov": 1.0, "seed": 0, "init": 0}
        for k in (2, 5)
    ]
    decided = build(rows, fig2=chosen)
    claims = [c for section in decided["sections"] for c in section["claims"]]
    fig2 = [c for c in claims if c["claim"].startswith("Fig. 2")]
    assert fig2 == [
        {
            "claim": "Fig. 2 (GD, tanh, cov = 1): the count above the largest gap equals k",
            "verdict": "holds",
            "kind": "finding",
            "numbers": {"counts": {"2": [2], "5": [5]}, "seeds": [0], "hits": 2, "runs": 2},
        }
    ]
    assert "Fig. 2 (GD, tanh, cov = 1), count above the largest gap: k=2: 2, k=5: 5" in (
        summary.render(decided)
    )
    default = build(rows)  # SGD, ReLU, cov = 1: a count of 1 at both k
    assert "Fig. 2 (SGD, ReLU, cov = 1)" in summary.render(default)
    assert "**does not hold** (0/2)" in summary.render(default)


def test_every_verdict_of_the_markdown_is_a_claim_of_the_json():
    decided = build(
        rows_for({2: 2, 5: 4}),
        gd_vs_sgd=None,
        mnist_fc=mnist_fc_numbers(),
        mnist_conv={
            "SB (batch 10)": {"largest": 2.0, "negative_to_largest": 0.1},
            "LB (batch 512)": {"largest": 5.0, "negative_to_largest": 0.05},
        },
        cifar=cifar_numbers(),
    )
    text = summary.render(decided)
    verdicts = re.findall(r"\*\*(holds|does not hold|mixed|not testable here)\*\*", text)
    claims = [c["verdict"] for section in decided["sections"] for c in section["claims"]]
    assert verdicts == claims and len(claims) > 10
    json.dumps(decided)  # plain JSON, numbers included


def paper_side_by_side(scale: float) -> tuple[list[dict], dict]:
    """The paper's 19 rows at one seed and one stop (None) with ours = the paper's counts,
    ours the paper's mean / `scale`, and a drop after k - 1 in every run."""
    rows, near_k = [], {}
    for (alg, act, k, cov), theirs in paper.TABLE_1.items():
        counts = {key: theirs[key] for key in ("gap", "ratio", "heur")}
        rows.append({
            "algorithm": alg, "activation": act, "n_classes": k, "cov": cov, "seed": 0,
            "stop": None, "M": 4000,
            **{f"paper_{key}": value for key, value in counts.items()}, **counts,
            "kneed": counts["heur"], "above_paper_cutoff": k, "max": 1e-3,
            "paper_cutoff": theirs["cutoff"], "group_cutoff": 1e-4,
            "paper_mean": theirs["mean"], "mean": theirs["mean"] / scale, "mean_ratio": scale,
        })  # fmt: skip
        near_k[f"{BlobRun(alg, act, k, cov, 0, 0).name}/final"] = {
            "algorithm": alg, "activation": act, "n_classes": k, "cov": cov, "seed": 0,
            "stop": None, "drop_after": k - 1, "gap_after_k": 0.1, "gap_after_k_minus_1": 0.9,
        }  # fmt: skip
    return rows, near_k


@pytest.mark.parametrize(("scale", "verdict"), [(10.0, "does not hold"), (1.5, "holds")])
def test_the_paper_rows_section_scores_both_sides_and_its_scale_verdict_can_fail(scale, verdict):
    paper_rows, near_k = paper_side_by_side(scale)
    decided = build(rows_for({2: 2}), paper_rows=paper_rows, near_k=near_k)
    (section,) = [s for s in decided["sections"] if s["title"].startswith("Table 1 against")]
    text = "\n".join(section["text"])
    # ours = the paper's counts: both columns score alike on every counter
    assert (
        "| end of training | gap | 19 | 7/19 | 7/19 (0.19-0.59) | 12/19 | 12/19 (0.41-0.81) |"
    ) in text
    assert "its ratio column is ours +0 in 16 of 16 rows x seeds" in text
    assert (f"{scale:.2g} to {scale:.2g} times ours (each row's median over seeds; "
            f"{scale:.2g} to {scale:.2g} in its GD") in text  # fmt: skip
    assert "The grid holds 19 of the paper's 19 rows" in text
    assert "at or above our largest eigenvalue in 15 of 15 rows" in text
    assert "after k - 1 eigenvalues in 19 of 19 runs" in text
    (claim,) = section["claims"]
    assert claim["verdict"] == verdict


def test_checks_that_hold_by_construction_are_engine_checks_not_findings():
    decided = build(rows_for({2: 2}))
    kinds = {c["claim"]: c["kind"] for s in decided["sections"] for c in s["claims"]}
    for check in (
        "at w = 0 the bulk of logistic regression on one blob follows Marchenko-Pastur",
        "at w = 0 two blobs give exactly one outlier, where BBP puts it",
        "G is positive semi-definite",
        "rank(G) <= N (k - 1)",
    ):
        assert kinds[check] == "engine check"
    assert kinds["R is small against lambda_max(H)"] == "finding"
    assert kinds["the number of outliers equals the number of clusters"] == "finding"


@pytest.mark.parametrize(("barrier", "verdict"), [(5e-6, "**holds**"), (5e-5, "**does not hold**")])
def test_the_one_basin_verdict_fails_where_the_line_climbs_over_a_barrier(barrier, verdict):
    """Near end points, with the loss on the line between them 0.5 % or 5 % above the
    end-point loss: one basin holds below gd_vs_sgd.ONE_BASIN_BARRIER (1 %), not above."""
    text = render(rows_for({2: 2}), gd_vs_sgd=gd_vs_sgd_numbers(barrier=barrier))
    assert f"rises at most 1% above the larger end-point loss: {verdict} (" in text


def test_one_yardstick_decides_the_negative_eigenvalues_of_blobs_and_mnist():
    """|lambda_min| / lambda_max of 0.05 passes a 0.1 bar but not the one yardstick, 0.01,
    which the MNIST claim uses too."""
    assert summary_networks.NEGATIVE_TO_LARGEST_LIMIT == verdicts.NEGATIVE_TO_LARGEST_LIMIT
    rows = rows_for({2: 2, 5: 5})
    for row in rows:
        row["min"] = -0.05
    text = render(rows)
    assert "below 0.1 in 2/2 runs, below 0.01 (the yardstick of this claim and of MNIST's" in text
    assert "in 0/2. Claim: **does not hold**" in text


def test_a_share_at_the_relu_bound_is_an_engine_check_and_off_it_a_finding():
    """Counts of exactly (k - 1) h hold by construction for a one-hidden-layer ReLU net (the
    record's: 90 of 7,960 and 630 of 55,660); any other count is a finding."""
    conv = {"SB (batch 10)": {"largest": 2.0, "negative_to_largest": 0.1},
            "LB (batch 512)": {"largest": 5.0, "negative_to_largest": 0.05}}  # fmt: skip
    claim = "the share of negative eigenvalues stays as the net widens"
    for shares, kind in (((90 / 7960, 630 / 55660), "engine check"), ((0.01, 0.012), "finding")):
        decided = build(rows_for({2: 2}), mnist_fc=mnist_fc_numbers(shares), mnist_conv=conv)
        kinds = {c["claim"]: c["kind"] for s in decided["sections"] for c in s["claims"]}
        assert kinds[claim] == kind
        assert ("Every count is (k - 1) h" in summary.render(decided)) == (kind == "engine check")
