"""The test suite. Its processes wait passively in OpenMP, as the Snakefile makes every
workflow job do, set before any test module loads torch (OpenMP reads it then)."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
