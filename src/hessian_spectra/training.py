"""The one SGD loop of every experiment: plain (mini-batch) SGD with a constant learning
rate, no momentum, counted in steps (iterations, not epochs), over a seeded batch schedule,
with a callback after every step for records and checkpoints.

`train` runs it for a stack of runs (`stacks`: the blob runs of one shape side by side, or
one MNIST-1K net), each with an evaluation history, its checkpoints at chosen steps and
its own stopping rule; `basin.train_part` for the CIFAR-10 LB -> SB parts (a record every
fixed number of steps).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .runs import stop_point
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
    parameters: Sequence[torch.Tensor],
    batch_losses: Callable[[int], torch.Tensor],
    *,
    learning_rate: float,
    steps: Iterable[int],
    after_step: Callable[[int], bool],
    runs: Sequence[str],
    batch: str,
    remedy: str = "lower the learning rate",
) -> int:
    """SGD on `parameters` in place over `steps`. `batch_losses(step)` returns the loss of
    each run on its batch of `step` (one value per name in `runs`); their sum is
    minimised, so each run follows the gradient of its own loss. `after_step(step)` runs
    after each step and stops the loop by returning True. Returns the last step taken. A
    NaN or infinite loss raises TrainingDiverged naming the runs, the step, the `batch`
    (in words) and `remedy`."""
    optimizer = torch.optim.SGD(parameters, lr=learning_rate)
    step = 0
    for step in steps:
        optimizer.zero_grad(set_to_none=True)
        losses = batch_losses(step).reshape(-1)
        finite = torch.isfinite(losses)
        if not finite.all():
            bad = [(run, loss) for run, loss, ok in zip(runs, losses.tolist(), finite.tolist(),
                                                        strict=True) if not ok]  # fmt: skip
            raise TrainingDiverged(
                "; ".join(f"{run}: the training loss became {loss}" for run, loss in bad)
                + f" at step {step} (batch {batch}, learning rate {learning_rate}); {remedy}"
            )
        losses.sum().backward()
        optimizer.step()
        if after_step(step):
            break
    return step


@dataclass(frozen=True)
class TrainSettings:
    """How one blob or MNIST run is trained.

    batch_size None means full-batch gradient descent. With `gradient_tolerances`, the run
    passes a stop at the first evaluation (every `log_every` steps) whose full-batch
    gradient norm is below each, and ends below the smallest, as the authors' code did for
    one tolerance; `steps` is then the maximum. `seed` seeds the initialisation and the
    batch order of a run that has no seed of its own (the MNIST-1K nets).
    """

    learning_rate: float
    steps: int
    batch_size: int | None
    log_every: int
    seed: int
    gradient_tolerances: tuple[float, ...] = ()
    checkpoint_steps: tuple[int, ...] = ()

    def __post_init__(self):
        tolerances = tuple(sorted(self.gradient_tolerances, reverse=True))
        object.__setattr__(self, "gradient_tolerances", tolerances)
        object.__setattr__(self, "checkpoint_steps", tuple(self.checkpoint_steps))

    @classmethod
    def from_params(cls, params: dict) -> TrainSettings:
        """From a config section: its keys that are fields (others, e.g. "hidden", skip)."""
        return cls(**{key: params[key] for key in cls.__dataclass_fields__ if key in params})

    @property
    def stop_points(self) -> tuple[str, ...]:
        """The checkpoints of the stops a run passes before its end ("final"): one per
        gradient tolerance but the smallest, largest first."""
        return tuple(stop_point(tolerance) for tolerance in self.gradient_tolerances[:-1])

    @property
    def checkpoint_names(self) -> set[str]:
        """Every checkpoint a run of these settings saves."""
        steps = (f"step{step}" for step in self.checkpoint_steps)
        return {"init", *steps, *self.stop_points, "final"}


def train(
    stack,
    train_data: Split,
    test_data: Split,
    settings: TrainSettings,
    *,
    runs: Sequence[str],
    seeds: Sequence[int],
    on_checkpoint: Callable[[int, str, int, torch.Tensor], None],
) -> list[list[dict]]:
    """Train the runs of `stack` (a `stacks.MLPStack` or `stacks.ModuleStack`) together,
    on data of shape (R, n, ...), each with the batch order of its own seed, and return
    each run's evaluation history.

    Every run is evaluated every `log_every` steps and stops on its own: at the first
    evaluation whose gradient norm is below the smallest of `settings.gradient_tolerances`,
    or at `settings.steps`; the others go on without it. `on_checkpoint(run_index, name,
    step, parameters)` is called with name "init" at step 0, "step<N>" at every step N in
    `settings.checkpoint_steps`, the stop's name (`settings.stop_points`) at the first
    evaluation below each larger tolerance, and "final" at the run's last step. A stop not
    reached by `settings.steps` is saved at the last step, whose history row shows it.
    """
    live = list(range(len(runs)))  # the runs still training, in the stack's order
    histories: list[list[dict]] = [[] for _ in runs]
    passed = [0 for _ in runs]  # how many of the stops before "final" each run has passed
    n = train_data.x.shape[1]
    schedules = [BatchSchedule(n, settings.batch_size, seed) for seed in seeds]
    words = str(schedules[0].batch_size or "full")

    def record(step: int) -> list[float]:
        train_metrics = stack.metrics(train_data.x, train_data.y)
        test_metrics = stack.metrics(test_data.x, test_data.y)
        norms = stack.gradient_norms(train_data.x, train_data.y)
        for run, metrics in zip(live, zip(train_metrics, test_metrics, norms, strict=True),
                                strict=True):  # fmt: skip
            (train_loss, train_accuracy), (test_loss, test_accuracy), norm = metrics
            values = (step, train_loss, train_accuracy, test_loss, test_accuracy, norm)
            histories[run].append(dict(zip(HISTORY_FIELDS, values, strict=True)))
            LOG.info(
                "%s step %d: train loss %.6g acc %.4f, test loss %.6g acc %.4f, |grad| %.3e",
                runs[run], *values,
            )  # fmt: skip
        return norms

    def batch_losses(step: int) -> torch.Tensor:
        if schedules[0].batch_size is None:  # full batch: the data as they are, no copy
            return stack.losses(train_data.x, train_data.y)
        indices = torch.stack([schedules[run].batch(step) for run in live])
        rows = torch.arange(len(live)).unsqueeze(1)
        rows, indices = rows.to(train_data.x.device), indices.to(train_data.x.device)
        return stack.losses(train_data.x[rows, indices], train_data.y[rows, indices])

    def pass_stops(position: int, step: int, norm: float | None) -> None:
        """Save the stops before "final" that run `position` has now passed (all of them
        when `norm` is None: the run ends without reaching them)."""
        run = live[position]
        for index in range(passed[run], len(settings.stop_points)):
            if norm is not None and not norm < settings.gradient_tolerances[index]:
                break
            if norm is None:
                LOG.warning(
                    "%s: gradient norm never below %.1e in %d steps; its stop %s is its last "
                    "step", runs[run], settings.gradient_tolerances[index], step,
                    settings.stop_points[index],
                )  # fmt: skip
            on_checkpoint(run, settings.stop_points[index], step, stack.flat(position))
            passed[run] = index + 1

    stopping: list[int] = []  # positions in `live` of the runs that stop at this step

    def after_step(step: int) -> bool:
        if step in settings.checkpoint_steps:
            for position, run in enumerate(live):
                on_checkpoint(run, f"step{step}", step, stack.flat(position))
        if step % settings.log_every and step != settings.steps:
            return False
        tolerances = settings.gradient_tolerances
        for position, norm in enumerate(record(step)):
            pass_stops(position, step, norm)
            if step == settings.steps or (tolerances and norm < tolerances[-1]):
                stopping.append(position)
        return bool(stopping)

    record(0)
    for position, run in enumerate(live):
        on_checkpoint(run, "init", 0, stack.flat(position))
    step = 0
    while live:
        stopping.clear()
        step = sgd(
            stack.parameters(), batch_losses, learning_rate=settings.learning_rate,
            steps=range(step + 1, settings.steps + 1), after_step=after_step,
            runs=[f"run {runs[run]}" for run in live], batch=words,
        )  # fmt: skip
        if step >= settings.steps:
            stopping[:] = range(len(live))
        for position in stopping:
            _stop(runs[live[position]], step, settings)
            pass_stops(position, step, None)
            on_checkpoint(live[position], "final", step, stack.flat(position))
        going_on = [position for position in range(len(live)) if position not in stopping]
        if going_on:
            stack.keep(going_on)
            train_data, test_data = _select(train_data, going_on), _select(test_data, going_on)
        live = [live[position] for position in going_on]
    return histories


def _stop(run: str, step: int, settings: TrainSettings) -> None:
    later = [s for s in settings.checkpoint_steps if s > step]
    if later:
        raise ValueError(
            f"run {run} stopped at step {step}, before the requested checkpoint steps {later}"
        )
    if step < settings.steps:
        LOG.info(
            "%s: gradient norm below %.1e, stopping at step %d",
            run, settings.gradient_tolerances[-1], step,
        )  # fmt: skip


def _select(data: Split, positions: list[int]) -> Split:
    rows = torch.as_tensor(positions, dtype=torch.long, device=data.x.device)
    return Split(data.x[rows], data.y[rows])
