"""The one place that says where the library is: puts this checkout's src/ first on
sys.path, so the Snakefile and every job import the hessian_spectra of the workflow they
belong to, installed or not (a conda env made by --sdm conda, a cluster node's Python, a
copy of the workflow beside another checkout's editable install). Snakemake puts this
folder on the path of every script it runs; the Snakefile imports it too."""

import sys
from pathlib import Path

SOURCE = str(Path(__file__).resolve().parents[2] / "src")
if SOURCE in sys.path:
    sys.path.remove(SOURCE)
sys.path.insert(0, SOURCE)
