"""Exact Hessians of the mean training loss, from Hessian-vector products.

The loss is a function of one flat float64 parameter vector. Its gradient graph is built
once (`create_graph=True`); each Hessian row is then one more backward pass through that
graph (Pearlmutter's exact product with a unit vector), so the matrix is exact to float64
round-off. Rows come in blocks, any range of blocks can be built on its own, and a block
is written to HDF5 as soon as it is done, which makes an interrupted assembly resumable.

Why rows by double backward and not `vmap`: measured on the M = 5,510 blob net (2 cores),
a `vmap` of forward-over-reverse products over blocks of 8-256 unit vectors spends most of
its time in element-wise kernels on (block x N x k) tensors and takes 7-10 s, whereas one
backward pass per row, spread over one graph per worker thread, takes about 5.5 s
(`benchmarks/hessian_engines.py` compares them).
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from .data import Split
from .storage import (
    BLOCKS_DONE_DATASET,
    HESSIAN_DATASET,
    ArtefactError,
    atomic_path,
    attrs_dict,
    hessian_chunk_rows,
    set_attrs,
)

LOG = logging.getLogger(__name__)

LossFunction = Callable[[torch.Tensor], torch.Tensor]


class FlatModel:
    """A module seen as a function of one flat parameter vector (in `parameters()` order)."""

    def __init__(self, model: nn.Module):
        self.model = model
        self.names = [name for name, _ in model.named_parameters()]
        self.shapes = [param.shape for param in model.parameters()]
        self.sizes = [param.numel() for param in model.parameters()]
        self.dim = sum(self.sizes)

    def flatten(self) -> torch.Tensor:
        """The module's current parameters as one detached vector."""
        return torch.cat([p.detach().reshape(-1) for p in self.model.parameters()])

    def load(self, theta: torch.Tensor) -> None:
        """Copy a flat vector into the module's parameters."""
        with torch.no_grad():
            for param, piece in zip(self.model.parameters(), theta.split(self.sizes), strict=True):
                param.copy_(piece.view_as(param))

    def __call__(self, theta: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        pieces = theta.split(self.sizes)
        params = {
            name: piece.view(shape)
            for name, piece, shape in zip(self.names, pieces, self.shapes, strict=True)
        }
        return functional_call(self.model, params, (inputs,))


def mean_cross_entropy(
    flat_model: FlatModel, data: Split, chunk_size: int | None = None
) -> LossFunction:
    """theta -> mean softmax cross-entropy over `data` (Eq. 1 of the paper).

    The data are processed in chunks of `chunk_size` samples, each weighted by n_b / N, so
    the value (and every derivative) is that of the full mean however it is chunked.
    """
    n = len(data)
    step = n if chunk_size is None else max(1, int(chunk_size))
    chunks = [(data.x[i : i + step], data.y[i : i + step]) for i in range(0, n, step)]

    def loss(theta: torch.Tensor) -> torch.Tensor:
        total = theta.new_zeros(())
        for inputs, targets in chunks:
            total = total + F.cross_entropy(flat_model(theta, inputs), targets, reduction="sum")
        return total / n

    return loss


class RowOperator:
    """A symmetric curvature matrix at a point, computed row by row from autograd graphs.

    Each thread that asks for rows builds its own graph once (`_build`) and reuses it, so
    rows can be computed concurrently (one graph per worker thread). Graphs are built one
    at a time: `functional_call` swaps a module's parameters while it runs, which is not
    thread-safe; the backward passes through a finished graph are.
    """

    def __init__(self, theta: torch.Tensor):
        self.theta = theta.detach().to(torch.float64)
        self.dim = self.theta.numel()
        self._local = threading.local()
        self._build_lock = threading.Lock()

    def _build(self, leaf: torch.Tensor) -> Any:
        raise NotImplementedError

    def _product(self, leaf: torch.Tensor, graph: Any, vector: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _row(self, leaf: torch.Tensor, graph: Any, index: int) -> torch.Tensor:
        unit = torch.zeros(self.dim, dtype=torch.float64)
        unit[index] = 1.0
        return self._product(leaf, graph, unit)

    def _graph(self) -> tuple[torch.Tensor, Any]:
        if not hasattr(self._local, "graph"):
            leaf = self.theta.clone().requires_grad_(True)
            with self._build_lock:
                self._local.graph = (leaf, self._build(leaf))
        return self._local.graph

    def rows(self, start: int, stop: int) -> torch.Tensor:
        """Rows start..stop-1 (equal to the columns: the matrix is symmetric)."""
        leaf, graph = self._graph()
        out = torch.empty(stop - start, self.dim, dtype=torch.float64)
        for offset, index in enumerate(range(start, stop)):
            out[offset] = self._row(leaf, graph, index)
        return out

    def matvec(self, vector: torch.Tensor) -> torch.Tensor:
        leaf, graph = self._graph()
        return self._product(leaf, graph, vector)

    def dense(self) -> torch.Tensor:
        """The whole matrix in memory (small problems and tests)."""
        return self.rows(0, self.dim)


class HessianOperator(RowOperator):
    """The exact Hessian of a scalar function: rows are backward passes through its gradient
    graph (Pearlmutter's product with a unit vector)."""

    def __init__(self, loss: LossFunction, theta: torch.Tensor):
        super().__init__(theta)
        self.loss = loss

    def _build(self, leaf):
        (gradient,) = torch.autograd.grad(self.loss(leaf), leaf, create_graph=True)
        return gradient

    def _product(self, leaf, gradient, vector):
        (product,) = torch.autograd.grad(gradient @ vector, leaf, retain_graph=True)
        return product

    def _row(self, leaf, gradient, index):
        (row,) = torch.autograd.grad(gradient[index], leaf, retain_graph=True)
        return row


class GaussNewtonOperator(RowOperator):
    """The generalised Gauss-Newton term of the mean softmax cross-entropy (Eq. 4):

        G = (1/N) sum_i J_i^T (diag p_i - p_i p_i^T) J_i,

    with J_i the Jacobian of the logits of sample i and p_i its softmax. G v is exact:
    J v comes from a backward pass through J^T u (the double-vjp trick), the curvature of
    the loss in the logits is applied per sample, and J^T from one more backward pass.
    """

    def __init__(self, flat_model: FlatModel, data: Split, theta: torch.Tensor):
        super().__init__(theta)
        self.flat_model = flat_model
        self.data = data

    def _build(self, leaf):
        logits = self.flat_model(leaf, self.data.x)
        dual = torch.zeros_like(logits, requires_grad=True)
        (transposed,) = torch.autograd.grad(logits, leaf, grad_outputs=dual, create_graph=True)
        return logits, dual, transposed, torch.softmax(logits.detach(), dim=1)

    def _product(self, leaf, graph, vector):
        logits, dual, transposed, probs = graph
        (jacobian_vector,) = torch.autograd.grad(
            transposed, dual, grad_outputs=vector, retain_graph=True
        )
        curved = probs * jacobian_vector
        curved = (curved - probs * curved.sum(dim=1, keepdim=True)) / len(self.data)
        (product,) = torch.autograd.grad(logits, leaf, grad_outputs=curved, retain_graph=True)
        return product


def block_count(dim: int, block_size: int) -> int:
    return math.ceil(dim / block_size)


def block_bounds(block: int, dim: int, block_size: int) -> tuple[int, int]:
    start = block * block_size
    return start, min(start + block_size, dim)


def _computed_blocks(
    operator: RowOperator, blocks: list[int], block_size: int, workers: int
) -> Iterator[tuple[int, torch.Tensor]]:
    """Yield (block, rows) in order; with several workers at most 2 * workers in flight."""
    if workers <= 1:
        for block in blocks:
            yield block, operator.rows(*block_bounds(block, operator.dim, block_size))
        return
    intra_op_threads = torch.get_num_threads()
    torch.set_num_threads(1)  # parallelism comes from the workers, one core each
    try:
        with ThreadPoolExecutor(workers, thread_name_prefix="hessian-rows") as pool:
            pending: deque = deque()
            todo = iter(blocks)
            for block in todo:
                bounds = block_bounds(block, operator.dim, block_size)
                pending.append((block, pool.submit(operator.rows, *bounds)))
                if len(pending) >= 2 * workers:
                    done_block, future = pending.popleft()
                    yield done_block, future.result()
            while pending:
                done_block, future = pending.popleft()
                yield done_block, future.result()
    finally:
        torch.set_num_threads(intra_op_threads)


def fill_blocks(
    operator: RowOperator,
    dataset: h5py.Dataset,
    done: h5py.Dataset,
    blocks: Iterable[int],
    *,
    block_size: int,
    workers: int = 1,
    first_block: int = 0,
) -> None:
    """Compute the listed row blocks that `done` does not mark, writing each as it comes.

    `dataset` holds the rows of the matrix from block `first_block` on (all M rows when it
    is 0); `done[b - first_block]` is set and the file flushed after block b is written, so
    an interruption loses at most the blocks in flight.
    """
    marked = done[()]
    row_offset = first_block * block_size
    todo = [b for b in blocks if not marked[b - first_block]]
    total = len(todo)
    if total == 0:
        return
    LOG.info(
        "computing %d of %d row blocks (block size %d, %d worker(s))",
        total,
        len(marked),
        block_size,
        workers,
    )
    started = time.perf_counter()
    report_every = max(1, total // 20)
    for count, (block, rows) in enumerate(
        _computed_blocks(operator, todo, block_size, workers), start=1
    ):
        start, stop = block_bounds(block, operator.dim, block_size)
        dataset[start - row_offset : stop - row_offset] = rows.cpu().numpy()
        done[block - first_block] = True
        dataset.file.flush()
        if count % report_every == 0 or count == total:
            elapsed = time.perf_counter() - started
            LOG.info(
                "block %d/%d, %.1f rows/s, %.0f s left",
                count,
                total,
                count * block_size / elapsed,
                elapsed / count * (total - count),
            )


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


def part_blocks(n_blocks: int, part: int, parts: int) -> range:
    """The contiguous range of row blocks that part `part` of `parts` computes."""
    if not 0 <= part < parts:
        raise ValueError(f"part {part} is not in 0..{parts - 1}")
    return range(n_blocks * part // parts, n_blocks * (part + 1) // parts)


def assemble_hessian(
    operator: RowOperator,
    path: str | os.PathLike,
    *,
    block_size: int,
    attrs: Mapping[str, Any],
    workers: int = 1,
    part: int = 0,
    parts: int = 1,
    memory_budget_bytes: int = 512 << 20,
) -> None:
    """Build the matrix, or part `part` of `parts` of its rows, into `path`.

    The dataset `hessian` holds rows `row_start`..`row_stop` (attributes) of the M x M
    float64 matrix, chunked by rows; with `parts` = 1 that is the whole matrix, and its
    symmetry error is recorded. Parts are joined by `gather_hessian`.

    Work in progress lives in `<path>.partial`. A rerun with the same `attrs` (which should
    identify the checkpoint, e.g. by its hash), block size and part resumes from its
    completed blocks and gives the same matrix; a partial file of anything else is
    discarded. Only a complete file is renamed to `path`.
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
    if partial.exists() and not _resumable(partial, identity):
        LOG.info("discarding %s: it belongs to another checkpoint or layout", partial)
        partial.unlink()
    if partial.exists():
        LOG.info("resuming %s", partial)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        with h5py.File(partial, "w") as handle:
            chunk_rows = hessian_chunk_rows(dim, block_size)
            handle.create_dataset(
                HESSIAN_DATASET,
                shape=(row_stop - row_start, dim),
                dtype="float64",
                chunks=(min(chunk_rows, max(1, row_stop - row_start)), dim),
            )
            handle.create_dataset(BLOCKS_DONE_DATASET, shape=(len(blocks),), dtype=bool)
            set_attrs(handle, identity)

    with h5py.File(partial, "r+") as handle:
        fill_blocks(
            operator,
            handle[HESSIAN_DATASET],
            handle[BLOCKS_DONE_DATASET],
            blocks,
            block_size=block_size,
            workers=workers,
            first_block=blocks.start,
        )
        if parts == 1:
            _record_symmetry(handle, memory_budget_bytes)
    os.replace(partial, path)


def _record_symmetry(handle: h5py.File, memory_budget_bytes: int) -> None:
    dataset = handle[HESSIAN_DATASET]
    dim = dataset.shape[1]
    slab_rows = max(1, min(dim, memory_budget_bytes // (2 * 8 * dim)))
    error = symmetry_error(dataset, slab_rows)
    handle.attrs["symmetry_error"] = error
    LOG.info("symmetry error max|H - H^T| / max|H| = %.3e", error)


PART_KEYS = ("part", "row_start", "row_stop")


def gather_hessian(
    part_paths: Iterable[str | os.PathLike],
    output: str | os.PathLike,
    *,
    memory_budget_bytes: int = 512 << 20,
) -> None:
    """Join the row parts written by `assemble_hessian(part=i, parts=S)` into one matrix.

    The parts are copied (not linked as an HDF5 virtual dataset: they are temporary files,
    and the spectrum reads the whole matrix anyway). They must come from one assembly
    (equal attributes but for the part and its rows), be complete, and cover the rows in
    order; the joined file equals the one a single job writes, with its symmetry error.
    """
    parts = [Path(path) for path in part_paths]
    infos = []
    for path in parts:
        with h5py.File(path, "r") as handle:
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
        rows = hessian_chunk_rows(dim, shared["block_size"])
        dataset = handle.create_dataset(
            HESSIAN_DATASET, shape=(dim, dim), dtype="float64", chunks=(rows, dim)
        )
        for path, attrs in zip(parts, infos, strict=True):
            with h5py.File(path, "r") as source:
                dataset[attrs["row_start"] : attrs["row_stop"]] = source[HESSIAN_DATASET][()]
        set_attrs(
            handle,
            {
                **shared,
                "part": 0,
                "parts": 1,
                "row_start": 0,
                "row_stop": dim,
                "gathered_from_parts": len(parts),
            },
        )
        _record_symmetry(handle, memory_budget_bytes)


def _resumable(partial: Path, identity: Mapping[str, Any]) -> bool:
    try:
        with h5py.File(partial, "r") as handle:
            stored = attrs_dict(handle)
            return all(stored.get(key) == _plain(value) for key, value in identity.items())
    except OSError:
        return False


def _plain(value: Any) -> Any:
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return list(value)
    return value
