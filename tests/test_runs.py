"""The run vocabulary (`hessian_spectra.runs`): names made from fields, the run tables and
the figure selections read from the config, pairs built from fields."""

from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hessian_spectra import network_runs, runs, sweeps
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
    pattern = BlobRun.PATTERN.format(
        alg="gd", act="tanh", k=50, cov="10", seed=4, init=0, variant=""
    )
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
    config["mnist"]["fc"]["tanh_hidden"] = []
    table = network_runs.mnist_runs(config)
    assert list(table) == ["fc-h10", "fc-h30", "fc-h50", "fc-h70", "conv-bs10", "conv-bs512"]
    assert [run.role for run in table.values()] == ["width"] * 4 + ["SB", "LB"]
    assert [run.family for run in table.values()] == ["fc"] * 4 + ["conv"] * 2
    assert table["fc-h30"].parameter_count == (784 + 1) * 30 + (30 + 1) * 10
    assert table["conv-bs10"].parameter_count == 21_840
    # N (k - 1) + 2 k h for the one-hidden-layer ReLU net; none proven for the convnet.
    assert table["fc-h70"].rank_bound == 1000 * 9 + 2 * 10 * 70
    assert table["conv-bs512"].rank_bound is None
    config["mnist"]["activation"] = "tanh"
    assert network_runs.mnist_runs(config)["fc-h70"].rank_bound is None


def test_tanh_widths_are_runs_of_their_own_beside_unchanged_relu_runs(config):
    """mnist.fc.tanh_hidden adds a tanh FC net per width, named and labelled apart, and
    leaves every other run as it was (its name, architecture and training: a ReLU run's
    files, params and so its training are the same with or without tanh widths)."""
    config["mnist"]["fc"]["tanh_hidden"] = []
    without = network_runs.mnist_runs(config)
    config["mnist"]["fc"]["tanh_hidden"] = [10, 30]
    table = network_runs.mnist_runs(config)
    tanh = {name: run for name, run in table.items() if name not in without}
    assert list(tanh) == ["fc-tanh-h10", "fc-tanh-h30"]
    assert {name: table[name] for name in without} == without
    assert [run.label for run in tanh.values()] == ["tanh, hidden = 10", "tanh, hidden = 30"]
    assert len({run.label for run in table.values()}) == len(table)
    relu = table["fc-h10"]
    assert relu.training == {key: value for key, value in config["mnist"]["fc"].items()
                             if key not in ("hidden", "tanh_hidden")}  # fmt: skip
    for run in tanh.values():
        assert (run.role, run.family, run.activation) == ("width", "fc", "tanh")
        assert run.rank_bound is None  # no bound for tanh: a dense solve
        assert run.training == relu.training
    assert tanh["fc-tanh-h10"].parameter_count == relu.parameter_count
    assert tanh["fc-tanh-h10"].architecture == relu.architecture | {"activation": "tanh"}


def test_cifar_parts_run_large_then_small_batch_from_where_the_first_ended(config):
    parts = network_runs.cifar_parts(config)
    lb, sb = parts["lb"], parts["sb"]
    assert (lb.number, sb.number) == (1, 2)
    assert lb.settings["batch_size"] == config["cifar"]["train"]["large_batch"]
    assert sb.settings["batch_size"] == config["cifar"]["train"]["small_batch"]
    assert lb.start is None and sb.start == lb.trajectory == "results/cifar/part1.h5"


def test_the_run_tables_import_no_torch():
    code = "import sys, hessian_spectra.runs; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_variant_names_its_runs_and_changes_only_its_keys(config):
    run = BlobRun("gd", "relu", 10, 10.0, 2, 0, "n100")
    assert run.name == "gd-relu-k10-cov10-s2-i0-vn100"
    assert run.name == BlobRun.PATTERN.format(
        alg="gd", act="relu", k=10, cov="10", seed=2, init=0, variant=runs.variant_suffix("n100")
    )
    assert runs.variant_of("-vn100") == "n100" and runs.variant_of("") == ""
    assert BlobRun.of({"algorithm": "gd", "activation": "relu", "n_classes": 10, "cov": 10,
                       "variant": "n100"}, 2, 0) == run  # fmt: skip
    assert runs.blob_data(config, "n100") == config["blobs"]["data"] | {"n_train": 100}
    assert runs.blob_model(config, "n100") == config["blobs"]["model"]
    assert runs.blob_model(config, "bias")["bias_std"] == 0.1
    # A variant that changes the data draws its own; one that changes the net shares them.
    assert runs.data_suffix(config, "n100") == "-vn100"
    assert runs.data_suffix(config, "variance") == "-vvariance"
    assert runs.data_suffix(config, "bias") == runs.data_suffix(config, "h120") == ""
    assert runs.blob_parameter_count(config, 10) == 4270
    assert runs.blob_parameter_count(config, 10, "h120") == 100 * 120 + 120 + 120 * 120 + 120 + 1210


def test_sensitivity_pairs_each_variant_with_the_setups_run(config):
    pairs = sweeps.sensitivity_pairs(config)
    points, variants = config["sensitivity"]["points"], config["sensitivity"]["variants"]
    assert len(pairs) == len(points) * len(variants) * len(config["blobs"]["seeds"])
    for pair in pairs:
        assert pair.base.variant == "" and pair.varied.variant in variants
        assert dataclasses.replace(pair.varied, variant="") == pair.base
        assert pair.base.init == config["blobs"]["train"][pair.base.algorithm]["seed"]


def test_the_conjecture_sweeps_vary_one_thing_each(config):
    widths = sweeps.width_sweep(config)
    assert list(widths) == ["h = 30 x 30", "h = 60 x 60", "h = 120 x 120"]
    for group in widths.values():
        assert len(group) == len(config["blobs"]["seeds"])
        assert {(run.cell, run.seed) for run in group} == {
            (run.cell, run.seed) for run in widths["h = 30 x 30"]
        }
    data = sweeps.data_sweep(config)
    assert list(data) == [
        "k = 10, cov = 1",
        "k = 2, cov = 1",
        "k = 50, cov = 1",
        "k = 10, cov = 10",
    ]
    assert {run.variant for group in data.values() for run in group} == {""}
    # The data sweep's runs are Table 1's: nothing is trained twice.
    assert {run for group in data.values() for run in group} <= set(runs.table1_runs(config))
