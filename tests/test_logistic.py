"""Fig. 10 at the trained weights: the training, the Hessian there against its closed form,
separable data, the trained verdicts of the summary (each able to fail) and the figure."""

from __future__ import annotations

import json
from functools import partial

import numpy as np
import pytest
import torch

from hessian_spectra import logistic, plotting_logistic, summary_theory
from hessian_spectra.curvature import HessianOperator
from hessian_spectra.steps.figures import figure_logistic_regression
from hessian_spectra.verdicts import ENGINE_CHECK, FINDING, Claims

RULE = logistic.StoppingRule(tolerance=1e-8, max_steps=500)


def one_blob(dim: int, n: int, seed: int):
    """The draw of `logistic.single_blob`: points, then Bernoulli(1/2) labels."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, dim, generator=generator, dtype=torch.float64)
    return x, torch.randint(0, 2, (n,), generator=generator).double()


def test_training_reaches_its_tolerance_and_says_when_it_does_not():
    x, y = one_blob(dim=20, n=200, seed=0)
    loss = logistic.log_loss(x, y)
    w, training = logistic.train(loss, 20, RULE)
    point = w.clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(loss(point), point)
    assert training.converged and training.steps < RULE.max_steps
    assert float(gradient.norm()) == pytest.approx(training.gradient_norm, rel=1e-6)
    assert training.gradient_norm <= RULE.tolerance
    assert float(w.norm()) > 0.1  # the labels carry no signal, yet the minimum is not w = 0
    assert training.loss < float(loss(torch.zeros(20, dtype=torch.float64)))
    capped = logistic.train(loss, 20, logistic.StoppingRule(1e-8, max_steps=2))[1]
    assert not capped.converged and capped.steps == 2 and capped.gradient_norm > 1e-8


def test_the_trained_hessian_is_the_curvature_weighted_covariance():
    """(1/N) sum sigma'(x.w) x x^T at the trained w, to 1e-12, and the trained single blob
    is that matrix's spectrum, with the average curvature as its MP variance."""
    dim, n, seed = 20, 200, 3
    x, y = one_blob(dim, n, seed)
    loss = logistic.log_loss(x, y)
    w, _ = logistic.train(loss, dim, RULE)
    curvature = torch.sigmoid(x @ w) * torch.sigmoid(-(x @ w))
    analytic = ((x * curvature[:, None]).T @ x / n).numpy()
    engine = HessianOperator(loss, w).dense().numpy()
    np.testing.assert_allclose(engine, analytic, rtol=0, atol=1e-12)
    result = logistic.trained_single_blob(dim, dim / n, seed, RULE)
    assert isinstance(result, logistic.SingleBlob) and result.training.converged
    np.testing.assert_allclose(result.eigenvalues, np.linalg.eigvalsh(analytic), atol=1e-12)
    assert result.variance == pytest.approx(float(curvature.mean()), rel=1e-12)
    assert result.variance < logistic.LOGISTIC_CURVATURE_AT_ZERO


def test_the_trained_softmax_hessian_is_the_curvature_weighted_covariance():
    """Two overlapping blobs (separation 1, N = 50 M): a finite minimum; the Hessian there
    is 2 p_0 p_1 x x^T averaged, on the class difference, and zero on the class sum."""
    dim, alpha, separation, seed = 20, 0.02, 1.0, 0
    result = logistic.trained_two_blobs(dim, alpha, separation, seed, RULE)
    assert isinstance(result, logistic.TwoBlobs) and result.training.converged
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(1000) % 2
    x = torch.randn(1000, dim, generator=generator, dtype=torch.float64)
    x[:, 0] += separation * (2.0 * labels.double() - 1.0)
    w, _ = logistic.train(logistic.softmax_loss(x, labels), 2 * dim, RULE)
    p = torch.softmax(x @ w.view(2, dim).T, dim=1)
    curvature = 2 * p[:, 0] * p[:, 1]
    expected = np.linalg.eigvalsh(((x * curvature[:, None]).T @ x / 1000).numpy())
    np.testing.assert_allclose(result.eigenvalues[dim:], expected, atol=1e-12)
    np.testing.assert_allclose(result.eigenvalues[:dim], 0.0, atol=1e-12)
    assert result.variance == pytest.approx(float(curvature.mean()), rel=1e-12)


def test_separable_data_are_reported_not_trained():
    line = torch.tensor([[1.0], [-1.0]], dtype=torch.float64)
    assert logistic.linearly_separable(line, torch.tensor([1.0, -1.0], dtype=torch.float64))
    assert not logistic.linearly_separable(line, torch.tensor([1.0, 1.0], dtype=torch.float64))
    # N <= M: any labels of points in general position are separable
    result = logistic.trained_single_blob(dim=20, alpha=1.0, seed=0, rule=RULE)
    assert result == logistic.Separable(alpha=1.0, n_samples=20, parameters=20)
    two = logistic.trained_two_blobs(dim=20, alpha=2.0, separation=3.0, seed=0, rule=RULE)
    assert two == logistic.Separable(alpha=2.0, n_samples=10, parameters=40)


def test_the_trained_yardstick_comes_from_trained_draws():
    result = logistic.trained_single_blob(20, 0.1, 0, RULE)
    trained = partial(logistic.trained_single_blob, rule=RULE)
    calibration = logistic.calibrate_ks(result, 20, 0, draws=8, experiment=trained)
    draws = [trained(20, 0.1, seed).ks_distance for seed in range(1, 9)]
    assert calibration.draws == 8
    assert calibration.critical == pytest.approx(np.quantile(draws, 0.95))


def trained_numbers() -> dict:
    """A fig10.json whose trained verdicts hold: one single-blob and one two-blob ratio
    trained and within their yardsticks, one of each separable."""
    training = {"separable": False, "loss": 0.68, "gradient_norm": 5e-9, "steps": 10}
    separable = {"alpha": 1.0, "M": 100, "N": 100, "separable": True}
    return {
        "single_blob": [],
        "two_blobs": [],
        "train": {"tolerance": 1e-8, "max_steps": 500},
        "single_blob_trained": [
            separable,
            {
                "alpha": 0.02, "M": 100, "N": 5000, "ks_distance": 0.025, "ks_critical": 0.03,
                "ks_wrong_variance": 0.2, "ks_wrong_ratio": 0.04, "ks_draws": 40,
                "ks_error": 0.1, "converged": True, "mean_curvature": 0.245, **training,
            },
        ],
        "two_blobs_trained": [
            separable | {"M": 200},
            {
                "alpha": 0.02, "M": 200, "N": 5000, "spike": 2.0, "predicted_outlier": 0.5,
                "predicted_spread": 0.01, "largest": 0.505, "n_above_bulk": 1,
                "converged": True, "mean_curvature": 0.25, **training,
            },
        ],
    }  # fmt: skip


def trained_verdicts(numbers: dict) -> dict[str, str]:
    claims = Claims()
    summary_theory.logistic_lines(claims, numbers)
    return {c["claim"]: c["verdict"] for c in claims.items if c["kind"] == FINDING}


BULK = "at the trained weights the bulk follows Marchenko-Pastur of ratio M/N"
OUTLIER = "two blobs at the trained weights give one outlier, where BBP puts it"


@pytest.mark.parametrize(
    ("key", "change", "claim"),
    [
        ("single_blob_trained", {"ks_distance": 0.031}, BULK),
        ("single_blob_trained", {"converged": False}, BULK),
        ("two_blobs_trained", {"n_above_bulk": 2}, OUTLIER),
        ("two_blobs_trained", {"n_above_bulk": 0}, OUTLIER),
        ("two_blobs_trained", {"largest": 0.521}, OUTLIER),
        ("two_blobs_trained", {"predicted_outlier": None, "predicted_spread": None}, OUTLIER),
        ("two_blobs_trained", {"converged": False}, OUTLIER),
    ],
)
def test_each_trained_verdict_fails_on_the_wrong_side_of_its_threshold(key, change, claim):
    numbers = trained_numbers()
    assert trained_verdicts(numbers) == {BULK: "holds", OUTLIER: "holds"}
    numbers[key][1].update(change)
    assert trained_verdicts(numbers)[claim] == "does not hold"


def test_trained_verdicts_are_findings_and_untestable_where_every_ratio_is_separable():
    numbers = trained_numbers()
    for key in ("single_blob_trained", "two_blobs_trained"):
        numbers[key] = numbers[key][:1]
    claims = Claims()
    text = "\n".join(summary_theory.logistic_lines(claims, numbers))
    kinds = {c["claim"]: (c["kind"], c["verdict"]) for c in claims.items}
    assert kinds[BULK] == kinds[OUTLIER] == (FINDING, "not testable here")
    assert kinds["at w = 0 two blobs give exactly one outlier, where BBP puts it"][0] == (
        ENGINE_CHECK
    )
    assert "1 of 1 ratios left out: their points are linearly separable" in text
    assert "| 1 | 100 | 100 | separable: not trained | | | | | | |" in text


def test_the_figure_has_a_trained_row_under_each_engine_check():
    single = [logistic.single_blob(20, alpha, 0) for alpha in (2.0, 0.1)]
    two = [logistic.two_blobs(20, alpha, 1.0, 0) for alpha in (2.0, 0.02)]
    single_trained = [logistic.trained_single_blob(20, a, 0, RULE) for a in (2.0, 0.1)]
    two_trained = [logistic.trained_two_blobs(20, a, 1.0, 0, RULE) for a in (2.0, 0.02)]
    assert isinstance(single_trained[0], logistic.Separable)
    figure = plotting_logistic.logistic_regression_spectra(single, two, single_trained, two_trained)
    titles = [subfigure.get_suptitle() for subfigure in figure.subfigs]
    assert [plotting_logistic.AT_ZERO in t for t in titles] == [True, False, True, False]
    assert [plotting_logistic.TRAINED in t for t in titles] == [False, True, False, True]
    trained_row = figure.subfigs[1].axes
    assert "linearly separable" in trained_row[0].texts[0].get_text()
    (density,) = trained_row[1].lines  # the MP density of the trained variance
    assert "variance 0.2" in density.get_label()


def test_fig10_json_keeps_the_w0_keys_and_adds_the_trained_cases(tmp_path):
    numbers = tmp_path / "fig10.json"
    figure_logistic_regression(
        tmp_path / "fig10.pdf", numbers, dim=10, alphas=[1.0, 0.1], two_blob_alphas=[0.05],
        separation=3.0, seed=0, tolerance=1e-8, max_steps=500, trained_separation=1.0,
    )  # fmt: skip
    payload = json.loads(numbers.read_text())
    assert set(payload["single_blob"][0]) == {
        "alpha", "M", "N", "ks_distance", "ks_critical", "ks_wrong_variance",
        "ks_wrong_ratio", "ks_draws", "ks_error",
    }  # fmt: skip
    assert set(payload["two_blobs"][0]) == {
        "alpha", "M", "N", "spike", "predicted_outlier", "predicted_spread", "largest",
        "n_above_bulk",
    }  # fmt: skip
    separable, trained = payload["single_blob_trained"]
    assert separable == {"alpha": 1.0, "M": 10, "N": 10, "separable": True}
    assert set(trained) == set(payload["single_blob"][1]) | {
        "separable", "loss", "gradient_norm", "steps", "converged", "mean_curvature",
    }  # fmt: skip
    assert trained["converged"] and trained["gradient_norm"] <= 1e-8
    assert payload["train"] == {"tolerance": 1e-8, "max_steps": 500, "separation": 1.0}
    # The trained two blobs at |mu| = 1 overlap at N = 200 > M: trained, spike 1 + 1^2.
    (two,) = payload["two_blobs_trained"]
    assert not two["separable"] and two["spike"] == 2.0 and two["converged"]
    assert (tmp_path / "fig10.png").exists()
