"""Real Snakemake runs for the tests: a copy of the workflow in a temporary folder, a run
or a dry run of it, and the jobs a dry run plans."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from .cifar_files import write_cifar10

REPO = Path(__file__).resolve().parents[1]


PARTS = ("Snakefile", "rules", "workflow", "config", "envs", "profiles", "report", "src")


SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
# A hung Snakemake would otherwise hold CI until its own limit; the net is an hour, far
# above what any run here takes on a loaded machine (the slowest, the whole test config,
# takes about 4 min idle), so it never decides a result.


SAFETY_NET_S = 3600


TEST_CONFIG = yaml.safe_load((REPO / "config" / "test.yaml").read_text())


def copy_workflow(destination: Path) -> Path:
    """The workflow's files, and the small CIFAR-10 files (in the real format) that the
    test config reads, since CIFAR-10 cannot be downloaded here."""
    destination.mkdir(parents=True, exist_ok=True)
    write_cifar10(destination / TEST_CONFIG["cifar"]["data"]["root"])
    for part in PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(
                source,
                destination / part,
                ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
            )
        else:
            shutil.copy2(source, destination / part)
    return destination


def snakemake(
    workdir: Path, *args: str, config: dict | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    # Options that take several values (--forcerun, --configfile) end at the next option,
    # so the targets and `args` come first and --configfile last.
    command = [SNAKEMAKE, *args, "--cores", "2"]
    if config is not None:
        path = workdir / "run-config.yaml"
        path.write_text(yaml.safe_dump(config))
        command += ["--configfile", str(path)]
    result = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=SAFETY_NET_S
    )
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stderr[-5000:]}")
    return result


def messages(result: subprocess.CompletedProcess) -> str:
    """Everything Snakemake printed (a dry run reports errors on stdout)."""
    return result.stdout + result.stderr


def planned_jobs(workdir: Path, *args: str, config: dict | None = None) -> dict[str, list]:
    """rule -> [(output, reason)] of the jobs a dry run would execute."""
    result = snakemake(workdir, "--dry-run", *args, config=config)
    jobs: dict[str, list] = {}
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", result.stdout):
        name = re.match(r"(?:local)?rule (\w+):", block.strip())
        if not name:
            continue
        output = re.search(r"output: (.*)", block)
        reason = re.search(r"reason: (.*)", block)
        jobs.setdefault(name.group(1), []).append(
            (output.group(1) if output else "", reason.group(1) if reason else "")
        )
    return jobs
