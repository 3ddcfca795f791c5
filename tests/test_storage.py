"""Readers that refuse bad files with a message naming the file and the problem."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch

from hessian_spectra import hessian_file, storage
from hessian_spectra.storage import ArtefactError

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
