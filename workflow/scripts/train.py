"""Snakemake adapter: train the blob runs of one training job (rules train_gd and
train_sgd) side by side."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.training import train_runs
from hessian_spectra.training import TrainSettings

with job(snakemake.log[0], snakemake.threads):
    model = snakemake.params.model
    train_runs(
        snakemake.params.runs,
        architecture={
            "kind": "mlp",
            "hidden": model["hidden"],
            "activation": snakemake.wildcards.act,
        },
        init_std=model["init_std"],
        bias_std=model["bias_std"],
        settings=TrainSettings.from_params(snakemake.params.training),
        device=snakemake.params.device,
    )
