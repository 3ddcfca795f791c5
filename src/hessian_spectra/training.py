"""Plain GD / SGD with a constant learning rate, counted in steps (iterations, not epochs)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .curvature import FlatModel
from .data import Split

LOG = logging.getLogger(__name__)

HISTORY_FIELDS = (
    "step",
    "train_loss",
    "train_accuracy",
    "test_loss",
    "test_accuracy",
    "gradient_norm",
)


class TrainingDiverged(RuntimeError):
    """The training loss became NaN or infinite."""


@dataclass(frozen=True)
class TrainSettings:
    """How one run is trained.

    batch_size None means full-batch gradient descent. With `gradient_tolerance` set, the
    run stops at the first evaluation (every `log_every` steps) whose full-batch gradient
    norm is below it, as the authors' code did; `steps` is then the maximum.
    """

    learning_rate: float
    steps: int
    batch_size: int | None
    log_every: int
    seed: int
    gradient_tolerance: float | None = None
    checkpoint_steps: tuple[int, ...] = ()

    @classmethod
    def from_params(cls, params: dict) -> TrainSettings:
        """From a config section: its keys that are fields (others, e.g. "hidden", skip)."""
        fields = {key: params[key] for key in cls.__dataclass_fields__ if key in params}
        if "checkpoint_steps" in fields:
            fields["checkpoint_steps"] = tuple(fields["checkpoint_steps"])
        return cls(**fields)


@torch.no_grad()
def evaluate(model: nn.Module, data: Split) -> tuple[float, float]:
    """Mean cross-entropy and accuracy on a whole split."""
    logits = model(data.x)
    loss = F.cross_entropy(logits, data.y).item()
    accuracy = (logits.argmax(dim=1) == data.y).double().mean().item()
    return loss, accuracy


def _full_gradient_norm(model: nn.Module, data: Split) -> float:
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(data.x), data.y).backward()
    norm = torch.sqrt(sum((p.grad**2).sum() for p in model.parameters())).item()
    model.zero_grad(set_to_none=True)
    return norm


def _batches(n: int, batch_size: int | None, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """Indices of successive mini-batches: a fresh seeded permutation every epoch."""
    if batch_size is None or batch_size >= n:
        everything = torch.arange(n)
        while True:
            yield everything
    while True:
        order = torch.randperm(n, generator=generator)
        for start in range(0, n - batch_size + 1, batch_size):
            yield order[start : start + batch_size]


def train(
    model: nn.Module,
    train_data: Split,
    test_data: Split,
    settings: TrainSettings,
    *,
    run: str,
    on_checkpoint: Callable[[str, int, torch.Tensor], None],
) -> list[dict]:
    """Train in place and return the evaluation history.

    `on_checkpoint(name, step, parameters)` is called with name "init" at step 0,
    "step<N>" at every step N in `settings.checkpoint_steps`, and "final" at the last
    step. A NaN or infinite batch loss raises TrainingDiverged naming the run and the step.
    """
    flat = FlatModel(model)
    generator = torch.Generator().manual_seed(settings.seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=settings.learning_rate)
    batches = _batches(len(train_data), settings.batch_size, generator)
    history: list[dict] = []

    def record(step: int) -> float:
        train_loss, train_accuracy = evaluate(model, train_data)
        test_loss, test_accuracy = evaluate(model, test_data)
        norm = _full_gradient_norm(model, train_data)
        history.append(
            dict(
                zip(
                    HISTORY_FIELDS,
                    (step, train_loss, train_accuracy, test_loss, test_accuracy, norm),
                    strict=True,
                )
            )
        )
        LOG.info(
            "%s step %d: train loss %.6g acc %.4f, test loss %.6g acc %.4f, |grad| %.3e",
            run,
            step,
            train_loss,
            train_accuracy,
            test_loss,
            test_accuracy,
            norm,
        )
        return norm

    record(0)
    on_checkpoint("init", 0, flat.flatten())
    step = 0
    for step in range(1, settings.steps + 1):
        indices = next(batches)
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(train_data.x[indices]), train_data.y[indices])
        if not torch.isfinite(loss):
            raise TrainingDiverged(
                f"run {run}: the training loss became {loss.item()} at step {step} "
                f"(learning rate {settings.learning_rate}); lower the learning rate"
            )
        loss.backward()
        optimizer.step()
        if step in settings.checkpoint_steps:
            on_checkpoint(f"step{step}", step, flat.flatten())
        if step % settings.log_every == 0 or step == settings.steps:
            norm = record(step)
            tolerance = settings.gradient_tolerance
            if tolerance is not None and norm < tolerance and step < settings.steps:
                LOG.info(
                    "%s: gradient norm %.3e < %.1e, stopping at step %d", run, norm, tolerance, step
                )
                break
    later = [s for s in settings.checkpoint_steps if s > step]
    if later:
        raise ValueError(
            f"run {run} stopped at step {step}, before the requested checkpoint steps {later}"
        )
    on_checkpoint("final", step, flat.flatten())
    return history
