"""Table 1 against the paper's own rows (`paper_comparison`, `summary_paper`): the group
elbow, the spectrum near k, both columns scored the same way per stop and over seeds, and
the stop that compares with the paper."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from hessian_spectra import paper, paper_comparison, storage, summary_paper, tables
from hessian_spectra.runs import BlobRun
from hessian_spectra.steps.reports import compare_with_paper
from hessian_spectra.verdicts import Claims


def blob_like_spectrum(k: int, outliers: float = 1.0, seed: int = 0, dim: int = 400):
    """k outliers in the decade below `outliers` over a bulk of small positive values, a
    few of them slightly negative (the shape of a trained net's Hessian)."""
    rng = np.random.default_rng(seed)
    bulk = np.abs(rng.normal(0.0, 1e-4 * outliers, dim - k))
    bulk[:5] = -1e-7 * outliers * rng.random(5)
    top = outliers * 10.0 ** -rng.random(k)
    return np.sort(np.concatenate([bulk, top]))


def test_the_group_elbow_is_one_cutoff_per_group_and_counts_each_run():
    # run keys: algorithm, activation, k, cov, seed, stop; a group is one stop of one seed
    setting = {("sgd", 0): ((2, 5, 10), 1.0), ("sgd", 1): ((2, 5), 0.1), ("gd", 0): ((2, 5), 0.01)}
    spectra = {
        (alg, "relu", k, 1.0, seed, 1e-3): blob_like_spectrum(k, size, seed=k)
        for (alg, seed), (ks, size) in setting.items()
        for k in ks
    }
    counts = paper_comparison.group_elbow_counts(spectra)
    cutoffs = {
        group: {counts[(group[0], "relu", k, 1.0, group[1], 1e-3)]["group_cutoff"] for k in ks}
        for group, (ks, _) in setting.items()
    }
    assert all(len(c) == 1 for c in cutoffs.values())  # one cutoff per group
    assert len(set.union(*cutoffs.values())) == 3  # each its own
    (cutoff,) = cutoffs[("sgd", 0)]
    ours = [(k, v) for (alg, _, k, _, seed, _), v in spectra.items() if (alg, seed) == ("sgd", 0)]
    assert max(np.sort(v)[-k - 1] for k, v in ours) <= cutoff < min(np.sort(v)[-k] for k, v in ours)
    heur = [counts[("sgd", "relu", k, 1.0, 0, 1e-3)]["group_heur"] for k in (2, 5, 10)]
    assert heur == [2, 5, 10]


def test_the_spectrum_near_k_says_where_the_drop_comes():
    values = blob_like_spectrum(9, seed=1)  # k = 10 classes, 9 outliers: a k - 1 drop
    near = paper_comparison.spectrum_near_k(values, 10)
    assert len(near["top"]) == 25 and near["top"] == sorted(near["top"], reverse=True)
    assert near["drop_after"] == 9
    assert near["ratio_after_k_minus_1"] > 100 * near["ratio_after_k"]
    assert near["gap_after_k_minus_1"] > 0.5 > 0.01 > near["gap_after_k"]  # of the largest
    assert paper_comparison.spectrum_near_k(blob_like_spectrum(10), 10)["drop_after"] == 10


def wilson(hits, n, z=1.96):
    """The Wilson score interval written out: (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2))
    / (1 + z^2/n)."""
    p = hits / n
    centre, half = p + z**2 / (2 * n), z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return ((centre - half) / (1 + z**2 / n), (centre + half) / (1 + z**2 / n))


def test_the_wilson_interval_has_its_known_values_and_stays_in_0_1():
    low, high = paper_comparison.wilson_interval(8, 19)
    assert (low, high) == pytest.approx((0.231, 0.637), abs=1e-3)
    assert (low, high) == pytest.approx(wilson(8, 19))
    assert paper_comparison.wilson_interval(0, 10) == pytest.approx((0.0, 3.8416 / 13.8416))
    assert paper_comparison.wilson_interval(10, 10) == pytest.approx((10 / 13.8416, 1.0))
    low, high = paper_comparison.wilson_interval(0, 10)
    assert low >= 0.0 and high <= 1.0
    assert paper_comparison.wilson_interval(0, 0) == (0.0, 1.0)  # no rows: no information
    assert paper_comparison.wilson_interval(5, 10, z=1.0) == pytest.approx(wilson(5, 10, 1.0))


def rows_from(paper_minus_ours: dict[str, int], seed=0, stop=None, scale=10.0) -> list[dict]:
    """Table 1 rows for the paper's runs at one seed and stop: counts the paper's minus an
    offset, the mean the paper's / `scale`."""
    rows = []
    for (alg, act, k, cov), theirs in paper.TABLE_1.items():
        counts = {
            key: None if theirs[key] is None else theirs[key] - paper_minus_ours[key]
            for key in ("gap", "ratio", "heur")
        }
        rows.append({
            "algorithm": alg, "activation": act, "n_classes": k, "cov": cov, "M": 4000,
            "seed": seed, "stop": stop, **counts, "above_paper_cutoff": k, "max": 1e-3,
            "mean": theirs["mean"] / scale,
        })  # fmt: skip
    return rows


def group_counts(rows, heur_offset: int = 0) -> dict:
    return {
        paper_comparison.run_key(r): {
            "group_cutoff": 1e-4,
            "group_heur": r["n_classes"] + heur_offset,
        }
        for r in rows
    }


def side_by_side(table, heur_offset=0):
    return paper_comparison.paper_rows(table, group_counts(table, heur_offset))


def test_paper_rows_put_both_sides_on_the_paper_s_19_runs():
    table = rows_from({"gap": 1, "ratio": 2, "heur": 0})
    table.append({**table[0], "n_classes": 3})  # a grid point the paper does not list
    rows = side_by_side(table)
    assert len(rows) == 19 and {(r["seed"], r["stop"]) for r in rows} == {(0, None)}
    assert all(r["mean_ratio"] == pytest.approx(10.0) for r in rows)
    (offsets,) = paper_comparison.offsets(rows).values()  # one stop: None
    assert offsets["ratio"] == {"offset": 2, "rows": 16, "of": 16}
    assert offsets["gap"] == {"offset": 1, "rows": 19, "of": 19}


def test_paper_rows_come_by_stop_then_in_the_paper_s_order_then_by_seed():
    counts = {"gap": 0, "ratio": 0, "heur": 0}
    table = [r for stop in (1e-4, 1e-3) for seed in (1, 0) for r in rows_from(counts, seed, stop)]
    rows = side_by_side(table)
    assert len(rows) == 4 * 19
    assert [(r["stop"], r["seed"]) for r in rows[:3]] == [(1e-3, 0), (1e-3, 1), (1e-3, 0)]
    assert [paper_comparison.cell_of(r) for r in rows[:38:2]] == list(paper.TABLE_1)
    assert rows[38]["stop"] == 1e-4


def test_hit_rates_score_both_columns_against_k_on_the_same_rows():
    table = rows_from({"gap": 0, "ratio": 1, "heur": 0})
    rows = side_by_side(table, heur_offset=1)
    (rates,) = paper_comparison.hit_rates(rows).values()
    ratio = rates["ratio"]
    assert ratio["rows"] == ratio["ours_n"] == 16  # three of the paper's ratios are unreadable
    assert ratio["paper_exact"] == sum(
        r["paper_ratio"] == r["n_classes"] for r in rows if r["paper_ratio"] is not None
    )
    # ours = paper - 1: within one of k wherever the paper is exact
    assert ratio["ours_within_one"] >= ratio["paper_exact"]
    heur = rates["heur"]  # ours: k + 1 everywhere the paper has an elbow
    assert heur["rows"] == 15 and heur["ours_exact"] == 0 and heur["ours_within_one"] == 15
    assert rates["above_paper_cutoff"]["ours_exact"] == 15


def test_hit_rates_over_two_seeds_pool_ours_and_keep_the_paper_once():
    one = rows_from({"gap": 0, "ratio": 0, "heur": 0}, seed=0)  # ours = the paper's
    other = rows_from({"gap": 0, "ratio": 0, "heur": 0}, seed=1)
    for row in other:  # seed 1 counts k everywhere
        row.update(gap=row["n_classes"], ratio=row["n_classes"])
    rows = side_by_side(one + other)
    (rates,) = paper_comparison.hit_rates(rows).values()
    gap = rates["gap"]
    paper_exact = sum(theirs["gap"] == k for (_, _, k, _), theirs in paper.TABLE_1.items())
    assert gap["rows"] == 19 and gap["seeds"] == 2 and gap["ours_n"] == 38
    assert gap["paper_exact"] == paper_exact  # once per row, not once per seed
    assert gap["ours_exact"] == paper_exact + 19
    assert gap["ours_exact_per_seed"] == (paper_exact, 19)
    assert gap["ours_exact_interval"] == pytest.approx(wilson(paper_exact + 19, 38))
    assert rates["ratio"]["ours_n"] == 32 and rates["ratio"]["ours_exact_per_seed"][1] == 16


def test_a_seed_without_a_count_is_a_miss():
    rows = side_by_side(rows_from({"gap": 0, "ratio": 0, "heur": 0}))
    for row in rows:
        row["kneed"] = None
    (rates,) = paper_comparison.hit_rates(rows).values()
    assert rates["kneed"]["ours_none"] == 15 and rates["kneed"]["ours_within_one"] == 0


@pytest.mark.parametrize(("ours", "k_minus_1", "k", "words"),
                         [(-1, 19, 0, "for gap."), (0, 0, 19, "for no column.")])  # fmt: skip
def test_the_paper_s_columns_read_as_k_minus_one_or_k_plus_their_offset(ours, k_minus_1, k, words):
    """Our gap k - 1 (or k) and the paper's ours + 1 in every row, at two seeds: the paper's
    gap column is k - 1 + 1 (or k + 1) in each of its 19 rows, each row counted once."""
    counts = {"gap": 0, "ratio": 0, "heur": 0}
    rows = side_by_side(rows_from(counts, seed=0) + rows_from(counts, seed=1))
    for row in rows:
        row["gap"] = row["n_classes"] + ours
        row["paper_gap"] = row["gap"] + 1
    reading = paper_comparison.k_minus_one_reading(rows, None)
    assert reading["gap"] == {"offset": 1, "k_minus_1": k_minus_1, "k": k, "of": 19}
    text = "\n".join(summary_paper.paper_rows_lines(Claims(), rows, near_k_of(rows)))
    assert f"its gap column is k - 1 +1 in {k_minus_1} of 19 rows, k +1 in {k};" in text
    assert f"k - 1 fits more of the paper's rows than k {words}" in text


def two_stops(first: float, second: float) -> list[dict]:
    """The paper's rows at two stops: paper / ours mean `first` at 1e-3, `second` at 1e-4."""
    counts = {"gap": 0, "ratio": 0, "heur": 0}
    table = [
        r
        for stop, scale in ((1e-3, first), (1e-4, second))
        for seed in (0, 1)
        for r in rows_from(counts, seed, stop, scale * (1 + 0.05 * seed))
    ]
    return side_by_side(table)


@pytest.mark.parametrize(("first", "second", "chosen"), [(10.0, 1.2, 1e-4), (1.2, 10.0, 1e-3)])
def test_the_chosen_stop_is_where_the_mean_matches_the_paper(first, second, chosen):
    rows = two_stops(first, second)
    choice = paper_comparison.chosen_stop(rows)
    assert choice["stop"] == chosen
    assert choice["medians"][1e-3] == pytest.approx(math.log(first * 1.025), rel=0.02)
    assert choice["ratios"][1e-4] == pytest.approx(second * 1.025, rel=0.02)
    rates = paper_comparison.hit_rates(rows)
    assert list(rates) == [1e-3, 1e-4]  # largest tolerance first
    # the paper's absolute cutoffs only at the chosen stop
    assert ["above_paper_cutoff" in rates[stop] for stop in rates] == [s == chosen for s in rates]


def test_a_tie_goes_to_the_smallest_tolerance():
    assert paper_comparison.chosen_stop(two_stops(2.0, 2.0))["stop"] == 1e-4


def test_the_scale_is_per_stop_on_each_row_s_median_over_seeds():
    scale = paper_comparison.scale(two_stops(10.0, 1.2))
    assert scale[1e-3]["smallest"] == pytest.approx(10.0 * 1.025)  # median of 10 and 10.5
    assert scale[1e-4]["largest"] == pytest.approx(1.2 * 1.025)
    assert scale[1e-4]["gd_smallest"] == pytest.approx(1.2 * 1.025)
    assert scale[1e-4]["cutoff_rows"] == scale[1e-4]["cutoffs_above_top"] == 15


def test_the_comparison_file_reads_back_with_its_types(tmp_path):
    rows = two_stops(10.0, 1.2)
    storage.write_rows(tmp_path / "t.csv", rows, paper_comparison.COLUMNS)
    assert paper_comparison.read_rows(tmp_path / "t.csv") == rows
    single = side_by_side(rows_from({"gap": 1, "ratio": 2, "heur": 0}))
    storage.write_rows(tmp_path / "s.csv", single, paper_comparison.COLUMNS)
    assert paper_comparison.read_rows(tmp_path / "s.csv") == single  # stop None: empty


def test_the_markdown_has_a_table_per_stop_and_ours_over_seeds():
    rows = two_stops(10.0, 1.2)
    for row in rows:
        if row["seed"] == 1:
            row["gap"] += 2
    text = summary_paper.to_markdown(rows)
    assert "## gradient norm < 0.001\n" in text and "## gradient norm < 0.0001 (chosen)" in text
    assert "| GD tanh | 4000 | 1 | 2 | 2 / 3 [2-4] | 3 / 3 |" in text  # paper / median [range]
    assert text.count("above paper cutoff") == 1
    single = summary_paper.to_markdown(side_by_side(rows_from({"gap": 1, "ratio": 2, "heur": 0})))
    assert "## end of training (chosen)" in single
    assert "| GD tanh | 4000 | 1 | 2 | 2 / 1 | 3 / 1 |" in single


def near_k_of(rows: list[dict], drop_after_k_minus_1: bool = True) -> dict:
    return {
        f"{BlobRun(*paper_comparison.cell_of(r), r['seed'], 0).name}/{r['stop']}": {
            "algorithm": r["algorithm"], "activation": r["activation"],
            "n_classes": r["n_classes"], "cov": r["cov"], "seed": r["seed"], "stop": r["stop"],
            "drop_after": r["n_classes"] - drop_after_k_minus_1,
            "gap_after_k": 0.1, "gap_after_k_minus_1": 0.9,
        }
        for r in rows
    }  # fmt: skip


@pytest.mark.parametrize(("second", "verdict"), [(10.0, "does not hold"), (1.5, "holds")])
def test_the_summary_section_judges_the_scale_at_the_chosen_stop(second, verdict):
    rows = two_stops(20.0, second)
    claims = Claims()
    text = "\n".join(summary_paper.paper_rows_lines(claims, rows, near_k_of(rows)))
    (claim,) = claims.items
    assert claim["verdict"] == verdict and claim["numbers"]["stop"] == 1e-4
    assert "The stop compared with the paper is gradient norm < 0.0001" in text
    assert "at 2 seed(s) and 2 stop(s)" in text
    assert (
        "| gradient norm < 0.001 | gap | 19 | 7/19 | 14/38 (0.23-0.53; per seed 7-7/19) |" in text
    )
    assert "after k - 1 eigenvalues in 38 of 38 runs (rows x seeds)" in text
    assert "its ratio column is ours +0 in 32 of 32 rows x seeds" in text


def test_the_summary_section_works_with_one_seed_and_no_tolerance():
    rows = side_by_side(rows_from({"gap": 0, "ratio": 2, "heur": 0}, scale=1.5))
    claims = Claims()
    text = "\n".join(summary_paper.paper_rows_lines(claims, rows, near_k_of(rows, False)))
    assert claims.items[0]["verdict"] == "holds"
    assert "at 1 seed(s) and 1 stop(s) (end of training)" in text and "per seed" not in text
    assert "after k - 1 eigenvalues in 0 of 19 runs" in text
    assert summary_paper.paper_rows_lines(Claims(), [], {}) == []


def test_compare_with_paper_end_to_end_on_stored_spectra(tmp_path):
    """2 seeds x 2 stops of four of the paper's cells, from spectra on disk."""
    cells = [("sgd", "relu", k, 1.0) for k in (2, 5)] + [("gd", "relu", k, 1.0) for k in (2, 5)]
    runs, table = [], []
    for alg, act, k, cov in cells:
        for seed in (0, 1):
            run = BlobRun(alg, act, k, cov, seed, init=3)
            for stop, point, size in ((1e-3, "grad0.001", 1.0), (1e-4, "final", 0.01)):
                values = blob_like_spectrum(k, size, seed=10 * k + seed)
                path = tmp_path / f"{run.name}-{point}.h5"
                storage.write_spectrum(path, values, {"method": "dense"})
                runs.append(run.fields() | {"stop": stop, "point": point, "spectrum": str(path)})
                table.append(tables.table1_row(
                    values, **run.fields(), stop=stop, steps=100, gradient_norm=stop / 2
                ))  # fmt: skip
    tables.write_csv(table, tmp_path / "table1.csv")
    out = {name: tmp_path / name for name in ("t.csv", "t.md", "near.json")}
    compare_with_paper(runs, tmp_path / "table1.csv", out["t.csv"], out["t.md"], out["near.json"])
    rows = paper_comparison.read_rows(out["t.csv"])
    assert len(rows) == 4 * 2 * 2 and list(rows[0]) == list(paper_comparison.COLUMNS)
    assert {(r["seed"], r["stop"]) for r in rows} == {(s, t) for s in (0, 1) for t in (1e-3, 1e-4)}
    assert [r["heur"] for r in rows if r["stop"] == 1e-3 and r["seed"] == 0] == [2, 5, 2, 5]
    near = json.loads(out["near.json"].read_text())
    assert len(near) == 16 and "sgd-relu-k5-cov1-s1-i3/grad0.001" in near
    entry = near["gd-relu-k2-cov1-s0-i3/final"]
    assert entry["stop"] == 1e-4 and entry["seed"] == 0 and entry["point"] == "final"
    assert len(entry["top"]) == 9 and entry["group_heur"] == 2
    # our spectra are 1 and 0.01 times blob-sized; the paper's mean is nearer the second
    assert paper_comparison.chosen_stop(rows)["stop"] == 1e-4
    assert "## gradient norm < 0.0001 (chosen)" in out["t.md"].read_text()
    section = summary_paper.paper_rows_lines(Claims(), rows, near)
    assert any("after k - 1 eigenvalues in 0 of 8 runs" in line for line in section)


def test_every_column_that_reads_as_k_minus_one_is_named():
    counts = {"gap": 0, "ratio": 0, "heur": 0}
    rows = side_by_side(rows_from(counts, seed=0))
    for row in rows:
        for counter, offset in (("gap", 1), ("ratio", 2), ("heur", 0)):
            row[counter] = row["n_classes"] - 1
            if row[f"paper_{counter}"] is not None:
                row[f"paper_{counter}"] = row[counter] + offset
    text = "\n".join(summary_paper.paper_rows_lines(Claims(), rows, near_k_of(rows)))
    assert "k - 1 fits more of the paper's rows than k for gap, ratio and heur." in text
