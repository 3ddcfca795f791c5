"""Snakemake adapter: one Gaussian-blob dataset (rule blobs_dataset)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.datasets import make_dataset

with job(snakemake.log[0], snakemake.threads):
    data = snakemake.params.data
    make_dataset(
        "blobs",
        snakemake.output[0],
        n_classes=int(snakemake.wildcards.k),
        cov=float(snakemake.wildcards.cov),
        dim=data["dim"],
        n_train=data["n_train"],
        n_test=data["n_test"],
        center_box=tuple(data["center_box"]),
        seed=data["seed"],
        run_seed=int(snakemake.wildcards.seed),
        cov_multiplies=data["cov_multiplies"],
    )
