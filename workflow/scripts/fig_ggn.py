"""Snakemake adapter: spectra of H, G and R = H - G (rule fig_ggn)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.figures import figure_gauss_newton

with job(snakemake.log[0], snakemake.threads):
    figure_gauss_newton(
        snakemake.params.runs,
        snakemake.output.figure,
        snakemake.output.numbers,
        top=snakemake.params.top,
    )
