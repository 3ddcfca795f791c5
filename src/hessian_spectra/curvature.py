"""Curvature operators of the mean training loss: the exact Hessian H, its Gauss-Newton
term G and the residual R = H - G, as float64 matrix-vector products and rows on the
parameters' device.

The loss is a function of one flat float64 parameter vector (`models.FlatModel`). Its
gradient graph is built once (`create_graph=True`); a product with a vector is one more
backward pass through that graph (Pearlmutter's exact product), so every row is exact to
float64 round-off. Rows come from one of two engines:

- "per-row": one backward pass per row, one graph per worker thread. Measured fastest on
  the CPU for the blob nets (`benchmarks/hessian_engines.py`): a batched backward spends
  its time in element-wise kernels on (rows x N x k) tensors there.
- "batched": a block of rows in one vectorised backward pass (`is_grads_batched`, a vmap
  over the unit vectors), so every kernel is a large batched one. The engine on CUDA; on
  the CPU it was slower for the convnet too (0.84 against 0.59 s a row, 2 cores).

`to_scipy()` bridges an operator to `scipy.sparse.linalg.LinearOperator` (numpy float64 in
and out, products on the operator's device), for matrix-free eigensolvers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .models import FlatModel
from .split import Split

LossFunction = Callable[[torch.Tensor], torch.Tensor]
ENGINES = ("per-row", "batched")


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


def default_engine(device: torch.device) -> str:
    """The row engine the benchmarks measured fastest for this device and kind of net
    (`benchmarks/hessian_engines.py`, `benchmarks/convnet_hessian.py`)."""
    return "batched" if device.type != "cpu" else "per-row"


class CurvatureOperator:
    """A symmetric curvature matrix at a point: products, rows, the dense matrix, and a
    scipy bridge, all in float64 on the point's device.

    Each thread that asks for rows builds its own graph once and reuses it, so rows can be
    computed concurrently (one graph per worker thread). Graphs are built one at a time:
    `functional_call` swaps a module's parameters while it runs, which is not thread-safe;
    the backward passes through a finished graph are.

    Staged rows. An operator declares its stages by their first rows, `stage_starts` (one
    stage, from row 0, unless a subclass declares more). `stage_rows(stage, start, stop)`
    gives rows of stage `stage` (from `stage_starts[stage]` on) in the columns from that
    stage's start on only: the columns before it are, by symmetry, the transposes of rows
    of earlier stages, which the assembly (`assembly.assemble`) fills in from the rows it
    has written. Stage 0 rows are whole rows.
    """

    stage_starts: Sequence[int] = (0,)

    def __init__(self, theta: torch.Tensor, engine: str = "per-row"):
        if engine not in ENGINES:
            raise ValueError(f"unknown row engine {engine!r}; choose one of {ENGINES}")
        self.theta = theta.detach().to(torch.float64)
        self.device = self.theta.device
        self.dim = self.theta.numel()
        self.engine = engine
        self._local = threading.local()
        self._build_lock = threading.Lock()

    def _build(self, leaf: torch.Tensor) -> Any:
        raise NotImplementedError

    def _products(self, leaf: torch.Tensor, graph: Any, vectors: torch.Tensor) -> torch.Tensor:
        """Products with each row of `vectors` ((B, M)), in one batched backward pass."""
        raise NotImplementedError

    def _row(self, leaf: torch.Tensor, graph: Any, index: int) -> torch.Tensor:
        unit = torch.zeros(1, self.dim, dtype=torch.float64, device=self.device)
        unit[0, index] = 1.0
        return self._products(leaf, graph, unit)[0]

    def _graph(self) -> tuple[torch.Tensor, Any]:
        if not hasattr(self._local, "graph"):
            leaf = self.theta.clone().requires_grad_(True)
            with self._build_lock:
                self._local.graph = (leaf, self._build(leaf))
        return self._local.graph

    def rows(self, start: int, stop: int) -> torch.Tensor:
        """Rows start..stop-1 (equal to the columns: the matrix is symmetric)."""
        leaf, graph = self._graph()
        if self.engine == "batched":
            units = torch.zeros(stop - start, self.dim, dtype=torch.float64, device=self.device)
            units[torch.arange(stop - start), torch.arange(start, stop)] = 1.0
            return self._products(leaf, graph, units)
        out = torch.empty(stop - start, self.dim, dtype=torch.float64, device=self.device)
        for offset, index in enumerate(range(start, stop)):
            out[offset] = self._row(leaf, graph, index)
        return out

    def matvec(self, vector: torch.Tensor) -> torch.Tensor:
        leaf, graph = self._graph()
        return self._products(leaf, graph, vector.reshape(1, -1))[0]

    def dense(self) -> torch.Tensor:
        """The whole matrix in memory (small problems and tests), by full rows."""
        return self.rows(0, self.dim)

    def stage_rows(self, stage: int, start: int, stop: int) -> torch.Tensor:
        """Rows start..stop-1 of stage `stage`, columns from its start on (see the class)."""
        return self.rows(start, stop)

    def to_scipy(self):
        """This operator as a `scipy.sparse.linalg.LinearOperator` on numpy float64 vectors,
        its products made on the operator's device."""
        from scipy.sparse.linalg import LinearOperator

        def product(vector: np.ndarray) -> np.ndarray:
            tensor = torch.from_numpy(np.asarray(vector, dtype=np.float64).ravel())
            return self.matvec(tensor.to(self.device)).cpu().numpy()

        return LinearOperator(
            (self.dim, self.dim), matvec=product, rmatvec=product, dtype=np.float64
        )


def _batched_grad(output, inputs, vectors: torch.Tensor) -> torch.Tensor:
    """d(output . v)/d(inputs) for each row v of `vectors`, through a kept graph."""
    if len(vectors) == 1:
        (product,) = torch.autograd.grad(output, inputs, grad_outputs=vectors[0], retain_graph=True)
        return product.unsqueeze(0)
    (products,) = torch.autograd.grad(
        output, inputs, grad_outputs=vectors, retain_graph=True, is_grads_batched=True
    )
    return products


class HessianOperator(CurvatureOperator):
    """The exact Hessian of a scalar function: products are backward passes through its
    gradient graph (Pearlmutter's product)."""

    def __init__(self, loss: LossFunction, theta: torch.Tensor, engine: str = "per-row"):
        super().__init__(theta, engine)
        self.loss = loss

    def _build(self, leaf):
        (gradient,) = torch.autograd.grad(self.loss(leaf), leaf, create_graph=True)
        return gradient

    def _products(self, leaf, gradient, vectors):
        return _batched_grad(gradient, leaf, vectors)

    def _row(self, leaf, gradient, index):
        (row,) = torch.autograd.grad(gradient[index], leaf, retain_graph=True)
        return row


class GaussNewtonOperator(CurvatureOperator):
    """The generalised Gauss-Newton term of the mean softmax cross-entropy (Eq. 4):

        G = (1/N) sum_i J_i^T (diag p_i - p_i p_i^T) J_i,

    with J_i the Jacobian of the logits of sample i and p_i its softmax. G v is exact:
    J v comes from a backward pass through J^T u (the double-vjp trick), the curvature of
    the loss in the logits is applied per sample, and J^T from one more backward pass.
    """

    def __init__(
        self, flat_model: FlatModel, data: Split, theta: torch.Tensor, engine: str = "per-row"
    ):
        super().__init__(theta, engine)
        self.flat_model = flat_model
        self.data = data

    def _build(self, leaf):
        logits = self.flat_model(leaf, self.data.x)
        dual = torch.zeros_like(logits, requires_grad=True)
        (transposed,) = torch.autograd.grad(logits, leaf, grad_outputs=dual, create_graph=True)
        return logits, dual, transposed, torch.softmax(logits.detach(), dim=1)

    def _products(self, leaf, graph, vectors):
        logits, dual, transposed, probs = graph
        jacobian_vectors = _batched_grad(transposed, dual, vectors)
        curved = probs * jacobian_vectors
        curved = (curved - probs * curved.sum(dim=-1, keepdim=True)) / len(self.data)
        return _batched_grad(logits, leaf, curved)


class ResidualOperator(CurvatureOperator):
    """The residual R = H - G of the Hessian beyond its Gauss-Newton term (Eq. 4): each
    row is a row of `hessian` minus the same row of `ggn`, so R is exactly the difference
    of the two stored matrices, bit for bit. Each operator keeps its own graph per worker
    thread."""

    def __init__(self, hessian: CurvatureOperator, ggn: GaussNewtonOperator):
        super().__init__(hessian.theta, hessian.engine)
        self.hessian, self.ggn = hessian, ggn

    def rows(self, start: int, stop: int) -> torch.Tensor:
        return self.hessian.rows(start, stop) - self.ggn.rows(start, stop)

    def matvec(self, vector: torch.Tensor) -> torch.Tensor:
        return self.hessian.matvec(vector) - self.ggn.matvec(vector)


class StagedHessian(HessianOperator):
    """The exact Hessian of the mean cross-entropy of a sequential net, with each layer's
    rows computed through the layers from that one on only.

    Stage j starts at the j-th layer with parameters; its parameters come after those of
    the stages before it (`stage_starts[j]` is the first). The part of a stage-j row in
    the columns from `stage_starts[j]` on (its `stage_rows`) is a row of the Hessian of the
    sub-network from that layer on, at the inputs the earlier layers give it, which do not
    depend on the stage's parameters. On the MNIST convnet a conv2 row then costs 0.19 s
    instead of 0.58 s, and a fully connected row about 1 ms
    (`benchmarks/convnet_hessian.py`).
    """

    def __init__(
        self, flat_model: FlatModel, data: Split, theta: torch.Tensor, engine: str = "per-row"
    ):
        super().__init__(mean_cross_entropy(flat_model, data), theta, engine)
        layers = list(flat_model.model)
        cuts = [i for i, layer in enumerate(layers) if any(True for _ in layer.parameters())]
        self.stage_starts, self._stage_hessians = [0], [self]
        inputs, offset = data.x, 0
        bounds = [0, *cuts[1:]]  # the layers of stage j, j >= 1, start at bounds[j]
        with torch.no_grad():
            for before, cut in zip(bounds[:-1], bounds[1:], strict=True):
                prefix = torch.nn.Sequential(*layers[before:cut])
                prefix_flat = FlatModel(prefix)
                inputs = prefix_flat(self.theta[offset : offset + prefix_flat.dim], inputs)
                offset += prefix_flat.dim
                rest = FlatModel(torch.nn.Sequential(*layers[cut:]))
                self.stage_starts.append(offset)
                self._stage_hessians.append(
                    HessianOperator(
                        mean_cross_entropy(rest, Split(inputs, data.y)), self.theta[offset:], engine
                    )
                )

    def stage_rows(self, stage: int, start: int, stop: int) -> torch.Tensor:
        """Rows start..stop-1 (in stage `stage` or later), columns from the stage's start."""
        if stage == 0:
            return self.rows(start, stop)
        offset = self.stage_starts[stage]
        return self._stage_hessians[stage].rows(start - offset, stop - offset)
