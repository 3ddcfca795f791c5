"""Snakemake adapter: spectra of H, G and R = H - G (rule fig_ggn)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.figures import figure_gauss_newton

with job(snakemake.log[0], snakemake.threads):
    runs = [
        {**run, "hessian": hessian, "spectrum": spectrum, "ggn": ggn}
        for run, hessian, spectrum, ggn in zip(
            snakemake.params.runs,
            snakemake.input.hessians,
            snakemake.input.spectra,
            snakemake.input.ggns,
            strict=True,
        )
    ]
    figure_gauss_newton(
        runs, snakemake.output.figure, snakemake.output.numbers, top=snakemake.params.top
    )
