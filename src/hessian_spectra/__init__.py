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

# torch's OpenMP threads spin between parallel regions by default. On a machine whose cores
# are also busy with other work (a shared laptop, a CI runner, a node shared by several
# jobs) two spinning threads and a competitor take turns at each barrier: a 1,501 x 1,501
# eigenvalue solve on 2 threads beside two busy processes took 35 s instead of 0.6 s.
# Passive waiting costs nothing measurable when the cores are free
# (benchmarks/oversubscription.py). OpenMP reads it when torch loads, so import
# hessian_spectra before torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
