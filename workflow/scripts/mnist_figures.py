"""Snakemake adapter: Figs. 3 and 5 (rule fig3_fig5) or Figs. 4 and 6 (rule fig4_fig6)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.figures import figure_top_and_negative

with job(snakemake.log[0], snakemake.threads):
    figure_top_and_negative(
        snakemake.params.spectra,
        snakemake.output.top,
        snakemake.output.negative,
        snakemake.output.numbers,
        top=snakemake.params.top,
        title=snakemake.params.title,
        activations=snakemake.params.activations,
    )
