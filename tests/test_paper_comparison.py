"""Table 1 against the paper's own rows (`paper_comparison`): the group elbow, the spectrum
near k, and both columns scored the same way."""

from __future__ import annotations

import numpy as np
import pytest

from hessian_spectra import paper, paper_comparison, storage


def blob_like_spectrum(k: int, outliers: float = 1.0, seed: int = 0, dim: int = 400):
    """k outliers in the decade below `outliers` over a bulk of small positive values, a
    few of them slightly negative (the shape of a trained net's Hessian)."""
    rng = np.random.default_rng(seed)
    bulk = np.abs(rng.normal(0.0, 1e-4 * outliers, dim - k))
    bulk[:5] = -1e-7 * outliers * rng.random(5)
    top = outliers * 10.0 ** -rng.random(k)
    return np.sort(np.concatenate([bulk, top]))


def test_the_group_elbow_is_one_cutoff_per_group_and_counts_each_run():
    spectra = {("sgd", "relu", k, 1.0): blob_like_spectrum(k, seed=k) for k in (2, 5, 10)}
    spectra |= {("gd", "relu", k, 1.0): blob_like_spectrum(k, 0.01, seed=k) for k in (2, 5)}
    counts = paper_comparison.group_elbow_counts(spectra)
    sgd = {counts[("sgd", "relu", k, 1.0)]["group_cutoff"] for k in (2, 5, 10)}
    gd = {counts[("gd", "relu", k, 1.0)]["group_cutoff"] for k in (2, 5)}
    assert len(sgd) == len(gd) == 1 and sgd != gd  # one cutoff per group, its own
    (cutoff,) = sgd
    bulk_top = max(np.sort(v)[-k - 1] for (alg, _, k, _), v in spectra.items() if alg == "sgd")
    smallest_outlier = min(np.sort(v)[-k] for (alg, _, k, _), v in spectra.items() if alg == "sgd")
    assert bulk_top <= cutoff < smallest_outlier
    assert [counts[("sgd", "relu", k, 1.0)]["group_heur"] for k in (2, 5, 10)] == [2, 5, 10]


def test_the_spectrum_near_k_says_where_the_drop_comes():
    values = blob_like_spectrum(9, seed=1)  # k = 10 classes, 9 outliers: a k - 1 drop
    near = paper_comparison.spectrum_near_k(values, 10)
    assert len(near["top"]) == 25 and near["top"] == sorted(near["top"], reverse=True)
    assert near["drop_after"] == 9
    assert near["ratio_after_k_minus_1"] > 100 * near["ratio_after_k"]
    assert near["gap_after_k_minus_1"] > 0.5 > 0.01 > near["gap_after_k"]  # of the largest
    assert paper_comparison.spectrum_near_k(blob_like_spectrum(10), 10)["drop_after"] == 10


def rows_from(paper_minus_ours: dict[str, int]) -> list[dict]:
    """Table 1 rows for the paper's runs whose counts are the paper's minus an offset."""
    rows = []
    for (alg, act, k, cov), theirs in paper.TABLE_1.items():
        counts = {
            key: None if theirs[key] is None else theirs[key] - paper_minus_ours[key]
            for key in ("gap", "ratio", "heur")
        }
        rows.append({
            "algorithm": alg, "activation": act, "n_classes": k, "cov": cov, "M": 4000,
            **counts, "above_paper_cutoff": k, "max": 1e-3, "mean": theirs["mean"] / 10,
        })  # fmt: skip
    return rows


def group_counts(rows, heur_offset: int = 0) -> dict:
    return {
        (r["algorithm"], r["activation"], r["n_classes"], r["cov"]): {
            "group_cutoff": 1e-4,
            "group_heur": r["n_classes"] + heur_offset,
        }
        for r in rows
    }


def test_paper_rows_put_both_sides_on_the_paper_s_19_runs():
    table = rows_from({"gap": 1, "ratio": 2, "heur": 0})
    table.append({**table[0], "n_classes": 3})  # a grid point the paper does not list
    rows = paper_comparison.paper_rows(table, group_counts(table))
    assert len(rows) == 19
    assert all(r["mean_ratio"] == pytest.approx(10.0) for r in rows)
    offsets = paper_comparison.offsets(rows)
    assert offsets["ratio"] == {"offset": 2, "rows": 16, "of": 16}
    assert offsets["gap"] == {"offset": 1, "rows": 19, "of": 19}


def test_hit_rates_score_both_columns_against_k_on_the_same_rows():
    table = rows_from({"gap": 0, "ratio": 1, "heur": 0})
    rows = paper_comparison.paper_rows(table, group_counts(table, heur_offset=1))
    rates = paper_comparison.hit_rates(rows)
    ratio = rates["ratio"]
    assert ratio["rows"] == 16  # three of the paper's ratios are unreadable
    assert ratio["paper_exact"] == sum(
        r["paper_ratio"] == r["n_classes"] for r in rows if r["paper_ratio"] is not None
    )
    # ours = paper - 1: within one of k wherever the paper is exact
    assert ratio["ours_within_one"] >= ratio["paper_exact"]
    heur = rates["heur"]  # ours: k + 1 everywhere the paper has an elbow
    assert heur["rows"] == 15 and heur["ours_exact"] == 0 and heur["ours_within_one"] == 15
    assert rates["above_paper_cutoff"]["ours_exact"] == 15


def test_the_comparison_file_reads_back_with_its_types(tmp_path):
    table = rows_from({"gap": 1, "ratio": 2, "heur": 0})
    rows = paper_comparison.paper_rows(table, group_counts(table))
    storage.write_rows(tmp_path / "t.csv", rows, paper_comparison.COLUMNS)
    assert paper_comparison.read_rows(tmp_path / "t.csv") == rows
    text = paper_comparison.to_markdown(rows)
    assert text.count("\n") == 21 and "| GD tanh | 4000 | 1 | 2 | 2 / 1 | 3 / 1 |" in text
