"""A net at a point with its loss: the one description of "the mean training cross-entropy
of this network at these parameters" that the Hessian steps, the CIFAR-10 top
eigenvalues, the benchmarks and the tests take their curvature operators from."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import torch

from . import models, storage
from .curvature import (
    GaussNewtonOperator,
    HessianOperator,
    LossFunction,
    ResidualOperator,
    StagedHessian,
    default_engine,
    mean_cross_entropy,
)
from .models import FlatModel
from .split import Split, to_splits

PathLike = str | os.PathLike


@dataclass(frozen=True)
class Problem:
    """The mean softmax cross-entropy of `flat` on `data` at `theta` (float64, on the
    data's device), summed in chunks of `chunk_size` samples (None: all at once).

    `spec` is the net's description (`models`), where it has one; `provenance` says where
    the point and the data came from, for the attributes of what is computed here.
    """

    flat: FlatModel
    theta: torch.Tensor
    data: Split
    spec: Mapping | None = None
    chunk_size: int | None = None
    provenance: Mapping = field(default_factory=dict)

    def __post_init__(self):
        if self.theta.numel() != self.flat.dim:
            raise ValueError(f"theta has {self.theta.numel()} entries; the net has {self.flat.dim}")

    @classmethod
    def from_spec(
        cls,
        spec: Mapping,
        data: Split,
        theta: torch.Tensor | None = None,
        *,
        weight_std: float | None = None,
        seed: int = 0,
        chunk_size: int | None = None,
    ) -> Problem:
        """The float64 net of `spec` on `data`'s device, at `theta`, or (None) where
        `models.initialise` draws it with `weight_std` from a generator seeded by `seed`."""
        model = models.build_model(spec)
        if theta is None:
            generator = torch.Generator().manual_seed(seed)
            models.initialise(model, weight_std=weight_std, generator=generator)
        flat = FlatModel(model.to(data.x.device))
        theta = flat.flatten() if theta is None else theta.to(torch.float64).to(data.x.device)
        return cls(flat, theta, data, spec=spec, chunk_size=chunk_size)

    @classmethod
    def from_checkpoint(
        cls,
        checkpoint: PathLike,
        dataset: PathLike,
        *,
        device: torch.device | str = "cpu",
        chunk_size: int | None = None,
    ) -> Problem:
        """A checkpoint's net and parameters on its dataset's training split, on `device`,
        checked against each other; the provenance names both files and their sha256."""
        state = storage.load_checkpoint(checkpoint)
        arrays, _ = storage.read_arrays(dataset)
        train_split, _ = to_splits(arrays)
        flat = FlatModel(models.build_model(state["model"]))
        if flat.dim != state["parameters"].numel():
            raise storage.ArtefactError(
                f"checkpoint {checkpoint} holds {state['parameters'].numel()} parameters but "
                f"its model spec {state['model']} has {flat.dim}"
            )
        if train_split.x.shape[1] != state["model"]["input_dim"]:
            raise storage.ArtefactError(
                f"dataset {dataset} has inputs of dimension {train_split.x.shape[1]} but "
                f"checkpoint {checkpoint} expects {state['model']['input_dim']}"
            )
        flat.model.to(device)
        provenance = {
            "run": state["run"],
            "checkpoint": str(checkpoint),
            "checkpoint_step": state["step"],
            "checkpoint_sha256": storage.file_sha256(checkpoint),
            "dataset": str(dataset),
            "dataset_sha256": storage.file_sha256(dataset),
            "n_samples": len(train_split),
            "loss": "mean softmax cross-entropy over the training set",
        }
        return cls(
            flat, state["parameters"].to(device), train_split.to(device),
            spec=state["model"], chunk_size=chunk_size, provenance=provenance,
        )  # fmt: skip

    @property
    def device(self) -> torch.device:
        return self.theta.device

    @property
    def loss(self) -> LossFunction:
        """theta -> the loss (`curvature.mean_cross_entropy`)."""
        return mean_cross_entropy(self.flat, self.data, self.chunk_size)

    def _engine(self, engine: str | None) -> str:
        return default_engine(self.device) if engine is None else engine

    def hessian(self, engine: str | None = None) -> HessianOperator:
        """The exact Hessian H, rows by `engine` (None: the device's fastest). The convnet
        with its loss in one chunk takes each layer's rows through the layers from it on
        (`StagedHessian`), 3x faster; any other net takes full rows."""
        if self.spec is not None and self.spec["kind"] == "convnet" and self.chunk_size is None:
            return StagedHessian(self.flat, self.data, self.theta, self._engine(engine))
        return HessianOperator(self.loss, self.theta, self._engine(engine))

    def gauss_newton(self, engine: str | None = None) -> GaussNewtonOperator:
        """The generalised Gauss-Newton term G of H (Eq. 4)."""
        return GaussNewtonOperator(self.flat, self.data, self.theta, self._engine(engine))

    def residual(self, engine: str | None = None) -> ResidualOperator:
        """The residual R = H - G (Eq. 4): full Hessian rows minus G's rows."""
        engine = self._engine(engine)
        return ResidualOperator(
            HessianOperator(self.loss, self.theta, engine), self.gauss_newton(engine)
        )
