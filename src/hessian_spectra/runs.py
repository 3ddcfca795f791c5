"""The blob runs: what a run is, what it is called, and which runs each table and figure
selects, all read from the config (the MNIST-1K and CIFAR-10 runs: `network_runs`).

A run is a record of fields; its name (the folder its files live in) is made from those
fields here and nowhere else, and selections, pairs and labels are built from fields, never
by parsing a name. The rules ask this module for their run tables and pass each run's
fields and files to their jobs as params. Torch-free: the Snakefile imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np

from .resources import mlp_parameter_count

ALGORITHMS = ("gd", "sgd")
ACTIVATIONS = {"relu": "ReLU", "tanh": "tanh"}


def number(value: float) -> str:
    """How a number appears in a name: 1.0 -> '1', 0.5 -> '0.5'."""
    return f"{value:g}"


@dataclass(frozen=True, order=True)
class BlobRun:
    """One network trained on Gaussian blobs (Section 3.1): the training algorithm, the
    activation, the number of clusters k and their spread cov, the seed of its data draw
    (`seed`) and the seed of its initialisation (`init`; with `seed`, also of its batch
    order). Runs that differ only in `seed` are repetitions of one cell; a GD and an SGD
    run with one `init` and `seed` start from the same point. `variant` names a departure
    from the blob setup (blobs.variants, `variants.py`); "" is the setup itself."""

    algorithm: str
    activation: str
    n_classes: int
    cov: float
    seed: int
    init: int
    variant: str = ""

    # Every blob run's files follow this pattern; the rules' wildcards spell its fields.
    # {variant} is "" or "-v<name>" (variant_suffix), so the setup's own runs keep short names.
    PATTERN = "{alg}-{act}-k{k}-cov{cov}-s{seed}-i{init}{variant}"

    @classmethod
    def of(cls, section: Mapping, seed: int, init: int) -> BlobRun:
        """The run a config mapping names by its algorithm, activation, n_classes, cov (and
        optionally variant)."""
        return cls(
            section["algorithm"],
            section["activation"],
            int(section["n_classes"]),
            float(section["cov"]),
            seed,
            init,
            section.get("variant", ""),
        )

    @property
    def name(self) -> str:
        """Its folder name, e.g. 'sgd-relu-k10-cov1-s0-i1' or 'gd-relu-k10-cov1-s0-i0-vn100'."""
        return self.PATTERN.format(
            alg=self.algorithm, act=self.activation, k=self.n_classes, cov=number(self.cov),
            seed=self.seed, init=self.init, variant=variant_suffix(self.variant),
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
        """Its fields, `variant` only where it has one: a run of the setup is named by the
        same fields as before variants existed (params, JSON keys and rows unchanged)."""
        fields = asdict(self)
        return fields if self.variant else {k: v for k, v in fields.items() if k != "variant"}

    def file(self, folder: str, name: str) -> str:
        """One of its files, e.g. run.file("spectra", "final.h5")."""
        return f"results/blobs/{folder}/{self.name}/{name}"

    def in_words(self, with_k: bool = True) -> str:
        """Its settings in words: "GD, ReLU, k = 3, cov = 1"."""
        words = [self.algorithm.upper(), ACTIVATIONS[self.activation]]
        if with_k:
            words.append(f"k = {self.n_classes}")
        return ", ".join([*words, f"cov = {number(self.cov)}"])


def variant_suffix(variant: str) -> str:
    """How a variant appears in a name: "" for the setup itself, else "-v<name>"."""
    return f"-v{variant}" if variant else ""


def variant_of(suffix: str) -> str:
    """The variant a name's suffix (a wildcard's value, "" or "-v<name>") stands for."""
    return suffix.removeprefix("-v")


def training_seed(init: int, seed: int) -> int:
    """One 32-bit seed from a run's initialisation seed and its repetition seed."""
    return int(np.random.SeedSequence([init, seed]).generate_state(1)[0])


def blob_dataset(n_classes, cov, seed, suffix="") -> str:
    """The file of the blob dataset of k, cov and seed (fields or wildcard patterns), and
    the suffix of the variant that draws it, if its data differ (variants.data_suffix)."""
    return f"results/blobs/data/k{n_classes}-cov{cov}-s{seed}{suffix}.h5"


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


def _variant_section(config: Mapping, section: str, variant: str) -> dict:
    """blobs.<section> ("data" or "model") with the keys `variant` changes in it."""
    settings = dict(config["blobs"][section])
    changes = config["blobs"].get("variants", {})[variant] if variant else {}
    return settings | {key: value for key, value in changes.items() if key in settings}


def blob_data(config: Mapping, variant: str = "") -> dict:
    """The data settings of a variant's runs: blobs.data with the variant's changes."""
    return _variant_section(config, "data", variant)


def blob_model(config: Mapping, variant: str = "") -> dict:
    """The model settings of a variant's runs: blobs.model with the variant's changes."""
    return _variant_section(config, "model", variant)


def data_suffix(config: Mapping, variant: str) -> str:
    """The suffix of a variant's dataset files: its own where it changes blobs.data, else
    none (it trains on the setup's data)."""
    return variant_suffix(variant) if blob_data(config, variant) != blob_data(config) else ""


def blob_architecture(config: Mapping, activation: str, variant: str = "") -> dict:
    """The blob net of `activation`: the hidden widths of the variant's model, fully
    connected."""
    hidden = blob_model(config, variant)["hidden"]
    return {"kind": "mlp", "hidden": hidden, "activation": activation}


def blob_parameter_count(config: Mapping, n_classes: int, variant: str = "") -> int:
    """M of the blob net for `n_classes` clusters (3960 + 31 k for [30, 30])."""
    hidden = blob_model(config, variant)["hidden"]
    return mlp_parameter_count(config["blobs"]["data"]["dim"], hidden, n_classes)


def initialisation_seed(config: Mapping, algorithm: str) -> int:
    """The initialisation seed of `algorithm`'s runs (blobs.train.<algorithm>.seed)."""
    return int(config["blobs"]["train"][algorithm]["seed"])


def table1_runs(config: Mapping) -> list[BlobRun]:
    """Table 1's grid: every combination of table1's algorithms, activations, k and cov, at
    every seed; each algorithm starts from its own initialisation seed."""
    grid = config["table1"]
    return [
        BlobRun(alg, act, int(k), float(cov), seed, initialisation_seed(config, alg))
        for alg in grid["algorithms"]
        for act in grid["activations"]
        for k in grid["n_classes"]
        for cov in grid["cov"]
        for seed in seeds(config)
    ]


def fig1_run(config: Mapping) -> BlobRun:
    """The one run Fig. 1 shows at its initial point and at its end: the first seed's."""
    section = config["fig1"]
    return BlobRun.of(section, seeds(config)[0], initialisation_seed(config, section["algorithm"]))


def fig2_runs(config: Mapping) -> list[BlobRun]:
    """Fig. 2's runs: one setting of the fig2 section at each of its k, at every seed."""
    section = config["fig2"]
    init = initialisation_seed(config, section["algorithm"])
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
        BlobRun.of(run, seeds(config)[0], initialisation_seed(config, run["algorithm"]))
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
    init = initialisation_seed(config, "gd")
    pairs = []
    for point in config["gd_vs_sgd"]["points"]:
        for seed in seeds(config):
            gd = BlobRun.of(point | {"algorithm": "gd"}, seed, init)
            pairs.append(RunPair(gd, BlobRun.of(point | {"algorithm": "sgd"}, seed, init)))
    return pairs
