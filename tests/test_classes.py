"""G's class structure (Papyan 2019, 2020): the per-label gradients against autograd, the
exact split G = G_means + G_cross + G_within against `Problem.gauss_newton()`, the ranks
against their bounds, the spectra against dense references, the verdicts on numbers either
side of each threshold, the summary section and the step from a checkpoint to its files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.linalg import subspace_angles

from hessian_spectra import classes, models, plotting, storage
from hessian_spectra.problems import Problem
from hessian_spectra.split import Split
from hessian_spectra.steps.classes import figure_classes
from hessian_spectra.summary_classes import (
    MINI_BULK_CLAIM,
    MINI_BULK_TOLERANCE,
    OUTLIER_CLAIM,
    SPAN_ANGLE_LIMIT_DEG,
    SPAN_CLAIM,
    classes_lines,
    constants,
)
from hessian_spectra.verdicts import FAILS, FINDING, HOLDS, MIXED, UNTESTABLE, Claims

C = 3
SPEC = models.mlp_spec(8, [6, 5], C, "tanh")  # the test config's blob net shape, M = 107


def tiny(n: int = 60, seed: int = 1) -> Problem:
    """Blob-like data, every class present, and a net away from any symmetric point."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % C
    centres = 2.0 * torch.randn(C, 8, generator=generator, dtype=torch.float64)
    x = centres[labels] + torch.randn(n, 8, generator=generator, dtype=torch.float64)
    return Problem.from_spec(SPEC, Split(x, labels), weight_std=0.7, seed=seed)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Products of tiny matrices on one thread: two spin-waiting OpenMP threads on a shared
    machine made them 100 times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def problem() -> Problem:
    return tiny()


@pytest.fixture(scope="module")
def gradients(problem) -> classes.LabelGradients:
    return classes.label_gradients(problem, chunk_size=7)


@pytest.fixture(scope="module")
def structure(gradients) -> classes.ClassStructure:
    return classes.class_structure(gradients, C)


def psd_part(factor: torch.Tensor) -> torch.Tensor:
    return factor @ factor.T


def dense_within(gradients, structure) -> torch.Tensor:
    """G_within = R^T R / N from R formed row by row."""
    sqrt_probs = gradients.sqrt_probs.unsqueeze(-1)
    residual = gradients.rows - sqrt_probs * structure.pair_means[gradients.labels]
    flat = residual.reshape(-1, residual.shape[-1])
    return flat.T @ flat / gradients.n_samples


def test_rows_are_each_labels_gradient_and_sum_to_zero_under_softmax(problem, gradients):
    for i, label in [(0, 0), (0, 2), (17, 1), (59, 2)]:
        theta = problem.theta.clone().requires_grad_(True)
        logits = problem.flat(theta, problem.data.x[i : i + 1])
        (gradient,) = torch.autograd.grad(F.cross_entropy(logits, torch.tensor([label])), theta)
        expected = -gradient * gradients.sqrt_probs[i, label]  # b_ic' = sqrt(p_ic') g_ic'
        assert torch.allclose(gradients.rows[i, label], expected, rtol=0, atol=1e-14)
    summed = torch.einsum("nc,ncm->nm", gradients.sqrt_probs, gradients.rows)
    assert summed.abs().max() < 1e-14 < gradients.rows.abs().max()


def test_b_transpose_b_over_n_is_the_gauss_newton_term(problem, gradients):
    reference = problem.gauss_newton().dense()
    b = gradients.matrix
    assert torch.allclose(b.T @ b / len(problem.data), reference, rtol=0, atol=1e-14)
    assert torch.equal(classes.label_gradients(problem, chunk_size=100).rows, gradients.rows)


def test_the_three_parts_are_psd_and_sum_exactly_to_g(problem, gradients, structure):
    means = psd_part(structure.means_factor())
    cross = psd_part(structure.cross_factor())
    within = dense_within(gradients, structure)
    operator = classes.within_operator(gradients, structure)
    np.testing.assert_allclose(operator @ np.eye(problem.flat.dim), within, rtol=0, atol=1e-15)
    gauss_newton = problem.gauss_newton().dense()
    assert torch.allclose(means + cross + within, gauss_newton, rtol=0, atol=1e-14)
    assert torch.allclose(means + cross, psd_part(structure.between_factor()), atol=1e-15)
    for part in (means, cross, within):
        values = torch.linalg.eigvalsh(part)
        assert values.min() > -1e-14 * values.max() and values.max() > 1e-3


def test_the_weighted_means_obey_the_softmax_relations(structure):
    weights, pair_means = structure.weights, structure.pair_means
    assert torch.isclose(weights.sum(), torch.tensor(1.0, dtype=torch.float64), atol=1e-15)
    per_class = torch.einsum("ab,abm->am", weights, pair_means)  # sum_c' W_cc' delta_cc'
    assert per_class.abs().max() < 1e-15 < pair_means.abs().max()
    overall = structure.class_weights @ structure.class_means  # sum_c' W_c' delta_c'
    assert overall.abs().max() < 1e-15


def test_ranks_reach_their_bounds_and_the_means_lie_in_the_cross_range(structure):
    means = classes.factor_spectrum(structure.means_factor())
    cross = classes.factor_spectrum(structure.cross_factor())
    between = classes.factor_spectrum(structure.between_factor())
    assert (means.rank, cross.rank, between.rank) == (C - 1, C * (C - 1), C * (C - 1))
    # rank(G_means) + rank(G_cross) = C^2 - 1 > rank(G_means + G_cross): the ranges overlap.
    outside = means.basis - cross.basis @ (cross.basis.T @ means.basis)
    assert np.abs(outside).max() < 1e-12
    dense = torch.linalg.eigvalsh(psd_part(structure.cross_factor())).numpy()[::-1]
    np.testing.assert_allclose(cross.eigenvalues[: cross.rank], dense[: cross.rank], rtol=1e-10)


@pytest.mark.parametrize("n", [10, 60])  # N C = 30 < M = 107 and 180 > M: both sides
def test_gauss_newton_spectrum_on_the_smaller_side_matches_the_dense_one(n):
    problem = tiny(n)
    gauss_newton = problem.gauss_newton().dense()
    values, vectors = classes.gauss_newton_spectrum(classes.label_gradients(problem), 2)
    dense = torch.linalg.eigvalsh(gauss_newton).numpy()[::-1]
    assert values.size == min(n * C, problem.flat.dim)
    np.testing.assert_allclose(values, dense[: values.size], rtol=0, atol=1e-14)
    products = (gauss_newton @ torch.from_numpy(vectors)).numpy()
    np.testing.assert_allclose(products, vectors * values[:2], rtol=0, atol=1e-12)


def test_within_largest_is_the_dense_largest_eigenvalue(gradients, structure):
    dense = torch.linalg.eigvalsh(dense_within(gradients, structure))[-1].item()
    assert classes.within_largest(gradients, structure) == pytest.approx(dense, rel=1e-10)


def test_largest_log_gap_counts_above_the_largest_ratio():
    assert classes.largest_log_gap(np.array([100.0, 90.0, 80.0, 1.0, 0.9, 0.8]), 6) == 3
    # Only the window takes part: the ratio 10 below the fifth value is outside it.
    assert classes.largest_log_gap(np.array([8.0, 4.0, 3.0, 2.0, 1.5, 0.15]), 5) == 1
    # A window reaching G's null space: the round-off floor closes it.
    assert classes.largest_log_gap(np.array([5.0, 4.0, 3.0, 0.0, 1e-17, 0.0]), 6) == 3
    assert classes.largest_log_gap(np.zeros(4), 3) == 0


def test_measure_on_a_tiny_net(problem, gradients, structure):
    measured = classes.measure(problem, C)
    assert (measured["M"], measured["N"]) == (107, 60)
    assert len(measured["gauss_newton_top"]) == 3 * (C * C + C)
    assert (measured["means_rank"], measured["between_rank"]) == (C - 1, C * (C - 1))
    assert measured["above_within"] <= measured["between_rank"]  # Weyl
    shares = [measured[f"{part}_trace_share"] for part in ("means", "cross", "within")]
    assert sum(shares) == pytest.approx(1.0, abs=1e-12) and min(shares) > 0
    # The angles against G's dense top eigenvectors and the class means' own columns.
    _, vectors = torch.linalg.eigh(problem.gauss_newton().dense())
    top = vectors[:, -(C - 1) :].numpy()
    expected = np.degrees(subspace_angles(top, structure.class_means.T.numpy()))
    np.testing.assert_allclose(measured["principal_angles_deg"], sorted(expected), atol=1e-6)
    with pytest.raises(ValueError, match="the net has 3 logits, not 4"):
        classes.measure(problem, 4)


def net(label: str = "a", gap: int = 9, above: int = 90, angle: float = 10.0) -> dict:
    """A net's numbers at C = 10 (ranks at their bounds) with the three tested values."""
    return {
        "label": label, "n_classes": 10, "M": 4270, "N": 1000, "loss": 0.01,
        "gauss_newton_rank": 4000, "gauss_newton_rank_bound": 4270,
        "gauss_newton_top": [1.0, 0.5], "means_rank": 9, "means_rank_bound": 9,
        "cross_rank": 90, "cross_rank_bound": 90, "between_rank": 90,
        "between_rank_bound": 90, "within_largest": 0.01, "above_within": above,
        "largest_gap_position": gap, "largest_angle_deg": angle, "means_trace_share": 0.2,
        "cross_trace_share": 0.5, "within_trace_share": 0.3,
    }  # fmt: skip


def verdicts(*nets: dict) -> dict:
    claims = Claims()
    lines = classes_lines(claims, {"constants": constants(), "nets": list(nets)})
    assert lines[0].startswith("## ") and lines[1] == ""
    assert all(item["kind"] == FINDING for item in claims.items)
    return {item["claim"]: item["verdict"] for item in claims.items}


def test_each_verdict_flips_on_its_own_side_of_its_threshold():
    assert set(verdicts(net()).values()) == {HOLDS}
    low = int(np.ceil((1 - MINI_BULK_TOLERANCE) * 90))  # 72: the fewest that still hold
    assert set(verdicts(net(gap=10, above=low, angle=29.9)).values()) == {HOLDS}
    assert verdicts(net(gap=11))[OUTLIER_CLAIM] == FAILS
    assert verdicts(net(gap=90))[OUTLIER_CLAIM] == FAILS
    assert verdicts(net(above=low - 1))[MINI_BULK_CLAIM] == FAILS
    assert verdicts(net(angle=SPAN_ANGLE_LIMIT_DEG))[SPAN_CLAIM] == FAILS
    assert verdicts(net(angle=None))[SPAN_CLAIM] == FAILS
    mixed = verdicts(net("a"), net("b", gap=1, above=10, angle=60.0))
    assert set(mixed.values()) == {MIXED}


def test_the_section_shows_each_net_and_is_untestable_without_nets():
    text = "\n".join(classes_lines(Claims(), {"nets": [net("blob k = 10", above=43)]}))
    assert "| blob k = 10 | 10 | 4,270 | 1,000 |" in text and "43 / 90" in text
    assert set(verdicts().values()) == {UNTESTABLE}


def test_the_step_writes_the_figure_and_the_numbers(tmp_path, problem):
    x, y = problem.data.x.numpy(), problem.data.y.numpy()
    arrays = {"x_train": x, "y_train": y, "x_test": x[:3], "y_test": y[:3]}
    storage.write_arrays(tmp_path / "data.h5", arrays, {"n_classes": C})
    storage.save_checkpoint(tmp_path / "c.pt", parameters=problem.theta, step=5, run="r",
                            model=SPEC)  # fmt: skip
    nets = [{"label": "tiny", "checkpoint": tmp_path / "c.pt", "dataset": tmp_path / "data.h5",
             "n_classes": C}]  # fmt: skip
    figure, numbers = tmp_path / "classes.pdf", tmp_path / "classes.json"
    with pytest.raises(ValueError, match="the PNG beside"):
        figure_classes(nets, figure, tmp_path / "other.png", numbers)
    figure_classes(nets, figure, plotting.png_path(figure), numbers)
    assert figure.stat().st_size > 0 and plotting.png_path(figure).stat().st_size > 0
    payload = json.loads(numbers.read_text())
    assert payload["constants"] == constants()
    (entry,) = payload["nets"]
    assert entry["label"] == "tiny" and entry["n_classes"] == C
    measured = json.loads(json.dumps(classes.measure(problem, C)))
    assert {key: entry[key] for key in measured} == measured
