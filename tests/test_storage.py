"""Readers that refuse bad files with a message naming the file and the problem."""

from __future__ import annotations

import logging
import re
import time

import h5py
import numpy as np
import pytest
import torch

from hessian_spectra import jobs, storage
from hessian_spectra.storage import ArtefactError

from .test_hessian_file import assembled_hessian

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


# --- integrity: checksums, finiteness -----------------------------------------------------


def test_a_nan_in_a_spectrum_is_refused_naming_the_dataset(tmp_path):
    path = tmp_path / "s.h5"
    storage.write_spectrum(path, np.array([-1.0, 0.0, 2.0]), {"method": "dense"})
    with h5py.File(path, "r+") as handle:
        handle[storage.EIGENVALUES_DATASET][1] = np.nan
    with pytest.raises(ArtefactError, match=rf"{path}: dataset 'eigenvalues' holds NaN"):
        storage.read_spectrum(path)


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
