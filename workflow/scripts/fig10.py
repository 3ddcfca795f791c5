"""Snakemake adapter: Fig. 10, logistic regression against random-matrix theory."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.figures import figure_logistic_regression

with job(snakemake.log[0], snakemake.threads):
    settings = snakemake.params.settings
    figure_logistic_regression(
        snakemake.output.figure,
        snakemake.output.numbers,
        dim=settings["dim"],
        alphas=settings["alphas"],
        two_blob_alphas=settings["two_blob_alphas"],
        separation=settings["separation"],
        seed=settings["seed"],
        tolerance=settings["train"]["tolerance"],
        max_steps=settings["train"]["max_steps"],
        trained_separation=settings["train"]["separation"],
    )
