"""The digest of the code a job runs (`hessian_spectra.code_digest`): it follows the
script and the library code the script reaches, function by function within the step
modules, and ignores comments, blank lines and docstrings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hessian_spectra.code_digest import library_digest, script_digest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.name for p in (REPO / "workflow" / "scripts").glob("*.py"))


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of src/ and workflow/scripts/ to edit."""
    for part in ("src", "workflow"):
        shutil.copytree(REPO / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def digests(tree: Path) -> dict[str, str]:
    scripts = tree / "workflow" / "scripts"
    return {name: script_digest(scripts / name, source=tree / "src") for name in SCRIPTS}


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {name for name in before if before[name] != after[name]}


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def test_a_copy_has_the_same_digests(tree):
    assert digests(tree) == {
        name: script_digest(REPO / "workflow" / "scripts" / name) for name in SCRIPTS
    }


def test_a_library_module_counts_for_the_scripts_that_reach_it(tree):
    before = digests(tree)
    append(tree / "src/hessian_spectra/logistic.py", "\nDEFAULT_SEPARATION = 1.0\n")
    assert changed(before, digests(tree)) == {"fig10.py"}
    append(tree / "src/hessian_spectra/spectrum.py", "\nPROBE = 1\n")
    after = digests(tree)
    assert {"fig1.py", "fig2.py", "spectrum.py", "table1.py", "summary.py"} <= changed(
        before, after
    )
    assert not {"train.py", "blobs_dataset.py", "config_used.py"} & changed(before, after)


def test_a_step_function_counts_only_for_its_own_script(tree):
    before = digests(tree)
    figures = tree / "src/hessian_spectra/steps/figures.py"
    text = figures.read_text()
    marker = "def figure_initial_and_final("
    assert marker in text
    figures.write_text(text.replace(marker, "def _unused():\n    return 1\n\n\n" + marker))
    assert changed(before, digests(tree)) == set()  # a new function nobody calls
    figures.write_text(text.replace('"M": int(values.size),', '"M": int(values.size) + 0,'))
    assert changed(before, digests(tree)) == {"fig1.py"}


def test_a_script_counts_for_itself(tree):
    before = digests(tree)
    append(tree / "workflow/scripts/fig2.py", "\nassert True\n")
    assert changed(before, digests(tree)) == {"fig2.py"}
    append(tree / "workflow/scripts/_source_path.py", "\nassert True\n")
    assert changed(before, digests(tree)) == set(SCRIPTS)  # every script imports it


def test_comments_blank_lines_and_docstrings_do_not_count(tree):
    before = digests(tree)
    logistic = tree / "src/hessian_spectra/logistic.py"
    text = logistic.read_text()
    assert text.startswith('"""')
    logistic.write_text('"""Reworded. ' + text[3:] + "\n\n# a comment\n")
    append(tree / "workflow/scripts/fig10.py", "# a comment\n")
    package = tree / "src/hessian_spectra/__init__.py"
    package.write_text(package.read_text().replace("# MKL", "# Intel's MKL"))
    assert digests(tree) == before


def test_library_digest_names_modules_and_top_level_names():
    module = library_digest("hessian_spectra.logistic")
    assert module != library_digest("hessian_spectra.steps.figures.figure_logistic_regression")
    assert module == library_digest("hessian_spectra.logistic")
    with pytest.raises(ValueError, match="hessian_spectra.nowhere"):
        library_digest("hessian_spectra.nowhere.name")


def test_it_imports_no_torch():
    code = (
        "import sys; sys.path.insert(0, 'src')\n"
        "from hessian_spectra import code_digest\n"
        "import glob\n"
        "for script in glob.glob('workflow/scripts/*.py'): code_digest.script_digest(script)\n"
        "assert 'torch' not in sys.modules and 'numpy' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
