"""Snakemake adapter: train one blob network (rules train_gd and train_sgd)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.training import train_run
from hessian_spectra.training import TrainSettings

with job(snakemake.log[0], snakemake.threads):
    training = snakemake.params.training
    model = snakemake.params.model
    train_run(
        snakemake.input.dataset,
        checkpoints={name: path for name, path in snakemake.output.items() if name != "history"},
        history=snakemake.output.history,
        run=snakemake.params.run,
        architecture={
            "kind": "mlp",
            "hidden": model["hidden"],
            "activation": snakemake.wildcards.act,
        },
        init_std=model["init_std"],
        settings=TrainSettings.from_params(training),
    )
