"""The runs of every experiment: what a run is, what it is called, and which runs each
table and figure selects, all read from the config.

A run is a record of fields; its name (the folder its files live in) is made from those
fields here and nowhere else, and selections, pairs and labels are built from fields, never
by parsing a name. The rules ask this module for their run tables and pass each run's
fields and files to their jobs as params. Torch-free: the Snakefile imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from .resources import (
    convnet_parameter_count,
    hessian_rank_bound,
    mlp_parameter_count,
)

ALGORITHMS = ("gd", "sgd")
ACTIVATIONS = {"relu": "ReLU", "tanh": "tanh"}
MNIST_CLASSES = 10
MNIST_PIXELS = 784


def number(value: float) -> str:
    """How a number appears in a name: 1.0 -> '1', 0.5 -> '0.5'."""
    return f"{value:g}"


@dataclass(frozen=True, order=True)
class BlobRun:
    """One network trained on Gaussian blobs (Section 3.1): the training algorithm, the
    activation, the number of clusters k and their spread cov."""

    algorithm: str
    activation: str
    n_classes: int
    cov: float

    # Every blob run's files follow this pattern; the rules' wildcards spell its fields.
    PATTERN = "{alg}-{act}-k{k}-cov{cov}"

    @classmethod
    def of(cls, section: Mapping) -> BlobRun:
        """The run a config mapping names by its algorithm, activation, n_classes, cov."""
        return cls(
            section["algorithm"],
            section["activation"],
            int(section["n_classes"]),
            float(section["cov"]),
        )

    @property
    def name(self) -> str:
        """Its folder name, e.g. 'sgd-relu-k10-cov1'."""
        return self.PATTERN.format(
            alg=self.algorithm, act=self.activation, k=self.n_classes, cov=number(self.cov)
        )

    @property
    def data(self) -> str:
        """The name of its dataset: runs of one k and cov share one."""
        return f"k{self.n_classes}-cov{number(self.cov)}"

    def fields(self) -> dict:
        return asdict(self)

    def file(self, folder: str, name: str) -> str:
        """One of its files, e.g. run.file("spectra", "final.h5")."""
        return f"results/blobs/{folder}/{self.name}/{name}"

    def with_algorithm(self, algorithm: str) -> BlobRun:
        return BlobRun(algorithm, self.activation, self.n_classes, self.cov)

    def in_words(self, with_k: bool = True) -> str:
        """Its settings in words: "GD, ReLU, k = 3, cov = 1"."""
        words = [self.algorithm.upper(), ACTIVATIONS[self.activation]]
        if with_k:
            words.append(f"k = {self.n_classes}")
        return ", ".join([*words, f"cov = {number(self.cov)}"])


def blob_architecture(config: Mapping, activation: str) -> dict:
    """The blob net of `activation`: blobs.model's hidden widths, fully connected."""
    return {"kind": "mlp", "hidden": config["blobs"]["model"]["hidden"], "activation": activation}


def blob_parameter_count(config: Mapping, n_classes: int) -> int:
    """M of the blob net for `n_classes` clusters (3960 + 31 k for [30, 30])."""
    blobs = config["blobs"]
    return mlp_parameter_count(blobs["data"]["dim"], blobs["model"]["hidden"], n_classes)


def table1_runs(config: Mapping) -> list[BlobRun]:
    """Table 1's grid: every combination of table1's algorithms, activations, k and cov."""
    grid = config["table1"]
    return [
        BlobRun(alg, act, int(k), float(cov))
        for alg in grid["algorithms"]
        for act in grid["activations"]
        for k in grid["n_classes"]
        for cov in grid["cov"]
    ]


def fig1_run(config: Mapping) -> BlobRun:
    """The one run Fig. 1 shows at its initial point and at its end."""
    return BlobRun.of(config["fig1"])


def fig2_runs(config: Mapping) -> list[BlobRun]:
    """Fig. 2's runs: one setting of the fig2 section at each of its k."""
    section = config["fig2"]
    return [BlobRun.of(section | {"n_classes": k}) for k in section["n_classes"]]


def fig2_title(config: Mapping) -> str:
    """The setting Fig. 2 shows, in words (its k vary across the panel)."""
    return fig2_runs(config)[0].in_words(with_k=False)


def fig_ggn_runs(config: Mapping) -> list[BlobRun]:
    """The runs whose Gauss-Newton decomposition H = G + R is computed."""
    return [BlobRun.of(run) for run in config["fig_ggn"]["runs"]]


def blob_runs(config: Mapping) -> list[BlobRun]:
    """Every blob run some table or figure uses, sorted."""
    return sorted(
        {*table1_runs(config), fig1_run(config), *fig2_runs(config), *fig_ggn_runs(config)}
    )


@dataclass(frozen=True)
class RunPair:
    """The same grid point trained by GD and by SGD."""

    gd: BlobRun
    sgd: BlobRun

    @property
    def name(self) -> str:
        """The point without the algorithm, e.g. 'relu-k2-cov1'."""
        return self.gd.name.removeprefix(f"{self.gd.algorithm}-")

    def fields(self) -> dict:
        return {
            "activation": self.gd.activation,
            "n_classes": self.gd.n_classes,
            "cov": self.gd.cov,
        }


def gd_sgd_pairs(config: Mapping) -> list[RunPair]:
    """Each grid point that Table 1 trains with both GD and SGD."""
    grid = table1_runs(config)
    runs = set(grid)
    return [
        RunPair(run, run.with_algorithm("sgd"))
        for run in grid
        if run.algorithm == "gd" and run.with_algorithm("sgd") in runs
    ]


@dataclass(frozen=True)
class MnistRun:
    """One MNIST-1K network (Sections 3.2-3.4): a width of Figs. 3 and 5 (role "width"),
    or the convnet of Figs. 4 and 6 trained with the small ("SB") or large ("LB") batch."""

    name: str
    role: str
    label: str
    architecture: dict
    training: dict
    parameter_count: int
    rank_bound: int | None

    @property
    def family(self) -> str:
        """ "fc" (Figs. 3, 5) or "conv" (Figs. 4, 6)."""
        return "fc" if self.role == "width" else "conv"

    def file(self, folder: str, name: str) -> str:
        return f"results/mnist/{folder}/{self.name}/{name}"


def mnist_runs(config: Mapping) -> dict[str, MnistRun]:
    """MNIST-1K runs by name: fc-h<width> per width, then conv-bs<batch> for SB and LB."""
    mnist = config["mnist"]
    fc, conv = mnist["fc"], mnist["conv"]
    n_train = mnist["data"]["n_train"]
    runs = []
    for width in fc["hidden"]:
        architecture = {"kind": "mlp", "hidden": [width], "activation": mnist["activation"]}
        runs.append(
            MnistRun(
                name=f"fc-h{width}",
                role="width",
                label=f"hidden = {width}",
                architecture=architecture,
                training={key: fc[key] for key in sorted(fc) if key != "hidden"},
                parameter_count=mlp_parameter_count(MNIST_PIXELS, [width], MNIST_CLASSES),
                rank_bound=hessian_rank_bound(architecture, n_train, MNIST_CLASSES),
            )
        )
    architecture = {
        "kind": "convnet",
        "activation": mnist["activation"],
        "channels": conv["channels"],
        "hidden": conv["hidden"],
    }
    shared = {key: conv[key] for key in ("learning_rate", "steps", "log_every", "seed")}
    for role, batch in (("SB", conv["small_batch"]), ("LB", conv["large_batch"])):
        runs.append(
            MnistRun(
                name=f"conv-bs{batch}",
                role=role,
                label=f"{role} (batch {batch})",
                architecture=architecture,
                training={"batch_size": batch, **shared},
                parameter_count=convnet_parameter_count(conv["channels"], conv["hidden"]),
                rank_bound=None,
            )
        )
    return {run.name: run for run in runs}


@dataclass(frozen=True)
class CifarPart:
    """One of Section 4.1's two CIFAR-10 trainings: Part I trains the large batch ("lb")
    from the seeded initialisation, Part II the small batch ("sb") from where Part I
    ended."""

    number: int
    end: str
    settings: dict
    start: str | None

    @property
    def trajectory(self) -> str:
        return cifar_trajectory(self.number)


def cifar_trajectory(part: int) -> str:
    """The trajectory file of CIFAR-10 Part `part` (1 or 2)."""
    return f"results/cifar/part{part}.h5"


def cifar_parts(config: Mapping) -> dict[str, CifarPart]:
    """The CIFAR-10 parts by their end point's name ("lb", "sb"), in training order."""
    train = config["cifar"]["train"]
    shared = {
        key: train[key]
        for key in ("learning_rate", "steps_per_record", "records", "eval_batch_size")
    }
    lb = CifarPart(
        1,
        "lb",
        {"part": 1, "batch_size": train["large_batch"], **shared, "seed": train["seed"]},
        None,
    )
    sb = CifarPart(
        2,
        "sb",
        {"part": 2, "batch_size": train["small_batch"], **shared, "seed": train["seed"]},
        lb.trajectory,
    )
    return {"lb": lb, "sb": sb}
