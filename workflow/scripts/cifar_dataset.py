"""Snakemake adapter: CIFAR-10 from torchvision into one HDF5 file (rule cifar_dataset)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.datasets import make_dataset

with job(snakemake.log[0], snakemake.threads):
    make_dataset("cifar", snakemake.output[0], **snakemake.params.data)
