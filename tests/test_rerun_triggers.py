"""What reruns a job follows content: a built workdir copied into a fresh clone plans
nothing, and an edit to library code reruns exactly the jobs of the rules that run it
(marker `workflow`; profiles/default sets the triggers, each rule's param `code` is the
digest of hessian_spectra.code_digest)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from .snakemake_runs import TEST_CONFIG, copy_workflow, planned_jobs

pytestmark = pytest.mark.workflow


@pytest.fixture
def clone(built, tmp_path) -> Path:
    """The workflow as a fresh clone has it (every file as new as the clone), with the
    built workdir's results/ and .snakemake/ copied in as `cp -a` copies them."""
    clone = copy_workflow(tmp_path / "clone")
    time.sleep(0.01)
    now = time.time()
    for path in clone.rglob("*"):
        os.utime(path, (now, now))
    for part in ("results", ".snakemake"):
        shutil.copytree(built / part, clone / part, symlinks=True)  # keeps mtimes
    return clone


def test_a_copied_built_workdir_plans_nothing(clone):
    assert planned_jobs(clone, config=TEST_CONFIG) == {}
    # Snakemake's `code` trigger, off in profiles/default, would rerun every script job:
    # it compares the scripts' mtimes, which a clone renews, with the outputs'.
    jobs = planned_jobs(
        clone,
        "--rerun-triggers", "mtime", "params", "input", "software-env", "code",
        config=TEST_CONFIG,
    )  # fmt: skip
    assert "fig10" in jobs and "hessian" in jobs
    assert all("Code has changed" in reason for _, reason in jobs["fig10"])


def test_a_library_edit_reruns_exactly_the_rules_that_run_it(clone):
    logistic = clone / "src" / "hessian_spectra" / "logistic.py"
    logistic.write_text(logistic.read_text() + "\nDEFAULT_SEPARATION = 1.0\n")
    jobs = planned_jobs(clone, config=TEST_CONFIG)
    # Fig. 10 is the one step that imports `logistic`; the summary quotes its numbers, and
    # the benchmarks table follows every artefact.
    assert set(jobs) == {"fig10", "summary", "benchmarks_table", "all"}
    assert "Params have changed" in jobs["fig10"][0][1]


def test_a_comment_or_docstring_edit_reruns_nothing(clone):
    logistic = clone / "src" / "hessian_spectra" / "logistic.py"
    text = logistic.read_text()
    assert text.startswith('"""')
    logistic.write_text('"""Reworded. ' + text[3:] + "\n# a comment\n")
    assert planned_jobs(clone, config=TEST_CONFIG) == {}
