"""The conda environment for --sdm conda carries the same pins as pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def test_conda_environment_pins_match_the_python_project():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = set(project["dependencies"])
    environment = yaml.safe_load((REPO / "envs" / "hessian-spectra.yaml").read_text())
    pip_section = next(
        item["pip"] for item in environment["dependencies"] if isinstance(item, dict)
    )
    # Jobs need everything but the workflow engine itself.
    assert set(pip_section) == {pin for pin in pins if not pin.startswith("snakemake")}
    assert all("==" in pin for pin in pins)
    python = next(
        item
        for item in environment["dependencies"]
        if isinstance(item, str) and item.startswith("python=")
    )
    assert project["requires-python"] == ">=" + python.removeprefix("python=")
