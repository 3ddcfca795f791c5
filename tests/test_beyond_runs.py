"""The runs of the experiments beyond the paper (`hessian_spectra.beyond_runs`): which
trained nets each reads, and the trajectories trained again with checkpoints."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from hessian_spectra import beyond_runs, network_runs, runs
from hessian_spectra.training import TrainSettings

REPO = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


@pytest.fixture
def config():
    return copy.deepcopy(DEFAULT)


def test_trained_nets_are_the_runs_of_the_paper_experiments(config):
    nets = beyond_runs.trained_nets(config, "classes", every_seed=True)
    blob_nets = [net for net in nets if net["family"] == "blobs"]
    grid = {run.name: run for run in runs.table1_runs(config)}
    assert len(blob_nets) == len(config["blobs"]["seeds"])
    for net in blob_nets:
        name = net["label"].removeprefix("blobs ")
        run = grid[name]  # the grid's own run: nothing trained twice
        assert net["checkpoint"] == run.file("runs", "checkpoints/final.pt")
        assert net["spectrum"] == run.file("spectra", "final.h5")
        assert net["dataset"] == runs.blob_dataset(run.n_classes, "1", run.seed)
    mnist = [net for net in nets if net["family"] == "mnist"]
    assert [net["checkpoint"] for net in mnist] == [
        "results/mnist/runs/fc-h10/checkpoints/final.pt"
    ]
    assert mnist[0]["n_classes"] == network_runs.MNIST_CLASSES

    density = beyond_runs.trained_nets(config, "density", every_seed=False)
    assert [net["label"] for net in density] == [
        "blobs gd-relu-k10-cov1-s0-i0",
        "MNIST-1K fc-h10",
        "MNIST-1K conv-bs512",
    ]


def test_a_variant_cell_reads_its_own_data(config):
    config["beyond"]["classes"]["blobs"] = [
        {"algorithm": "gd", "activation": "relu", "n_classes": 10, "cov": 10, "variant": "n100"}
    ]
    config["beyond"]["classes"]["mnist_widths"] = []
    net = beyond_runs.trained_nets(config, "classes", every_seed=False)[0]
    assert net["dataset"] == "results/blobs/data/k10-cov10-s0-vn100.h5"
    assert (
        net["checkpoint"] == "results/blobs/runs/gd-relu-k10-cov10-s0-i0-vn100/checkpoints/final.pt"
    )


def test_a_width_outside_mnist_fc_is_refused_by_its_key(config):
    config["beyond"]["density"]["mnist_widths"] = [12]
    with pytest.raises(ValueError, match=r"beyond\.density\.mnist_widths: 12 is not a width"):
        beyond_runs.trained_nets(config, "density", every_seed=False)
    config["beyond"]["subspace"]["mnist_width"] = 11
    with pytest.raises(ValueError, match=r"beyond\.subspace\.mnist_width: 11"):
        beyond_runs.subspace_trajectories(config)


def test_the_subspace_blob_trajectory_starts_where_the_grid_run_starts(config):
    blob, mnist = beyond_runs.subspace_trajectories(config)
    grid_run = runs.BlobRun.of({"algorithm": "gd", **config["beyond"]["subspace"]["blob"]}, 0, 0)
    assert blob.seed == grid_run.training_seed
    assert blob.dataset == runs.blob_dataset(10, "1", 0)
    assert blob.learning_rate == config["blobs"]["train"]["gd"]["learning_rate"]
    assert blob.name == "gd-relu-k10-cov1-s0-i0-lr0.1"
    assert blob.folder() == "results/beyond/subspace/gd-relu-k10-cov1-s0-i0-lr0.1"
    mnist_run = network_runs.mnist_runs(config)["fc-h10"]
    assert mnist.seed == mnist_run.training["seed"]
    assert mnist.learning_rate == mnist_run.training["learning_rate"]
    assert mnist.architecture == mnist_run.architecture


def test_a_trajectory_saves_a_checkpoint_at_every_step_it_names(config):
    config["beyond"]["subspace"]["steps"] = [50, 10, 0, 200]
    trajectory = beyond_runs.subspace_trajectories(config)[0]
    assert trajectory.steps == (0, 10, 50, 200)
    settings = TrainSettings.from_params(trajectory.training())
    assert settings.steps == 200 and settings.batch_size is None
    assert settings.gradient_tolerances == ()  # a fixed number of steps: every step is reached
    assert settings.checkpoint_names == set(trajectory.checkpoints())
    entry = trajectory.entry()
    assert [c["step"] for c in entry["checkpoints"]] == [0, 10, 50, 200]
    assert entry["checkpoints"][0]["path"].endswith("/init.pt")
    assert entry["checkpoints"][-1]["path"].endswith("/final.pt")
    assert list(trajectory.checkpoints()) == beyond_runs.checkpoint_names([50, 10, 0, 200])


def test_stability_trains_one_trajectory_per_learning_rate(config):
    config["beyond"]["stability"]["learning_rates"] = [0.1, 2.0]
    found = beyond_runs.stability_trajectories(config)
    assert [t.learning_rate for t in found] == [0.1, 2.0]
    assert [t.name for t in found] == ["gd-relu-k10-cov1-s0-i0-lr0.1", "gd-relu-k10-cov1-s0-i0-lr2"]
    assert len({t.seed for t in found}) == 1  # one start, several step sizes
    assert all(t.folder().startswith("results/beyond/stability/") for t in found)
