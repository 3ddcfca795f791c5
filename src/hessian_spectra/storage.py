"""On-disk formats in one place: datasets, checkpoints, Hessians and spectra.

Every writer writes to a temporary sibling and renames it into place, so a failed job
never leaves a half-written artefact under its final name. Every reader checks what it
reads (presence, shape, dtype, finiteness) and raises an error that names the file and
what is wrong with it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch

CHECKPOINT_FORMAT = "hessian-spectra-checkpoint/1"
HESSIAN_DATASET = "hessian"
BLOCKS_DONE_DATASET = "blocks_done"
EIGENVALUES_DATASET = "eigenvalues"


class ArtefactError(RuntimeError):
    """An input file is missing, unreadable, or not what the step expects."""


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to `path`; rename it onto `path` only on success."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def set_attrs(node: h5py.HLObject, attrs: Mapping[str, Any]) -> None:
    for key, value in attrs.items():
        node.attrs[key] = "none" if value is None else value


def attrs_dict(node: h5py.HLObject) -> dict[str, Any]:
    """HDF5 attributes as plain Python values."""
    out = {}
    for key, value in node.attrs.items():
        if isinstance(value, np.generic):
            value = value.item()
        elif isinstance(value, np.ndarray):
            value = value.tolist()
        out[key] = value
    return out


def _open_h5(path: str | os.PathLike, what: str) -> h5py.File:
    if not Path(path).is_file():
        raise ArtefactError(f"{what} file {path} does not exist")
    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise ArtefactError(f"{what} file {path} is not a readable HDF5 file: {err}") from err


def _require(handle: h5py.File, name: str, path, what: str) -> h5py.Dataset:
    if name not in handle:
        raise ArtefactError(f"{what} file {path} has no dataset '{name}'")
    return handle[name]


# --- datasets ---------------------------------------------------------------------------

ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test")


def write_arrays(path, arrays: Mapping[str, np.ndarray], attrs: Mapping[str, Any]) -> None:
    """Write a classification dataset (train/test inputs and labels) with its metadata."""
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as handle:
        for name in ARRAY_NAMES:
            handle.create_dataset(name, data=arrays[name])
        set_attrs(handle, attrs)


def read_arrays(path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a dataset written by `write_arrays`, checking that train and test agree."""
    with _open_h5(path, "dataset") as handle:
        arrays = {name: _require(handle, name, path, "dataset")[()] for name in ARRAY_NAMES}
        attrs = attrs_dict(handle)
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim < 2 or y.ndim != 1 or len(x) != len(y):
            raise ArtefactError(
                f"dataset file {path}: x_{split} has shape {x.shape} but y_{split} has "
                f"shape {y.shape}; expected (n, ...) inputs and (n,) labels"
            )
    if arrays["x_train"].shape[1:] != arrays["x_test"].shape[1:]:
        raise ArtefactError(f"dataset file {path}: train and test inputs differ in shape")
    return arrays, attrs


# --- checkpoints ------------------------------------------------------------------------


def save_checkpoint(path, *, parameters: torch.Tensor, step: int, run: str, model: dict) -> None:
    """Save a flat float64 parameter vector with the model spec that gives it meaning."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "run": run,
        "step": int(step),
        "model": dict(model),
        "parameters": parameters.detach().to(torch.float64).cpu().clone(),
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_checkpoint(path) -> dict:
    """Load and validate a checkpoint; a missing or corrupt file raises ArtefactError."""
    path = Path(path)
    if not path.is_file():
        raise ArtefactError(f"checkpoint {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several unrelated types for a damaged file
        raise ArtefactError(f"checkpoint {path} is corrupt or unreadable: {err}") from err
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise ArtefactError(f"checkpoint {path} is not a {CHECKPOINT_FORMAT} file")
    missing = {"run", "step", "model", "parameters"} - payload.keys()
    if missing:
        raise ArtefactError(f"checkpoint {path} lacks the fields {sorted(missing)}")
    params = payload["parameters"]
    if not isinstance(params, torch.Tensor) or params.ndim != 1:
        raise ArtefactError(f"checkpoint {path}: 'parameters' is not a flat vector")
    if not torch.isfinite(params).all():
        raise ArtefactError(f"checkpoint {path}: the parameters contain NaN or infinite values")
    return payload


# --- Hessians ---------------------------------------------------------------------------


def hessian_chunk_rows(dim: int, block_size: int, max_chunk_bytes: int = 4 << 20) -> int:
    """Rows per HDF5 chunk: a divisor of the block size, so blocks write whole chunks."""
    if block_size >= dim:  # a single block: alignment does not matter
        block_size = dim
    rows = block_size
    while rows > 1 and rows * dim * 8 > max_chunk_bytes:
        rows = next(d for d in range(rows - 1, 0, -1) if block_size % d == 0)
    return rows


def read_hessian(path) -> tuple[np.ndarray, dict[str, Any]]:
    """Read a complete Hessian, checking it is square, float64 and finished."""
    with _open_h5(path, "Hessian") as handle:
        dataset = _require(handle, HESSIAN_DATASET, path, "Hessian")
        attrs = attrs_dict(handle)
        if dataset.ndim != 2 or dataset.shape[0] != dataset.shape[1]:
            raise ArtefactError(
                f"Hessian file {path}: dataset '{HESSIAN_DATASET}' has shape {dataset.shape}, "
                "expected a square M x M matrix"
            )
        if "parameter_count" in attrs and dataset.shape[0] != attrs["parameter_count"]:
            raise ArtefactError(
                f"Hessian file {path}: dataset '{HESSIAN_DATASET}' has shape {dataset.shape} "
                f"but the file says M = {attrs['parameter_count']}"
            )
        if dataset.dtype != np.float64:
            raise ArtefactError(f"Hessian file {path}: dtype is {dataset.dtype}, expected float64")
        if BLOCKS_DONE_DATASET in handle and not handle[BLOCKS_DONE_DATASET][()].all():
            raise ArtefactError(f"Hessian file {path} is incomplete: some blocks are missing")
        matrix = dataset[()]
    if not np.isfinite(matrix).all():
        raise ArtefactError(f"Hessian file {path} contains NaN or infinite entries")
    return matrix, attrs


# --- spectra ----------------------------------------------------------------------------


def write_spectrum(path, eigenvalues: np.ndarray, attrs: Mapping[str, Any]) -> None:
    """Write eigenvalues in ascending order with how they were computed."""
    values = np.asarray(eigenvalues, dtype=np.float64)
    if values.ndim != 1 or np.any(np.diff(values) < 0):
        raise ValueError("eigenvalues must be a 1-D array in ascending order")
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as handle:
        handle.create_dataset(EIGENVALUES_DATASET, data=values)
        set_attrs(handle, attrs)


def read_spectrum(path) -> tuple[np.ndarray, dict[str, Any]]:
    """Read an ascending float64 spectrum written by `write_spectrum`."""
    with _open_h5(path, "spectrum") as handle:
        dataset = _require(handle, EIGENVALUES_DATASET, path, "spectrum")
        if dataset.ndim != 1 or dataset.dtype != np.float64:
            raise ArtefactError(
                f"spectrum file {path}: '{EIGENVALUES_DATASET}' has shape {dataset.shape} "
                f"and dtype {dataset.dtype}, expected a 1-D float64 array"
            )
        values = dataset[()]
        attrs = attrs_dict(handle)
    if np.any(np.diff(values) < 0):
        raise ArtefactError(f"spectrum file {path}: eigenvalues are not in ascending order")
    return values, attrs
