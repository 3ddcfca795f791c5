"""The run tables of the experiments that change the blob setup itself, each run beside
the setup's own run at the same cell and seed: the sensitivity runs (the authors' code's
settings, blobs.variants named in sensitivity.variants) and the two sweeps of the
abstract's conjecture (the net's width at fixed data; the data at a fixed net).

Torch-free, like `runs`: the Snakefile imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from .runs import BlobRun, blob_model, initialisation_seed, number, seeds


@dataclass(frozen=True)
class VariantPair:
    """A run of the setup and the same cell and seed trained in a variant."""

    base: BlobRun
    varied: BlobRun

    @property
    def name(self) -> str:
        """The varied run's name: it says the cell, the seed and the variant."""
        return self.varied.name


def sensitivity_pairs(config: Mapping) -> list[VariantPair]:
    """Each point of sensitivity.points at every seed, in each of sensitivity.variants."""
    section = config["sensitivity"]
    pairs = []
    for point in section["points"]:
        for seed in seeds(config):
            base = BlobRun.of(point, seed, initialisation_seed(config, point["algorithm"]))
            pairs += [VariantPair(base, replace(base, variant=v)) for v in section["variants"]]
    return pairs


def _point(section: Mapping, **fields) -> dict:
    return {key: section[key] for key in ("algorithm", "activation", "n_classes", "cov")} | fields


def width_sweep(config: Mapping) -> dict[str, list[BlobRun]]:
    """Label ("h = 30") -> the runs of one width at every seed: the setup's net, then each
    variant of conjecture.widths, all on the data of conjecture's point."""
    section = config["conjecture"]
    sweep = {}
    for variant in ["", *section["widths"]]:
        hidden = blob_model(config, variant)["hidden"]
        label = "h = " + " x ".join(str(width) for width in hidden)
        init = initialisation_seed(config, section["algorithm"])
        sweep[label] = [
            BlobRun.of(_point(section, variant=variant), seed, init) for seed in seeds(config)
        ]
    return sweep


def data_sweep(config: Mapping) -> dict[str, list[BlobRun]]:
    """Label ("k = 10, cov = 1") -> the runs of one data setting at every seed, on the
    setup's net: conjecture's point, then each of conjecture.data (k and cov)."""
    section = config["conjecture"]
    init = initialisation_seed(config, section["algorithm"])
    sweep = {}
    for data in [section, *section["data"]]:
        point = _point(section, n_classes=data["n_classes"], cov=data["cov"])
        label = f"k = {point['n_classes']}, cov = {number(float(point['cov']))}"
        sweep[label] = [BlobRun.of(point, seed, init) for seed in seeds(config)]
    return sweep


def sweep_runs(config: Mapping) -> list[BlobRun]:
    """Every run these experiments train, the setup's own runs included."""
    pairs = sensitivity_pairs(config)
    sweeps = [*width_sweep(config).values(), *data_sweep(config).values()]
    return sorted(
        {*(p.base for p in pairs), *(p.varied for p in pairs), *(r for s in sweeps for r in s)}
    )
