"""Numerical core of the workflow reproducing Sagun et al., "Empirical Analysis of the
Hessian of Over-Parametrized Neural Networks": data, models, training, exact Hessians,
spectra and figures. Nothing here depends on Snakemake.
"""
