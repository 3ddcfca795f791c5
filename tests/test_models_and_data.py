"""Parameter counts (Table 1) and the Gaussian-blob generator."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hessian_spectra import blobs, models

TABLE_1_SIZES = {2: 4022, 5: 4115, 10: 4270, 20: 4580, 50: 5510}


@pytest.mark.parametrize(("n_classes", "size"), sorted(TABLE_1_SIZES.items()))
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_blob_net_has_table_1_parameter_count(n_classes, size, activation):
    model = models.build_model(models.mlp_spec(100, [30, 30], n_classes, activation))
    assert sum(p.numel() for p in model.parameters()) == size
    assert models.mlp_parameter_count(100, [30, 30], n_classes) == size


def test_unknown_activation_is_named():
    with pytest.raises(ValueError, match="sigmoid"):
        models.mlp_spec(10, [5], 2, "sigmoid")


BLOBS = dict(
    n_classes=5, dim=20, n_train=200, n_test=100, cov=1.0, center_box=(-10.0, 10.0), seed=3
)


def test_blobs_are_reproducible_and_seeded():
    first, attrs = blobs.gaussian_blobs(**BLOBS)
    again, _ = blobs.gaussian_blobs(**BLOBS)
    other, _ = blobs.gaussian_blobs(**{**BLOBS, "seed": 4})
    for name in first:
        assert np.array_equal(first[name], again[name])
    assert not np.array_equal(first["x_train"], other["x_train"])
    assert attrs["n_classes"] == 5 and attrs["cov"] == 1.0


def test_blobs_shapes_balance_and_global_normalisation():
    arrays, _ = blobs.gaussian_blobs(**BLOBS)
    assert arrays["x_train"].shape == (200, 20) and arrays["x_test"].shape == (100, 20)
    counts = np.bincount(np.concatenate([arrays["y_train"], arrays["y_test"]]))
    assert counts.tolist() == [60] * 5  # 300 points, 60 per cluster
    np.testing.assert_allclose(arrays["x_train"].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(arrays["x_train"].std(axis=0), 1.0, rtol=1e-12)


def test_larger_cov_gives_less_separable_clusters():
    """Nearest-centre accuracy on the test set drops when the spread grows."""

    def nearest_centre_accuracy(cov):
        arrays, _ = blobs.gaussian_blobs(**{**BLOBS, "cov": cov, "dim": 2})
        centres = np.stack(
            [arrays["x_train"][arrays["y_train"] == c].mean(axis=0) for c in range(5)]
        )
        distances = ((arrays["x_test"][:, None, :] - centres[None]) ** 2).sum(axis=2)
        return (distances.argmin(axis=1) == arrays["y_test"]).mean()

    assert nearest_centre_accuracy(1.0) > nearest_centre_accuracy(10.0) + 0.2


@pytest.mark.parametrize(("key", "value"), [("n_classes", 1), ("cov", 0.0)])
def test_blobs_reject_bad_settings(key, value):
    with pytest.raises(ValueError, match=key):
        blobs.gaussian_blobs(**{**BLOBS, key: value})


def test_cov_read_as_a_variance_is_the_std_of_its_square_root():
    """cov = 4 read as a variance spreads each cluster half as far, relative to the spread
    of the centres, as cov = 4 read as a standard deviation (same draw: the seed mixes in
    cov, not its reading)."""

    def within_to_between(arrays):
        x, y = arrays["x_train"], arrays["y_train"]
        centres = np.stack([x[y == c].mean(axis=0) for c in range(BLOBS["n_classes"])])
        return float(np.median((x - centres[y]).std(axis=0) / centres.std(axis=0)))

    as_variance, attrs = blobs.gaussian_blobs(**{**BLOBS, "cov": 4.0}, cov_multiplies="variance")
    as_std, _ = blobs.gaussian_blobs(**{**BLOBS, "cov": 4.0})
    assert attrs["cov"] == 4.0 and attrs["cov_multiplies"] == "variance"
    ratio = within_to_between(as_variance) / within_to_between(as_std)
    assert ratio == pytest.approx(0.5, rel=0.1)
    with pytest.raises(ValueError, match="cov_multiplies"):
        blobs.gaussian_blobs(**BLOBS, cov_multiplies="covariance")


def test_biases_are_drawn_only_when_asked():
    spec = models.mlp_spec(5, [4], 3, "relu")
    zero, drawn = models.build_model(spec), models.build_model(spec)
    models.initialise(zero, weight_std=0.1, generator=torch.Generator().manual_seed(0))
    models.initialise(
        drawn, weight_std=0.1, generator=torch.Generator().manual_seed(0), bias_std=0.1
    )
    biases = [m.bias for m in drawn.modules() if isinstance(m, torch.nn.Linear)]
    assert all(m.bias.abs().max() == 0 for m in zero.modules() if isinstance(m, torch.nn.Linear))
    assert all(bias.abs().min() > 0 for bias in biases)
    assert 0.02 < float(torch.cat(biases).detach().std()) < 0.3
    # The first layer's weights come first from the generator: identical in both.
    assert torch.equal(zero[0].weight, drawn[0].weight)
