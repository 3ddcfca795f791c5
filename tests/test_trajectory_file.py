"""The training-trajectory file and its journal: which records a run resumes from, the
model it records, and a damaged file refused by name."""

from __future__ import annotations

import logging
import re

import pytest
import torch

from hessian_spectra import trajectory_file
from hessian_spectra.storage import ArtefactError
from hessian_spectra.trajectory_file import RecordJournal, read_trajectory

from .test_hessian_file import flip_stored_byte

METRICS = dict.fromkeys(trajectory_file.TRAJECTORY_METRICS, 0.5)


def write_records(journal: RecordJournal, count: int, dim: int = 40) -> None:
    for index in range(count):
        journal.write(index, torch.full((dim,), float(index)), 10 * index, METRICS)


def test_a_damaged_trajectory_is_refused(tmp_path):
    journal = RecordJournal(tmp_path / "journal", "unit")
    write_records(journal, 3)
    path = tmp_path / "part1.h5"
    journal.finish(path, 3, {"parameter_count": 40})
    assert read_trajectory(path, records="all")["parameters"].shape == (3, 40)
    flip_stored_byte(path, "parameters")
    with pytest.raises(ArtefactError, match=rf"trajectory file {path} could not be read"):
        read_trajectory(path, records="all")


def test_a_journal_beside_its_output_resumes_only_the_run_of_its_identity(tmp_path):
    output = tmp_path / "part1.h5"
    identity = {"settings": {"batch_size": 8, "seed": 0}, "model": {"kind": "alexnet"}}
    journal = RecordJournal.beside(output, identity)
    assert journal.directory == tmp_path / ".part1.h5.journal"
    write_records(journal, 3)
    reordered = {"model": {"kind": "alexnet"}, "settings": {"seed": 0, "batch_size": 8}}
    assert RecordJournal.beside(output, reordered).resumable() == 3
    changed = {**identity, "settings": {"batch_size": 8, "seed": 1}}
    assert RecordJournal.beside(output, changed).resumable() == 0
    assert not list(journal.directory.glob("record-*.pt"))  # another run's records go


def test_a_run_starts_only_from_a_trajectory_of_its_model(tmp_path):
    spec = {"kind": "alexnet", "conv_channels": [2, 3], "hidden": [8]}
    journal = RecordJournal(tmp_path / "journal", "unit")
    write_records(journal, 2)
    path = tmp_path / "part1.h5"
    journal.finish(path, 2, {"model": trajectory_file.model_attr(spec)})
    start = trajectory_file.read_start(path, dict(reversed(spec.items())))
    assert start["parameters"].tolist() == [1.0] * 40
    assert trajectory_file.model_spec(start) == spec
    with pytest.raises(ArtefactError, match=r"part1\.h5 was trained with the model .*cifar\.model"):
        trajectory_file.read_start(path, {**spec, "hidden": [16]})


def test_a_journal_resumes_only_under_the_execution_that_wrote_it(tmp_path, caplog):
    """A CPU reduction splits among the threads, so records written with 2 threads are not
    resumed with 1 (nor on another device, nor from a journal that records no execution):
    the job starts over and says why."""
    output, identity = tmp_path / "part1.h5", {"settings": {"seed": 0}}
    two = {"threads": 2, "device": "cpu", "torch": str(torch.__version__)}
    write_records(RecordJournal.beside(output, identity, two), 3)
    assert RecordJournal.beside(output, identity, dict(reversed(two.items()))).resumable() == 3
    with caplog.at_level(logging.INFO, logger="hessian_spectra"):
        assert RecordJournal.beside(output, identity, {**two, "threads": 1}).resumable() == 0
    assert re.search(
        r"journal \S+\.part1\.h5\.journal: record 0 is of 2 threads on cpu, torch \S+, this "
        r"job has 1 thread on cpu, torch \S+ \(.*\): starting over",
        caplog.text,
    )
    write_records(RecordJournal.beside(output, identity), 2)  # records no execution
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="hessian_spectra"):
        assert RecordJournal.beside(output, identity, two).resumable() == 0
    assert "is of no recorded thread count or device, this job has 2 threads" in caplog.text
    write_records(RecordJournal.beside(output, identity, two), 2)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="hessian_spectra"):
        assert RecordJournal.beside(output, {"settings": {"seed": 1}}, two).resumable() == 0
    assert "record 0 holds another run (settings or inputs): starting over" in caplog.text


def test_the_execution_is_the_thread_count_at_training_time():
    previous = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            assert trajectory_file.execution_of(torch.device("cpu")) == {
                "threads": threads, "device": "cpu", "torch": str(torch.__version__)
            }  # fmt: skip
    finally:
        torch.set_num_threads(previous)
