"""Snakemake adapter: the Hessian spectrum of one MNIST network (rule mnist_spectrum)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps import checkpoint_spectrum

with job(snakemake.log[0], snakemake.threads):
    checkpoint_spectrum(
        snakemake.input.checkpoint,
        snakemake.input.dataset,
        snakemake.output[0],
        method=snakemake.params.method,
        k=snakemake.params.k,
        tolerance=snakemake.params.tolerance,
        max_products=snakemake.params.max_products,
        block_size=snakemake.params.block_size,
        workers=snakemake.threads,
        device=snakemake.params.device,
    )
