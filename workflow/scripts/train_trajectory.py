"""Snakemake adapter: train one trajectory of the experiments beyond the paper (rules
train_subspace and train_stability), with its checkpoints."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.training import train_runs
from hessian_spectra.training import TrainSettings

with job(snakemake.log[0], snakemake.threads):
    train_runs(
        snakemake.params.runs,
        architecture=snakemake.params.architecture,
        init_std=snakemake.params.init_std,
        bias_std=snakemake.params.bias_std,
        settings=TrainSettings.from_params(snakemake.params.training),
        device=snakemake.params.device,
        stacked=snakemake.params.stacked,
    )
