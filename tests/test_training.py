"""The one SGD loop: its batch schedules, reproducibility, checkpoints, the divergence
guard, and runs trained side by side in a stack equal to the runs trained alone."""

from __future__ import annotations

import pytest
import torch

from hessian_spectra import blobs, models
from hessian_spectra.split import Split, to_splits
from hessian_spectra.stacks import MLPStack, ModuleStack
from hessian_spectra.training import BatchSchedule, TrainingDiverged, TrainSettings, train


def splits(cov=1.0):
    arrays, _ = blobs.gaussian_blobs(
        n_classes=3, dim=6, n_train=60, n_test=30, cov=cov, center_box=(-10.0, 10.0), seed=0
    )
    return to_splits(arrays)


def setup(seed=0, activation="tanh"):
    train_split, test_split = splits()
    model = models.build_model(models.mlp_spec(6, [5, 4], 3, activation))
    models.initialise(model, weight_std=0.1, generator=torch.Generator().manual_seed(seed))
    return model, train_split, test_split


def run(settings, seed=0, activation="tanh"):
    """One net trained as its module; its history and its checkpoints by name."""
    model, train_split, test_split = setup(seed, activation)
    saved = {}
    (history,) = train(
        ModuleStack(model),
        Split.stacked([train_split]),
        Split.stacked([test_split]),
        settings,
        runs=["unit"],
        seeds=[settings.seed],
        on_checkpoint=lambda _, name, step, p: saved.update({name: (step, p)}),
    )
    return history, saved


def run_stack(settings, covs, activation="tanh", seeds=None):
    """Nets from one initialisation, one per cov, trained side by side in an MLPStack,
    each with the batch order of its seed in `seeds` (default: settings.seed for all);
    their histories and their checkpoints by (run, name)."""
    model, _, _ = setup(activation=activation)
    data = [splits(cov) for cov in covs]
    saved = {}
    histories = train(
        MLPStack(
            models.mlp_spec(6, [5, 4], 3, activation),
            [models.FlatModel(model).flatten()] * len(covs),
        ),
        Split.stacked([train for train, _ in data]),
        Split.stacked([test for _, test in data]),
        settings,
        runs=[f"cov {cov}" for cov in covs],
        seeds=seeds or [settings.seed] * len(covs),
        on_checkpoint=lambda index, name, step, p: saved.update({(covs[index], name): (step, p)}),
    )
    return histories, saved


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
    learning_rate=0.5, steps=5000, batch_size=None, log_every=10, seed=0,
    gradient_tolerances=(1e-2,),
)  # fmt: skip


def test_gd_lowers_the_loss_and_stops_at_the_gradient_tolerance():
    history, saved = run(GD_TO_TOLERANCE)
    assert history[-1]["train_loss"] < history[0]["train_loss"] / 5
    assert history[-1]["gradient_norm"] < 1e-2 <= history[-2]["gradient_norm"]
    assert saved["final"][0] == history[-1]["step"] < 5000


def test_a_run_saves_each_stop_where_it_first_passes_its_tolerance():
    """Stops at 5e-2 and 2e-2 (given in any order), the end below 1e-2: each stop is the
    first evaluation whose gradient norm is below its tolerance."""
    settings = TrainSettings(**{**GD_TO_TOLERANCE.__dict__,
                                "gradient_tolerances": (2e-2, 1e-2, 5e-2)})  # fmt: skip
    assert settings.stop_points == ("grad0.05", "grad0.02")
    history, saved = run(settings)
    norms = {row["step"]: row["gradient_norm"] for row in history}
    for name, tolerance in (("grad0.05", 5e-2), ("grad0.02", 2e-2), ("final", 1e-2)):
        step = saved[name][0]
        assert norms[step] < tolerance
        assert all(norm >= tolerance for s, norm in norms.items() if s < step)
    assert 0 < saved["grad0.05"][0] < saved["grad0.02"][0] < saved["final"][0]


def test_a_stop_not_reached_is_saved_at_the_last_step():
    settings = TrainSettings(**{**GD_TO_TOLERANCE.__dict__, "steps": 30,
                                "gradient_tolerances": (1e-8, 1e-9)})  # fmt: skip
    history, saved = run(settings)
    assert saved["grad1e-08"][0] == saved["final"][0] == 30
    assert torch.equal(saved["grad1e-08"][1], saved["final"][1])
    assert history[-1]["gradient_norm"] > 1e-8


def test_diverging_run_names_the_run_and_the_step():
    """A ReLU net with an absurd step size overflows within a few steps."""
    settings = TrainSettings(learning_rate=1e100, steps=50, batch_size=None, log_every=10, seed=0)
    with pytest.raises(
        TrainingDiverged,
        match=r"run unit: the training loss became nan at "
        r"step \d+ \(batch full, learning rate 1e\+100\)",
    ):
        run(settings, activation="relu")


GD_STACKED = TrainSettings(
    learning_rate=0.5, steps=5000, batch_size=None, log_every=10, seed=0,
    gradient_tolerances=(1e-1, 1e-2), checkpoint_steps=(20,),
)  # fmt: skip


@pytest.mark.parametrize("settings", [GD_STACKED, SGD], ids=["gd", "sgd"])
def test_runs_trained_in_a_stack_equal_the_runs_trained_alone(settings):
    """Each run of a stack follows its own loss and batch order and stops by its own
    rule, while the others go on: its history and checkpoints are those of the run
    trained alone."""
    covs, seeds = (1.0, 3.0, 10.0), [5, 6, 7]
    together, saved = run_stack(settings, covs, seeds=seeds)
    names = ("init", "step20", "grad0.1", "final") if settings is GD_STACKED else (
        "init", "step80", "final")  # fmt: skip
    for index, cov in enumerate(covs):
        (alone,), saved_alone = run_stack(settings, (cov,), seeds=[seeds[index]])
        assert [row["step"] for row in together[index]] == [row["step"] for row in alone]
        for name in names:
            step, theta = saved[(cov, name)]
            assert step == saved_alone[(cov, name)][0]
            torch.testing.assert_close(theta, saved_alone[(cov, name)][1], rtol=1e-13, atol=0)
        for row, row_alone in zip(together[index], alone, strict=True):
            assert row == pytest.approx(row_alone, rel=1e-12)
    if settings is GD_STACKED:
        stops = {cov: saved[(cov, "final")][0] for cov in covs}
        assert len(set(stops.values())) == len(covs), f"the runs should stop apart: {stops}"


def test_a_stacked_net_is_the_module():
    """An MLPStack of one run computes the logits and gradient of the module it stacks."""
    model, train_split, _ = setup(activation="relu")
    stack = MLPStack(models.mlp_spec(6, [5, 4], 3, "relu"), [models.FlatModel(model).flatten()])
    torch.testing.assert_close(
        stack.logits(train_split.x[None])[0], model(train_split.x), rtol=1e-14, atol=1e-15
    )
    data = Split.stacked([train_split])
    assert stack.gradient_norms(data.x, data.y) == pytest.approx(
        ModuleStack(model).gradient_norms(data.x, data.y), rel=1e-13
    )


def test_a_diverging_run_of_a_stack_is_named():
    settings = TrainSettings(learning_rate=1e100, steps=50, batch_size=None, log_every=10, seed=0)
    with pytest.raises(TrainingDiverged, match=r"cov 1.0: the training loss became nan"):
        run_stack(settings, (1.0, 10.0), activation="relu")


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
        "gradient_tolerances": [1e-3, 1e-2],
        "checkpoint_steps": [5],
    }
    settings = TrainSettings.from_params({**section, "hidden": [4]})
    assert settings == TrainSettings(**{**section, "checkpoint_steps": (5,)})
    assert settings.gradient_tolerances == (1e-2, 1e-3)
    assert settings.checkpoint_names == {"init", "step5", "grad0.01", "final"}


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
