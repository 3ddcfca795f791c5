"""Readers that refuse bad files with a message naming the file and the problem."""

from __future__ import annotations

import logging
import re
import time

import h5py
import numpy as np
import pytest
import torch

from hessian_spectra import hessian_file, jobs, storage
from hessian_spectra.curvature import HessianOperator, mean_cross_entropy
from hessian_spectra.models import FlatModel
from hessian_spectra.storage import ArtefactError

from .conftest import random_split, tiny_mlp

MODEL = {"kind": "mlp", "input_dim": 3, "hidden": [2], "n_classes": 2, "activation": "relu"}


def save(path, parameters=None):
    storage.save_checkpoint(
        path,
        parameters=torch.zeros(14) if parameters is None else parameters,
        step=5,
        run="r",
        model=MODEL,
    )


def test_checkpoint_round_trip(tmp_path):
    path = tmp_path / "c.pt"
    save(path, torch.arange(14.0))
    state = storage.load_checkpoint(path)
    assert state["step"] == 5 and state["model"] == MODEL
    assert state["parameters"].dtype == torch.float64
    assert torch.equal(state["parameters"], torch.arange(14.0, dtype=torch.float64))


def test_missing_checkpoint_is_named(tmp_path):
    with pytest.raises(ArtefactError, match=r"checkpoint .*nope\.pt does not exist"):
        storage.load_checkpoint(tmp_path / "nope.pt")


def test_truncated_checkpoint_is_named(tmp_path):
    path = tmp_path / "c.pt"
    save(path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ArtefactError, match=r"checkpoint .*c\.pt is corrupt or unreadable"):
        storage.load_checkpoint(path)


def test_foreign_checkpoint_is_refused(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"state_dict": {}}, path)
    with pytest.raises(ArtefactError, match="is not a hessian-spectra-checkpoint/1 file"):
        storage.load_checkpoint(path)


def test_nan_checkpoint_is_refused(tmp_path):
    path = tmp_path / "c.pt"
    save(path, torch.tensor([float("nan")] * 14))
    with pytest.raises(ArtefactError, match="NaN"):
        storage.load_checkpoint(path)


def write_hessian(path, matrix, **attrs):
    with h5py.File(path, "w") as handle:
        handle.create_dataset(hessian_file.HESSIAN_DATASET, data=matrix)
        storage.set_attrs(handle, attrs)


def test_hessian_of_the_wrong_shape_is_named(tmp_path):
    path = tmp_path / "h.h5"
    write_hessian(path, np.zeros((4, 5)))
    with pytest.raises(ArtefactError, match=r"h\.h5: dataset 'hessian' has shape \(4, 5\)"):
        hessian_file.read(path)


def test_hessian_disagreeing_with_its_parameter_count(tmp_path):
    path = tmp_path / "h.h5"
    write_hessian(path, np.zeros((4, 4)), parameter_count=5)
    with pytest.raises(ArtefactError, match="says M = 5"):
        hessian_file.read(path)


def test_float32_hessian_is_refused(tmp_path):
    path = tmp_path / "h.h5"
    write_hessian(path, np.zeros((3, 3), dtype=np.float32))
    with pytest.raises(ArtefactError, match="float32, expected float64"):
        hessian_file.read(path)


def test_incomplete_hessian_is_refused(tmp_path):
    path = tmp_path / "h.h5"
    write_hessian(path, np.eye(3))
    with h5py.File(path, "a") as handle:
        handle.create_dataset(hessian_file.BLOCKS_DONE_DATASET, data=np.array([True, False]))
    with pytest.raises(ArtefactError, match="incomplete"):
        hessian_file.read(path)


def test_non_hdf5_file_is_named(tmp_path):
    path = tmp_path / "h.h5"
    path.write_text("not hdf5")
    with pytest.raises(ArtefactError, match=r"h\.h5 is not a readable HDF5 file"):
        hessian_file.read(path)


def test_spectrum_round_trip_and_order_check(tmp_path):
    path = tmp_path / "s.h5"
    storage.write_spectrum(path, np.array([-1.0, 0.0, 2.0]), {"method": "dense", "k": None})
    values, attrs = storage.read_spectrum(path)
    assert values.tolist() == [-1.0, 0.0, 2.0] and attrs == {"method": "dense", "k": "none"}
    with pytest.raises(ValueError, match="ascending"):
        storage.write_spectrum(path, np.array([2.0, 1.0]), {})


def test_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "out" / "data.h5"
    with pytest.raises(KeyError):
        storage.write_arrays(target, {"x_train": np.zeros((2, 2))}, {})
    assert list(target.parent.iterdir()) == []


def test_dataset_with_mismatched_labels_is_named(tmp_path):
    path = tmp_path / "d.h5"
    arrays = {
        "x_train": np.zeros((4, 2)),
        "y_train": np.zeros(3, dtype=np.int64),
        "x_test": np.zeros((2, 2)),
        "y_test": np.zeros(2, dtype=np.int64),
    }
    storage.write_arrays(path, arrays, {})
    with pytest.raises(ArtefactError, match=r"d\.h5: x_train has shape \(4, 2\) but y_train"):
        storage.read_arrays(path)


# --- integrity: checksums, symmetry, finiteness -------------------------------------------


def flip_stored_byte(path, dataset: str, position: int = 5) -> None:
    """Change one byte of a dataset's first chunk on disk, as a failing disk would: the
    file keeps its size and HDF5 structure."""
    with h5py.File(path, "r") as handle:
        offset = handle[dataset].id.get_chunk_info(0).byte_offset
    with open(path, "r+b") as raw:
        raw.seek(offset + position)
        byte = raw.read(1)
        raw.seek(offset + position)
        raw.write(bytes([byte[0] ^ 0x5A]))


def assembled_hessian(path):
    """A small Hessian assembled by hessian_file, with its recorded symmetry error."""
    flat = FlatModel(tiny_mlp("tanh", dim=5, hidden=(4,), n_classes=3))
    loss = mean_cross_entropy(flat, random_split(n=20, dim=5, n_classes=3, seed=1))
    operator = HessianOperator(loss, flat.flatten())
    hessian_file.assemble(operator, path, block_size=8, attrs={"run": "unit"})
    return operator.dense().numpy()


def test_a_changed_byte_of_a_hessian_fails_its_checksum(tmp_path):
    path = tmp_path / "h.h5"
    assembled_hessian(path)
    flip_stored_byte(path, hessian_file.HESSIAN_DATASET)
    with pytest.raises(ArtefactError, match=rf"Hessian file {path} could not be read .*checksum"):
        hessian_file.load(path)


def test_an_entry_rewritten_through_hdf5_breaks_the_recorded_symmetry(tmp_path):
    """h5py recomputes the checksum of what it writes; the symmetry check still sees one
    lower-triangle entry that moved."""
    path = tmp_path / "h.h5"
    matrix = assembled_hessian(path)
    np.testing.assert_array_equal(hessian_file.load(path).numpy(), matrix)
    with h5py.File(path, "r+") as handle:
        handle[hessian_file.HESSIAN_DATASET][7, 2] += 0.39
    with pytest.raises(ArtefactError, match=rf"Hessian file {path}: max\|H - H\^T\|.*changed"):
        hessian_file.load(path)
    with pytest.raises(ArtefactError, match="changed"):
        hessian_file.load(path, torch.float32)


def test_a_nan_in_a_spectrum_is_refused_naming_the_dataset(tmp_path):
    path = tmp_path / "s.h5"
    storage.write_spectrum(path, np.array([-1.0, 0.0, 2.0]), {"method": "dense"})
    with h5py.File(path, "r+") as handle:
        handle[storage.EIGENVALUES_DATASET][1] = np.nan
    with pytest.raises(ArtefactError, match=rf"{path}: dataset 'eigenvalues' holds NaN"):
        storage.read_spectrum(path)


def test_a_damaged_trajectory_is_refused(tmp_path):
    journal = storage.RecordJournal(tmp_path / "journal", "unit")
    metrics = dict.fromkeys(storage.TRAJECTORY_METRICS, 0.5)
    for index in range(3):
        journal.write(index, torch.full((40,), float(index)), 10 * index, metrics)
    path = tmp_path / "part1.h5"
    journal.finish(path, 3, {"parameter_count": 40})
    assert storage.read_trajectory(path, records="all")["parameters"].shape == (3, 40)
    flip_stored_byte(path, "parameters")
    with pytest.raises(ArtefactError, match=rf"trajectory file {path} could not be read"):
        storage.read_trajectory(path, records="all")


def test_every_hdf5_writer_stores_checksums(tmp_path):
    storage.write_spectrum(tmp_path / "s.h5", np.arange(3.0), {})
    arrays = {"x_train": np.ones((4, 2)), "y_train": np.zeros(4, dtype=np.int64)}
    arrays |= {"x_test": np.ones((2, 2)), "y_test": np.zeros(2, dtype=np.int64)}
    storage.write_arrays(tmp_path / "d.h5", arrays, {})
    assembled_hessian(tmp_path / "h.h5")
    for name in ("s.h5", "d.h5", "h.h5"):
        with h5py.File(tmp_path / name, "r") as handle:
            for dataset in handle.values():
                assert dataset.fletcher32, (name, dataset.name)


def test_a_heartbeat_logs_progress_while_a_long_call_runs(caplog):
    """Long single calls (one LAPACK solve, ARPACK) log that they are alive; the block
    waits for the beats instead of for a fixed time, so a busy machine only slows it."""
    caplog.set_level(logging.INFO, logger="hessian_spectra")
    with jobs.heartbeat("unit solve", lambda: "3 products", every=0.01):
        for _ in range(1000):
            if len([r for r in caplog.records if "unit solve" in r.message]) >= 2:
                break
            time.sleep(0.01)
    beats = [r.message for r in caplog.records if "unit solve" in r.message]
    assert len(beats) >= 2
    assert re.fullmatch(r"unit solve: \d+ s so far, 3 products", beats[0])
