"""Snakemake adapter: Part I or Part II of the CIFAR-10 experiment (rule train_cifar_part)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.basin import PartSettings
from hessian_spectra.jobs import job
from hessian_spectra.steps.cifar import train_cifar_part

with job(snakemake.log[0], snakemake.threads):
    train_cifar_part(
        snakemake.input.dataset,
        snakemake.output[0],
        settings=PartSettings(**snakemake.params.settings),
        architecture=snakemake.params.architecture,
        start=snakemake.input.start[0] if snakemake.input.start else None,
        device=snakemake.params.device,
    )
