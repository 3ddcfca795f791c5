"""Snakemake adapter: Table 1 against the paper's own rows (rule table1_vs_paper)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.reports import compare_with_paper

with job(snakemake.log[0], snakemake.threads):
    compare_with_paper(
        snakemake.params.runs,
        snakemake.input.table,
        snakemake.output.csv,
        snakemake.output.markdown,
        snakemake.output.near_k,
    )
