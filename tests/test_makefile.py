"""The Makefile's build targets tell Snakemake the memory its jobs may hold together:
without a total, Snakemake starts local jobs side by side whatever mem_mb they declare."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    shutil.which("make") is None or not Path("/proc/meminfo").exists(),
    reason="needs make and Linux's /proc/meminfo",
)


def snakemake_line(*arguments: str) -> str:
    """The Snakemake command `make -n` would run for `arguments`."""
    printed = subprocess.run(
        ["make", "-n", *arguments], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    return next(line for line in printed.splitlines() if "bin/snakemake " in line)


@pytest.mark.parametrize("target", ["fig2", "all"])
def test_a_build_caps_the_memory_of_its_jobs_at_the_free_memory(target):
    found = re.search(r"--resources mem_mb=(\d+)\b", snakemake_line(target))
    assert found, f"`make {target}` gives Snakemake no memory total"
    total_mib = next(
        int(line.split()[1]) // 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    assert 0 < int(found[1]) <= total_mib


def test_cores_and_memory_are_the_callers_to_choose():
    line = snakemake_line("fig2", "CORES=3", "MEM_MB=4096")
    assert "--cores 3 --resources mem_mb=4096" in line
