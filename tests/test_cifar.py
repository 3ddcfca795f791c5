"""CIFAR-10 (Section 4.1): data through the real torchvision class, the bare AlexNet, the
resumable LB -> SB training, the straight line and its barrier, the top eigenvalues. One
file over 300 lines: its tests share the small trained parts of one fixture."""

from __future__ import annotations

import logging
import pickle
import re
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
import torch

from hessian_spectra import basin, cifar, eigensolvers, models, storage
from hessian_spectra.problems import Problem
from hessian_spectra.split import Split
from hessian_spectra.steps import cifar as cifar_steps
from hessian_spectra.steps.datasets import make_dataset
from hessian_spectra.training import TrainingDiverged
from hessian_spectra.trajectory_file import TRAJECTORY_METRICS, RecordJournal, read_trajectory

from .cifar_files import write_cifar10

TINY_NET = {"conv_channels": [2, 3], "hidden": [8]}


def part_settings(part: int, **changes) -> basin.PartSettings:
    settings = {
        "part": part,
        "batch_size": 40 if part == 1 else 8,
        "learning_rate": 0.05,
        "steps_per_record": 3,
        "records": 4,
        "seed": 0,
        "eval_batch_size": 64,
    }
    return basin.PartSettings(**{**settings, **changes})


@pytest.fixture(scope="module")
def cifar_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("cifar")
    write_cifar10(root, per_batch=20)
    return root


@pytest.fixture(scope="module")
def dataset(cifar_root, tmp_path_factory):
    path = tmp_path_factory.mktemp("dataset") / "cifar10.h5"
    make_dataset(
        "cifar",
        path,
        root=cifar_root,
        download=False,
        verify_checksums=False,
        n_train=None,
        n_test=None,
        seed=0,
    )
    return path


@pytest.fixture(scope="module")
def parts(dataset, tmp_path_factory):
    """Part I and Part II of a tiny run, uninterrupted."""
    folder = tmp_path_factory.mktemp("parts")
    cifar_steps.train_cifar_part(
        dataset, folder / "part1.h5", settings=part_settings(1), architecture=TINY_NET, device="cpu"
    )
    cifar_steps.train_cifar_part(
        dataset,
        folder / "part2.h5",
        settings=part_settings(2),
        architecture=TINY_NET,
        start=folder / "part1.h5",
        device="cpu",
    )
    return folder / "part1.h5", folder / "part2.h5"


# --- data -------------------------------------------------------------------------------


def test_torchvision_class_reads_files_in_the_real_format(cifar_root):
    arrays, attrs = cifar.cifar10_subset(
        root=cifar_root, download=False, verify_checksums=False, n_train=None, n_test=None, seed=0
    )
    folder = cifar_root / "cifar-10-batches-py"
    batches = []
    for name in [f"data_batch_{i}" for i in range(1, 6)]:
        with open(folder / name, "rb") as handle:
            batches.append(pickle.load(handle, encoding="latin1"))
    np.testing.assert_array_equal(arrays["x_train"], np.vstack([b["data"] for b in batches]))
    np.testing.assert_array_equal(arrays["y_train"], np.concatenate([b["labels"] for b in batches]))
    assert arrays["x_train"].dtype == np.uint8 and arrays["x_test"].shape == (20, 3072)
    train, test = cifar.normalised_splits(arrays, attrs)
    channels = train.x.double().reshape(len(train), 3, -1)
    np.testing.assert_allclose(channels.mean(dim=(0, 2)), 0.0, atol=1e-6)
    np.testing.assert_allclose(channels.std(dim=(0, 2), correction=0), 1.0, atol=1e-6)
    assert train.x.dtype == torch.float32 and len(test) == 20


def test_published_checksums_reject_other_files_naming_the_folder(cifar_root):
    with pytest.raises(storage.ArtefactError) as error:
        cifar.cifar10_subset(
            root=cifar_root,
            download=False,
            verify_checksums=True,
            n_train=None,
            n_test=None,
            seed=0,
        )
    message = str(error.value)
    assert str(cifar_root / "cifar-10-batches-py") in message
    assert "not found or corrupted" in message and "cifar.data.download: true" in message


def test_missing_root_names_the_path_and_both_fixes(tmp_path):
    with pytest.raises(storage.ArtefactError) as error:
        cifar.cifar10_subset(
            root=tmp_path / "nowhere",
            download=False,
            verify_checksums=False,
            n_train=None,
            n_test=None,
            seed=0,
        )
    message = str(error.value)
    assert str(tmp_path / "nowhere" / "cifar-10-batches-py") in message
    assert "cifar.data.download: true" in message and "cifar-10-python.tar.gz" in message


def test_subsets_are_seeded_and_bounded(cifar_root):
    def draw(seed):
        return cifar.cifar10_subset(
            root=cifar_root,
            download=False,
            verify_checksums=False,
            n_train=30,
            n_test=10,
            seed=seed,
        )[0]

    first, again, other = draw(1), draw(1), draw(2)
    np.testing.assert_array_equal(first["x_train"], again["x_train"])
    assert first["x_train"].shape == (30, 3072) and not np.array_equal(
        first["y_train"], other["y_train"]
    )
    with pytest.raises(ValueError, match="has 100 train images; asked for 101"):
        cifar.cifar10_subset(
            root=cifar_root,
            download=False,
            verify_checksums=False,
            n_train=101,
            n_test=None,
            seed=0,
        )


# --- model ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "architecture",
    [
        {},
        {"conv_channels": [4, 8], "hidden": [16]},
        {"conv_channels": [3], "hidden": [], "kernel_size": 3},
    ],
)
def test_bare_alexnet_has_the_counted_parameters_and_classifies_images(architecture):
    spec = models.alexnet_spec(**architecture)
    model = models.build_model(spec, torch.float32)
    assert sum(p.numel() for p in model.parameters()) == models.alexnet_parameter_count(
        **architecture
    )
    assert not any(
        isinstance(m, torch.nn.Dropout | torch.nn.BatchNorm2d | torch.nn.LocalResponseNorm)
        for m in model.modules()
    )
    assert model(torch.zeros(2, 3072)).shape == (2, 10)


def test_default_bare_alexnet_is_the_documented_size():
    assert models.alexnet_parameter_count() == 1_756_426


# --- training ---------------------------------------------------------------------------


def test_trajectories_record_every_interval_and_part2_starts_at_part1s_end(parts):
    first = read_trajectory(parts[0], records="all")
    second = read_trajectory(parts[1], records="all")
    assert first["step"].tolist() == [0, 3, 6, 9, 12] == second["step"].tolist()
    np.testing.assert_array_equal(second["parameters"][0], first["parameters"][-1])
    assert second["train_loss"][0] == pytest.approx(first["train_loss"][-1], rel=1e-6)
    assert first["parameters"].dtype == np.float32
    assert first["attrs"]["batch_size"] == 40 and second["attrs"]["batch_size"] == 8
    assert not list(parts[0].parent.glob(".*journal"))  # journals removed when done
    assert first["train_loss"][-1] < first["train_loss"][0]  # it learns


def test_same_settings_give_the_same_trajectory(dataset, parts, tmp_path):
    cifar_steps.train_cifar_part(
        dataset,
        tmp_path / "again.h5",
        settings=part_settings(1),
        architecture=TINY_NET,
        device="cpu",
    )
    np.testing.assert_array_equal(
        read_trajectory(tmp_path / "again.h5", records="all")["parameters"],
        read_trajectory(parts[0], records="all")["parameters"],
    )


KILLED_RUN = """
import sys, torch
from hessian_spectra import basin
from hessian_spectra.steps import cifar as cifar_steps
torch.set_num_threads(1)
cifar_steps.train_cifar_part(sys.argv[1], sys.argv[2], architecture={architecture!r},
                             settings=basin.PartSettings(**{settings!r}), device="cpu")
"""


def _journal_records(journal) -> int:
    return len(list(journal.glob("record-*.pt"))) if journal.is_dir() else 0


def test_a_killed_run_resumes_from_its_last_record_bit_for_bit(dataset, tmp_path, caplog):
    """A process killed (SIGKILL) mid-part, run again, resumes from its journal and ends
    exactly where an uninterrupted run ends; a run with other settings does not resume
    from that journal. (tests/test_workflow.py kills a real Snakemake job.)"""
    settings = part_settings(1, steps_per_record=40, records=12)
    output = tmp_path / "killed" / "part1.h5"
    journal = output.with_name(".part1.h5.journal")
    script = KILLED_RUN.format(architecture=TINY_NET, settings=dict(vars(settings)))
    process = subprocess.Popen([sys.executable, "-c", script, str(dataset), str(output)])
    deadline = time.monotonic() + 120
    while _journal_records(journal) < 3 and time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before it could be killed"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    written = _journal_records(journal)
    assert 3 <= written < settings.records + 1 and not output.exists()

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with caplog.at_level(logging.INFO, logger="hessian_spectra"):
            cifar_steps.train_cifar_part(
                dataset, output, settings=settings, architecture=TINY_NET, device="cpu"
            )
        assert re.search(r"resuming part 1 from record (\d+)", caplog.text)
        cifar_steps.train_cifar_part(
            dataset, tmp_path / "whole.h5", settings=settings, architecture=TINY_NET, device="cpu"
        )
    finally:
        torch.set_num_threads(previous)
    resumed = read_trajectory(output, records="all")
    whole = read_trajectory(tmp_path / "whole.h5", records="all")
    for name in ("parameters", "step", *TRAJECTORY_METRICS):
        np.testing.assert_array_equal(resumed[name], whole[name])

    stale = RecordJournal(tmp_path / ".other.h5.journal", "another run's fingerprint")
    stale.write(0, torch.zeros(3), 0, dict.fromkeys(TRAJECTORY_METRICS, 0.0))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="hessian_spectra"):
        cifar_steps.train_cifar_part(
            dataset,
            tmp_path / "other.h5",
            settings=part_settings(1),
            architecture=TINY_NET,
            device="cpu",
        )
    assert "resuming" not in caplog.text
    assert read_trajectory(tmp_path / "other.h5")["step"].tolist() == [0, 3, 6, 9, 12]


def test_a_journal_of_another_thread_count_is_not_resumed(dataset, tmp_path, monkeypatch, caplog):
    """Records written with 2 threads are not resumed with 1 (fresh runs at 1 and 2 threads
    differ in the last bits, so a mixed trajectory would match neither): the job starts
    over, says why, and ends where a fresh run with its own thread count ends. With the
    thread count that wrote them, the records are resumed."""
    output, whole = tmp_path / "part1.h5", tmp_path / "whole.h5"

    def train(path):
        cifar_steps.train_cifar_part(
            dataset, path, settings=part_settings(1), architecture=TINY_NET, device="cpu"
        )

    def killed_before_finishing(threads):  # every record journalled, no trajectory written
        torch.set_num_threads(threads)
        with monkeypatch.context() as patch:
            patch.setattr(RecordJournal, "finish", lambda *args: sys.exit("killed"))
            with pytest.raises(SystemExit, match="killed"):
                train(output)
        assert _journal_records(output.with_name(".part1.h5.journal")) == 5

    previous = torch.get_num_threads()
    try:
        killed_before_finishing(2)
        torch.set_num_threads(1)
        with caplog.at_level(logging.INFO, logger="hessian_spectra"):
            train(output)
        assert "record 0 is of 2 threads on cpu, torch" in caplog.text
        assert "this job has 1 thread on cpu" in caplog.text and "resuming" not in caplog.text
        train(whole)
        np.testing.assert_array_equal(
            read_trajectory(output, records="all")["parameters"],
            read_trajectory(whole, records="all")["parameters"],
        )
        output.unlink()
        killed_before_finishing(1)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="hessian_spectra"):
            train(output)
        assert "resuming part 1 from record 4" in caplog.text
        assert "starting over" not in caplog.text
    finally:
        torch.set_num_threads(previous)


def test_diverged_training_names_part_and_step_and_leaves_no_output(dataset, tmp_path):
    output = tmp_path / "part1.h5"
    with pytest.raises(TrainingDiverged, match=r"part 1: .* at step \d+ .*learning_rate"):
        cifar_steps.train_cifar_part(
            dataset,
            output,
            settings=part_settings(1, learning_rate=1e30),
            architecture=TINY_NET,
            device="cpu",
        )
    assert not output.exists()


def test_part2_refuses_a_start_of_another_model(dataset, parts, tmp_path):
    with pytest.raises(storage.ArtefactError, match="was trained with the model"):
        cifar_steps.train_cifar_part(
            dataset,
            tmp_path / "part2.h5",
            settings=part_settings(2),
            architecture={"conv_channels": [2, 4], "hidden": [8]},
            start=parts[0],
            device="cpu",
        )


def test_trajectory_of_the_wrong_shape_is_named(parts, tmp_path):
    broken = tmp_path / "broken.h5"
    with h5py.File(parts[0], "r") as source, h5py.File(broken, "w") as target:
        for name in source:
            data = source[name][()]
            target.create_dataset(name, data=data[:-1] if name == "parameters" else data)
    with pytest.raises(storage.ArtefactError, match=r"broken.h5: 'parameters' has shape \(4, "):
        read_trajectory(broken)
    with pytest.raises(storage.ArtefactError, match="does not exist"):
        read_trajectory(tmp_path / "missing.h5")


# --- the straight line ------------------------------------------------------------------


def test_line_coefficients_always_hold_both_end_points():
    coefficients = basin.line_coefficients(-0.5, 1.5, 6)  # step 0.4 misses 0 and 1
    assert 0.0 in coefficients and 1.0 in coefficients and coefficients[0] == -0.5
    assert np.all(np.diff(coefficients) > 0)
    with pytest.raises(ValueError, match="span both end points"):
        basin.line_coefficients(0.2, 1.5, 5)


def test_barrier_and_rise_beyond_the_ends():
    a = np.array([-0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5])
    bowl = np.array([3.0, 1.0, 0.8, 0.7, 0.75, 0.9, 1.2])  # one basin, LB steeper outside
    assert basin.barrier(a, bowl) == pytest.approx(0.0)
    assert basin.rise_beyond_ends(a, bowl) == pytest.approx((2.0, 0.3))
    bump = np.array([3.0, 1.0, 1.4, 1.6, 1.2, 0.9, 1.2])
    assert basin.barrier(a, bump) == pytest.approx(0.6)
    assert basin.line_numbers(a, bump) == pytest.approx(
        {
            "barrier": 0.6,
            "rise_beyond_lb": 2.0,
            "rise_beyond_sb": 0.3,
            "loss_lb": 1.0,
            "loss_sb": 0.9,
        }
    )


def test_end_points_on_the_line_are_the_trajectories_last_records(dataset, parts, tmp_path):
    output = tmp_path / "line.csv"
    cifar_steps.cifar_line(
        dataset, *parts, output, start=-0.5, stop=1.5, points=5, eval_batch_size=64, device="cpu"
    )
    rows = np.genfromtxt(output, delimiter=",", names=True)
    ends = [read_trajectory(path) for path in parts]
    for alpha, end in zip((0.0, 1.0), ends, strict=True):
        row = rows[rows["coefficient"] == alpha][0]
        for name in TRAJECTORY_METRICS:
            assert row[name] == end[name][-1]  # evaluated exactly, same function


# --- top eigenvalues (beyond the paper) --------------------------------------------------


def test_top_eigenvalues_match_a_dense_hessian(dataset, tmp_path):
    """Lanczos at an end point against eigvalsh of torch.func.hessian on the same subset."""
    architecture = {"conv_channels": [1, 1], "hidden": []}
    part = tmp_path / "part1.h5"
    cifar_steps.train_cifar_part(
        dataset, part, settings=part_settings(1), architecture=architecture, device="cpu"
    )
    output = tmp_path / "top.h5"
    cifar_steps.cifar_top_eigenvalues(
        dataset,
        part,
        output,
        n_samples=30,
        seed=4,
        k=5,
        tolerance=1e-10,
        max_products=2000,
        device="cpu",
    )
    values, attrs = storage.read_spectrum(output)

    arrays, data_attrs = storage.read_arrays(dataset)
    train, _ = cifar.normalised_splits(arrays, data_attrs, torch.float64)
    chosen = np.sort(np.random.default_rng(4).choice(len(train), 30, replace=False))
    subset = Split(train.x[chosen], train.y[chosen])
    end = read_trajectory(part, records="last")
    spec, theta = models.alexnet_spec(**architecture), torch.from_numpy(end["parameters"])
    problem = Problem.from_spec(spec, subset, theta)
    dense = torch.func.hessian(problem.loss)(problem.theta)
    reference = eigensolvers.dense_eigenvalues(dense.numpy())[-5:]
    np.testing.assert_allclose(values, reference, rtol=1e-8, atol=1e-10 * reference[-1])
    assert attrs["parameter_count"] == theta.numel() and attrs["converged_largest"] == 5
