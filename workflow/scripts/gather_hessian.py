"""Snakemake adapter: join the row parts of one Hessian (rule hessian, hessian.split > 1)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.curvature import gather_hessian
from hessian_spectra.jobs import job

with job(snakemake.log[0], snakemake.threads):
    gather_hessian(snakemake.input, snakemake.output[0])
