"""The assembly of a dense curvature matrix into its file (`hessian_file`), a block of rows
at a time: in worker threads, stage by stage where the operator has stages, all rows or one
part of them.

Assembly is resumable: work in progress lives in `<path>.partial`, each block is flushed as
soon as it is written, and a rerun with the same identity (attributes, block size, part)
continues from the completed blocks. Only a complete file is renamed onto `path`.

A whole matrix's symmetry error and the finiteness of its rows are checked from the rows
as they are computed, on their device (`hessian_file.SymmetryCheck`): the file is never
read back for it (a resumed assembly reads back only the blocks an earlier job wrote).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import h5py
import torch

from . import hessian_file, storage
from .curvature import CurvatureOperator
from .hessian_file import BLOCKS_DONE_DATASET, HESSIAN_DATASET
from .resources import symmetry_check_mb
from .storage import attr_value, attrs_dict, set_attrs

LOG = logging.getLogger(__name__)


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
    check: hessian_file.SymmetryCheck | None,
) -> None:
    """Compute the blocks of `blocks` not yet marked done, writing and flushing each.

    Every block's rows go, in order, to the symmetry `check` of a whole matrix while they
    are in memory, before they are written (blocks written by an earlier, interrupted job
    are read back for it); without a check (a part), computed rows are checked finite. A
    single-part assembly takes the operator's stages in order (its `stage_starts`): a
    block belongs to the stage of its first row. A part takes whole rows (stage 0).
    """
    dataset, done = handle[HESSIAN_DATASET], handle[BLOCKS_DONE_DATASET]
    marked = done[()]
    row_offset = blocks.start * block_size
    todo = [b for b in blocks if not marked[b - blocks.start]]
    dim = operator.dim
    if operator.device.type != "cpu":
        workers = 1  # one device: its kernels are the parallelism
    starts = list(operator.stage_starts) if check is not None else [0]
    if todo:
        LOG.info(
            "computing %d of %d row blocks (block size %d, %s rows on %s, %d worker(s), "
            "stages from rows %s, symmetry checked on %s)", len(todo), len(marked), block_size,
            operator.engine, operator.device, workers, starts, check and check.device,
        )  # fmt: skip
    computed = _staged_blocks(operator, dataset, todo, starts, block_size, workers)
    started = last_report = time.perf_counter()
    count = 0
    for block in blocks:
        row_start, row_stop = block_bounds(block, dim, block_size)
        rows_here = slice(row_start - row_offset, row_stop - row_offset)
        if marked[block - blocks.start]:
            if check is not None:
                check.add(dataset[rows_here])
            continue
        computed_block, rows = next(computed)
        assert computed_block == block, (computed_block, block)
        host = rows.cpu()
        if check is not None:
            check.add(rows if rows.device == check.device else host)
        else:
            storage.require_finite_rows(rows, row_start, f"the Hessian part in {handle.filename}")
        dataset[rows_here] = host.numpy()
        done[block - blocks.start] = True
        handle.flush()
        count += 1
        now = time.perf_counter()
        if now - last_report >= 20 or count == len(todo):
            last_report = now
            elapsed = now - started
            LOG.info(
                "block %d/%d, %.1f rows/s, %.0f s elapsed",
                count, len(todo), count * block_size / elapsed, elapsed,
            )  # fmt: skip


def _staged_blocks(
    operator: CurvatureOperator,
    dataset: h5py.Dataset,
    todo: list[int],
    starts: list[int],
    block_size: int,
    workers: int,
) -> Iterator[tuple[int, torch.Tensor]]:
    """(block, rows) of the blocks `todo`, in order, stage by stage: a stage's rows are
    asked for once the blocks before it are written (its columns before its start are
    theirs)."""
    dim = operator.dim
    first_blocks = [block_count(start, block_size) for start in starts] + [math.inf]
    for stage, start in enumerate(starts):
        stage_blocks = [b for b in todo if first_blocks[stage] <= b < first_blocks[stage + 1]]
        if stage_blocks:
            compute = _stage_block_rows(operator, dataset, stage, start)
            yield from _computed_blocks(
                compute, stage_blocks, lambda b: block_bounds(b, dim, block_size), workers
            )


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
    another point, block size or part is discarded rather than resumed. A whole matrix
    records its symmetry error (`hessian_file.SymmetryCheck`, from the rows as they are
    computed); parts are joined by `hessian_file.gather`, which checks the whole.
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
            hessian_file.create(
                handle, rows=row_stop - row_start, dim=dim, block_size=block_size,
                blocks=len(blocks),
            )  # fmt: skip
            set_attrs(handle, identity)
    check = None
    if parts == 1:
        check = hessian_file.SymmetryCheck(dim, _check_device(operator), f"the matrix of {path}")
    with h5py.File(partial, "r+") as handle:
        _fill_blocks(operator, handle, blocks, block_size=block_size, workers=workers, check=check)
        if check is not None:
            check.record(handle)
    os.replace(partial, path)


def _check_device(operator: CurvatureOperator) -> torch.device:
    """Where the symmetry check keeps its entries: on the GPU that computes the rows where
    they take at most a quarter of its free memory, else in the job's memory (declared:
    `resources.hessian_job_mem_mb`)."""
    if operator.device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(operator.device)
        if 4 * (symmetry_check_mb(operator.dim) << 20) <= free:
            return operator.device
    return torch.device("cpu")
