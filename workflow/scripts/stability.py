"""Snakemake adapter: the edge of stability along GD at several learning rates (rule stability)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.trajectories import figure_stability

with job(snakemake.log[0], snakemake.threads):
    figure_stability(
        snakemake.params.trajectories,
        snakemake.output.figure,
        snakemake.output.png,
        snakemake.output.numbers,
    )
