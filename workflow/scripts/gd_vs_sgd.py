"""Snakemake adapter: GD against SGD at each grid point (rule gd_vs_sgd)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.reports import compare_gd_and_sgd

with job(snakemake.log[0], snakemake.threads):
    compare_gd_and_sgd(snakemake.params.pairs, snakemake.output[0])
