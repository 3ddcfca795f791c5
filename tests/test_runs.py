"""The run vocabulary (`hessian_spectra.runs`): names made from fields, the run tables and
the figure selections read from the config, pairs built from fields."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hessian_spectra import runs
from hessian_spectra.runs import BlobRun

REPO = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


@pytest.fixture
def config():
    return copy.deepcopy(DEFAULT)


def test_a_blob_run_is_named_by_its_fields():
    run = BlobRun("sgd", "relu", 10, 1.0, 3, 1)
    assert run.name == "sgd-relu-k10-cov1-s3-i1"
    assert BlobRun("gd", "tanh", 2, 0.5, 0, 0).name == "gd-tanh-k2-cov0.5-s0-i0"
    assert run.cell == ("sgd", "relu", 10, 1.0)
    assert run.file("spectra", "final.h5") == (
        "results/blobs/spectra/sgd-relu-k10-cov1-s3-i1/final.h5"
    )
    assert run.in_words() == "SGD, ReLU, k = 10, cov = 1"
    assert run.in_words(with_k=False) == "SGD, ReLU, cov = 1"
    assert runs.blob_dataset(10, "1", 3) == "results/blobs/data/k10-cov1-s3.h5"


def test_the_name_matches_the_rules_pattern():
    run = BlobRun("gd", "tanh", 50, 10.0, 4, 0)
    pattern = BlobRun.PATTERN.format(alg="gd", act="tanh", k=50, cov="10", seed=4, init=0)
    assert pattern == run.name


def test_training_seeds_differ_by_seed_and_by_initialisation():
    seeds = {runs.training_seed(init, seed) for init in (0, 1) for seed in range(5)}
    assert len(seeds) == 10
    assert BlobRun("gd", "relu", 2, 1.0, 3, 1).training_seed == runs.training_seed(1, 3)


def test_a_run_from_a_config_section_equals_the_run_from_its_fields():
    section = {"algorithm": "gd", "activation": "relu", "n_classes": 20, "cov": 1, "top": 5}
    assert BlobRun.of(section, 2, 0) == BlobRun("gd", "relu", 20, 1.0, 2, 0)


def test_table1_is_every_combination_of_its_axes_at_every_seed(config):
    grid = runs.table1_runs(config)
    axes = config["table1"]
    expected = (
        len(axes["algorithms"])
        * len(axes["activations"])
        * len(axes["n_classes"])
        * len(axes["cov"])
    )
    assert expected == 40 and len(config["blobs"]["seeds"]) == 5
    assert len(grid) == len(set(grid)) == expected * 5
    assert {run.algorithm for run in grid} == {"gd", "sgd"}
    assert {run.n_classes for run in grid} == set(axes["n_classes"])
    assert {run.seed for run in grid} == set(config["blobs"]["seeds"])


def test_table1_gd_and_sgd_start_from_different_points(config):
    inits = {run.algorithm: run.init for run in runs.table1_runs(config)}
    assert inits == {"gd": 0, "sgd": 1}


def test_the_stops_are_the_tolerances_largest_first_the_last_one_final(config):
    config["blobs"]["train"]["gd"]["gradient_tolerances"] = [1e-4, 1e-3, 3e-4]
    assert runs.stops(config, "gd") == [
        (1e-3, "grad0.001"), (3e-4, "grad0.0003"), (1e-4, "final")
    ]  # fmt: skip
    config["blobs"]["train"]["gd"]["gradient_tolerances"] = []
    assert runs.stops(config, "gd") == [(None, "final")]


def test_figure_selections_follow_the_config(config):
    assert runs.fig1_run(config) == BlobRun("gd", "relu", 20, 1.0, 0, 0)
    config["blobs"]["seeds"] = [7, 8]
    config["fig2"] |= {"algorithm": "gd", "activation": "tanh", "cov": 10, "n_classes": [5, 2]}
    assert runs.fig2_runs(config) == [
        BlobRun("gd", "tanh", 5, 10.0, 7, 0),
        BlobRun("gd", "tanh", 5, 10.0, 8, 0),
        BlobRun("gd", "tanh", 2, 10.0, 7, 0),
        BlobRun("gd", "tanh", 2, 10.0, 8, 0),
    ]
    assert runs.fig2_title(config) == "GD, tanh, cov = 10"
    config["fig_ggn"]["runs"] = [
        {"algorithm": "sgd", "activation": "relu", "n_classes": 5, "cov": 1}
    ]
    assert runs.fig_ggn_runs(config) == [BlobRun("sgd", "relu", 5, 1.0, 7, 1)]


def test_gd_and_sgd_pairs_start_from_one_point(config):
    pairs = runs.gd_sgd_pairs(config)
    assert len(pairs) == len(config["gd_vs_sgd"]["points"]) * len(config["blobs"]["seeds"])
    grid = set(runs.table1_runs(config))
    for pair in pairs:
        assert (pair.gd.algorithm, pair.sgd.algorithm) == ("gd", "sgd")
        assert pair.gd.init == pair.sgd.init == 0 and pair.gd.seed == pair.sgd.seed
        assert pair.gd in grid and pair.sgd not in grid  # the grid's SGD starts elsewhere
        assert pair.name == pair.gd.name.removeprefix("gd-") == pair.sgd.name.removeprefix("sgd-")
    assert pairs[0].fields() == {"activation": "relu", "n_classes": 2, "cov": 1.0, "seed": 0}


def test_no_pairs_without_points(config):
    config["gd_vs_sgd"]["points"] = []
    assert runs.gd_sgd_pairs(config) == []


def test_mnist_runs_carry_their_role_size_and_rank_bound(config):
    table = runs.mnist_runs(config)
    assert list(table) == ["fc-h10", "fc-h30", "fc-h50", "fc-h70", "conv-bs10", "conv-bs512"]
    assert [run.role for run in table.values()] == ["width"] * 4 + ["SB", "LB"]
    assert [run.family for run in table.values()] == ["fc"] * 4 + ["conv"] * 2
    assert table["fc-h30"].parameter_count == (784 + 1) * 30 + (30 + 1) * 10
    assert table["conv-bs10"].parameter_count == 21_840
    # N (k - 1) + 2 k h for the one-hidden-layer ReLU net; none proven for the convnet.
    assert table["fc-h70"].rank_bound == 1000 * 9 + 2 * 10 * 70
    assert table["conv-bs512"].rank_bound is None
    config["mnist"]["activation"] = "tanh"
    assert runs.mnist_runs(config)["fc-h70"].rank_bound is None


def test_cifar_parts_run_large_then_small_batch_from_where_the_first_ended(config):
    parts = runs.cifar_parts(config)
    lb, sb = parts["lb"], parts["sb"]
    assert (lb.number, sb.number) == (1, 2)
    assert lb.settings["batch_size"] == config["cifar"]["train"]["large_batch"]
    assert sb.settings["batch_size"] == config["cifar"]["train"]["small_batch"]
    assert lb.start is None and sb.start == lb.trajectory == "results/cifar/part1.h5"


def test_the_run_tables_import_no_torch():
    code = "import sys, hessian_spectra.runs; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
