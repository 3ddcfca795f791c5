"""Puts the checkout's src/ first on sys.path, so a job finds hessian_spectra where it is
not installed (a conda env made by --sdm conda, a cluster node's Python). Snakemake adds
this folder to sys.path of every script it runs. (An editable install, `pip install -e`,
takes precedence through its import hook; it points at a checkout's src/ all the same.)"""

import sys
from pathlib import Path

SOURCE = str(Path(__file__).resolve().parents[2] / "src")
if SOURCE not in sys.path:
    sys.path.insert(0, SOURCE)
