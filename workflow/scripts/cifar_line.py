"""Snakemake adapter: the loss on the line through the LB and SB solutions (rule cifar_line)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.cifar import cifar_line

with job(snakemake.log[0], snakemake.threads):
    cifar_line(
        snakemake.input.dataset,
        snakemake.input.part1,
        snakemake.input.part2,
        snakemake.output[0],
        **snakemake.params.line,
        eval_batch_size=snakemake.params.eval_batch_size,
        device=snakemake.params.device,
    )
