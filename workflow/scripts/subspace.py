"""Snakemake adapter: the gradient in the top eigenspace along GD trajectories (rule subspace)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.trajectories import figure_subspace

with job(snakemake.log[0], snakemake.threads):
    figure_subspace(
        snakemake.params.trajectories,
        snakemake.output.figure,
        snakemake.output.png,
        snakemake.output.numbers,
    )
