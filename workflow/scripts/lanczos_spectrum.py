"""Snakemake adapter: Lanczos extremes of one MNIST Hessian, matrix-free (rule
mnist_spectrum with mnist.spectrum.method: lanczos)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.hessian import lanczos_spectrum

with job(snakemake.log[0], snakemake.threads):
    lanczos_spectrum(
        snakemake.input.checkpoint,
        snakemake.input.dataset,
        snakemake.output[0],
        k=snakemake.params.k,
        tolerance=snakemake.params.tolerance,
        max_products=snakemake.params.max_products,
        device=snakemake.params.device,
    )
