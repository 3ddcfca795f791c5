"""The dense curvature-matrix file: one owner for its layout, assembly, joins and reading.

Layout. Dataset `hessian` holds rows `row_start`..`row_stop` (attributes) of an M x M
float64 matrix, chunked by whole rows (a divisor of the block size, so a block writes whole
chunks); `blocks_done` marks which row blocks are written. A complete single-part file
holds all M rows and records its symmetry error max|H - H^T| / max|H|. The layout is the
same whichever device computed the rows.

Assembly is resumable: work in progress lives in `<path>.partial`, each block is flushed as
soon as it is written, and a rerun with the same identity (checkpoint, block size, part)
continues from the completed blocks. Only a complete file is renamed onto `path`.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch

from . import jobs
from .curvature import CurvatureOperator
from .resources import symmetry_check_mb
from .storage import (
    CHECKSUMMED,
    ArtefactError,
    atomic_path,
    attr_value,
    attrs_dict,
    open_h5,
    set_attrs,
)

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


def block_count(dim: int, block_size: int) -> int:
    return math.ceil(dim / block_size)


def block_bounds(block: int, dim: int, block_size: int) -> tuple[int, int]:
    start = block * block_size
    return start, min(start + block_size, dim)


def part_blocks(n_blocks: int, part: int, parts: int) -> range:
    """The contiguous range of row blocks that part `part` of `parts` computes."""
    if not 0 <= part < parts:
        raise ValueError(f"part {part} is not in 0..{parts - 1}")
    return range(n_blocks * part // parts, n_blocks * (part + 1) // parts)


def _computed_blocks(
    compute: Callable[[int, int], torch.Tensor],
    blocks: list[int],
    bounds: Callable[[int], tuple[int, int]],
    workers: int,
) -> Iterator[tuple[int, torch.Tensor]]:
    """Yield (block, compute(*bounds(block))) in order; with several workers at most
    2 * workers in flight."""
    if workers <= 1:
        for block in blocks:
            yield block, compute(*bounds(block))
        return
    intra_op_threads = torch.get_num_threads()
    torch.set_num_threads(1)  # parallelism comes from the workers, one core each
    try:
        with ThreadPoolExecutor(workers, thread_name_prefix="hessian-rows") as pool:
            pending: deque = deque()
            for block in blocks:
                pending.append((block, pool.submit(compute, *bounds(block))))
                if len(pending) >= 2 * workers:
                    done_block, future = pending.popleft()
                    yield done_block, future.result()
            while pending:
                done_block, future = pending.popleft()
                yield done_block, future.result()
    finally:
        torch.set_num_threads(intra_op_threads)


def _fill_blocks(
    operator: CurvatureOperator,
    handle: h5py.File,
    blocks: range,
    *,
    block_size: int,
    workers: int,
) -> None:
    """Compute the blocks of `blocks` not yet marked done, writing and flushing each.

    A single-part assembly takes the operator's stages in order (`stage_starts`; one
    stage for most operators): a block belongs to the stage of its first row, and its
    columns before that stage's start are, by symmetry, read from the rows already written.
    """
    dataset, done = handle[HESSIAN_DATASET], handle[BLOCKS_DONE_DATASET]
    marked = done[()]
    row_offset = blocks.start * block_size
    todo = [b for b in blocks if not marked[b - blocks.start]]
    if not todo:
        return
    dim = operator.dim
    if operator.device.type != "cpu":
        workers = 1  # one device: its kernels are the parallelism
    single_part = len(blocks) == block_count(dim, block_size)
    starts = operator.stage_starts if single_part else [0]
    first_blocks = [block_count(start, block_size) for start in starts] + [blocks.stop]
    LOG.info(
        "computing %d of %d row blocks (block size %d, %s rows on %s, %d worker(s), "
        "stages from rows %s)",
        len(todo), len(marked), block_size, operator.engine, operator.device, workers, starts,
    )  # fmt: skip
    started = last_report = time.perf_counter()
    count = 0
    for stage, start in enumerate(starts):
        stage_blocks = [b for b in todo if first_blocks[stage] <= b < first_blocks[stage + 1]]
        if not stage_blocks:
            continue
        compute = _stage_block_rows(operator, dataset, stage, start)
        for block, rows in _computed_blocks(
            compute, stage_blocks, lambda b: block_bounds(b, dim, block_size), workers
        ):
            row_start, row_stop = block_bounds(block, dim, block_size)
            dataset[row_start - row_offset : row_stop - row_offset] = rows.cpu().numpy()
            done[block - blocks.start] = True
            handle.flush()
            count += 1
            now = time.perf_counter()
            if now - last_report >= 20 or count == len(todo):
                last_report = now
                elapsed = now - started
                LOG.info(
                    "block %d/%d (stage %d), %.1f rows/s, %.0f s elapsed",
                    count, len(todo), stage, count * block_size / elapsed, elapsed,
                )  # fmt: skip


def _stage_block_rows(
    operator: CurvatureOperator, dataset: h5py.Dataset, stage: int, start: int
) -> Callable[[int, int], torch.Tensor]:
    """Rows of stage `stage`: columns from `start` on from `operator.stage_rows`, those
    before it the transpose of rows 0..start-1, already in `dataset` (read once)."""
    if start == 0:
        return lambda first, stop: operator.stage_rows(stage, first, stop)
    cross = torch.from_numpy(dataset[:start, start:]).to(operator.device)

    def compute(first: int, stop: int) -> torch.Tensor:
        out = torch.empty(stop - first, operator.dim, dtype=torch.float64, device=operator.device)
        out[:, start:] = operator.stage_rows(stage, first, stop)
        out[:, :start] = cross[:, first - start : stop - start].T
        return out

    return compute


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


def _record_symmetry(handle: h5py.File) -> None:
    dataset = handle[HESSIAN_DATASET]
    dim = dataset.shape[1]
    slab_rows = (symmetry_check_mb(dim) << 20) // (2 * 8 * dim)
    with jobs.heartbeat("symmetry check"):
        error = symmetry_error(dataset, max(1, min(dim, slab_rows)))
    handle.attrs["symmetry_error"] = error
    LOG.info("symmetry error max|H - H^T| / max|H| = %.3e", error)


def _matches(path: Path, identity: Mapping[str, Any]) -> bool:
    try:
        with h5py.File(path, "r") as handle:
            stored = attrs_dict(handle)
    except OSError:
        return False
    return all(stored.get(key) == attr_value(value) for key, value in identity.items())


def assemble(
    operator: CurvatureOperator,
    path: str | os.PathLike,
    *,
    block_size: int,
    attrs: Mapping[str, Any],
    workers: int = 1,
    part: int = 0,
    parts: int = 1,
) -> None:
    """Build the operator's matrix, or part `part` of `parts` of its rows, into `path`.

    `attrs` should identify the point (e.g. the checkpoint's hash): a partial file of
    another point, block size or part is discarded rather than resumed. Parts are joined by
    `gather`.
    """
    path = Path(path)
    dim = operator.dim
    blocks = part_blocks(block_count(dim, block_size), part, parts)
    row_start = blocks.start * block_size
    row_stop = min(blocks.stop * block_size, dim)
    partial = path.with_name(path.name + ".partial")
    identity = {
        **attrs, "parameter_count": dim, "block_size": block_size, "dtype": "float64",
        "part": part, "parts": parts, "row_start": row_start, "row_stop": row_stop,
    }  # fmt: skip
    if partial.exists() and not _matches(partial, identity):
        LOG.info("discarding %s: it belongs to another checkpoint or layout", partial)
        partial.unlink()
    if partial.exists():
        LOG.info("resuming %s", partial)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        with h5py.File(partial, "w") as handle:
            rows = chunk_rows(dim, block_size)
            handle.create_dataset(
                HESSIAN_DATASET,
                shape=(row_stop - row_start, dim),
                dtype="float64",
                chunks=(min(rows, max(1, row_stop - row_start)), dim),
                fletcher32=True,
            )
            handle.create_dataset(
                BLOCKS_DONE_DATASET, shape=(len(blocks),), dtype=bool, **CHECKSUMMED
            )
            set_attrs(handle, identity)
    with h5py.File(partial, "r+") as handle:
        _fill_blocks(operator, handle, blocks, block_size=block_size, workers=workers)
        if parts == 1:
            _record_symmetry(handle)
    os.replace(partial, path)


def gather(part_paths: Iterable[str | os.PathLike], output: str | os.PathLike) -> None:
    """Join the row parts written by `assemble(part=i, parts=S)` into one matrix.

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
        rows = chunk_rows(dim, shared["block_size"])
        dataset = handle.create_dataset(
            HESSIAN_DATASET, shape=(dim, dim), dtype="float64", chunks=(rows, dim), fletcher32=True
        )
        for path, attrs in zip(parts, infos, strict=True):
            with open_h5(path, "Hessian part") as source:
                dataset[attrs["row_start"] : attrs["row_stop"]] = source[HESSIAN_DATASET][()]
        set_attrs(
            handle,
            {**shared, "part": 0, "parts": 1, "row_start": 0, "row_stop": dim,
             "gathered_from_parts": len(parts)},
        )  # fmt: skip
        _record_symmetry(handle)


def _checked_dataset(handle: h5py.File, path) -> h5py.Dataset:
    if HESSIAN_DATASET not in handle:
        raise ArtefactError(f"Hessian file {path} has no dataset '{HESSIAN_DATASET}'")
    dataset = handle[HESSIAN_DATASET]
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
    return dataset


def read_attrs(path) -> dict[str, Any]:
    """A Hessian file's attributes (its provenance), after checking its layout."""
    with open_h5(path, "Hessian") as handle:
        _checked_dataset(handle, path)
        return attrs_dict(handle)


def row_slabs(path, slab_bytes: int = SLAB_BYTES) -> Iterator[tuple[int, np.ndarray]]:
    """A complete matrix's rows, (first row, float64 rows) a slab at a time, for readers
    that never hold the whole matrix. Refused, naming the file: bytes that fail their
    checksum and non-finite entries."""
    with open_h5(path, "Hessian") as handle:
        dataset = _checked_dataset(handle, path)
        dim = dataset.shape[0]
        slab = max(1, slab_bytes // (8 * dim))
        for start in range(0, dim, slab):
            rows = dataset[start : start + slab]
            if not np.isfinite(rows).all():
                raise ArtefactError(
                    f"Hessian file {path}: dataset '{HESSIAN_DATASET}' holds NaN or infinite "
                    f"values (rows {start}..{start + len(rows) - 1})"
                )
            yield start, rows


def load(
    path, dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """A complete matrix as a `dtype` tensor on `device`, read in row slabs, so that no
    second full-size copy is made (a float32 load of a float64 file takes half the memory
    of the file). Refused, naming the file: bytes that fail their checksum, non-finite
    entries, and a matrix less symmetric than when it was written."""
    out = None
    for start, rows in row_slabs(path):
        if out is None:
            out = torch.empty((rows.shape[1],) * 2, dtype=dtype, device=device)
        out[start : start + len(rows)] = torch.from_numpy(rows)
    recorded = read_attrs(path).get("symmetry_error")
    if recorded is not None:
        _check_symmetry(out, float(recorded), path)
    return out


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


def read(path) -> tuple[np.ndarray, dict[str, Any]]:
    """A complete float64 matrix as a numpy array, with its attributes."""
    return load(path).numpy(), read_attrs(path)
