"""Snakemake adapter: Fig. 1, the spectrum at the initial point and after GD (rule fig1)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.figures import figure_initial_and_final

with job(snakemake.log[0], snakemake.threads):
    figure_initial_and_final(
        snakemake.input.initial,
        snakemake.input.final,
        snakemake.output.figure,
        snakemake.output.numbers,
        setting=snakemake.params.setting,
    )
