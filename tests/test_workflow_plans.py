"""Real Snakemake runs of the workflow, in temporary copies of the repository: what a
change of the config reruns, and what is refused before any job runs (marker `workflow`)."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from hessian_spectra import runs, tables

from .snakemake_runs import (
    REPO,
    TEST_CONFIG,
    copy_workflow,
    messages,
    planned_jobs,
    snakemake,
)

sys.path.insert(0, str(REPO / "report"))  # the report's scripts, as `python report/...` runs them
import readme_numbers  # noqa: E402

pytestmark = pytest.mark.workflow


def test_changing_the_sgd_batch_size_reruns_only_what_depends_on_it(built):
    assert planned_jobs(built, config=TEST_CONFIG) == {}  # up to date
    changed = yaml.safe_load(yaml.safe_dump(TEST_CONFIG))
    changed["blobs"]["train"]["sgd"]["batch_size"] = 20
    jobs = planned_jobs(built, config=changed)
    # Every SGD run of the grid, what is computed from them, and nothing of the GD runs,
    # Fig. 1 or Fig. 10.
    assert set(jobs) == {
        "train_sgd",
        "hessian",
        "spectrum",
        "gauss_newton",
        "ggn_spectrum",
        "residual_spectrum",
        "fig2",
        "fig_ggn",
        "table1",
        "table1_vs_paper",
        "gd_vs_sgd",
        "summary",
        "benchmarks_table",
        "all",
    }
    grid = TEST_CONFIG["table1"]
    seeds = len(TEST_CONFIG["blobs"]["seeds"])
    stops = runs.stops(TEST_CONFIG, "sgd")
    # the grid's SGD cells, and those of the same-start experiment (from GD's start)
    same_start = len(TEST_CONFIG["gd_vs_sgd"]["points"])
    cells = len(grid["n_classes"]) * len(grid["activations"]) * len(grid["cov"])
    assert len(jobs["train_sgd"]) == cells + same_start
    assert all("Params have changed" in reason for _, reason in jobs["train_sgd"])
    points = {point for _, point in stops}
    for rule in ("hessian", "spectrum"):
        outputs = [out for out, _ in jobs[rule]]
        assert len(outputs) == cells * seeds * len(stops) + same_start * seeds
        assert all("/sgd-" in out and out.rsplit("/", 1)[1][:-3] in points for out in outputs)


def test_a_new_grid_cell_trains_only_the_jobs_that_hold_it(built):
    """A new k adds its own training jobs and leaves every trained run as it is."""
    changed = yaml.safe_load(yaml.safe_dump(TEST_CONFIG))
    changed["table1"]["n_classes"] = [*TEST_CONFIG["table1"]["n_classes"], 4]
    jobs = planned_jobs(built, config=changed)
    grid = TEST_CONFIG["table1"]
    for rule in ("train_gd", "train_sgd"):
        outputs = [out for out, _ in jobs[rule]]
        assert len(outputs) == len(grid["activations"]) * len(grid["cov"])
        assert all("-k4-cov" in out for out in outputs)
    for rule in ("blobs_dataset", "hessian", "spectrum"):
        assert jobs[rule] and all("k4-" in out for out, _ in jobs[rule])
    assert not {"train_mnist", "mnist_hessian", "gauss_newton", "fig1", "fig10"} & set(jobs)


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [("hessian", "block_size", 5), ("mnist.spectrum", "block_size", 7)],
)
def test_a_block_size_changes_no_number_and_reruns_nothing(built, section, key, value):
    """How rows are grouped into blocks is a resource, not a param: the matrices are
    bit-identical whatever the block size (tests/test_dense_spectra.py)."""
    changed = yaml.safe_load(yaml.safe_dump(TEST_CONFIG))
    node = changed
    for part in section.split("."):
        node = node[part]
    assert node[key] != value
    node[key] = value
    assert planned_jobs(built, config=changed) == {}


# fig_ggn's first run is one of Fig. 2's (its N = 20 variant run is not: left out here).
TEMPORARY_HESSIANS = {
    **TEST_CONFIG,
    "hessian": {**TEST_CONFIG["hessian"], "keep": False},
    "fig_ggn": {**TEST_CONFIG["fig_ggn"], "runs": TEST_CONFIG["fig_ggn"]["runs"][:1]},
}


@pytest.fixture(scope="module")
def fig2_alone(tmp_path_factory) -> Path:
    """A copy of the workflow in which only Fig. 2 is built, with the default temporary
    Hessians (deleted once their spectra exist)."""
    workdir = copy_workflow(tmp_path_factory.mktemp("fig2_alone"))
    snakemake(workdir, "results/fig2.pdf", config=TEMPORARY_HESSIANS)
    return workdir


def test_the_report_collects_what_exists_after_fig2_alone(fig2_alone):
    snakemake(fig2_alone, "--report", "results/report.html", config=TEMPORARY_HESSIANS)
    html = (fig2_alone / "results/report.html").read_text()
    assert "fig2.pdf" in html and "fig1.pdf" not in html


def test_the_ggn_figure_after_fig2_rebuilds_no_hessian_and_reruns_no_spectrum(fig2_alone):
    """fig_ggn shares a run with Fig. 2 but reads no Hessian file: its Gauss-Newton job
    computes G and R = H - G from the checkpoint, and the spectrum rule's code solves
    them, so the deleted temporary Hessian stays deleted and Fig. 2 stays up to date."""
    hessians = fig2_alone / "results/blobs/hessians"
    assert not list(hessians.rglob("*.h5"))
    plan = planned_jobs(fig2_alone, "results/fig_ggn.pdf", config=TEMPORARY_HESSIANS)
    assert sorted(plan) == ["fig_ggn", "gauss_newton", "ggn_spectrum", "residual_spectrum"]
    snakemake(fig2_alone, "results/fig_ggn.pdf", config=TEMPORARY_HESSIANS)
    assert not list(hessians.rglob("*.h5"))
    assert planned_jobs(fig2_alone, "results/fig2.pdf", config=TEMPORARY_HESSIANS) == {}


def test_the_slurm_profile_partition_reaches_every_job(tmp_path):
    """The workflow profile (profiles/default), loaded with --profile profiles/slurm, must
    not replace the SLURM profile's default-resources (partition, account)."""
    workdir = copy_workflow(tmp_path)
    result = snakemake(
        workdir, "results/fig2.pdf", "--profile", "profiles/slurm", "--dry-run", "--forceall"
    )
    resources = [line for line in result.stdout.splitlines() if "resources:" in line]
    assert resources and all("slurm_partition=CHANGE-ME" in line for line in resources)


def test_default_config_plans_every_artefact(tmp_path):
    jobs = planned_jobs(copy_workflow(tmp_path))
    counts = {rule: len(entries) for rule, entries in jobs.items()}
    # The 40 cells of the Table 1 grid at 5 seeds (5 k x 2 cov x 5 seeds datasets), each
    # run at 3 stops, include Fig. 2's SGD runs and Fig. 1's GD run, which adds its initial
    # point; gd_vs_sgd adds 4 SGD cells from GD's start (their final points); Fig. ggn adds
    # two Gauss-Newton terms. Sensitivity: 2 GD cells at k = 10, cov = 10 in 3 variants at
    # 5 seeds and 3 stops, n100 and variance with their own data (2 x 5 datasets); fig_ggn's
    # n100 run is one of them (a third Gauss-Newton term). Conjecture: 2 wider GD cells at
    # 5 seeds, final only; its data sweep is the grid's. MNIST: four fully connected nets,
    # two tanh widths, the SB / LB convnets. Beyond the paper: its four analyses read those
    # runs and nets, and train their own trajectories (2 for the subspace, 1 per learning
    # rate of the edge of stability).
    assert counts == {
        "mnist_dataset": 1,
        "train_mnist": 8,
        "mnist_hessian": 8,
        "mnist_spectrum": 8,
        "fig3_fig5": 1,
        "fig4_fig6": 1,
        "cifar_dataset": 1,
        "train_cifar_part": 2,
        "cifar_line": 1,
        "cifar_top_eigenvalues": 2,
        "fig8": 1,
        "fig7_fig9": 1,
        "blobs_dataset": 50 + 2 * 5,
        "train_sgd": 24,
        "train_gd": 20 + 2 * 3 + 2,
        "hessian": 200 * 3 + 1 + 4 * 5 + 2 * 3 * 5 * 3 + 2 * 5,
        "spectrum": 200 * 3 + 1 + 4 * 5 + 2 * 3 * 5 * 3 + 2 * 5,
        "gauss_newton": 3,
        "ggn_spectrum": 3,
        "residual_spectrum": 3,
        "sensitivity": 1,
        "conjecture": 1,
        "fig1": 1,
        "fig2": 1,
        "fig10": 1,
        "gd_vs_sgd": 1,
        "fig_ggn": 1,
        "table1": 1,
        "table1_vs_paper": 1,
        "classes": 1,
        "density": 1,
        "train_subspace": 2,
        "subspace": 1,
        "train_stability": 3,
        "stability": 1,
        "summary": 1,
        "benchmarks_table": 1,
        "all": 1,
    }


@pytest.mark.parametrize(
    ("change", "names"),
    [
        (lambda c: c["blobs"]["data"].update(n_train="many"), ["n_train", "'many'"]),
        (
            lambda c: c["blobs"]["train"]["sgd"].update(learning_rate=-0.1),
            ["learning_rate", "-0.1"],
        ),
        (lambda c: c["fig2"].update(activation="sigmoid"), ["activation", "'sigmoid'"]),
        (lambda c: c["hessian"].pop("block_size"), ["block_size", "required"]),
        (lambda c: c["blobs"]["model"].update(hiden=[3]), ["hiden"]),
    ],
    ids=[
        "wrong-type",
        "negative-learning-rate",
        "unknown-activation",
        "missing-key",
        "unknown-key",
    ],
)
def test_invalid_config_fails_at_parse_time_naming_the_key(tmp_path, change, names):
    """The user edits config/config.yaml (a --configfile only overlays it, so a key missing
    there would be filled from the default)."""
    workdir = copy_workflow(tmp_path)
    bad = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    change(bad)
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(bad))
    result = snakemake(workdir, "--dry-run", check=False)
    assert result.returncode != 0
    assert "Error validating config file" in messages(result)
    for name in names:
        assert name in messages(result)
    assert not (workdir / "results").exists()


def test_checkpoint_beyond_the_steps_fails_at_parse_time_naming_the_keys(tmp_path):
    workdir = copy_workflow(tmp_path)
    config = yaml.safe_load(yaml.safe_dump(TEST_CONFIG))
    config["blobs"]["train"]["sgd"]["checkpoint_steps"] = [100, 3500]  # of at most 3000
    result = snakemake(workdir, "--dry-run", config=config, check=False)
    assert result.returncode != 0
    assert "blobs.train.sgd.checkpoint_steps: [3500] lie beyond blobs.train.sgd.steps = 3000" in (
        messages(result)
    )
    assert not (workdir / "results").exists()


@pytest.mark.parametrize(
    ("section", "key", "message"),
    [
        ("blobs.train.sgd", "batch_size", "blobs.train.sgd.batch_size = 61 is larger than "
         "the training set (blobs.data.n_train = 60)"),
        ("mnist.conv", "large_batch", "mnist.conv.large_batch = 101 is larger than the "
         "training set (mnist.data.n_train = 100)"),
    ],
)  # fmt: skip
def test_a_batch_larger_than_its_data_fails_at_parse_time_naming_the_keys(
    tmp_path, section, key, message
):
    workdir = copy_workflow(tmp_path)
    config = yaml.safe_load(yaml.safe_dump(TEST_CONFIG))
    node = config
    for part in section.split("."):
        node = node[part]
    data = config[section.split(".")[0]]["data"]
    node[key] = data["n_train"] + 1
    result = snakemake(workdir, "--dry-run", config=config, check=False)
    assert result.returncode != 0
    assert message in messages(result)
    assert not (workdir / "results").exists()


@pytest.fixture
def built_copy(built, tmp_path) -> Path:
    """A copy of the built workflow (results and Snakemake's records) for one test that
    changes what is built."""
    copy = tmp_path / "workflow"
    shutil.copytree(built, copy, symlinks=True)
    return copy


def test_a_changed_fig2_selection_moves_the_summary_and_the_readme_numbers(built_copy):
    """Fig. 2's runs are read from the config by the figure, the summary and the README
    renderer alike: none of them assumes SGD, ReLU, cov = 1."""
    changed = yaml.safe_load(yaml.safe_dump(TEST_CONFIG))
    changed["fig2"]["activation"] = "tanh"  # runs the Table 1 grid already holds
    assert set(planned_jobs(built_copy, "results/fig2.pdf", "results/summary.json",
                            config=changed)) == {"fig2", "summary"}  # fmt: skip
    snakemake(built_copy, "results/summary.json", "results/config.yaml", config=changed)
    results = built_copy / "results"
    rows = tables.read_csv(results / "table1.csv")
    final = runs.stops(TEST_CONFIG, "sgd")[-1][0]
    gaps: dict[int, list[int]] = {}
    for r in rows:  # the final stop, seed by seed
        if (r["algorithm"], r["activation"], r["cov"], r["stop"]) == ("sgd", "tanh", 1.0, final):
            gaps.setdefault(r["n_classes"], []).append(r["gap"])
    decided = json.loads((results / "summary.json").read_text())
    (fig2,) = [
        c for s in decided["sections"] for c in s["claims"] if c["claim"].startswith("Fig. 2")
    ]
    assert fig2["claim"].startswith("Fig. 2 (SGD, tanh, cov = 1)")
    assert fig2["numbers"]["counts"] == {str(k): gap for k, gap in gaps.items()}
    block = readme_numbers.BLOCKS["fig2"](results)
    assert "(SGD, tanh, cov = 1)" in block
    assert f"k = {' and '.join(str(k) for k in sorted(gaps))}" in block
    assert f"the first seed counts {' and '.join(str(g[0]) for _, g in sorted(gaps.items()))}" in (
        block
    )


def test_every_readme_block_renders_from_a_record_of_two_seeds(built_copy):
    """The README's blocks speak of the record's seeds, whatever their number: rendered from
    the test config's build (two seeds a cell), each block renders, those that count seeds
    say two, and none says one."""
    snakemake(built_copy, "results/config.yaml", config=TEST_CONFIG)
    results = built_copy / "results"
    texts = {name: render(results) for name, render in readme_numbers.BLOCKS.items()}
    assert all(texts.values())
    for name in ("fig2", "table1", "gd_vs_sgd", "sensitivity", "conjecture"):
        assert "2 seeds" in texts[name], (name, texts[name])
    assert not [name for name, text in texts.items() if re.search(r"\bone seed\b", text, re.I)]


def test_a_spectrum_jobs_memory_reruns_nothing_and_cannot_change_its_precision(built_copy):
    """The spectrum plan is a param: a resource override neither reruns a spectrum nor
    changes how it is solved; one below the plan stops the job naming both."""
    lowered = ("--set-resources", "spectrum:mem_mb=1", "mnist_spectrum:mem_mb=1")
    assert planned_jobs(built_copy, *lowered, config=TEST_CONFIG) == {}
    target = "results/blobs/spectra/sgd-relu-k2-cov1-s0-i1/final.h5"
    result = snakemake(
        built_copy, target, "--forcerun", "spectrum", *lowered, config=TEST_CONFIG, check=False
    )
    assert result.returncode != 0
    log = (built_copy / "results/logs/spectrum/sgd-relu-k2-cov1-s0-i1-final.log").read_text()
    assert "declares 1 MiB, but its spectrum plan (dense, float64) needs" in log
    snakemake(built_copy, target, config=TEST_CONFIG)  # as it was
