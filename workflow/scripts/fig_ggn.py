"""Snakemake adapter: spectra of H, G and R = H - G (rule fig_ggn)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.figures import figure_gauss_newton

KINDS = ("spectrum", "ggn", "residual")  # the inputs of each run, named "<kind> <run>"

with job(snakemake.log[0], snakemake.threads):
    inputs = dict(snakemake.input.items())
    runs = [
        {**run, "label": name, **{kind: inputs[f"{kind} {name}"] for kind in KINDS}}
        for name, run in snakemake.params.runs.items()
    ]
    figure_gauss_newton(
        runs, snakemake.output.figure, snakemake.output.numbers, top=snakemake.params.top
    )
