"""A net at a point with its loss (`problems.Problem`): its operators against autograd, and
its construction from a spec and from a checkpoint file."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hessian_spectra import models, storage
from hessian_spectra.curvature import HessianOperator, StagedHessian
from hessian_spectra.models import FlatModel
from hessian_spectra.problems import Problem

from .conftest import random_split

SPEC = models.mlp_spec(5, [4, 3], 3, "tanh")


def tiny(chunk_size: int | None = None) -> Problem:
    data = random_split(n=17, dim=5, n_classes=3, seed=1)
    return Problem.from_spec(SPEC, data, weight_std=0.7, seed=2, chunk_size=chunk_size)


def test_hessian_equals_autograd_on_its_loss():
    problem = tiny()
    reference = torch.autograd.functional.hessian(problem.loss, problem.theta)
    assert reference.abs().max() > 1e-3  # a Hessian worth comparing
    assert torch.allclose(problem.hessian().dense(), reference, rtol=0, atol=1e-12)


def test_residual_is_hessian_minus_gauss_newton_bit_for_bit():
    problem = tiny(chunk_size=5)
    hessian, ggn = problem.hessian().dense(), problem.gauss_newton().dense()
    assert torch.equal(problem.residual().dense(), hessian - ggn)
    assert (hessian - ggn).abs().max() > 1e-3  # tanh: R is not negligible


def test_from_spec_draws_the_seeded_initialisation_or_takes_theta():
    model = models.build_model(SPEC)
    models.initialise(model, weight_std=0.7, generator=torch.Generator().manual_seed(2))
    assert torch.equal(tiny().theta, FlatModel(model).flatten())
    theta = torch.arange(tiny().flat.dim, dtype=torch.float32)
    given = Problem.from_spec(SPEC, tiny().data, theta)
    assert given.theta.dtype == torch.float64 and torch.equal(given.theta, theta.double())
    with pytest.raises(ValueError, match="theta has 3 entries; the net has 51"):
        Problem.from_spec(SPEC, tiny().data, torch.zeros(3))


def test_the_convnet_takes_staged_rows_unless_its_loss_is_chunked():
    spec = models.convnet_spec(channels=(2, 3), hidden=4)
    data = random_split(n=6, dim=784, n_classes=10, seed=3)
    staged = Problem.from_spec(spec, data).hessian()
    chunked = Problem.from_spec(spec, data, chunk_size=4).hessian()
    assert isinstance(staged, StagedHessian) and len(staged.stage_starts) == 4
    assert type(chunked) is HessianOperator and len(chunked.stage_starts) == 1
    vector = torch.randn(staged.dim, generator=torch.Generator().manual_seed(4)).double()
    assert torch.allclose(staged.matvec(vector), chunked.matvec(vector), rtol=1e-12, atol=1e-14)


def checkpoint_and_dataset(tmp_path, problem: Problem, model: dict = SPEC):
    x, y = problem.data.x.numpy(), problem.data.y.numpy()
    arrays = {"x_train": x, "y_train": y, "x_test": x[:2], "y_test": y[:2]}
    storage.write_arrays(tmp_path / "data.h5", arrays, {"n_classes": 3})
    storage.save_checkpoint(
        tmp_path / "c.pt", parameters=problem.theta, step=7, run="a-run", model=model
    )
    return tmp_path / "c.pt", tmp_path / "data.h5"


def test_from_checkpoint_round_trips_a_saved_checkpoint(tmp_path):
    problem = tiny()
    checkpoint, dataset = checkpoint_and_dataset(tmp_path, problem)
    loaded = Problem.from_checkpoint(checkpoint, dataset, chunk_size=5)
    assert torch.equal(loaded.theta, problem.theta) and loaded.spec == SPEC
    assert torch.equal(loaded.data.x, problem.data.x) and torch.equal(loaded.data.y, problem.data.y)
    assert loaded.chunk_size == 5
    np.testing.assert_array_equal(loaded.hessian().dense(), tiny(5).hessian().dense())
    assert loaded.provenance == {
        "run": "a-run",
        "checkpoint": str(checkpoint),
        "checkpoint_step": 7,
        "checkpoint_sha256": storage.file_sha256(checkpoint),
        "dataset": str(dataset),
        "dataset_sha256": storage.file_sha256(dataset),
        "n_samples": 17,
        "loss": "mean softmax cross-entropy over the training set",
    }


def test_from_checkpoint_refuses_a_checkpoint_that_does_not_fit(tmp_path):
    wider = models.mlp_spec(5, [6, 3], 3, "tanh")
    checkpoint, dataset = checkpoint_and_dataset(tmp_path, tiny(), wider)
    with pytest.raises(storage.ArtefactError, match="holds 51 parameters but its model spec"):
        Problem.from_checkpoint(checkpoint, dataset)
    other_inputs = models.mlp_spec(4, [4, 3], 3, "tanh")  # 47 parameters
    problem = Problem.from_spec(other_inputs, random_split(n=9, dim=4, n_classes=3, seed=1))
    checkpoint, _ = checkpoint_and_dataset(tmp_path / "b", problem, other_inputs)
    with pytest.raises(storage.ArtefactError, match="inputs of dimension 5 but checkpoint"):
        Problem.from_checkpoint(checkpoint, dataset)
