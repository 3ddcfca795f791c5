"""Snakemake adapter: Table 1 over the grid of runs (rule table1)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.reports import table1

with job(snakemake.log[0], snakemake.threads):
    inputs = dict(snakemake.input.items())
    table1(
        [
            {**settings, "spectrum": inputs[f"spectrum {run}"], "history": inputs[f"history {run}"]}
            for run, settings in snakemake.params.runs.items()
        ],
        snakemake.output.csv,
        snakemake.output.markdown,
        snakemake.output.latex,
    )
