"""Snakemake adapter: Fig. 2, spectra with the gap marked, every seed faint behind the
first (rule fig2)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.figures import figure_spectra_with_gap

with job(snakemake.log[0], snakemake.threads):
    figure_spectra_with_gap(
        snakemake.params.spectra,
        snakemake.output[0],
        top=snakemake.params.top,
        title=snakemake.params.title,
    )
