"""Snakemake adapter: GD against SGD at each grid point (rule gd_vs_sgd)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.reports import compare_gd_and_sgd

with job(snakemake.log[0], snakemake.threads):
    inputs = dict(snakemake.input.items())
    compare_gd_and_sgd(
        {
            pair: {
                **settings,
                **{
                    alg: {
                        kind: inputs[f"{alg} {kind} {pair}"]
                        for kind in ("init", "final", "spectrum")
                    }
                    for alg in ("gd", "sgd")
                },
            }
            for pair, settings in snakemake.params.pairs.items()
        },
        snakemake.output[0],
    )
