"""Snakemake adapter: sampled spectral densities against the exact spectra (rule density)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.density import figure_density

with job(snakemake.log[0], snakemake.threads):
    figure_density(
        snakemake.params.nets,
        snakemake.params.settings,
        snakemake.output.figure,
        snakemake.output.png,
        snakemake.output.numbers,
    )
