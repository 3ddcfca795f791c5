"""Snakemake adapter: results/summary.md, the paper's claims with our numbers."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps import write_summary

with job(snakemake.log[0], snakemake.threads):
    write_summary(
        snakemake.input.table,
        snakemake.input.logistic,
        snakemake.input.gauss_newton,
        snakemake.output[0],
        mnist_fc_numbers=snakemake.input.mnist_fc,
        mnist_conv_numbers=snakemake.input.mnist_conv,
    )
