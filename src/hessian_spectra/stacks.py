"""Networks as the training loop sees them: a stack of R runs of one architecture, each
with its own parameters and data, stepped together.

- `MLPStack`: R fully connected nets (the blob runs of one algorithm, activation and k,
  differing in their data), each layer's weights stacked along a leading run axis, so that
  one batched matrix product (`torch.baddbmm`) serves every run. A run's gradient is that
  of its own loss alone (the stack's objective is the sum of the runs' losses), so a run
  trained in a stack follows the run trained alone, to float64 round-off.
- `ModuleStack`: one `nn.Module` as a stack of one (the MNIST-1K nets), evaluated as
  the module itself, operation for operation.

Data come as (R, n, ...) inputs and (R, n) labels; a run's flat parameter vector is in the
layout of `models.FlatModel` over `models.build_model(spec)`, the layout of every
checkpoint.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from . import models
from .split import Split
from .training import evaluate

ACTIVATION_FUNCTIONS = {"relu": torch.relu, "tanh": torch.tanh}


class MLPStack:
    """R fully connected nets of one spec ({"kind": "mlp", ...}), from their flat
    parameter vectors `thetas`."""

    def __init__(self, spec: dict, thetas: Sequence[torch.Tensor]):
        if spec.get("kind") != "mlp":
            raise ValueError(f"an MLPStack stacks fully connected nets, not {spec.get('kind')!r}")
        self.spec = spec
        self.activation = ACTIVATION_FUNCTIONS[spec["activation"]]
        template = models.FlatModel(models.build_model(spec))
        self.shapes, self.sizes = template.shapes, template.sizes
        stacked = torch.stack([theta.detach() for theta in thetas])
        if stacked.shape[1] != template.dim:
            raise ValueError(
                f"parameter vectors of length {stacked.shape[1]}, not M = {template.dim}"
            )
        self.tensors = [
            piece.reshape(len(thetas), *shape).clone().requires_grad_()
            for piece, shape in zip(stacked.split(self.sizes, dim=1), self.shapes, strict=True)
        ]

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def parameters(self) -> list[torch.Tensor]:
        return self.tensors

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """(R, n, k) logits of (R, n, d) inputs: run r's net on its own inputs x[r]."""
        layers = list(zip(self.tensors[0::2], self.tensors[1::2], strict=True))
        hidden = x
        for index, (weight, bias) in enumerate(layers):
            hidden = torch.baddbmm(bias.unsqueeze(1), hidden, weight.transpose(1, 2))
            if index < len(layers) - 1:
                hidden = self.activation(hidden)
        return hidden

    def losses(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(R,) mean cross-entropy of each run on its own batch."""
        return _mean_cross_entropy(self.logits(x), y)

    def metrics(self, x: torch.Tensor, y: torch.Tensor) -> list[tuple[float, float]]:
        """(loss, accuracy) of each run on its whole split."""
        with torch.no_grad():
            logits = self.logits(x)
            losses = _mean_cross_entropy(logits, y)
            accuracy = (logits.argmax(dim=2) == y).double().mean(dim=1)
        return list(zip(losses.tolist(), accuracy.tolist(), strict=True))

    def gradient_norms(self, x: torch.Tensor, y: torch.Tensor) -> list[float]:
        """The norm of each run's full-batch gradient."""
        grads = torch.autograd.grad(self.losses(x, y).sum(), self.tensors)
        squares = sum(g.pow(2).reshape(len(self), -1).sum(dim=1) for g in grads)
        return squares.sqrt().tolist()

    def flat(self, index: int) -> torch.Tensor:
        """Run `index`'s parameters as one detached vector (a checkpoint's layout)."""
        return torch.cat([t[index].detach().reshape(-1) for t in self.tensors])

    def keep(self, indices: Sequence[int]) -> None:
        """Go on with runs `indices` only (the others have stopped)."""
        rows = torch.as_tensor(list(indices), dtype=torch.long, device=self.tensors[0].device)
        self.tensors = [t.detach()[rows].clone().requires_grad_() for t in self.tensors]


def _mean_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    runs, n, classes = logits.shape
    each = F.cross_entropy(logits.reshape(runs * n, classes), y.reshape(-1), reduction="none")
    return each.view(runs, n).mean(dim=1)


class ModuleStack:
    """One module as a stack of one run, evaluated exactly as the module is on its own."""

    def __init__(self, model: nn.Module):
        self.model = model
        self.flat_model = models.FlatModel(model)

    def __len__(self) -> int:
        return 1

    def parameters(self) -> list[torch.Tensor]:
        return list(self.model.parameters())

    def losses(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self.model(x[0]), y[0]).reshape(1)

    def metrics(self, x: torch.Tensor, y: torch.Tensor) -> list[tuple[float, float]]:
        return [evaluate(self.model, Split(x[0], y[0]))]

    def gradient_norms(self, x: torch.Tensor, y: torch.Tensor) -> list[float]:
        self.model.zero_grad(set_to_none=True)
        F.cross_entropy(self.model(x[0]), y[0]).backward()
        norm = torch.sqrt(sum((p.grad**2).sum() for p in self.model.parameters())).item()
        self.model.zero_grad(set_to_none=True)
        return [norm]

    def flat(self, index: int) -> torch.Tensor:
        return self.flat_model.flatten()

    def keep(self, indices: Sequence[int]) -> None:
        if list(indices) != [0]:
            raise ValueError(f"a stack of one keeps run 0 or stops, not runs {list(indices)}")
