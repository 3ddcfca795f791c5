"""The results paragraphs of README.md and of the pages under docs/, and the README's
gallery of figures, carry the numbers and verdicts of the results of record
(`report/record/`, one default-config run), rendered by `report/readme_numbers.py`; every
link between the pages leads somewhere."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "report"))  # the report's scripts, as `python report/...` runs them
import gallery  # noqa: E402
import readme_numbers  # noqa: E402

PAGES = readme_numbers.pages()


def test_the_pages_are_the_readme_and_every_page_under_docs():
    assert PAGES[0] == REPO / "README.md"
    assert {page.name for page in PAGES[1:]} >= {"blobs.md", "mnist.md", "layout.md"}


def test_every_block_has_a_renderer_and_appears_exactly_once():
    names = [
        name for page in PAGES for _, name, _, _ in readme_numbers.BLOCK.findall(page.read_text())
    ]
    assert sorted(names) == sorted(readme_numbers.BLOCKS)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_results_block_matches_the_record(page):
    assert readme_numbers.stale_blocks(page.read_text()) == [], (
        f"{page.name}: numbers differ from report/record/: "
        "run python report/readme_numbers.py --write"
    )


def test_a_changed_record_makes_its_block_stale(tmp_path):
    record = tmp_path / "record"
    shutil.copytree(readme_numbers.RECORD, record)
    numbers = json.loads((record / "fig10.json").read_text())
    numbers["two_blobs"][0]["largest"] += 1.0
    (record / "fig10.json").write_text(json.dumps(numbers))
    page = (REPO / "docs" / "appendix-b.md").read_text()
    assert readme_numbers.stale_blocks(page, record) == ["fig10"]


def test_the_gallery_shows_a_figure_exactly_when_the_record_holds_its_png(tmp_path):
    record = tmp_path / "record"
    shutil.copytree(readme_numbers.RECORD, record)
    shutil.rmtree(record / "figures", ignore_errors=True)
    row = next(line for line in gallery.gallery(record).splitlines() if "[Fig. 2]" in line)
    assert "report/record/figures/fig2.png" not in row
    assert "| (not in this record) |" in row
    (record / "figures").mkdir()
    (record / "figures" / "fig2.png").write_bytes(b"\x89PNG")
    row = next(line for line in gallery.gallery(record).splitlines() if "[Fig. 2]" in line)
    assert '<img src="report/record/figures/fig2.png"' in row
    readme = (REPO / "README.md").read_text()
    # Both tables show the record's figures: without its PNGs, both change.
    assert readme_numbers.stale_blocks(readme, record) == ["gallery", "beyond"]


def test_every_claim_of_the_gallery_is_one_the_summary_decides():
    """A gallery row finds its verdict by the claim's words: the record's summary decides
    the blob claims, and the claims the record does not hold (CIFAR-10, MNIST's tanh widths)
    are worded in summary_networks; the record decides every claim beyond the paper."""
    decided = [claim["claim"] for claim in gallery.decided_claims(readme_numbers.RECORD)]
    source = (REPO / "src/hessian_spectra/summary_networks.py").read_text()
    for shown in gallery.BEYOND:
        for _, stated in shown.claims:
            assert any(claim.startswith(stated) for claim in decided), stated
    for shown in gallery.GALLERY:
        for _, stated in shown.claims:
            assert any(claim.startswith(stated) for claim in decided) or stated in source, stated


def test_record_copies_the_runs_files_and_its_figures(tmp_path, monkeypatch):
    results, record = tmp_path / "results", tmp_path / "record"
    results.mkdir()
    for name in ("config.yaml", "fig10.json"):
        shutil.copy2(readme_numbers.RECORD / name, results / name)
    (results / "fig10.png").write_bytes(b"\x89PNG")
    (results / "fig10.pdf").write_bytes(b"%PDF")
    monkeypatch.setattr(readme_numbers, "RECORD", record)
    monkeypatch.setattr(readme_numbers, "FIGURES", record / "figures")
    readme_numbers.record_run(results)
    recorded = sorted(path.name for path in record.iterdir())
    assert recorded == ["config.yaml", "fig10.json", "figures"]
    assert [path.name for path in (record / "figures").iterdir()] == ["fig10.png"]


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces to -."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_link_between_the_pages_leads_somewhere(page):
    text = page.read_text()
    links = re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r'(?:href|src)="([^"]+)"', text)
    for link in links:
        if re.match(r"\w+:", link):
            continue  # a web address
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        assert target.exists(), f"{page.name}: {link}"
        if anchor:
            assert anchor in _anchors(target), f"{page.name}: {link}"
