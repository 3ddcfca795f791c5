"""Snakemake adapter: the MNIST-1K subsample (rule mnist_dataset)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.datasets import make_dataset

with job(snakemake.log[0], snakemake.threads):
    make_dataset("mnist", snakemake.output[0], **snakemake.params.data)
