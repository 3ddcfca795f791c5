"""Snakemake adapter: Fig. 8, training through the LB -> SB switch (rule fig8)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.cifar import figure_cifar_training

with job(snakemake.log[0], snakemake.threads):
    figure_cifar_training(
        snakemake.input.part1,
        snakemake.input.part2,
        snakemake.input.dataset,
        snakemake.output.figure,
        snakemake.output.numbers,
    )
