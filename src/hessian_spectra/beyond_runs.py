"""The runs of the experiments beyond the paper (issue 22, docs/beyond.md), read from the
config's `beyond` section, as `runs` does for the paper's: which trained nets the class
structure of G and the sampled densities look at, and the training trajectories (a net
trained with checkpoints at configured steps) of the gradient-subspace and
edge-of-stability experiments. Torch-free: the Snakefile imports it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from . import network_runs, runs


def blob_cell_runs(config: Mapping, cell: Mapping, every_seed: bool) -> list[runs.BlobRun]:
    """The grid-style runs of one blob cell ({algorithm, activation, n_classes, cov}): at
    every seed of blobs.seeds, or at the first only."""
    seeds = runs.seeds(config) if every_seed else runs.seeds(config)[:1]
    init = runs.initialisation_seed(config, cell["algorithm"])
    return [runs.BlobRun.of(cell, seed, init) for seed in seeds]


def mnist_width_run(config: Mapping, width: int, key: str) -> network_runs.MnistRun:
    """The MNIST-1K FC net of one width of mnist.fc.hidden, which config key `key` names."""
    hidden = config["mnist"]["fc"]["hidden"]
    if width not in hidden:
        raise ValueError(f"{key}: {width} is not a width of mnist.fc.hidden {hidden}")
    return network_runs.mnist_runs(config)[f"fc-h{width}"]


def mnist_conv_run(config: Mapping, role: str) -> network_runs.MnistRun:
    """The MNIST-1K convnet trained with the small ("SB") or large ("LB") batch."""
    return next(r for r in network_runs.mnist_runs(config).values() if r.role == role)


MNIST_DATASET = "results/mnist/data/mnist1k.h5"


def trained_nets(config: Mapping, section: str, every_seed: bool) -> list[dict]:
    """The trained nets one experiment of `beyond.<section>` reads, in its order: its blob
    cells' runs, its MNIST-1K widths, and its convnets (key `conv`, where it has one), each
    {"label", "family", "n_classes", "checkpoint", "dataset", "spectrum"} (the final
    checkpoint and the exact spectrum at it)."""
    settings = config["beyond"][section]
    nets = []
    for cell in settings.get("blobs", []):
        for run in blob_cell_runs(config, cell, every_seed):
            nets.append(
                {
                    "label": f"blobs {run.name}",
                    "family": "blobs",
                    "n_classes": run.n_classes,
                    "checkpoint": run.file("runs", "checkpoints/final.pt"),
                    "dataset": runs.blob_dataset(
                        run.n_classes,
                        runs.number(run.cov),
                        run.seed,
                        runs.data_suffix(config, run.variant),
                    ),
                    "spectrum": run.file("spectra", "final.h5"),
                }
            )
    key = f"beyond.{section}.mnist_widths"
    mnist = [mnist_width_run(config, width, key) for width in settings.get("mnist_widths", [])]
    mnist += [mnist_conv_run(config, role) for role in settings.get("conv", [])]
    for run in mnist:
        nets.append(
            {
                "label": f"MNIST-1K {run.name}",
                "family": "mnist",
                "n_classes": network_runs.MNIST_CLASSES,
                "checkpoint": run.file("runs", "checkpoints/final.pt"),
                "dataset": MNIST_DATASET,
                "spectrum": run.file("spectra", "final.h5"),
            }
        )
    return nets


@dataclass(frozen=True)
class Trajectory:
    """One net trained by full-batch GD at `learning_rate` with a checkpoint at each of
    `steps` (the first 0, the last where training ends): a blob run of the grid's
    initialisation and data, or an MNIST-1K FC net, trained again by the one training
    loop with those checkpoints, on `device` (blobs.device or mnist.device)."""

    name: str
    experiment: str
    label: str
    n_classes: int
    dataset: str
    architecture: dict
    init_std: float | None
    bias_std: float
    seed: int
    learning_rate: float
    log_every: int
    steps: tuple[int, ...]
    stacked: bool
    device: str

    def folder(self) -> str:
        return f"results/beyond/{self.experiment}/{self.name}"

    def checkpoints(self) -> dict[str, str]:
        """Checkpoint name -> file: init, step<N> between, final."""
        folder = self.folder()
        return {name: f"{folder}/checkpoints/{name}.pt" for name in checkpoint_names(self.steps)}

    def history(self) -> str:
        return f"{self.folder()}/history.csv"

    def training(self) -> dict:
        """Its `training.TrainSettings` fields: a fixed number of full-batch steps."""
        return {
            "learning_rate": self.learning_rate,
            "steps": self.steps[-1],
            "batch_size": None,
            "log_every": self.log_every,
            "seed": self.seed,
            "gradient_tolerances": [],
            "checkpoint_steps": list(self.steps[1:-1]),
        }

    def entry(self) -> dict:
        """What the analysis steps read: {"label", "learning_rate", "n_classes", "dataset",
        "checkpoints": [{"step", "path"}] in step order}."""
        paths = self.checkpoints().values()
        return {
            "label": self.label,
            "learning_rate": self.learning_rate,
            "n_classes": self.n_classes,
            "dataset": self.dataset,
            "checkpoints": [
                {"step": step, "path": path} for step, path in zip(self.steps, paths, strict=True)
            ],
        }


def _blob_trajectory(config: Mapping, experiment: str, cell: Mapping, rate: float, steps):
    run = blob_cell_runs(config, {"algorithm": "gd", **cell}, every_seed=False)[0]
    model = runs.blob_model(config)
    return Trajectory(
        name=f"{run.name}-lr{runs.number(rate)}",
        experiment=experiment,
        label=f"blobs {run.in_words()}, eta = {runs.number(rate)}",
        n_classes=run.n_classes,
        dataset=runs.blob_dataset(run.n_classes, runs.number(run.cov), run.seed),
        architecture=runs.blob_architecture(config, run.activation),
        init_std=model["init_std"],
        bias_std=model["bias_std"],
        seed=run.training_seed,
        learning_rate=float(rate),
        log_every=int(config["blobs"]["train"]["gd"]["log_every"]),
        steps=tuple(sorted({0, *steps})),
        stacked=True,
        device=config["blobs"]["device"],
    )


def _mnist_trajectory(config: Mapping, experiment: str, width: int, steps) -> Trajectory:
    run = mnist_width_run(config, width, "beyond.subspace.mnist_width")
    training = run.training
    return Trajectory(
        name=f"mnist-{run.name}",
        experiment=experiment,
        label=f"MNIST-1K {run.label}, eta = {runs.number(training['learning_rate'])}",
        n_classes=network_runs.MNIST_CLASSES,
        dataset=MNIST_DATASET,
        architecture=run.architecture,
        init_std=config["mnist"]["init_std"],
        bias_std=0.0,
        seed=int(training["seed"]),
        learning_rate=float(training["learning_rate"]),
        log_every=int(training["log_every"]),
        steps=tuple(sorted({0, *steps})),
        stacked=False,
        device=config["mnist"]["device"],
    )


def subspace_trajectories(config: Mapping) -> list[Trajectory]:
    """The gradient-subspace experiment's trajectories, with checkpoints at its `steps`:
    its blob cell by GD at the grid's learning rate, and its MNIST-1K width (if any) at
    the MNIST training's."""
    section = config["beyond"]["subspace"]
    rate = config["blobs"]["train"]["gd"]["learning_rate"]
    steps = section["steps"]
    found = [_blob_trajectory(config, "subspace", section["blob"], rate, steps)]
    if section.get("mnist_width") is not None:
        found.append(_mnist_trajectory(config, "subspace", section["mnist_width"], steps))
    return found


def stability_trajectories(config: Mapping) -> list[Trajectory]:
    """The edge-of-stability experiment's trajectories: one blob cell by GD at each of its
    learning rates, with checkpoints at the same steps."""
    section = config["beyond"]["stability"]
    return [
        _blob_trajectory(config, "stability", section["blob"], rate, section["steps"])
        for rate in section["learning_rates"]
    ]


def checkpoint_names(steps) -> list[str]:
    """The checkpoints of a trajectory with checkpoints at `steps`: init, step<N>, final."""
    steps = sorted({0, *steps})
    return ["init", *(f"step{step}" for step in steps[1:-1]), "final"]
