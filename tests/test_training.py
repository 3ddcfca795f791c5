"""The one SGD loop: its batch schedules, reproducibility, checkpoints, the divergence
guard."""

from __future__ import annotations

import pytest
import torch

from hessian_spectra import blobs, models
from hessian_spectra.split import to_splits
from hessian_spectra.training import BatchSchedule, TrainingDiverged, TrainSettings, train


def setup(seed=0, activation="tanh"):
    arrays, _ = blobs.gaussian_blobs(
        n_classes=3, dim=6, n_train=60, n_test=30, cov=1.0, center_box=(-10.0, 10.0), seed=0
    )
    train_split, test_split = to_splits(arrays)
    model = models.build_model(models.mlp_spec(6, [5, 4], 3, activation))
    models.initialise(model, weight_std=0.1, generator=torch.Generator().manual_seed(seed))
    return model, train_split, test_split


def run(settings, seed=0, activation="tanh"):
    model, train_split, test_split = setup(seed, activation)
    saved = {}
    history = train(
        model,
        train_split,
        test_split,
        settings,
        run="unit",
        on_checkpoint=lambda name, step, p: saved.update({name: (step, p)}),
    )
    return history, saved


SGD = TrainSettings(
    learning_rate=0.1, steps=120, batch_size=7, log_every=40, seed=1, checkpoint_steps=(80,)
)


def test_sgd_is_reproducible_and_checkpoints_where_asked():
    history, saved = run(SGD)
    again, saved_again = run(SGD)
    assert history == again
    assert sorted(saved) == ["final", "init", "step80"]
    assert [saved[name][0] for name in ("init", "step80", "final")] == [0, 80, 120]
    assert torch.equal(saved["final"][1], saved_again["final"][1])
    assert not torch.equal(saved["init"][1], saved["final"][1])
    assert [row["step"] for row in history] == [0, 40, 80, 120]


def test_sgd_seed_changes_the_trajectory():
    _, saved = run(SGD)
    _, other = run(TrainSettings(**{**SGD.__dict__, "seed": 2}))
    assert not torch.equal(saved["final"][1], other["final"][1])


GD_TO_TOLERANCE = TrainSettings(
    learning_rate=0.5, steps=5000, batch_size=None, log_every=10, seed=0, gradient_tolerance=1e-2
)


def test_gd_lowers_the_loss_and_stops_at_the_gradient_tolerance():
    history, saved = run(GD_TO_TOLERANCE)
    assert history[-1]["train_loss"] < history[0]["train_loss"] / 5
    assert history[-1]["gradient_norm"] < 1e-2 <= history[-2]["gradient_norm"]
    assert saved["final"][0] == history[-1]["step"] < 5000


def test_diverging_run_names_the_run_and_the_step():
    """A ReLU net with an absurd step size overflows within a few steps."""
    settings = TrainSettings(learning_rate=1e100, steps=50, batch_size=None, log_every=10, seed=0)
    with pytest.raises(
        TrainingDiverged,
        match=r"run unit: the training loss became nan at "
        r"step \d+ \(batch full, learning rate 1e\+100\)",
    ):
        run(settings, activation="relu")


def test_checkpoint_after_an_early_stop_is_an_error():
    settings = TrainSettings(**{**GD_TO_TOLERANCE.__dict__, "checkpoint_steps": (4999,)})
    with pytest.raises(ValueError, match="4999"):
        run(settings)


def test_settings_from_a_config_section():
    section = {
        "learning_rate": 0.1,
        "steps": 10,
        "batch_size": None,
        "log_every": 5,
        "seed": 3,
        "gradient_tolerance": None,
        "checkpoint_steps": [5],
    }
    settings = TrainSettings.from_params({**section, "hidden": [4]})
    assert settings == TrainSettings(**{**section, "checkpoint_steps": (5,)})


# --- batch schedules ------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, (1,)], ids=["one-stream", "keyed"])
def test_every_batch_is_a_function_of_its_step_alone(key):
    schedule = BatchSchedule(100, 32, seed=3, key=key)
    sequential = [schedule.batch(step) for step in range(1, 10)]
    for step in (7, 2, 9):  # a fresh schedule, asked out of sequence (a resumed run)
        assert torch.equal(
            BatchSchedule(100, 32, seed=3, key=key).batch(step), sequential[step - 1]
        )
    assert torch.equal(schedule.batch(2), sequential[1])  # the same schedule, asked backwards
    epoch = torch.cat(sequential[:3])  # 3 full batches of 32 per epoch of 100
    assert epoch.unique().numel() == 96
    assert not torch.equal(BatchSchedule(100, 32, seed=4, key=key).batch(1), sequential[0])


def test_keys_and_streams_give_different_batches():
    first = [BatchSchedule(100, 32, seed=3, key=key).batch(1) for key in (None, (1,), (2,))]
    assert not torch.equal(first[0], first[1]) and not torch.equal(first[1], first[2])


def test_one_stream_draws_its_epochs_from_one_seeded_generator():
    """The blob and MNIST runs' batches, drawn independently of the schedule."""
    generator = torch.Generator().manual_seed(3)
    epochs = [torch.randperm(100, generator=generator) for _ in range(2)]
    schedule = BatchSchedule(100, 32, seed=3)
    assert torch.equal(schedule.batch(3), epochs[0][64:96])
    assert torch.equal(schedule.batch(4), epochs[1][:32])


@pytest.mark.parametrize("batch_size", [None, 100, 250])
def test_a_batch_as_large_as_the_data_is_the_full_batch(batch_size):
    schedule = BatchSchedule(100, batch_size, seed=3)
    assert schedule.batch_size is None
    assert torch.equal(schedule.batch(5), torch.arange(100))


def test_a_batch_size_below_one_is_refused():
    with pytest.raises(ValueError, match="batch size must be positive, got 0"):
        BatchSchedule(100, 0, seed=3)
