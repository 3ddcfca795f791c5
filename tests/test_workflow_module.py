"""The workflow used as a module of another workflow (`module ... use rule * from ...`):
its rules, scripts, schema and library are found from its own folder, and its artefacts
are planned in the other workflow's working directory (marker `workflow`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .cifar_files import write_cifar10
from .snakemake_runs import TEST_CONFIG, copy_workflow, planned_jobs

pytestmark = pytest.mark.workflow


def test_the_workflow_plans_as_a_module_of_another(tmp_path: Path):
    hessian = copy_workflow(tmp_path / "hessian-spectra")
    outer = tmp_path / "outer"
    outer.mkdir()
    write_cifar10(outer / TEST_CONFIG["cifar"]["data"]["root"])
    (outer / "Snakefile").write_text(
        f"module hessian:\n"
        f"    snakefile:\n"
        f"        {str(hessian / 'Snakefile')!r}\n"
        f"    config:\n"
        f"        {yaml.safe_load(yaml.safe_dump(TEST_CONFIG))!r}\n"
        f"\n\n"
        f"use rule * from hessian as hessian_*\n"
    )
    jobs = planned_jobs(outer, "results/fig10.pdf")
    assert set(jobs) == {"hessian_fig10"}
    assert jobs["hessian_fig10"][0][0].startswith("results/fig10.pdf")
    # The whole test config plans too, from the module's own rule all.
    everything = planned_jobs(outer, "hessian_all")
    assert {"hessian_fig1", "hessian_summary", "hessian_train_sgd"} <= set(everything)
    assert not (outer / "results").exists()  # a dry run writes nothing
