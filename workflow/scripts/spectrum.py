"""Snakemake adapter: all eigenvalues of one stored matrix (rules spectrum, ggn_spectrum,
residual_spectrum and mnist_spectrum), as the plan the rule passes says."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.hessian import compute_spectrum

with job(snakemake.log[0], snakemake.threads):
    compute_spectrum(
        snakemake.input[0],
        snakemake.output[0],
        plan=snakemake.params.plan,
        memory_mb=snakemake.resources.mem_mb,
        device=snakemake.params.device,
    )
