"""Snakemake adapter: the conjecture's width and data sweeps (rule conjecture)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.conjecture import figure_conjecture

with job(snakemake.log[0], snakemake.threads):
    figure_conjecture(
        snakemake.params.width,
        snakemake.params.data,
        snakemake.output.figure,
        snakemake.output.png,
        snakemake.output.numbers,
    )
