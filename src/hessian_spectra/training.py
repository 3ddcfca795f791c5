"""The one SGD loop of every experiment: plain (mini-batch) SGD with a constant learning
rate, no momentum, counted in steps (iterations, not epochs), over a seeded batch schedule,
with a callback after every step for records and checkpoints.

`train` runs it for the blob and MNIST-1K networks (an evaluation history and checkpoints
at chosen steps); `basin.train_part` for the CIFAR-10 LB -> SB parts (a record every fixed
number of steps).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .models import FlatModel
from .split import Split

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


class BatchSchedule:
    """The training indices of every step 1, 2, ...

    Full batch when `batch_size` is None or at least `n`. Otherwise each epoch (the
    n // batch_size full batches it holds) walks a fresh seeded permutation:
    - `key` None: the permutations come one after another from one generator seeded by
      `seed` (blob and MNIST runs, which ask for their steps in order);
    - `key` given: epoch e's permutation is seeded by (seed, *key, e) alone, so a run
      resumed at any step draws the batches an uninterrupted one would (CIFAR-10 parts).
    """

    def __init__(
        self, n: int, batch_size: int | None, seed: int, key: tuple[int, ...] | None = None
    ):
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch size must be positive, got {batch_size}")
        self.n, self.seed, self.key = n, seed, key
        self.batch_size = None if batch_size is None or batch_size >= n else batch_size
        self._epoch, self._order, self._generator = -1, torch.arange(n), None

    def batch(self, step: int) -> torch.Tensor:
        """Indices of the batch of `step` (counted from 1)."""
        if self.batch_size is None:
            return self._order
        epoch, position = divmod(step - 1, self.n // self.batch_size)
        if epoch != self._epoch:
            self._order = self._permutation(epoch)
        start = position * self.batch_size
        return self._order[start : start + self.batch_size]

    def _permutation(self, epoch: int) -> torch.Tensor:
        if self.key is not None:
            entropy = np.random.SeedSequence([self.seed, *self.key, epoch]).generate_state(1)
            self._epoch = epoch
            return torch.randperm(self.n, generator=torch.Generator().manual_seed(int(entropy[0])))
        if self._generator is None or epoch < self._epoch:  # (re)start the one stream
            self._generator, self._epoch = torch.Generator().manual_seed(self.seed), -1
        while self._epoch < epoch:
            order = torch.randperm(self.n, generator=self._generator)
            self._epoch += 1
        return order


@torch.inference_mode()
def evaluate(model: nn.Module, data: Split, batch_size: int | None = None) -> tuple[float, float]:
    """Mean cross-entropy and accuracy on a whole split: in one pass (`batch_size` None),
    or in batches of `batch_size`, summed in the data's precision."""
    if batch_size is None:
        logits = model(data.x)
        loss = F.cross_entropy(logits, data.y).item()
        return loss, (logits.argmax(dim=1) == data.y).double().mean().item()
    total_loss, correct = 0.0, 0
    for start in range(0, len(data), batch_size):
        logits = model(data.x[start : start + batch_size])
        labels = data.y[start : start + batch_size]
        total_loss += F.cross_entropy(logits, labels, reduction="sum").item()
        correct += int((logits.argmax(dim=1) == labels).sum().item())
    return total_loss / len(data), correct / len(data)


def sgd(
    model: nn.Module,
    train_data: Split,
    schedule: BatchSchedule,
    *,
    learning_rate: float,
    steps: Iterable[int],
    after_step: Callable[[int], bool],
    run: str,
    remedy: str = "lower the learning rate",
) -> int:
    """SGD on `model` in place over `steps`; `after_step(step)` runs after each step and
    stops the run by returning True. Returns the last step taken. A NaN or infinite batch
    loss raises TrainingDiverged naming the run, the step and `remedy`."""
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    step = 0
    for step in steps:
        batch = schedule.batch(step).to(train_data.x.device)
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(train_data.x[batch]), train_data.y[batch])
        if not torch.isfinite(loss):
            raise TrainingDiverged(
                f"{run}: the training loss became {loss.item()} at step {step} (batch "
                f"{schedule.batch_size or 'full'}, learning rate {learning_rate}); {remedy}"
            )
        loss.backward()
        optimizer.step()
        if after_step(step):
            break
    return step


@dataclass(frozen=True)
class TrainSettings:
    """How one blob or MNIST run is trained.

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


def _full_gradient_norm(model: nn.Module, data: Split) -> float:
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(data.x), data.y).backward()
    norm = torch.sqrt(sum((p.grad**2).sum() for p in model.parameters())).item()
    model.zero_grad(set_to_none=True)
    return norm


def train(
    model: nn.Module,
    train_data: Split,
    test_data: Split,
    settings: TrainSettings,
    *,
    run: str,
    on_checkpoint: Callable[[str, int, torch.Tensor], None],
) -> list[dict]:
    """Train a blob or MNIST network in place and return its evaluation history.

    `on_checkpoint(name, step, parameters)` is called with name "init" at step 0,
    "step<N>" at every step N in `settings.checkpoint_steps`, and "final" at the last
    step.
    """
    flat = FlatModel(model)
    history: list[dict] = []

    def record(step: int) -> float:
        train_loss, train_accuracy = evaluate(model, train_data)
        test_loss, test_accuracy = evaluate(model, test_data)
        norm = _full_gradient_norm(model, train_data)
        values = (step, train_loss, train_accuracy, test_loss, test_accuracy, norm)
        history.append(dict(zip(HISTORY_FIELDS, values, strict=True)))
        LOG.info(
            "%s step %d: train loss %.6g acc %.4f, test loss %.6g acc %.4f, |grad| %.3e",
            run, *values,
        )  # fmt: skip
        return norm

    def after_step(step: int) -> bool:
        if step in settings.checkpoint_steps:
            on_checkpoint(f"step{step}", step, flat.flatten())
        if step % settings.log_every and step != settings.steps:
            return False
        norm, tolerance = record(step), settings.gradient_tolerance
        if tolerance is not None and norm < tolerance and step < settings.steps:
            LOG.info(
                "%s: gradient norm %.3e < %.1e, stopping at step %d", run, norm, tolerance, step
            )
            return True
        return False

    record(0)
    on_checkpoint("init", 0, flat.flatten())
    last = sgd(
        model,
        train_data,
        BatchSchedule(len(train_data), settings.batch_size, settings.seed),
        learning_rate=settings.learning_rate,
        steps=range(1, settings.steps + 1),
        after_step=after_step,
        run=f"run {run}",
    )
    later = [s for s in settings.checkpoint_steps if s > last]
    if later:
        raise ValueError(
            f"run {run} stopped at step {last}, before the requested checkpoint steps {later}"
        )
    on_checkpoint("final", last, flat.flatten())
    return history
