"""Snakemake adapter: train one MNIST network (rule train_mnist)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.training import train_run
from hessian_spectra.training import TrainSettings

with job(snakemake.log[0], snakemake.threads):
    training = snakemake.params.training
    train_run(
        snakemake.input.dataset,
        checkpoints={"init": snakemake.output.init, "final": snakemake.output.final},
        history=snakemake.output.history,
        run=snakemake.params.run,
        architecture=snakemake.params.architecture,
        init_std=snakemake.params.init_std,
        settings=TrainSettings.from_params(training),
        device=snakemake.params.device,
    )
