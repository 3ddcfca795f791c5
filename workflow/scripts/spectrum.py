"""Snakemake adapter: all eigenvalues of one Hessian (rule spectrum)."""

import _source_path  # noqa: F401  (src/ on sys.path)

from hessian_spectra.jobs import job
from hessian_spectra.steps import compute_spectrum

with job(snakemake.log[0], snakemake.threads):
    compute_spectrum(snakemake.input[0], snakemake.output[0])
