"""Snakemake adapter: top Hessian eigenvalues at a CIFAR-10 end point (rule
cifar_top_eigenvalues)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps.cifar import cifar_top_eigenvalues

with job(snakemake.log[0], snakemake.threads):
    cifar_top_eigenvalues(
        snakemake.input.dataset,
        snakemake.input.trajectory,
        snakemake.output[0],
        **snakemake.params.spectrum,
        device=snakemake.params.device,
    )
