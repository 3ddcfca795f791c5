"""The dense curvature-matrix file: one owner for its layout, the join of its parts and its
readers (`assembly` fills it).

Layout. Dataset `hessian` holds rows `row_start`..`row_stop` (attributes) of an M x M
float64 matrix, chunked by whole rows (a divisor of the block size, so a block writes whole
chunks) with a Fletcher-32 checksum per chunk; `blocks_done` marks which row blocks are
written. A complete single-part file holds all M rows and records its symmetry error
max|H - H^T| / max|H| (`SymmetryCheck`), computed from the rows while they are in memory
(as they are assembled, or as the parts are joined), never by reading the file back. The
layout is the same whichever device computed the rows.

Reading. `HessianFile` opens a complete file once, checks its layout and reads its
attributes once; its rows are then read through that handle. `load` reads them once, in
large slabs, into the matrix and checks the matrix in memory: finite, and as symmetric as
recorded.
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

from . import storage
from .resources import chunk_rows, slab_rows, symmetry_bands
from .storage import CHECKSUMMED, ArtefactError, atomic_path, attrs_dict, open_h5, set_attrs

LOG = logging.getLogger(__name__)

HESSIAN_DATASET = "hessian"
BLOCKS_DONE_DATASET = "blocks_done"
PART_KEYS = ("part", "row_start", "row_stop")
SLAB_BYTES = 512 << 20  # rows read at a time by the readers


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


class SymmetryCheck:
    """The symmetry error of an M x M matrix whose rows are `add`ed in order, computed on
    `device` from the rows while they are in memory: no file is read for it.

    What is compared: max_ij |H_ij - H_ji| / max_ij |H_ij| over all the entries as stored
    (0 for a zero matrix). Each pair i < j is compared once, when row j is added, against
    H_ij kept from row i: the rows are cut into bands (`resources.symmetry_bands`) and,
    while band J is added, the rows of bands 0..J are kept in the columns of bands J..
    (`resources.symmetry_check_mb`: a quarter of the matrix and a little more), copied, or
    as views of rows the caller keeps in memory (`copy=False`). A difference of two floats
    is rounded once and a maximum does not depend on the order, so the number is the same,
    bit for bit, whatever the row ranges, the device or the order of the comparisons. A row
    with a NaN or infinite entry is refused as it is added (`error` naming `name`).
    """

    def __init__(self, dim: int, device="cpu", name="matrix", error=ArithmeticError):
        self.dim, self.device, self.name, self._error = dim, torch.device(device), name, error
        self.bounds, self.next_row = symmetry_bands(dim), 0
        self._kept: dict[tuple[int, int], torch.Tensor] = {}
        self._worst = self._largest = torch.zeros((), dtype=torch.float64, device=self.device)

    def add(self, rows: torch.Tensor | np.ndarray, copy: bool = True) -> None:
        """Rows `next_row`.. of the matrix, all M columns."""
        rows = torch.as_tensor(rows).to(self.device)
        start, stop = self.next_row, self.next_row + len(rows)
        if rows.ndim != 2 or rows.shape[1] != self.dim or stop > self.dim:
            raise ValueError(f"rows of shape {tuple(rows.shape)} after {start} rows of an "
                             f"M = {self.dim} matrix")  # fmt: skip
        largest = storage.require_finite_rows(rows, start, self.name, self._error)
        self._largest = torch.maximum(self._largest, largest)
        bands = list(zip(self.bounds, self.bounds[1:], strict=False))
        for band, (b0, b1) in enumerate(bands):
            first, last = max(start, b0), min(stop, b1)
            if first < last:
                segment = rows[first - start : last - start]
                self._compare(band, first, segment)
                for later, (c0, c1) in enumerate(bands[band:], start=band):
                    if not copy and (first, last) == (b0, b1):
                        self._kept[band, later] = segment[:, c0:c1]
                        continue
                    if (band, later) not in self._kept:
                        self._kept[band, later] = rows.new_empty(b1 - b0, c1 - c0)
                    self._kept[band, later][first - b0 : last - b0] = segment[:, c0:c1]
            if first < last == b1:  # every pair in this band's columns is compared
                for earlier in range(band + 1):
                    del self._kept[earlier, band]
        self.next_row = stop

    def _compare(self, band: int, first: int, segment: torch.Tensor) -> None:
        """The pairs within the segment, and H_ij of the earlier rows i (kept) against H_ji
        of the segment's rows j."""
        last, b0 = first + len(segment), self.bounds[band]
        pairs = [(segment[:, first:last], segment[:, first:last])]
        for earlier in range(band + 1):
            e0 = self.bounds[earlier]
            if (kept := min(self.bounds[earlier + 1], first) - e0) > 0:
                above = self._kept[earlier, band][:kept, first - b0 : last - b0]
                pairs.append((above, segment[:, e0 : e0 + kept]))
        for above, below in pairs:  # above[i, j] = H_ij, below[j, i] = H_ji
            worst = storage.largest_entry(above - below.T).to(torch.float64)
            self._worst = torch.maximum(self._worst, worst)

    @property
    def error(self) -> float:
        if self.next_row != self.dim:
            raise ValueError(f"the symmetry error needs all {self.dim} rows, not {self.next_row}")
        worst, largest = float(self._worst), float(self._largest)
        return worst / largest if largest > 0 else 0.0

    def record(self, handle: h5py.File) -> None:
        """Record the error of the complete matrix in `handle`, which every load checks."""
        handle.attrs["symmetry_error"] = self.error
        LOG.info("symmetry error max|H - H^T| / max|H| = %.3e", self.error)


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
    check = SymmetryCheck(dim, error=ArtefactError)
    with atomic_path(output) as tmp, h5py.File(tmp, "w") as handle:
        dataset = create(handle, rows=dim, dim=dim, block_size=shared["block_size"])
        for path in parts:
            check.name = f"Hessian part {path}"
            with open_h5(path, "Hessian part") as source:
                rows = source[HESSIAN_DATASET]
                step = slab_rows(dim, rows.chunks[0], SLAB_BYTES)
                for start in range(0, len(rows), step):
                    slab = rows[start : start + step]
                    dataset[check.next_row : check.next_row + len(slab)] = slab
                    check.add(slab)
        set_attrs(
            handle,
            {**shared, "part": 0, "parts": 1, "row_start": 0, "row_stop": dim,
             "gathered_from_parts": len(parts)},
        )  # fmt: skip
        check.record(handle)


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
        self.path, self._name = path, f"Hessian file {path}: dataset '{HESSIAN_DATASET}'"

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
            storage.require_finite_rows(torch.from_numpy(rows), start, self._name, ArtefactError)
            yield start, rows

    def load(
        self, dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu"
    ) -> torch.Tensor:
        """The matrix as a `dtype` tensor on `device`, its rows read once, in slabs of
        whole chunks: straight into the matrix where it is float64 on the CPU, else through
        one slab buffer (a float32 load of a float64 file takes half the memory of the
        file). Then checked in memory: refused if an entry is NaN or infinite, or if the
        matrix is less symmetric than when it was written."""
        dim = self._dataset.shape[0]
        out = torch.empty((dim, dim), dtype=dtype, device=device)
        direct = out.dtype == torch.float64 and out.device.type == "cpu"
        step = slab_rows(dim, (self._dataset.chunks or [1])[0], SLAB_BYTES)
        buffer = None if direct else np.empty((min(step, dim), dim))
        for start in range(0, dim, step):
            rows = np.s_[start : min(dim, start + step)]
            if direct:
                self._dataset.read_direct(out.numpy(), rows, rows)
            else:
                slab = buffer[: rows.stop - start]
                self._dataset.read_direct(slab, rows)
                out[rows] = torch.from_numpy(slab)
        check = SymmetryCheck(dim, out.device, self._name, ArtefactError)
        for b0, b1 in zip(check.bounds, check.bounds[1:], strict=False):
            check.add(out[b0:b1], copy=False)
        error, recorded = check.error, self.attrs.get("symmetry_error")
        if recorded is not None and error > float(recorded) + 2 * torch.finfo(dtype).eps:
            # A float32 copy of two float64 mirror entries may differ by one unit.
            raise ArtefactError(
                f"Hessian file {self.path}: max|H - H^T| / max|H| = {error:.3e} on reading, "
                f"but {recorded:.3e} when written: its contents changed since; delete it to "
                "rebuild it"
            )
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
