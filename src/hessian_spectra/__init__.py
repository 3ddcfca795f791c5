"""Numerical core of the workflow reproducing Sagun et al., "Empirical Analysis of the
Hessian of Over-Parametrized Neural Networks": data, models, training, exact Hessians,
spectra and figures. Nothing here depends on Snakemake.
"""

import os

# MKL (torch's LAPACK on x86) runs its eigensolvers with reductions whose order changes
# from call to call unless Conditional Numerical Reproducibility is on: the same Hessian
# then gave eigenvalues that differ in the last bits between runs. AUTO makes them
# bit-identical for one CPU and one thread count, at no measurable cost. MKL reads these
# when first used, so they must be set before any computation (a user's own setting wins).
os.environ.setdefault("MKL_CBWR", "AUTO")
os.environ.setdefault("MKL_DYNAMIC", "FALSE")
