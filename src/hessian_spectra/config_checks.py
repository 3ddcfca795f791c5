"""Checks of the config that its schema cannot state (one value against another), made
when the workflow is parsed, before anything runs; each error names the keys. Torch-free:
the Snakefile imports it."""

from __future__ import annotations

from collections.abc import Mapping

CIFAR10_TRAINING_IMAGES = 50_000


def check(config: Mapping) -> None:
    """Every cross-field check; raises ValueError naming the keys of the first failure."""
    check_checkpoint_steps(config)
    check_batch_sizes(config)
    check_mnist_batches(config)


def check_checkpoint_steps(config: Mapping) -> None:
    """A checkpoint step beyond the run's steps would be found only after training."""
    for algorithm, settings in config["blobs"]["train"].items():
        late = [s for s in settings["checkpoint_steps"] if s > settings["steps"]]
        if late:
            raise ValueError(
                f"blobs.train.{algorithm}.checkpoint_steps: {late} lie beyond "
                f"blobs.train.{algorithm}.steps = {settings['steps']}; no run reaches them"
            )


def check_batch_sizes(config: Mapping) -> None:
    """A batch larger than its training set is a typo, not a run (a batch of the whole
    set is full-batch GD)."""
    blobs, mnist, cifar = config["blobs"], config["mnist"], config["cifar"]
    n_blobs = ("blobs.data.n_train", blobs["data"]["n_train"])
    n_mnist = ("mnist.data.n_train", mnist["data"]["n_train"])
    n_cifar = ("cifar.data.n_train", cifar["data"]["n_train"] or CIFAR10_TRAINING_IMAGES)
    checks = [
        *(
            (f"blobs.train.{alg}.batch_size", run["batch_size"], *n_blobs)
            for alg, run in blobs["train"].items()
        ),
        ("mnist.fc.batch_size", mnist["fc"]["batch_size"], *n_mnist),
        *(
            (f"mnist.conv.{key}", mnist["conv"][key], *n_mnist)
            for key in ("small_batch", "large_batch")
        ),
        *(
            (f"cifar.train.{key}", cifar["train"][key], *n_cifar)
            for key in ("large_batch", "small_batch")
        ),
    ]
    for key, batch, data_key, n_train in checks:
        if batch is not None and batch > n_train:
            raise ValueError(
                f"{key} = {batch} is larger than the training set ({data_key} = {n_train})"
            )


def check_mnist_batches(config: Mapping) -> None:
    """The two convnet runs are named by their batch: equal batches would be one run."""
    conv = config["mnist"]["conv"]
    if conv["small_batch"] == conv["large_batch"]:
        raise ValueError(
            f"mnist.conv.small_batch and mnist.conv.large_batch are both "
            f"{conv['small_batch']}: Figs. 4 and 6 compare two different batch sizes"
        )
