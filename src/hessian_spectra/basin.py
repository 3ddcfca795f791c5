"""Section 4.1: large-batch training, then small-batch training from where it ended, with
a record (loss, accuracy, parameters) every fixed number of steps; and the loss along the
straight line through the two end points.

Training is plain SGD with a constant learning rate (no momentum). The mini-batch of every
step is a function of (seed, part, step) alone, so a run resumed from any record follows
the same trajectory as an uninterrupted one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from .data import Split
from .storage import TRAJECTORY_METRICS
from .training import TrainingDiverged

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class PartSettings:
    """One part of the experiment: `records` records, `steps_per_record` steps apart."""

    part: int
    batch_size: int
    learning_rate: float
    steps_per_record: int
    records: int
    seed: int
    eval_batch_size: int

    @property
    def steps(self) -> int:
        return self.steps_per_record * self.records


class BatchOrder:
    """The mini-batches of one part: each epoch a fresh permutation, seeded by
    (seed, part, epoch); an epoch is the n // batch_size full batches it holds."""

    def __init__(self, n: int, batch_size: int, seed: int, part: int):
        if not 0 < batch_size <= n:
            raise ValueError(f"batch size {batch_size} must be in 1..{n} (the training set)")
        self.n, self.batch_size, self.seed, self.part = n, batch_size, seed, part
        self.per_epoch = n // batch_size
        self._epoch, self._order = -1, None

    def batch(self, step: int) -> torch.Tensor:
        """Indices of the batch of `step` (1, 2, ... within the part)."""
        epoch, position = divmod(step - 1, self.per_epoch)
        if epoch != self._epoch:
            entropy = np.random.SeedSequence([self.seed, self.part, epoch]).generate_state(1)
            generator = torch.Generator().manual_seed(int(entropy[0]))
            self._epoch, self._order = epoch, torch.randperm(self.n, generator=generator)
        start = position * self.batch_size
        return self._order[start : start + self.batch_size]


@torch.inference_mode()
def evaluate(model: nn.Module, data: Split, batch_size: int) -> tuple[float, float]:
    """Mean cross-entropy and accuracy on a whole split, in batches, without autograd."""
    total_loss, correct = 0.0, 0
    for start in range(0, len(data), batch_size):
        logits = model(data.x[start : start + batch_size])
        labels = data.y[start : start + batch_size]
        total_loss += F.cross_entropy(logits, labels, reduction="sum").item()
        correct += int((logits.argmax(dim=1) == labels).sum().item())
    return total_loss / len(data), correct / len(data)


def record_metrics(model: nn.Module, train: Split, test: Split, batch_size: int) -> dict:
    train_loss, train_accuracy = evaluate(model, train, batch_size)
    test_loss, test_accuracy = evaluate(model, test, batch_size)
    return dict(
        zip(
            TRAJECTORY_METRICS,
            (train_loss, train_accuracy, test_loss, test_accuracy),
            strict=True,
        )
    )


def train_part(
    model: nn.Module,
    train: Split,
    test: Split,
    settings: PartSettings,
    *,
    first_record: int,
    on_record: Callable[[int, int, torch.Tensor, dict], None],
) -> None:
    """Train `model` (already at record `first_record`) through the rest of the part,
    calling `on_record(index, step, parameters, metrics)` after every `steps_per_record`
    steps. A NaN or infinite batch loss raises TrainingDiverged naming the part and step.
    """
    order = BatchOrder(len(train), settings.batch_size, settings.seed, settings.part)
    optimizer = torch.optim.SGD(model.parameters(), lr=settings.learning_rate)
    for index in range(first_record + 1, settings.records + 1):
        last = index * settings.steps_per_record
        for step in range(last - settings.steps_per_record + 1, last + 1):
            batch = order.batch(step).to(train.x.device)
            loss = F.cross_entropy(model(train.x[batch]), train.y[batch])
            if not torch.isfinite(loss):
                raise TrainingDiverged(
                    f"CIFAR-10 part {settings.part}: the training loss became {loss.item()} "
                    f"at step {step} (batch {settings.batch_size}, learning rate "
                    f"{settings.learning_rate}); lower cifar.train.learning_rate"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        metrics = record_metrics(model, train, test, settings.eval_batch_size)
        LOG.info(
            "part %d record %d/%d (step %d): train loss %.5g acc %.4f, test loss %.5g acc %.4f",
            settings.part,
            index,
            settings.records,
            last,
            metrics["train_loss"],
            metrics["train_accuracy"],
            metrics["test_loss"],
            metrics["test_accuracy"],
        )
        on_record(index, last, parameters_to_vector(model.parameters()).detach(), metrics)


def line_coefficients(start: float, stop: float, points: int) -> np.ndarray:
    """`points` evenly spaced coefficients from `start` to `stop`, plus 0 and 1 exactly
    (the two end points are always evaluated, whatever the spacing)."""
    if not start <= 0.0 < 1.0 <= stop:
        raise ValueError(
            f"the line must span both end points: need start <= 0 and stop >= 1, "
            f"got {start} and {stop}"
        )
    return np.unique(np.concatenate([np.linspace(start, stop, points), [0.0, 1.0]]))


def evaluate_line(
    model: nn.Module,
    theta_start: torch.Tensor,
    theta_end: torch.Tensor,
    coefficients: np.ndarray,
    train: Split,
    test: Split,
    batch_size: int,
) -> dict[str, np.ndarray]:
    """Loss and accuracy at theta(a) = (1 - a) theta_start + a theta_end for each a."""
    results = {name: np.zeros(len(coefficients)) for name in TRAJECTORY_METRICS}
    for position, alpha in enumerate(coefficients):
        point = theta_start if alpha == 0.0 else theta_end if alpha == 1.0 else None
        if point is None:
            point = (1.0 - alpha) * theta_start + alpha * theta_end
        vector_to_parameters(point, model.parameters())
        metrics = record_metrics(model, train, test, batch_size)
        for name in TRAJECTORY_METRICS:
            results[name][position] = metrics[name]
        LOG.info(
            "a = %+.3f: train loss %.5g, test loss %.5g",
            alpha,
            metrics["train_loss"],
            metrics["test_loss"],
        )
    return results


def barrier(coefficients: np.ndarray, losses: np.ndarray) -> float:
    """The largest loss on the segment between the end points (0 <= a <= 1) minus the
    larger of the two end-point losses: positive where the straight path climbs over a
    barrier, zero or negative where it does not."""
    coefficients, losses = np.asarray(coefficients), np.asarray(losses)
    inside = (coefficients >= 0.0) & (coefficients <= 1.0)
    ends = losses[coefficients == 0.0][0], losses[coefficients == 1.0][0]
    return float(losses[inside].max() - max(ends))


def rise_beyond_ends(coefficients: np.ndarray, losses: np.ndarray) -> tuple[float, float]:
    """How much the loss rises along the line past each end point, at the farthest
    coefficient on that side (Fig. 7): (beyond a = 0, beyond a = 1)."""
    coefficients, losses = np.asarray(coefficients), np.asarray(losses)

    def at(alpha: float) -> float:
        return float(losses[coefficients == alpha][0])

    return at(coefficients.min()) - at(0.0), at(coefficients.max()) - at(1.0)
