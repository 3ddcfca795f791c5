"""Section 4.1, large- and small-batch solutions in one basin: large-batch training (Part
I), then small-batch training from where it ended (Part II), with a record (loss, accuracy,
parameters) every fixed number of steps; and the loss along the straight line through the
two end points, with the barrier it does or does not climb.

Both parts run `training.sgd`; the mini-batch of every step is a function of (seed, part,
step) alone, so a part resumed from any record follows the uninterrupted trajectory.
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

from . import training
from .split import Split
from .trajectory_file import TRAJECTORY_METRICS

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


def record_metrics(model: nn.Module, train: Split, test: Split, batch_size: int) -> dict:
    """Loss and accuracy on the full training and test sets, in batches of `batch_size`."""
    train_loss, train_accuracy = training.evaluate(model, train, batch_size)
    test_loss, test_accuracy = training.evaluate(model, test, batch_size)
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
    steps. The batches are keyed by (seed, part), so a resumed part draws the batches an
    uninterrupted one would."""

    def after_step(step: int) -> bool:
        if step % settings.steps_per_record:
            return False
        index = step // settings.steps_per_record
        metrics = record_metrics(model, train, test, settings.eval_batch_size)
        LOG.info(
            "part %d record %d/%d (step %d): train loss %.5g acc %.4f, test loss %.5g acc %.4f",
            settings.part, index, settings.records, step, *metrics.values(),
        )  # fmt: skip
        on_record(index, step, parameters_to_vector(model.parameters()).detach(), metrics)
        return False

    schedule = training.BatchSchedule(
        len(train), settings.batch_size, settings.seed, key=(settings.part,)
    )

    def batch_loss(step: int) -> torch.Tensor:
        batch = schedule.batch(step).to(train.x.device)
        return F.cross_entropy(model(train.x[batch]), train.y[batch])

    training.sgd(
        list(model.parameters()),
        batch_loss,
        learning_rate=settings.learning_rate,
        steps=range(first_record * settings.steps_per_record + 1, settings.steps + 1),
        after_step=after_step,
        runs=[f"CIFAR-10 part {settings.part}"],
        batch=str(settings.batch_size),
        remedy="lower cifar.train.learning_rate",
    )


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


def line_numbers(coefficients: np.ndarray, losses: np.ndarray) -> dict[str, float]:
    """What Figs. 7 and 9 are read for: the loss at each end, the barrier between them and
    the rise beyond each end."""
    coefficients, losses = np.asarray(coefficients), np.asarray(losses)
    beyond_lb, beyond_sb = rise_beyond_ends(coefficients, losses)
    return {
        "barrier": barrier(coefficients, losses),
        "rise_beyond_lb": beyond_lb,
        "rise_beyond_sb": beyond_sb,
        "loss_lb": float(losses[coefficients == 0.0][0]),
        "loss_sb": float(losses[coefficients == 1.0][0]),
    }


def rise_beyond_ends(coefficients: np.ndarray, losses: np.ndarray) -> tuple[float, float]:
    """How much the loss rises along the line past each end point, at the farthest
    coefficient on that side (Fig. 7): (beyond a = 0, beyond a = 1)."""
    coefficients, losses = np.asarray(coefficients), np.asarray(losses)

    def at(alpha: float) -> float:
        return float(losses[coefficients == alpha][0])

    return at(coefficients.min()) - at(0.0), at(coefficients.max()) - at(1.0)
