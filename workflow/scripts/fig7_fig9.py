"""Snakemake adapter: Figs. 9 and 7, the line through the LB and SB solutions (rule
fig7_fig9)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.cifar import figure_cifar_line

with job(snakemake.log[0], snakemake.threads):
    figure_cifar_line(
        snakemake.input[0],
        snakemake.output.fig9,
        snakemake.output.fig7,
        snakemake.output.numbers,
    )
