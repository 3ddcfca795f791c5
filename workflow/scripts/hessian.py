"""Snakemake adapter: the exact Hessian at one checkpoint, or a part of its rows
(rules hessian, hessian_part and mnist_hessian)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.hessian import build_hessian

with job(snakemake.log[0], snakemake.threads):
    build_hessian(
        snakemake.input.checkpoint,
        snakemake.input.dataset,
        snakemake.output[0],
        block_size=snakemake.resources.block_size,
        chunk_size=snakemake.params.chunk_size,
        workers=snakemake.threads,
        part=snakemake.params.part,
        parts=snakemake.params.parts,
        device=snakemake.params.device,
    )
