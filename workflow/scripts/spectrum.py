"""Snakemake adapter: all eigenvalues of one stored Hessian (rules spectrum and
mnist_spectrum), in the most precise arithmetic that fits the job's declared memory."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.hessian import compute_spectrum

with job(snakemake.log[0], snakemake.threads):
    compute_spectrum(
        snakemake.input[0],
        snakemake.output[0],
        memory_mb=snakemake.resources.mem_mb,
        device=snakemake.params.device,
        rank_bound=snakemake.params.rank_bound,
    )
