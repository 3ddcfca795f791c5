"""Snakemake adapter: the Gauss-Newton term G and the residual R = H - G at one
checkpoint (rule gauss_newton)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.hessian import build_gauss_newton

with job(snakemake.log[0], snakemake.threads):
    build_gauss_newton(
        snakemake.input.checkpoint,
        snakemake.input.dataset,
        snakemake.output.ggn,
        snakemake.output.residual,
        block_size=snakemake.resources.block_size,
        chunk_size=snakemake.params.chunk_size,
        workers=snakemake.threads,
        device=snakemake.params.device,
    )
