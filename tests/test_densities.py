"""Stochastic Lanczos quadrature against known spectra (Gauss quadrature's exact moments,
nodes and weights), the distances against scipy, the summary's verdicts on numbers on
either side of each bound, and the step from files to a figure and its numbers."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import torch
from scipy.stats import ks_2samp, wasserstein_distance

from hessian_spectra import densities, models, storage
from hessian_spectra.densities import Density, lanczos_quadrature, slq
from hessian_spectra.problems import Problem
from hessian_spectra.steps import density as density_step
from hessian_spectra.summary_density import (
    KS_BOUND,
    KS_CLAIM,
    NEGATIVE_CLAIM,
    NEGATIVE_SHARE_TOLERANCE,
    TOP_CLAIM,
    TOP_RELATIVE_BOUND,
    W1_CLAIM,
    W1_RELATIVE_BOUND,
    density_lines,
)
from hessian_spectra.verdicts import FAILS, HOLDS, MIXED, UNTESTABLE, Claims

from .conftest import random_split


def symmetric(size: int, seed: int) -> torch.Tensor:
    """A random symmetric matrix, spectrum in about [-1, 1], distinct eigenvalues."""
    generator = torch.Generator().manual_seed(seed)
    matrix = torch.randn(size, size, generator=generator, dtype=torch.float64)
    return (matrix + matrix.T) / (2 * size**0.5)


def moments(nodes: np.ndarray, weights: np.ndarray, powers: range) -> np.ndarray:
    return np.array([weights @ nodes**p for p in powers])


def test_gauss_quadrature_is_exact_up_to_degree_2m_minus_1_and_not_beyond():
    matrix, steps = symmetric(30, seed=0), 5
    start = torch.randn(30, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    nodes, weights = lanczos_quadrature(lambda v: matrix @ v, start, steps)
    unit = (start / start.norm()).numpy()
    a = matrix.numpy()
    quadratic = [unit @ np.linalg.matrix_power(a, p) @ unit for p in range(2 * steps + 1)]
    got = moments(nodes, weights, range(2 * steps + 1))
    assert nodes.size == steps and np.isclose(weights.sum(), 1.0, atol=1e-14)
    assert np.allclose(got[: 2 * steps], quadratic[: 2 * steps], rtol=1e-10, atol=1e-13)
    # degree 2m is beyond Gauss quadrature: the test above can tell
    assert abs(got[2 * steps] - quadratic[2 * steps]) > 1e-6


def test_m_equal_to_M_gives_the_eigenvalues_with_the_start_vectors_components():
    matrix = symmetric(12, seed=2)
    values, vectors = np.linalg.eigh(matrix.numpy())
    start = torch.randn(12, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    nodes, weights = lanczos_quadrature(lambda v: matrix @ v, start, 50)
    unit = (start / start.norm()).numpy()
    assert np.allclose(nodes, values, atol=1e-12)
    assert np.allclose(weights, (vectors.T @ unit) ** 2, atol=1e-12)


def test_over_every_sign_vector_the_weights_are_1_over_M_and_moments_traces():
    size, matrix = 5, symmetric(5, seed=4)
    values = np.linalg.eigvalsh(matrix.numpy())
    signs = [torch.tensor(s, dtype=torch.float64) for s in itertools.product((-1, 1), repeat=size)]
    runs = [lanczos_quadrature(lambda v: matrix @ v, sign, size) for sign in signs]
    average = densities.quadrature(runs, iterations=size, vectors=len(runs), products=0)
    by_value = [average.weights[np.isclose(average.nodes, v, atol=1e-10)].sum() for v in values]
    assert np.allclose(by_value, 1 / size, atol=1e-12)
    traces = [np.trace(np.linalg.matrix_power(matrix.numpy(), p)) / size for p in range(9)]
    assert np.allclose(moments(average.nodes, average.weights, range(9)), traces, atol=1e-12)


def test_an_invariant_krylov_space_stops_lanczos_early_and_exactly():
    diagonal = torch.tensor([1.0, 1.0, 2.0, 2.0, 2.0, 5.0], dtype=torch.float64)
    result = slq(lambda v: diagonal * v, 6, iterations=6, vectors=3, seed=0)
    assert result.products == 3 * 3  # three distinct eigenvalues per vector
    assert np.allclose(np.unique(np.round(result.nodes, 12)), [1.0, 2.0, 5.0])
    shares = [result.weights[np.isclose(result.nodes, v)].sum() for v in (1.0, 2.0, 5.0)]
    assert np.allclose(shares, [2 / 6, 3 / 6, 1 / 6])  # Rademacher: v_i^2 = 1 exactly


def test_rademacher_start_vectors_weigh_a_diagonal_exactly_gaussian_do_not():
    diagonal = torch.linspace(-1.0, 3.0, 8, dtype=torch.float64)
    rademacher = slq(lambda v: diagonal * v, 8, iterations=8, vectors=2, seed=5)
    gaussian = slq(
        lambda v: diagonal * v, 8, iterations=8, vectors=2, seed=5, distribution="gaussian"
    )
    assert np.allclose(rademacher.weights, 1 / 16, atol=1e-12)
    assert not np.allclose(gaussian.weights, 1 / 16, atol=1e-3)
    again = slq(lambda v: diagonal * v, 8, iterations=8, vectors=2, seed=5)
    assert np.array_equal(again.nodes, rademacher.nodes)
    assert rademacher.kind == "quadrature" and rademacher.products == 16


def test_kolmogorov_smirnov_equals_scipy_and_counts_weights_as_repeats():
    rng = np.random.default_rng(0)
    first, second = rng.normal(size=40), np.sort(rng.normal(0.3, 1.0, size=55))
    ours = densities.kolmogorov_smirnov(first, np.ones(40), second)
    assert np.isclose(ours, ks_2samp(first, second).statistic, atol=1e-15)
    nodes, weights = np.array([0.0, 1.0, 2.5]), np.array([2.0, 1.0, 1.0])
    repeated = np.array([0.0, 0.0, 1.0, 2.5])
    exact = np.array([-0.5, 0.5, 1.0, 3.0, 4.0])
    assert np.isclose(
        densities.kolmogorov_smirnov(nodes, weights, exact), ks_2samp(repeated, exact).statistic
    )
    assert densities.kolmogorov_smirnov(exact, np.ones(5), exact) == 0.0


def density_of(nodes, weights, ritz=()) -> Density:
    return Density(np.asarray(nodes, float), np.asarray(weights, float), ritz, 1, 1, 1)


def test_compare_gives_w1_ks_negative_shares_and_top_errors_on_known_measures():
    exact = np.array([-2.0, -1e-14, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0])
    point = density_of([1.0], [1.0], ritz=(np.array([1.0]),))
    numbers = densities.compare(point, exact, floor=1e-12)
    assert np.isclose(numbers["w1"], np.mean(np.abs(exact - 1.0)))
    assert np.isclose(numbers["w1_relative"], numbers["w1"] / 12.0)
    assert np.isclose(numbers["w1"], wasserstein_distance([1.0], exact))
    assert numbers["negative_share"] == 0.0
    summary = density_step.exact_summary(exact, 1e-12)
    assert summary["negative_share"] == 2 / 12 and summary["negative_share_below_floor"] == 1 / 12
    assert density_step.exact_summary(exact, None)["negative_share_below_floor"] is None
    spread = density_of([-1.0, -1e-14, 4.0], [0.25, 0.25, 0.5])
    shares = densities.compare(spread, exact, floor=1e-12)
    assert shares["negative_share"] == 0.5 and shares["negative_share_below_floor"] == 0.25
    assert shares["top10_error"] is None  # a grid: no Ritz values
    ritz = (np.sort(exact)[::-1][:10] * 1.01, np.sort(exact)[::-1][:10] * 1.03, exact * 1.02)
    assert np.isclose(densities.top_error(ritz, exact), 0.02)  # the median run


def test_ks_counts_the_round_off_zeros_of_both_signs_as_zero():
    """A rank-deficient spectrum: most eigenvalues are exact zeros that come out within the
    round-off floor on either side of 0. A quadrature that puts their weight on one node at
    0 is exact; without the floor, KS would charge it half their share."""
    exact = np.sort(np.concatenate([np.linspace(-1e-13, 1e-13, 80), np.arange(1.0, 21.0)]))
    nodes = np.concatenate([[0.0], np.arange(1.0, 21.0)])
    weights = np.concatenate([[80 / 100], np.full(20, 1 / 100)])
    exact_quadrature = density_of(nodes, weights)
    assert densities.compare(exact_quadrature, exact, floor=1e-12)["ks"] < 1e-12
    assert densities.compare(exact_quadrature, exact, floor=None)["ks"] == pytest.approx(0.4)
    # Eigenvalues beyond the floor are not resolved away: nodes off by 0.5 still count.
    shifted = density_of(nodes + np.where(nodes > 0, 0.5, 0.0), weights)
    assert densities.compare(shifted, exact, floor=1e-12)["ks"] == pytest.approx(0.01)


# --- the summary's verdicts -------------------------------------------------------------


def method_row(name="ours (SLQ)", w1_relative=1e-3, ks=0.02, top=1e-6, negative=0.30):
    return {"name": name, "measure": "quadrature", "iterations": 100, "vectors": 1,
            "products": 100, "w1": w1_relative * 10, "w1_relative": w1_relative,
            "ks": ks, "top10_error": top, "negative_share": negative,
            "negative_share_below_floor": negative, "skipped": None}  # fmt: skip


def numbers_of(*rows, floor=1e-12) -> dict:
    exact = {"lambda_min": -1.0, "lambda_max": 9.0, "range": 10.0, "round_off_floor": floor,
             "negative_share": 0.32, "negative_share_below_floor": 0.31, "top": [9.0]}  # fmt: skip
    skipped = {"name": "curvlinops", "skipped": density_step.NOT_INSTALLED}
    return {"nets": [{"label": "blob", "M": 100, "exact": exact, "methods": [*rows, skipped]}]}


def verdicts(numbers) -> dict:
    claims = Claims()
    text = "\n".join(density_lines(claims, numbers))
    return {item["claim"]: item["verdict"] for item in claims.items}, text


def test_verdicts_hold_on_good_numbers_and_flip_on_each_bound():
    held, text = verdicts(numbers_of(method_row()))
    assert held == {W1_CLAIM: HOLDS, KS_CLAIM: HOLDS, NEGATIVE_CLAIM: HOLDS, TOP_CLAIM: HOLDS}
    assert "skipped: not installed" in text and "None off." in text
    cases = {
        W1_CLAIM: [{"w1_relative": 1.5 * W1_RELATIVE_BOUND}],
        KS_CLAIM: [{"ks": 1.5 * KS_BOUND}],
        NEGATIVE_CLAIM: [{"negative": 0.31 + 1.5 * NEGATIVE_SHARE_TOLERANCE}],
        TOP_CLAIM: [{"top": 1.5 * TOP_RELATIVE_BOUND}],
    }
    for claim, changes in cases.items():
        for change in changes:
            failed, text = verdicts(numbers_of(method_row(name="PyHessian density", **change)))
            assert failed[claim] == FAILS and "PyHessian density on blob" in text
            assert all(v == HOLDS for c, v in failed.items() if c != claim)
            mixed, _ = verdicts(numbers_of(method_row(), method_row("peer", **change)))
            assert mixed[claim] == MIXED


def test_negative_share_is_read_below_0_where_the_spectrum_has_no_floor():
    row = method_row(negative=0.32)
    row["negative_share_below_floor"] = 0.9  # read only with a floor
    assert verdicts(numbers_of(row, floor=None))[0][NEGATIVE_CLAIM] == HOLDS
    assert verdicts(numbers_of(row))[0][NEGATIVE_CLAIM] == FAILS


def test_a_grid_density_has_no_top_claim_and_nothing_run_is_untestable():
    grid = method_row(top=None)
    assert verdicts(numbers_of(grid))[0][TOP_CLAIM] == UNTESTABLE
    assert set(verdicts(numbers_of())[0].values()) == {UNTESTABLE}


# --- the step --------------------------------------------------------------------------

SPEC = models.mlp_spec(4, (3,), 3, "tanh")  # M = 4*3 + 3 + 3*3 + 3 = 27


@pytest.fixture
def net_files(tmp_path):
    data = random_split(n=20, dim=4, n_classes=3, seed=6)
    problem = Problem.from_spec(SPEC, data, weight_std=0.8, seed=7)
    x, y = data.x.numpy(), data.y.numpy()
    arrays = {"x_train": x, "y_train": y, "x_test": x[:2], "y_test": y[:2]}
    storage.write_arrays(tmp_path / "data.h5", arrays, {"n_classes": 3})
    storage.save_checkpoint(
        tmp_path / "c.pt", parameters=problem.theta, step=0, run="r", model=SPEC
    )
    values = np.linalg.eigvalsh(problem.hessian().dense().numpy())
    attrs = {"method": "dense", "precision": "float64", "round_off_floor": 1e-14}
    storage.write_spectrum(tmp_path / "s.h5", values, attrs)
    net = {"label": "tiny", "checkpoint": tmp_path / "c.pt", "dataset": tmp_path / "data.h5",
           "spectrum": tmp_path / "s.h5"}  # fmt: skip
    return net, values


def test_the_step_writes_the_figure_and_numbers_and_ours_is_exact_at_m_equal_M(
    tmp_path, net_files, monkeypatch
):
    net, values = net_files
    monkeypatch.setattr(density_step, "_installed", lambda peer: peer != "curvlinops")
    monkeypatch.setattr(
        densities,
        "PEER_DENSITIES",
        {
            "PyHessian": lambda problem, seed=0, **counts: densities.pyhessian_density(
                problem, seed, counts.get("iterations", 8), counts.get("vectors", 1)
            ),
            "hessian-eigenthings": lambda problem, seed=0, **counts: densities.eigenthings_density(
                problem, seed, counts.get("iterations", 8), counts.get("vectors", 2)
            ),
        },
    )  # fmt: skip  (the peers' own counts are too slow for a unit test; test_peers runs them)
    settings = {"iterations": 27, "vectors": 1, "seed": 0, "peers": True}
    out = tmp_path / "fig.pdf"
    density_step.figure_density([net], settings, out, tmp_path / "fig.png", tmp_path / "n.json")
    assert out.is_file() and (tmp_path / "fig.png").is_file()
    numbers = json.loads((tmp_path / "n.json").read_text())
    (entry,) = numbers["nets"]
    rows = {row["name"]: row for row in entry["methods"]}
    assert entry["M"] == 27 and entry["exact"]["round_off_floor"] == 1e-14
    ours = rows[density_step.OURS]
    assert ours["top10_error"] < 1e-10 and ours["products"] <= 27  # m = M: the eigenvalues
    assert ours["w1_relative"] < 0.5 and ours["skipped"] is None
    assert rows["PyHessian density"]["products"] == 8 and rows["PyHessian density"]["version"]
    assert rows["hessian-eigenthings spectral_density"]["vectors"] == 2
    assert rows["curvlinops"]["skipped"] == density_step.NOT_INSTALLED
    claims = Claims()
    assert density_lines(claims, numbers)[0].startswith("## ")


def test_the_step_refuses_a_spectrum_that_is_not_dense_float64_or_not_the_nets(tmp_path, net_files):
    net, values = net_files
    settings = {"iterations": 5, "vectors": 1, "seed": 0, "peers": False}
    outputs = (tmp_path / "f.pdf", tmp_path / "f.png", tmp_path / "n.json")
    storage.write_spectrum(tmp_path / "l.h5", values, {"method": "lanczos", "precision": "float64"})
    with pytest.raises(storage.ArtefactError, match="l.h5"):
        density_step.figure_density([{**net, "spectrum": tmp_path / "l.h5"}], settings, *outputs)
    storage.write_spectrum(
        tmp_path / "short.h5", values[1:], {"method": "dense", "precision": "float64"}
    )
    with pytest.raises(storage.ArtefactError, match="26 eigenvalues"):
        density_step.figure_density(
            [{**net, "spectrum": tmp_path / "short.h5"}], settings, *outputs
        )
    density_step.figure_density([net], settings, *outputs)
    rows = json.loads(outputs[2].read_text())["nets"][0]["methods"]
    assert [row["skipped"] for row in rows[1:]] == [density_step.NOT_ASKED] * 3
