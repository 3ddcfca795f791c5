"""Snakemake adapter: results/config.yaml, the config of this run (rule config_used)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.reports import write_config

with job(snakemake.log[0], snakemake.threads):
    write_config(snakemake.params.config, snakemake.output[0])
