"""Snakemake adapter: the class structure of the Gauss-Newton term (rule classes)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.classes import figure_classes

with job(snakemake.log[0], snakemake.threads):
    figure_classes(
        snakemake.params.nets,
        snakemake.output.figure,
        snakemake.output.png,
        snakemake.output.numbers,
    )
