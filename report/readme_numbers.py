"""The numbers of the results paragraphs of README.md and of the pages under docs/, and the
README's gallery of figures, read from the results of record: which files make the record,
and which function renders each block (`result_blocks` the paragraphs, `gallery` the tables).

`report/record/` holds the small text artefacts (RECORDED) of one default-config run of the
blob experiments, of one run of Figs. 3-6 (with `config/mnist-offline.yaml` here), the
config they were made with (`config.yaml`, rule `config_used`), from which the runs Figs. 1
and 2 show are read, and in `figures/` the PNG each figure rule writes beside its PDF. Each
block between `<!-- numbers: NAME -->` and `<!-- /numbers -->` of README.md or docs/*.md is
rendered from them; a test checks the pages against this.

    python report/readme_numbers.py --record results   # copy a run's files, config.yaml too
    python report/readme_numbers.py --write            # rewrite the pages' blocks
    python report/readme_numbers.py                    # check; exit 1 naming each stale block
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import gallery  # the README's tables of verdicts, beside this file
import result_blocks  # the results paragraphs, beside this file

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "report" / "record"
README = ROOT / "README.md"
DOCS = ROOT / "docs"
FIGURES = RECORD / "figures"  # the PNG of each figure of the record, beside its PDF in results/
RECORDED = (
    "config.yaml", "fig1.json", "table1.csv", "table1_vs_paper.csv", "spectrum_near_k.json",
    "gd_vs_sgd.json", "fig10.json", "fig_ggn.json", "summary.json", "summary.md",
    "mnist_fc.json", "mnist_conv.json", "sensitivity.json", "conjecture.json",
    "classes.json", "subspace.json", "stability.json", "density.json",
)  # fmt: skip
BLOCK = re.compile(r"(<!-- numbers: (\w+) -->\n)(.*?)(<!-- /numbers -->)", re.DOTALL)

BLOCKS: dict[str, Callable[[Path], str]] = {
    "fig1": result_blocks.fig1,
    "fig2": result_blocks.fig2,
    "table1": result_blocks.table1,
    "table1_vs_paper": result_blocks.table1_vs_paper,
    "gd_vs_sgd": result_blocks.gd_vs_sgd,
    "fig10": result_blocks.fig10,
    "fig10_trained": result_blocks.fig10_trained,
    "sensitivity": result_blocks.sensitivity,
    "conjecture": result_blocks.conjecture,
    "fig_ggn": result_blocks.fig_ggn,
    "mnist": result_blocks.mnist,
    "summary": result_blocks.summary,
    "gallery": gallery.gallery,
    "beyond": gallery.beyond,
}


def pages() -> list[Path]:
    """The pages whose blocks are rendered from the record: README.md and docs/*.md."""
    return [README, *sorted(DOCS.glob("*.md"))]


def rendered(text: str, record: Path = RECORD) -> str:
    """A page with every numbers block rendered from `record`."""

    def fill(match: re.Match) -> str:
        name = match.group(2)
        if name not in BLOCKS:
            raise KeyError(f"numbers block '{name}' has no renderer in {__file__}")
        return f"{match.group(1)}{BLOCKS[name](record)}\n{match.group(4)}"

    return BLOCK.sub(fill, text)


def stale_blocks(text: str, record: Path = RECORD) -> list[str]:
    fresh = dict((m.group(2), m.group(3)) for m in BLOCK.finditer(rendered(text, record)))
    return [m.group(2) for m in BLOCK.finditer(text) if fresh[m.group(2)] != m.group(3)]


def record_run(results: Path) -> None:
    """Copy a run's text artefacts (RECORDED) and its figures' PNGs into the record."""
    found = [name for name in RECORDED if (results / name).exists()]
    if not found:
        sys.exit(f"{results} holds none of {', '.join(RECORDED)}")
    if "config.yaml" not in found:
        sys.exit(
            f"{results}/config.yaml is missing: the record needs the config the run "
            "was made with; request results/config.yaml (rule config_used) from that run"
        )
    RECORD.mkdir(parents=True, exist_ok=True)
    for name in found:
        shutil.copy2(results / name, RECORD / name)
    figures = sorted(path.name for path in results.glob("*.png"))
    if figures:
        FIGURES.mkdir(exist_ok=True)
        for name in figures:
            shutil.copy2(results / name, FIGURES / name)
    print(f"recorded {', '.join(found + [f'figures/{name}' for name in figures])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", type=Path, metavar="RESULTS", help="copy from RESULTS")
    parser.add_argument("--write", action="store_true", help="rewrite the pages' blocks")
    args = parser.parse_args()
    if args.record:
        record_run(args.record)
    texts = {page: page.read_text() for page in pages()}
    if args.write or args.record:
        fresh = {page: rendered(text) for page, text in texts.items()}  # every page, or none
        for page, text in fresh.items():
            page.write_text(text)
        return
    stale = [
        f"{page.relative_to(ROOT)}: {name}"
        for page, text in texts.items()
        for name in stale_blocks(text)
    ]
    if stale:
        sys.exit(f"numbers blocks out of date with {RECORD}: {'; '.join(stale)}")


if __name__ == "__main__":
    main()
