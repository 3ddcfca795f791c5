"""The dense curvature-matrix file: one owner for its layout, the join of its parts and its
readers (`assembly` fills it).

Layout. Dataset `hessian` holds rows `row_start`..`row_stop` (attributes) of an M x M
float64 matrix, chunked by whole rows (a divisor of the block size, so a block writes whole
chunks); `blocks_done` marks which row blocks are written. A complete single-part file
holds all M rows and records its symmetry error max|H - H^T| / max|H|. The layout is the
same whichever device computed the rows.

Reading. `HessianFile` opens a complete file once, checks its layout and reads its
attributes once; its rows are then read through that handle, every slab checked finite, and
a loaded matrix checked to be as symmetric as recorded.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch

from . import jobs
from .resources import symmetry_check_mb
from .storage import CHECKSUMMED, ArtefactError, atomic_path, attrs_dict, open_h5, set_attrs

LOG = logging.getLogger(__name__)

HESSIAN_DATASET = "hessian"
BLOCKS_DONE_DATASET = "blocks_done"
PART_KEYS = ("part", "row_start", "row_stop")
SLAB_BYTES = 512 << 20  # rows read at a time by the readers


def chunk_rows(dim: int, block_size: int, max_chunk_bytes: int = 4 << 20) -> int:
    """Rows per HDF5 chunk: a divisor of the block size, so blocks write whole chunks."""
    if block_size >= dim:  # a single block: alignment does not matter
        block_size = dim
    rows = block_size
    while rows > 1 and rows * dim * 8 > max_chunk_bytes:
        rows = next(d for d in range(rows - 1, 0, -1) if block_size % d == 0)
    return rows


def create(
    handle: h5py.File, *, rows: int, dim: int, block_size: int, blocks: int | None = None
) -> h5py.Dataset:
    """The dataset of `rows` rows of an M = `dim` matrix, assembled in blocks of
    `block_size` rows, and, where `blocks` is given, their `blocks_done` marks."""
    dataset = handle.create_dataset(
        HESSIAN_DATASET,
        shape=(rows, dim),
        dtype="float64",
        chunks=(min(chunk_rows(dim, block_size), max(1, rows)), dim),
        fletcher32=True,
    )
    if blocks is not None:
        handle.create_dataset(BLOCKS_DONE_DATASET, shape=(blocks,), dtype=bool, **CHECKSUMMED)
    return dataset


def symmetry_error(dataset: h5py.Dataset, slab_rows: int) -> float:
    """max |H - H^T| / max |H|, reading two row slabs of `slab_rows` rows at a time."""
    dim = dataset.shape[0]
    worst_diff, largest = 0.0, 0.0
    for i0 in range(0, dim, slab_rows):
        upper = dataset[i0 : i0 + slab_rows]
        i1 = i0 + len(upper)
        largest = max(largest, float(np.abs(upper).max()))
        worst_diff = max(worst_diff, float(np.abs(upper[:, i0:i1] - upper[:, i0:i1].T).max()))
        for j0 in range(i1, dim, slab_rows):
            lower = dataset[j0 : j0 + slab_rows]
            j1 = j0 + len(lower)
            worst_diff = max(worst_diff, float(np.abs(upper[:, j0:j1] - lower[:, i0:i1].T).max()))
    return worst_diff / largest if largest > 0 else 0.0


def record_symmetry(handle: h5py.File) -> None:
    """Record a complete matrix's symmetry error, which every load checks again."""
    dataset = handle[HESSIAN_DATASET]
    dim = dataset.shape[1]
    slab_rows = (symmetry_check_mb(dim) << 20) // (2 * 8 * dim)
    with jobs.heartbeat("symmetry check"):
        error = symmetry_error(dataset, max(1, min(dim, slab_rows)))
    handle.attrs["symmetry_error"] = error
    LOG.info("symmetry error max|H - H^T| / max|H| = %.3e", error)


def gather(part_paths: Iterable[str | os.PathLike], output: str | os.PathLike) -> None:
    """Join the row parts written by `assembly.assemble(part=i, parts=S)` into one matrix.

    The parts are copied (not linked as an HDF5 virtual dataset: they are temporary files,
    and the spectrum reads the whole matrix anyway). They must come from one assembly
    (equal attributes but for the part and its rows), be complete, and cover the rows in
    order; the joined file equals the one a single job writes, with its symmetry error.
    """
    parts = [Path(path) for path in part_paths]
    infos = []
    for path in parts:
        with open_h5(path, "Hessian part") as handle:
            attrs = attrs_dict(handle)
            shape = handle[HESSIAN_DATASET].shape
            complete = bool(handle[BLOCKS_DONE_DATASET][()].all())
        if not complete:
            raise ArtefactError(f"Hessian part {path} is incomplete")
        if shape != (attrs["row_stop"] - attrs["row_start"], attrs["parameter_count"]):
            raise ArtefactError(
                f"Hessian part {path}: dataset '{HESSIAN_DATASET}' has shape {shape}, expected "
                f"rows {attrs['row_start']}..{attrs['row_stop']} of "
                f"{attrs['parameter_count']} columns"
            )
        infos.append(attrs)
    shared = {key: value for key, value in infos[0].items() if key not in PART_KEYS}
    for path, attrs in zip(parts, infos, strict=True):
        differing = sorted(key for key in shared if attrs.get(key) != shared[key])
        if differing:
            raise ArtefactError(f"Hessian part {path} differs from {parts[0]} in {differing}")
    if [a["part"] for a in infos] != list(range(shared["parts"])):
        raise ArtefactError(
            f"Hessian parts {[str(p) for p in parts]} are not parts "
            f"0..{shared['parts'] - 1} in order"
        )
    dim = shared["parameter_count"]
    with atomic_path(output) as tmp, h5py.File(tmp, "w") as handle:
        dataset = create(handle, rows=dim, dim=dim, block_size=shared["block_size"])
        for path, attrs in zip(parts, infos, strict=True):
            with open_h5(path, "Hessian part") as source:
                dataset[attrs["row_start"] : attrs["row_stop"]] = source[HESSIAN_DATASET][()]
        set_attrs(
            handle,
            {**shared, "part": 0, "parts": 1, "row_start": 0, "row_stop": dim,
             "gathered_from_parts": len(parts)},
        )  # fmt: skip
        record_symmetry(handle)


def _checked_dataset(handle: h5py.File, path, attrs: dict[str, Any]) -> h5py.Dataset:
    if HESSIAN_DATASET not in handle:
        raise ArtefactError(f"Hessian file {path} has no dataset '{HESSIAN_DATASET}'")
    dataset = handle[HESSIAN_DATASET]
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
    return dataset


class HessianFile:
    """A complete stored matrix, open for reading: on entry the file is opened, its
    attributes (`attrs`, its provenance) read and its layout checked, once; `row_slabs`
    and `load` read through that handle. A read that fails inside the `with` block (bytes
    that fail their checksum, a damaged file) is an ArtefactError naming the file."""

    attrs: dict[str, Any]

    def __init__(self, path: str | os.PathLike):
        self.path = path

    def __enter__(self) -> HessianFile:
        with ExitStack() as stack:
            handle = stack.enter_context(open_h5(self.path, "Hessian"))
            self.attrs = attrs_dict(handle)
            self._dataset = _checked_dataset(handle, self.path, self.attrs)
            self._stack = stack.pop_all()
        return self

    def __exit__(self, *exc_info) -> bool:
        return self._stack.__exit__(*exc_info)

    def row_slabs(self, slab_bytes: int = SLAB_BYTES) -> Iterator[tuple[int, np.ndarray]]:
        """The rows, (first row, float64 rows) a slab at a time, for readers that never
        hold the whole matrix; a slab with a NaN or infinite entry is refused."""
        dim = self._dataset.shape[0]
        slab = max(1, slab_bytes // (8 * dim))
        for start in range(0, dim, slab):
            rows = self._dataset[start : start + slab]
            if not np.isfinite(rows).all():
                raise ArtefactError(
                    f"Hessian file {self.path}: dataset '{HESSIAN_DATASET}' holds NaN or "
                    f"infinite values (rows {start}..{start + len(rows) - 1})"
                )
            yield start, rows

    def load(
        self, dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu"
    ) -> torch.Tensor:
        """The matrix as a `dtype` tensor on `device`, read in row slabs, so that no second
        full-size copy is made (a float32 load of a float64 file takes half the memory of
        the file); refused if it is less symmetric than when it was written."""
        out = None
        for start, rows in self.row_slabs():
            if out is None:
                out = torch.empty((rows.shape[1],) * 2, dtype=dtype, device=device)
            out[start : start + len(rows)] = torch.from_numpy(rows)
        recorded = self.attrs.get("symmetry_error")
        if recorded is not None:
            _check_symmetry(out, float(recorded), self.path)
        return out


def read_attrs(path) -> dict[str, Any]:
    """A Hessian file's attributes (its provenance), after checking its layout."""
    with HessianFile(path) as stored:
        return stored.attrs


def load(
    path, dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """A complete matrix as a `dtype` tensor on `device` (`HessianFile.load`)."""
    with HessianFile(path) as stored:
        return stored.load(dtype, device)


def read(path) -> tuple[np.ndarray, dict[str, Any]]:
    """A complete float64 matrix as a numpy array, with its attributes."""
    with HessianFile(path) as stored:
        return stored.load().numpy(), stored.attrs


def loaded_symmetry_error(matrix: torch.Tensor) -> float:
    """max |A - A^T| / max |A| of a matrix in memory, a panel of rows at a time (no second
    full-size copy)."""
    dim = matrix.shape[0]
    panel = max(1, SLAB_BYTES // (matrix.element_size() * dim))
    worst, largest = 0.0, 0.0
    for start in range(0, dim, panel):
        stop = min(dim, start + panel)
        largest = max(largest, float(matrix[start:stop].abs().max()))
        difference = matrix[start:stop, start:] - matrix[start:, start:stop].T
        worst = max(worst, float(difference.abs().max()))
    return worst / largest if largest > 0 else 0.0


def _check_symmetry(matrix: torch.Tensor, recorded: float, path) -> None:
    """The loaded matrix is as symmetric as the one written, to the loaded precision's
    round-off (a float32 copy of two float64 mirror entries may differ by one unit)."""
    allowed = recorded + 2 * torch.finfo(matrix.dtype).eps
    error = loaded_symmetry_error(matrix)
    if error > allowed:
        raise ArtefactError(
            f"Hessian file {path}: max|H - H^T| / max|H| = {error:.3e} on reading, but "
            f"{recorded:.3e} when written: its contents changed since; delete it to rebuild it"
        )
