"""Snakemake adapter: results/summary.md, the paper's claims with our numbers."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.reports import write_summary

with job(snakemake.log[0], snakemake.threads):
    write_summary(
        snakemake.input.table,
        snakemake.input.logistic,
        snakemake.input.gauss_newton,
        snakemake.output[0],
        mnist_fc_numbers=snakemake.input.mnist[0] if snakemake.input.mnist else None,
        mnist_conv_numbers=snakemake.input.mnist[1] if snakemake.input.mnist else None,
        cifar_inputs={
            key.removeprefix("cifar_"): path
            for key, path in snakemake.input.items()
            if key.startswith("cifar_")
        },
    )
