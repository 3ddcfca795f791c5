"""Puts the checkout's src/ first on sys.path, so every job imports this workflow's own
hessian_spectra whether or not it is installed (a conda env made by --sdm conda, a
cluster node). Snakemake adds this folder to sys.path of every script it runs."""

import sys
from pathlib import Path

SOURCE = str(Path(__file__).resolve().parents[2] / "src")
if SOURCE not in sys.path:
    sys.path.insert(0, SOURCE)
