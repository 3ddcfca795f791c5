"""Snakemake adapter: Table 1 over the grid of runs (rule table1)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.reports import table1

with job(snakemake.log[0], snakemake.threads):
    table1(
        snakemake.params.runs,
        snakemake.output.csv,
        snakemake.output.markdown,
        snakemake.output.latex,
    )
