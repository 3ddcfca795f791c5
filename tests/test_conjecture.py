"""The abstract's conjecture: measures of one spectrum, the two sweeps and their verdicts
on synthetic spectra built to satisfy or to break it, the summary section, and the step
from spectrum files to a figure and its numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hessian_spectra import conjecture, storage
from hessian_spectra.steps.conjecture import figure_conjecture
from hessian_spectra.summary_conjecture import DATA_CLAIM, WIDTH_CLAIM, conjecture_lines
from hessian_spectra.verdicts import FAILS, FINDING, HOLDS, MIXED, UNTESTABLE, Claims

SEEDS = (0, 1, 2)
SIZES = {"h = 1": 300, "h = 2": 800, "h = 3": 2000}  # M grows 6.7 times
DENSE = {"method": "dense", "precision": "float64"}


def synthetic(top: np.ndarray, size: int, bulk_scale: float, seed: int) -> np.ndarray:
    """An ascending spectrum of `size` values: `top` (up to a 5 % seed-to-seed jitter),
    and a bulk near zero, a tenth of it small negatives, its values scaled by `bulk_scale`."""
    rng = np.random.default_rng(seed)
    outliers = np.asarray(top) * (1 + 0.05 * rng.standard_normal(len(top)))
    bulk = bulk_scale * 1e-3 * rng.exponential(1.0, size - len(top))
    bulk[: bulk.size // 10] *= -0.1
    return np.sort(np.concatenate([outliers, bulk]))


def entry(label: str, values: np.ndarray, n_classes: int, seed: int) -> dict:
    return {"label": label, "n_classes": n_classes, "seed": seed,
            **conjecture.measure(values, n_classes)}  # fmt: skip


TOP = np.geomspace(20.0, 2.0, 10)


def width_entries(outliers_scale_with_m: bool, bulk_trace_fixed: bool, seeds=SEEDS) -> list:
    """The width sweep on synthetic spectra: the outliers stay or scale with M, the bulk
    keeps its values (its trace grows with M) or shrinks them to keep its trace."""
    entries = []
    for label, size in SIZES.items():
        grown = size / SIZES["h = 1"]
        for seed in seeds:
            top = TOP * (grown if outliers_scale_with_m else 1.0)
            values = synthetic(top, size, 1 / grown if bulk_trace_fixed else 1.0, seed)
            entries.append(entry(label, values, 10, seed))
    return entries


def data_entries(outliers_move: bool, bulk_moves: bool) -> list:
    """The data sweep at k = 2, 5, 10 (M = 300 + 3k): setting i multiplies the outliers by
    3^i or not, and the bulk by 5^i or not."""
    entries = []
    for i, k in enumerate((2, 5, 10)):
        top = 20.0 * 0.8 ** np.arange(k) * (3.0**i if outliers_move else 1.0)
        for seed in SEEDS:
            values = synthetic(top, 300 + 3 * k, 5.0**i if bulk_moves else 1.0, seed)
            entries.append(entry(f"k = {k}", values, k, seed))
    return entries


def verdicts(numbers: dict) -> dict:
    claims = Claims()
    lines = conjecture_lines(claims, numbers)
    assert lines[0].startswith("## ") and lines[1] == ""
    assert all(item["kind"] == FINDING for item in claims.items)
    return {item["claim"]: item["verdict"] for item in claims.items}


def sweeps(width: list, data: list) -> dict:
    return {"width": conjecture.width_sweep(width), "data": conjecture.data_sweep(data)}


def test_measure_splits_a_hand_made_spectrum_into_outliers_and_bulk():
    values = np.array([0.002, 5.0, -0.1, 0.4, 0.001, 3.0])  # any order
    measured = conjecture.measure(values, 2)
    bulk_trace = 0.4 + 0.002 + 0.001 - 0.1
    assert measured["M"] == 6
    assert measured["outliers"] == [5.0, 3.0]
    assert measured["lambda_max"] == 5.0
    assert measured["outlier_trace"] == 8.0
    assert measured["bulk_trace"] == pytest.approx(bulk_trace)
    assert measured["bulk_mean_abs"] == pytest.approx((0.4 + 0.002 + 0.001 + 0.1) / 4)
    assert measured["bulk_edge"] == 0.4
    assert measured["bulk_to_outlier_mass"] == pytest.approx(bulk_trace / 8.0)
    assert measured["above_fraction"] == 4  # 5, 3, 0.4, -0.1 exceed 1e-3 x 5 in size
    json.dumps(measured)  # plain numbers
    with pytest.raises(ValueError, match="no bulk"):
        conjecture.measure(values, 6)


def test_the_verdicts_follow_the_spectra_not_the_construction():
    holding = sweeps(width_entries(False, False), data_entries(True, False))
    assert verdicts(holding) == {WIDTH_CLAIM: HOLDS, DATA_CLAIM: HOLDS}
    broken = sweeps(width_entries(True, True), data_entries(False, True))
    assert verdicts(broken) == {WIDTH_CLAIM: FAILS, DATA_CLAIM: FAILS}
    # Each half of a claim can break it alone.
    halves = sweeps(width_entries(True, False), data_entries(True, True))
    assert verdicts(halves) == {WIDTH_CLAIM: FAILS, DATA_CLAIM: FAILS}
    halves = sweeps(width_entries(False, True), data_entries(False, False))
    assert verdicts(halves) == {WIDTH_CLAIM: FAILS, DATA_CLAIM: FAILS}


def test_a_claim_that_holds_at_some_seeds_only_is_mixed():
    entries = width_entries(False, False, seeds=(0, 1)) + width_entries(True, False, seeds=(2,))
    sweep = conjecture.width_sweep(entries)
    assert sweep["seeds"] == [0, 1, 2] and sweep["holds"] == [True, True, False]
    claims = Claims()
    conjecture_lines(claims, {"width": sweep, "data": conjecture.data_sweep([])})
    assert claims.items[0]["verdict"] == MIXED


def test_the_width_claim_is_decided_on_the_smallest_and_largest_net_rank_by_rank():
    sweep = conjecture.width_sweep(width_entries(False, False)[::-1])  # labels largest first
    assert [pair["to"] for pair in sweep["pairs"]] == ["h = 2", "h = 3"]
    assert sweep["tested"] == [["h = 1", "h = 3"]]
    last = sweep["pairs"][-1]
    assert last["M_ratio"] == pytest.approx(2000 / 300)
    assert last["bulk_trace_ratio"]["median"] == pytest.approx(2000 / 300, rel=0.15)
    assert last["bulk_mean_ratio"]["median"] == pytest.approx(1.0, rel=0.15)
    # One outlier, rank 10, scaled by just over the factor, and only in the largest net.
    factor = conjecture.OUTLIER_STAY_FACTOR
    for scale, stays in ((0.95 * factor, True), (1.05 * factor, False)):
        entries = width_entries(False, False)
        for e in entries:
            if e["label"] == "h = 3":
                e["outliers"] = e["outliers"][:-1] + [e["outliers"][-1] * scale]
        assert conjecture.width_sweep(entries)["holds"] == [stays] * len(SEEDS)


def test_the_data_claim_needs_every_pair_and_compares_shared_ranks_and_seeds():
    sweep = conjecture.data_sweep(data_entries(True, False))
    assert [(p["from"], p["to"]) for p in sweep["pairs"]] == [
        ("k = 2", "k = 5"), ("k = 2", "k = 10"), ("k = 5", "k = 10")
    ]  # fmt: skip
    assert sweep["pairs"][1]["outlier_factor"]["median"] == pytest.approx(9.0, rel=0.2)
    # The outliers of k = 10 back at those of k = 5: one pair fails, so every seed does.
    entries = [e for e in data_entries(True, False) if e["label"] != "k = 10"]
    entries += [{**e, "label": "k = 10"} for e in data_entries(True, False)
                if e["label"] == "k = 5"]  # fmt: skip
    assert conjecture.data_sweep(entries)["holds"] == [False] * len(SEEDS)
    # A seed one setting lacks is not compared there.
    entries = [e for e in data_entries(True, False) if not (e["label"] == "k = 2" and e["seed"])]
    assert [len(p["per_seed"]) for p in conjecture.data_sweep(entries)["pairs"]] == [1, 1, 3]


def test_a_bulk_whose_trace_is_not_positive_is_not_compared():
    entries = width_entries(False, False)
    for e in entries:
        if e["label"] == "h = 3":
            e["bulk_trace"] = -1.0
    last = conjecture.width_sweep(entries)["pairs"][-1]
    assert last["bulk_trace_ratio"] is None
    assert not any(c["bulk_moves"] or c["bulk_stays"] for c in last["per_seed"])


def test_a_sweep_of_one_setting_is_untestable_and_the_sweeps_check_their_input():
    one = [e for e in width_entries(False, False) if e["label"] == "h = 1"]
    assert verdicts(sweeps(one, [])) == {WIDTH_CLAIM: UNTESTABLE, DATA_CLAIM: UNTESTABLE}
    with pytest.raises(ValueError, match="one k"):
        conjecture.width_sweep(width_entries(False, False) + data_entries(True, False))
    with pytest.raises(ValueError, match="twice"):
        conjecture.data_sweep(data_entries(True, False) * 2)


def _runs(tmp_path, name: str, spectra: dict) -> dict:
    """label -> runs, each spectrum written to a file as the spectrum rule would."""
    runs = {}
    for label, seeds in spectra.items():
        for seed, (values, k) in seeds.items():
            path = tmp_path / f"{name}-{label.replace(' ', '')}-s{seed}.h5"
            storage.write_spectrum(path, values, DENSE)
            runs.setdefault(label, []).append({"spectrum": path, "n_classes": k, "seed": seed})
    return runs


def test_the_step_writes_the_figure_and_numbers_the_summary_reads(tmp_path):
    width = _runs(tmp_path, "width", {
        label: {seed: (synthetic(TOP, size, 1.0, seed), 10) for seed in SEEDS}
        for label, size in SIZES.items()
    })  # fmt: skip
    data = _runs(tmp_path, "data", {
        f"k = {k}": {seed: (synthetic(20.0 * 0.8 ** np.arange(k), 300, 1.0, seed), k)
                     for seed in SEEDS}
        for k in (2, 5)
    })  # fmt: skip
    figure, numbers = tmp_path / "conjecture.pdf", tmp_path / "conjecture.json"
    figure_conjecture(width, data, figure, tmp_path / "conjecture.png", numbers)
    assert figure.read_bytes().startswith(b"%PDF")
    assert (tmp_path / "conjecture.png").read_bytes().startswith(b"\x89PNG")
    written = json.loads(numbers.read_text())
    assert written["constants"]["outlier_stay_factor"] == conjecture.OUTLIER_STAY_FACTOR
    assert [e["label"] for e in written["width"]["entries"]] == [
        label for label in SIZES for _ in SEEDS
    ]
    assert written["width"]["holds"] == [True] * len(SEEDS)
    assert written["data"]["holds"] == [False] * len(SEEDS)  # the outliers did not move
    assert verdicts(written) == {WIDTH_CLAIM: HOLDS, DATA_CLAIM: FAILS}


def test_the_step_refuses_partial_spectra_and_a_png_elsewhere(tmp_path):
    values = synthetic(TOP, 300, 1.0, 0)
    storage.write_spectrum(tmp_path / "lanczos.h5", values, {"method": "lanczos"})
    runs = {"h = 1": [{"spectrum": tmp_path / "lanczos.h5", "n_classes": 10, "seed": 0}]}
    figure = tmp_path / "c.pdf"
    with pytest.raises(storage.ArtefactError, match="not a full float64 spectrum"):
        figure_conjecture(runs, {}, figure, tmp_path / "c.png", tmp_path / "c.json")
    with pytest.raises(ValueError, match="PNG"):
        figure_conjecture(runs, {}, figure, tmp_path / "other.png", tmp_path / "c.json")
    assert not figure.exists()
