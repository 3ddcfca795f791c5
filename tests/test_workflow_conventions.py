"""Snakemake's own conventions, on real runs (marker `workflow`): every rule says what it
does in `--list-rules`, every compute job leaves a benchmark file that
results/benchmarks.md sums per rule, and no job prints "Shell command: None"."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from .snakemake_runs import TEST_CONFIG, copy_workflow, messages, planned_jobs, snakemake

pytestmark = pytest.mark.workflow

# Local bookkeeping, not computation: no benchmark file.
UNBENCHMARKED = {"all", "benchmarks_table", "benchmarks_so_far", "config_used"}


def variant(**changes) -> dict:
    config = yaml.safe_load(yaml.safe_dump(TEST_CONFIG))
    for path, value in changes.items():
        section, key = path.rsplit("__", 1)
        node = config
        for part in section.split("__"):
            node = node[part]
        node[key] = value
    return config


@pytest.mark.parametrize(
    "config",
    [TEST_CONFIG, variant(hessian__split=2, mnist__spectrum__method="lanczos")],
    ids=["test-config", "split-and-lanczos"],
)
def test_every_rule_has_a_description(tmp_path, config):
    workdir = copy_workflow(tmp_path)
    listed = snakemake(workdir, "--list-rules", config=config).stdout.splitlines()
    rules = [line for line in listed if re.match(r"^\w+( |$)", line)]
    assert len(rules) > 30
    undescribed = [line for line in rules if not re.fullmatch(r"\w+ \(.+\)", line)]
    assert undescribed == []


def table_rows(path: Path) -> dict[str, int]:
    """rule -> jobs, from a rendered benchmarks table."""
    rows = re.findall(r"^\| (\w+) \| (\d+) \|", path.read_text(), re.M)
    return {rule: int(jobs) for rule, jobs in rows}


def test_every_compute_job_of_a_build_is_in_the_benchmarks_table(built, tmp_path):
    planned = planned_jobs(copy_workflow(tmp_path / "fresh"), config=TEST_CONFIG)
    expected = {rule: len(jobs) for rule, jobs in planned.items() if rule not in UNBENCHMARKED}
    assert table_rows(built / "results" / "benchmarks.md") == expected
    for rule in expected:
        assert (built / "results" / "benchmarks" / rule).exists() or (
            built / "results" / "benchmarks" / f"{rule}.tsv"
        ).is_file()


def test_no_job_prints_an_empty_shell_command(built):
    logs = [path.read_text() for path in (built / ".snakemake" / "log").glob("*.log")]
    assert any("Finished jobid" in text for text in logs)
    assert not any("Shell command" in text for text in logs)


def test_after_a_partial_build_the_benchmarks_so_far_are_tabled(built, tmp_path):
    workdir = tmp_path / "partial"
    shutil.copytree(built, workdir, symlinks=True)
    (workdir / "results" / "benchmarks" / "fig1.tsv").unlink()  # as if fig1 never ran
    result = snakemake(workdir, "-f", "results/benchmarks_so_far.md", config=TEST_CONFIG)
    assert "benchmarks_so_far" in messages(result)
    so_far = table_rows(workdir / "results" / "benchmarks_so_far.md")
    everything = table_rows(workdir / "results" / "benchmarks.md")
    assert so_far == {rule: jobs for rule, jobs in everything.items() if rule != "fig1"}
    assert planned_jobs(workdir, config=TEST_CONFIG) == {}  # rule all's table stands
