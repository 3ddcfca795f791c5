"""Snakemake adapter: the sensitivity runs beside the setup's (rule sensitivity)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.reports import compare_variants

with job(snakemake.log[0], snakemake.threads):
    compare_variants(snakemake.params.pairs, snakemake.output[0])
