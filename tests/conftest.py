"""Shared fixtures: small random problems in float64, and the test config built once."""

from __future__ import annotations

import pytest
import torch

from hessian_spectra import models
from hessian_spectra.curvature import mean_cross_entropy
from hessian_spectra.models import FlatModel
from hessian_spectra.split import Split

from .snakemake_runs import TEST_CONFIG, copy_workflow, snakemake


def random_split(n: int, dim: int, n_classes: int, seed: int) -> Split:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, dim, generator=generator, dtype=torch.float64)
    y = torch.randint(0, n_classes, (n,), generator=generator)
    return Split(x, y)


def tiny_mlp(activation: str, dim: int = 5, hidden=(4, 3), n_classes: int = 3, seed: int = 0):
    model = models.build_model(models.mlp_spec(dim, hidden, n_classes, activation))
    models.initialise(model, weight_std=0.7, generator=torch.Generator().manual_seed(seed))
    # Non-zero biases, so every parameter takes part in the curvature.
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Linear):
                module.bias.normal_(0.0, 0.3, generator=torch.Generator().manual_seed(seed + 1))
    return model


@pytest.fixture(params=["relu", "tanh"])
def tiny_problem(request):
    """(loss function, parameter vector, flat model, data) of a 2-hidden-layer net."""
    model = tiny_mlp(request.param)
    flat = FlatModel(model)
    data = random_split(n=23, dim=5, n_classes=3, seed=1)
    return mean_cross_entropy(flat, data, chunk_size=None), flat.flatten(), flat, data


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """A copy of the workflow in which the test config has built every artefact (one build
    for every test module that reads it)."""
    workdir = copy_workflow(tmp_path_factory.mktemp("built"))
    snakemake(workdir, config=TEST_CONFIG)
    return workdir
