# Reproduces the figures and tables of Sagun et al., "Empirical Analysis of the Hessian of
# Over-Parametrized Neural Networks". Request any artefact by its file, e.g.
#   snakemake results/fig2.pdf --cores 8
# Data -> training checkpoints -> exact Hessians (HDF5) -> eigenvalues -> figures.

import os
import sys

from snakemake.utils import min_version, validate

min_version("9.0")

# torch's OpenMP threads wait passively between parallel regions in every job (each job is
# started by a Snakemake process that read this file, on a cluster node too, and inherits
# its environment): threads that spin on cores busy with other work made a job tens of
# times slower (docs/benchmarks.md, "On a machine busy with other work"). The numbers do
# not depend on it, so it is set here, outside the code whose digest decides reruns; a
# user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


# The numerical core lives in src/hessian_spectra; the rules use its torch-free size
# helpers. workflow/scripts/_source_path.py puts src/ first on the path, here and in every
# job, so the workflow runs its own library whether or not (or wherever) it is installed.
# WORKFLOW_DIR is this file's folder, also where another workflow uses this one as a module
# (workflow.basedir is then the other workflow's).
WORKFLOW_DIR = workflow.current_basedir.get_path_or_uri(secret_free=True)
sys.path.insert(0, os.path.join(WORKFLOW_DIR, "workflow", "scripts"))
import _source_path  # noqa: F401
from hessian_spectra import config_reading

# A broken config.yaml is named with its line (Snakemake's error names neither; for a
# --configfile, `snakemake --verbose` shows them). Text from --config becomes the numbers
# the schema asks for, and a float where an integer is meant is refused by its key.
if os.path.exists("config/config.yaml"):
    config_reading.read_yaml("config/config.yaml")


configfile: "config/config.yaml"


config_reading.typed(config, os.path.join(WORKFLOW_DIR, "config", "schema.yaml"))
validate(config, "config/schema.yaml")


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/blobs.smk"
include: "rules/hessian.smk"
include: "rules/blob_figures.smk"
include: "rules/sweeps.smk"
include: "rules/logistic.smk"
include: "rules/mnist.smk"
include: "rules/cifar.smk"
include: "rules/beyond.smk"
include: "rules/summary.smk"


# What rule all builds: every figure and table and the summary, then the table of the
# benchmarks of the jobs that made them.
ARTEFACTS = [
    rules.fig1.output,
    rules.fig2.output,
    rules.fig10.output,
    rules.fig_ggn.output,
    rules.table1.output,
    rules.table1_vs_paper.output,
    rules.sensitivity.output,
    rules.conjecture.output,
    rules.fig3_fig5.output,
    rules.fig4_fig6.output,
    rules.fig8.output,
    rules.fig7_fig9.output,
    expand(rules.cifar_top_eigenvalues.output, end=["lb", "sb"]),
    rules.classes.output,
    rules.subspace.output,
    rules.density.output,
    rules.stability.output,
    rules.summary.output,
]


include: "rules/benchmarks.smk"


rule all:
    """Every figure and table, the summary and results/benchmarks.md (the default target)."""
    default_target: True
    input:
        ARTEFACTS,
        rules.benchmarks_table.output,
    localrule: True
