"""Snakemake adapter: results/summary.json and summary.md, the paper's claims with our
numbers (rule summary)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.reports import write_summary

with job(snakemake.log[0], snakemake.threads):
    inputs = dict(snakemake.input.items())
    write_summary(
        inputs.pop("table"),
        inputs.pop("logistic"),
        inputs.pop("gauss_newton"),
        snakemake.output.json,
        snakemake.output.markdown,
        gradient_tolerances=snakemake.params.gradient_tolerances,
        fig2=snakemake.params.fig2,
        gd_vs_sgd_numbers=inputs.pop("gd_vs_sgd", None),
        paper_rows=inputs.pop("paper_rows"),
        near_k_numbers=inputs.pop("near_k"),
        sensitivity_numbers=inputs.pop("sensitivity", None),
        conjecture_numbers=inputs.pop("conjecture", None),
        mnist_fc_numbers=inputs.pop("mnist_fc", None),
        mnist_conv_numbers=inputs.pop("mnist_conv", None),
        mnist_roles=snakemake.params.mnist_roles,
        beyond_numbers={
            name: inputs.pop(name) for name in snakemake.params.beyond if name in inputs
        },
        cifar_inputs={key.removeprefix("cifar_"): path for key, path in inputs.items()},
    )
