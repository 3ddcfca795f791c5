"""Snakemake adapter: join the row parts of one Hessian (rule hessian, with hessian.split > 1)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.hessian_file import gather
from hessian_spectra.jobs import job

with job(snakemake.log[0], snakemake.threads):
    gather(snakemake.input, snakemake.output[0])
