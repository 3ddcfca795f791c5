# Reproduces the figures and tables of Sagun et al., "Empirical Analysis of the Hessian of
# Over-Parametrized Neural Networks". Request any artefact by its file, e.g.
#   snakemake results/fig2.pdf --cores 8
# Data -> training checkpoints -> exact Hessians (HDF5) -> eigenvalues -> figures.

import os
import sys

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "config/schema.yaml")

# The numerical core lives in src/hessian_spectra. Jobs find it through PYTHONPATH, so the
# workflow runs from a checkout whether or not the package is installed (e.g. in a conda
# environment made by --sdm conda, or on a cluster node).
SOURCE_DIR = os.path.join(workflow.basedir, "src")
sys.path.insert(0, SOURCE_DIR)
os.environ["PYTHONPATH"] = os.pathsep.join(
    path for path in (SOURCE_DIR, os.environ.get("PYTHONPATH")) if path
)


include: "rules/common.smk"
include: "rules/blobs.smk"
include: "rules/hessian.smk"
include: "rules/figures.smk"


rule all:
    default_target: True
    input:
        rules.fig1.output,
        rules.fig2.output,
