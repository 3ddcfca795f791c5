"""The map of the tree (docs/layout.md) holds: its layout block names every rules file and
library module that exists and nothing that does not, and each artefact row leads file ->
rule -> script -> library function as the rules, the scripts and the library say."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAYOUT = (REPO / "docs" / "layout.md").read_text()
RULES = {path.name: path.read_text() for path in (REPO / "rules").glob("*.smk")}


def layout_entries() -> list[str]:
    """The paths the layout page's first code block names, with their parent folders."""
    block = LAYOUT.split("```", 2)[1]
    entries, parents = [], {}
    for line in block.splitlines():
        match = re.match(r"^( {0,4})(\S+)\s", line + " ")  # deeper: a description
        if not match or not re.search(r"[./]", match.group(2)):
            continue
        depth = len(match.group(1)) // 2
        parents[depth] = match.group(2)
        prefix = "".join(parents[d] for d in range(depth) if parents[d].endswith("/"))
        entries.append(prefix + match.group(2))
    return entries


def test_the_layout_names_what_exists():
    missing = [
        entry
        for entry in layout_entries()
        if "*" not in entry and not (REPO / entry.split()[0]).exists()
    ]
    assert missing == []


def test_the_layout_names_every_rules_file_and_library_module():
    named = set(layout_entries())
    modules = [
        str(path.relative_to(REPO))
        for path in sorted((REPO / "src" / "hessian_spectra").rglob("*.py"))
        if path.name != "__init__.py"
    ]
    rules = [f"rules/{name}" for name in sorted(RULES)]
    assert [path for path in modules + rules if path not in named] == []


def artefact_rows() -> list[list[str]]:
    table = LAYOUT.split("<!-- artefacts -->", 1)[1].split("<!-- /artefacts -->", 1)[0]
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in table.strip().splitlines()[2:]
    ]
    return [[re.findall(r"`([^`]+)`", cell) for cell in row] for row in rows]


def rule_block(rule: str) -> str:
    """The text of `rule`'s definition, or of the `use rule ... as rule` that makes it."""
    for text in RULES.values():
        match = re.search(
            rf"^(?:rule {rule}:|use rule \w+ as {rule} with:)\n(.*?)(?=^\S|\Z)",
            text,
            re.M | re.S,
        )
        if match:
            return match.group(0)
    raise AssertionError(f"no rule {rule} in rules/")


def rule_script(rule: str) -> str:
    block = rule_block(rule)
    script = re.search(r'script:\s*\n\s*"\.\./workflow/scripts/([\w.]+)"', block)
    if script:
        return script.group(1)
    parent = re.match(rf"use rule (\w+) as {rule}", block)
    assert parent, f"rule {rule} has no script"
    return rule_script(parent.group(1))


@pytest.mark.parametrize("row", artefact_rows(), ids=lambda row: row[1][0])
def test_each_artefact_leads_to_its_rule_script_and_function(row):
    files, (rule,), (script,), (function,) = row
    block = rule_block(rule)
    assert files[0].removeprefix("results/") in block, f"{files[0]} is not an output of {rule}"
    assert rule_script(rule) == script
    module_path, name = function.rsplit(".", 1)
    tree = ast.parse((REPO / "workflow" / "scripts" / script).read_text())
    imported = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert (f"hessian_spectra.{module_path}", name) in imported
    assert callable(getattr(importlib.import_module(f"hessian_spectra.{module_path}"), name))


def test_every_figure_and_table_of_rule_all_has_a_row():
    listed = {file for row in artefact_rows() for file in row[0]}
    for name in ("fig1", "fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "fig8", "fig9",
                 "fig10", "fig_ggn"):  # fmt: skip
        assert f"results/{name}.pdf" in listed
    assert {"results/table1.csv", "results/summary.md"} <= listed
