"""Snakemake adapter: results/benchmarks.md from the benchmark files of every job that has
run (rules benchmarks_table and benchmarks_so_far)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.benchmark_table import write_benchmarks_table
from hessian_spectra.jobs import job

with job(snakemake.log[0], snakemake.threads):
    write_benchmarks_table(snakemake.params.folder, snakemake.output[0])
