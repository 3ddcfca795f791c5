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

import numpy as np

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
    activation, the number of clusters k and their spread cov, the seed of its data draw
    (`seed`) and the seed of its initialisation (`init`; with `seed`, also of its batch
    order). Runs that differ only in `seed` are repetitions of one cell; a GD and an SGD
    run with one `init` and `seed` start from the same point."""

    algorithm: str
    activation: str
    n_classes: int
    cov: float
    seed: int
    init: int

    # Every blob run's files follow this pattern; the rules' wildcards spell its fields.
    PATTERN = "{alg}-{act}-k{k}-cov{cov}-s{seed}-i{init}"

    @classmethod
    def of(cls, section: Mapping, seed: int, init: int) -> BlobRun:
        """The run a config mapping names by its algorithm, activation, n_classes, cov."""
        return cls(
            section["algorithm"],
            section["activation"],
            int(section["n_classes"]),
            float(section["cov"]),
            seed,
            init,
        )

    @property
    def name(self) -> str:
        """Its folder name, e.g. 'sgd-relu-k10-cov1-s0-i1'."""
        return self.PATTERN.format(
            alg=self.algorithm, act=self.activation, k=self.n_classes, cov=number(self.cov),
            seed=self.seed, init=self.init,
        )  # fmt: skip

    @property
    def cell(self) -> tuple[str, str, int, float]:
        """What the paper's Table 1 row of this run names: algorithm, activation, k, cov."""
        return (self.algorithm, self.activation, self.n_classes, self.cov)

    @property
    def training_seed(self) -> int:
        """The seed of its initialisation and batch order, drawn from (init, seed)."""
        return training_seed(self.init, self.seed)

    def fields(self) -> dict:
        return asdict(self)

    def file(self, folder: str, name: str) -> str:
        """One of its files, e.g. run.file("spectra", "final.h5")."""
        return f"results/blobs/{folder}/{self.name}/{name}"

    def in_words(self, with_k: bool = True) -> str:
        """Its settings in words: "GD, ReLU, k = 3, cov = 1"."""
        words = [self.algorithm.upper(), ACTIVATIONS[self.activation]]
        if with_k:
            words.append(f"k = {self.n_classes}")
        return ", ".join([*words, f"cov = {number(self.cov)}"])


def training_seed(init: int, seed: int) -> int:
    """One 32-bit seed from a run's initialisation seed and its repetition seed."""
    return int(np.random.SeedSequence([init, seed]).generate_state(1)[0])


def blob_dataset(n_classes, cov, seed) -> str:
    """The file of the blob dataset of k, cov and seed (fields or wildcard patterns)."""
    return f"results/blobs/data/k{n_classes}-cov{cov}-s{seed}.h5"


def stop_point(tolerance: float) -> str:
    """The checkpoint where a run first passes a gradient-norm tolerance, e.g. 'grad0.001'."""
    return f"grad{number(tolerance)}"


def stops(config: Mapping, algorithm: str) -> list[tuple[float | None, str]]:
    """The stops of a run of `algorithm`, as (tolerance, checkpoint): one per tolerance of
    its gradient_tolerances, largest first; the last is where it ends ("final"). Without
    tolerances the run takes all its steps: one stop (None, "final")."""
    tolerances = sorted(config["blobs"]["train"][algorithm]["gradient_tolerances"], reverse=True)
    if not tolerances:
        return [(None, "final")]
    return [(tol, stop_point(tol)) for tol in tolerances[:-1]] + [(tolerances[-1], "final")]


def seeds(config: Mapping) -> list[int]:
    """The seeds every blob cell is trained at (blobs.seeds), in the config's order."""
    return [int(seed) for seed in config["blobs"]["seeds"]]


def blob_architecture(config: Mapping, activation: str) -> dict:
    """The blob net of `activation`: blobs.model's hidden widths, fully connected."""
    return {"kind": "mlp", "hidden": config["blobs"]["model"]["hidden"], "activation": activation}


def blob_parameter_count(config: Mapping, n_classes: int) -> int:
    """M of the blob net for `n_classes` clusters (3960 + 31 k for [30, 30])."""
    blobs = config["blobs"]
    return mlp_parameter_count(blobs["data"]["dim"], blobs["model"]["hidden"], n_classes)


def _init(config: Mapping, algorithm: str) -> int:
    """The initialisation seed of `algorithm`'s runs (blobs.train.<algorithm>.seed)."""
    return int(config["blobs"]["train"][algorithm]["seed"])


def table1_runs(config: Mapping) -> list[BlobRun]:
    """Table 1's grid: every combination of table1's algorithms, activations, k and cov, at
    every seed; each algorithm starts from its own initialisation seed."""
    grid = config["table1"]
    return [
        BlobRun(alg, act, int(k), float(cov), seed, _init(config, alg))
        for alg in grid["algorithms"]
        for act in grid["activations"]
        for k in grid["n_classes"]
        for cov in grid["cov"]
        for seed in seeds(config)
    ]


def fig1_run(config: Mapping) -> BlobRun:
    """The one run Fig. 1 shows at its initial point and at its end: the first seed's."""
    section = config["fig1"]
    return BlobRun.of(section, seeds(config)[0], _init(config, section["algorithm"]))


def fig2_runs(config: Mapping) -> list[BlobRun]:
    """Fig. 2's runs: one setting of the fig2 section at each of its k, at every seed."""
    section = config["fig2"]
    init = _init(config, section["algorithm"])
    return [
        BlobRun.of(section | {"n_classes": k}, seed, init)
        for k in section["n_classes"]
        for seed in seeds(config)
    ]


def fig2_title(config: Mapping) -> str:
    """The setting Fig. 2 shows, in words (its k vary across the panel)."""
    return fig2_runs(config)[0].in_words(with_k=False)


def fig_ggn_runs(config: Mapping) -> list[BlobRun]:
    """The runs whose Gauss-Newton decomposition H = G + R is computed: the first seed's."""
    return [
        BlobRun.of(run, seeds(config)[0], _init(config, run["algorithm"]))
        for run in config["fig_ggn"]["runs"]
    ]


def blob_runs(config: Mapping) -> list[BlobRun]:
    """Every blob run some table or figure uses, sorted."""
    pairs = gd_sgd_pairs(config)
    return sorted(
        {
            *table1_runs(config), fig1_run(config), *fig2_runs(config), *fig_ggn_runs(config),
            *(pair.gd for pair in pairs), *(pair.sgd for pair in pairs),
        }
    )  # fmt: skip


@dataclass(frozen=True)
class RunPair:
    """One grid point and seed trained by GD and by SGD from the same start."""

    gd: BlobRun
    sgd: BlobRun

    @property
    def name(self) -> str:
        """The point without the algorithm, e.g. 'relu-k2-cov1-s0-i0'."""
        return self.gd.name.removeprefix(f"{self.gd.algorithm}-")

    def fields(self) -> dict:
        return {
            "activation": self.gd.activation,
            "n_classes": self.gd.n_classes,
            "cov": self.gd.cov,
            "seed": self.gd.seed,
        }


def gd_sgd_pairs(config: Mapping) -> list[RunPair]:
    """The same-start experiment: at each point of gd_vs_sgd.points and every seed, the
    GD run and an SGD run from GD's initialisation (Table 1's SGD runs start elsewhere)."""
    init = _init(config, "gd")
    pairs = []
    for point in config["gd_vs_sgd"]["points"]:
        for seed in seeds(config):
            gd = BlobRun.of(point | {"algorithm": "gd"}, seed, init)
            pairs.append(RunPair(gd, BlobRun.of(point | {"algorithm": "sgd"}, seed, init)))
    return pairs


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
