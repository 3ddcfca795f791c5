"""The README's results paragraphs carry the numbers of the results of record
(`report/record/`, one default-config run), rendered by `report/readme_numbers.py`."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location("readme_numbers", REPO / "report/readme_numbers.py")
readme_numbers = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(readme_numbers)


def test_every_results_block_of_the_readme_matches_the_record():
    readme = (REPO / "README.md").read_text()
    blocks = readme_numbers.BLOCK.findall(readme)
    assert {name for _, name, _, _ in blocks} == set(readme_numbers.BLOCKS)
    assert readme_numbers.stale_blocks(readme) == [], (
        "README numbers differ from report/record/: run python report/readme_numbers.py --write"
    )


def test_a_changed_record_makes_its_block_stale(tmp_path):
    record = tmp_path / "record"
    shutil.copytree(readme_numbers.RECORD, record)
    numbers = json.loads((record / "fig10.json").read_text())
    numbers["two_blobs"][0]["largest"] += 1.0
    (record / "fig10.json").write_text(json.dumps(numbers))
    readme = (REPO / "README.md").read_text()
    assert readme_numbers.stale_blocks(readme, record) == ["fig10"]
