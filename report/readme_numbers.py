"""The numbers of the results paragraphs of README.md and of the pages under docs/, read from
the results of record.

`report/record/` holds the small text artefacts (RECORDED) of one default-config run of the
blob experiments, of one run of Figs. 3-6 (with `config/mnist-offline.yaml` here), the
config they were made with (`config.yaml`, rule `config_used`), from which the runs Figs. 1
and 2 show are read. Each block between `<!-- numbers: NAME -->` and `<!-- /numbers -->` of
README.md or docs/*.md is rendered from them; a test checks the pages against this.

    python report/readme_numbers.py --record results   # copy a run's files, config.yaml too
    python report/readme_numbers.py --write            # rewrite the pages' blocks
    python report/readme_numbers.py                    # check; exit 1 naming each stale block
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml

from hessian_spectra import paper_comparison, runs, tables

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "report" / "record"
README = ROOT / "README.md"
DOCS = ROOT / "docs"
RECORDED = (
    "config.yaml", "fig1.json", "table1.csv", "table1_vs_paper.csv", "spectrum_near_k.json",
    "gd_vs_sgd.json", "fig10.json", "fig_ggn.json", "summary.json", "summary.md",
    "mnist_fc.json", "mnist_conv.json",
)  # fmt: skip
BLOCK = re.compile(r"(<!-- numbers: (\w+) -->\n)(.*?)(<!-- /numbers -->)", re.DOTALL)


def _load(record: Path, name: str):
    return json.loads((record / name).read_text())


def _config(record: Path) -> dict:
    return yaml.safe_load((record / "config.yaml").read_text())


def _rows_of(record: Path, selected: list[runs.BlobRun]) -> list[dict]:
    """Table 1's rows of the `selected` runs that the grid holds, in their order."""
    rows = {
        runs.BlobRun(r["algorithm"], r["activation"], r["n_classes"], r["cov"]): r
        for r in tables.read_csv(record / "table1.csv")
    }
    return [rows[run] for run in selected if run in rows]


def _listing(values) -> str:
    values = [str(v) for v in values]
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def fig1(record: Path) -> str:
    numbers = _load(record, "fig1.json")
    start, end = numbers["initial"], numbers["final"]
    run = runs.fig1_run(_config(record))
    steps = [r["steps"] for r in _rows_of(record, [run])]
    stopped = (
        f"after {steps[0]:,} {run.algorithm.upper()} steps (its gradient tolerance)"
        if steps
        else f"after {run.algorithm.upper()}"
    )
    return (
        f"At initialisation the eigenvalues range from {start['min']:.2f} to {start['max']:.2f} "
        f"with {start['negative']:,} of {start['M']:,} negative ({start['negative_count']:,} "
        f"beyond the round-off floor M eps max|lambda| = {start['floor']:.1e}); {stopped} the "
        f"largest is {end['max']:.2g}, the smallest {end['min']:.2g} "
        f"(|lambda_min| / lambda_max = {end['negative_to_largest']:.1e}), and "
        f"{end['negative_count']:,} eigenvalues lie below minus the floor "
        f"({end['floor']:.1e})."
    )


def _fig2_rows(record: Path) -> tuple[list[dict], str]:
    """Table 1's rows of Fig. 2's runs by k, and their setting in words."""
    config = _config(record)
    rows = _rows_of(record, runs.fig2_runs(config))
    return sorted(rows, key=lambda r: r["n_classes"]), runs.fig2_title(config)


def fig2(record: Path) -> str:
    rows, setting = _fig2_rows(record)
    return (
        f"The count above the largest gap is {_listing([r['gap'] for r in rows])} for "
        f"k = {_listing([r['n_classes'] for r in rows])} ({setting})."
    )


def table1(record: Path) -> str:
    rows = tables.read_csv(record / "table1.csv")
    per_activation = []
    for act in ("relu", "tanh"):
        chosen = [r for r in rows if r["activation"] == act]
        hits = ", ".join(
            "{} {}/{}".format(key, *tables.agreement(chosen, key, tolerance=1))
            for key in tables.COUNTERS
        )
        per_activation.append(f"{act}: {hits}")
    fig2, setting = _fig2_rows(record)
    elbows = ["N/A" if r["heur"] is None else str(r["heur"]) for r in fig2]
    with_cutoff = [r for r in rows if r["above_paper_cutoff"] is not None]
    above = [r["above_paper_cutoff"] for r in with_cutoff]
    cutoffs = sorted({r["paper_cutoff"] for r in with_cutoff})
    tops = [r["max"] for r in with_cutoff]
    return (
        "Within one of k, by counter: "
        + "; ".join(per_activation)
        + f". The kneed elbow counts {_listing(elbows)} for k = "
        f"{_listing([r['n_classes'] for r in fig2])} ({setting}). Above the paper's own "
        f"cutoffs ({_listing([format(c, 'g') for c in cutoffs])}), in the {len(with_cutoff)} "
        f"runs it gives one for: {min(above)} to {max(above)} eigenvalues; our largest "
        f"eigenvalue there is {min(tops):.1e} to {max(tops):.1e} once training has run to "
        "the gradient tolerance."
    )


def table1_vs_paper(record: Path) -> str:
    """The paper's 19 rows, both columns scored against k the same way, the offsets
    between them, and the scale of the spectrum."""
    rows = paper_comparison.read_rows(record / "table1_vs_paper.csv")
    rates = paper_comparison.hit_rates(rows)
    scored = "; ".join(
        f"{name}: paper {r['paper_exact']}/{r['rows']} exact and {r['paper_within_one']}/"
        f"{r['rows']} within one, ours {r['ours_exact']}/{r['rows']} and "
        f"{r['ours_within_one']}/{r['rows']}"
        for name, r in (
            ("gap", rates["gap"]),
            ("ratio", rates["ratio"]),
            ("heur against our group elbow", rates["heur"]),
            ("against our per-spectrum knee", rates["kneed"]),
        )
    )
    shifts = ", ".join(
        f"{name} ours {e['offset']:+d} in {e['rows']} of {e['of']}"
        for name, e in paper_comparison.offsets(rows).items()
    )
    ratio = paper_comparison.scale(rows)
    return (
        f"On the paper's {len(rows)} rows: {scored}. The paper's columns read as {shifts}. "
        f"Its mean eigenvalue is {ratio['smallest']:.1f} to {ratio['largest']:.1f} times ours, "
        f"and its cutoffs lie at or above our largest eigenvalue in {ratio['cutoffs_above_top']} "
        f"of {ratio['cutoff_rows']} rows."
    )


def gd_vs_sgd(record: Path) -> str:
    pairs = list(_load(record, "gd_vs_sgd.json").values())
    steps_gd = [p["steps_gd"] for p in pairs]
    step_ratio = [p["steps_sgd"] / p["steps_gd"] for p in pairs]
    distance = [p["relative_distance"] for p in pairs]
    difference = [p["spectrum_difference"] for p in pairs]
    top_ratio = [p["max_sgd"] / p["max_gd"] for p in pairs]
    return (
        f"Over the {len(pairs)} grid points GD needs {min(steps_gd):,} to {max(steps_gd):,} "
        f"steps to reach the tolerance, and SGD {min(step_ratio):.3f} to {max(step_ratio):.3f} "
        f"times as many. SGD ends {np.median(distance):.3f} (median; {min(distance):.3f} to "
        f"{max(distance):.3f}) of the distance GD travelled away from GD's end point; the "
        f"largest eigenvalues agree within a factor {min(top_ratio):.2f} to "
        f"{max(top_ratio):.2f}, and the two spectra differ rank by rank by at most "
        f"{max(difference):.3f} of lambda_max(GD) (median {np.median(difference):.3f})."
    )


def fig10(record: Path) -> str:
    numbers = _load(record, "fig10.json")
    single, two = numbers["single_blob"], numbers["two_blobs"]

    def join(entries, key, form):
        return _listing([format(e[key], form) for e in entries])

    return (
        f"KS distances {join(single, 'ks_distance', '.3f')} at alpha = "
        f"{join(single, 'alpha', 'g')}, against the Monte Carlo critical values "
        f"{join(single, 'ks_critical', '.3f')} ({single[0]['ks_draws']} draws); a law 10% off "
        f"gives {join(single, 'ks_wrong_variance', '.3f')} (variance) and "
        f"{join(single, 'ks_wrong_ratio', '.3f')} (ratio). Two blobs at alpha = "
        f"{join(two, 'alpha', 'g')} (N = {join(two, 'N', ',')}): "
        f"{join(two, 'n_above_bulk', 'd')} eigenvalues above the bulk edge, the largest at "
        f"{join(two, 'largest', '.3g')} against BBP's {join(two, 'predicted_outlier', '.3g')} "
        f"(finite-N standard deviations {join(two, 'predicted_spread', '.2f')})."
    )


def fig_ggn(record: Path) -> str:
    numbers = _load(record, "fig_ggn.json")
    parts = [
        f"{run}: rank(G) {entry['rank_G']:,} of M = {entry['M']:,} (N(k-1) = "
        f"{entry['rank_bound']:,}), lambda_min(G) / lambda_max(G) = "
        f"{entry['min_G'] / entry['max_G']:.0e}, norm(R) / lambda_max(H) = "
        f"{entry['norm_R_over_max_H']:.3f}, top-k of G within "
        f"{entry['top_k_relative_difference']:.1%} of H's"
        for run, entry in numbers.items()
    ]
    return "; ".join(parts) + "."


def mnist(record: Path) -> str:
    """Per MNIST-1K net: the top, the right edge of Fig. 3 / 4, and the negative
    eigenvalues beyond the round-off floor (Figs. 5 / 6)."""
    top = _config(record)["mnist"]["spectrum"]["top"]
    parts = [
        f"{label}: M = {net['M']:,}, lambda_max {net['largest']:.3g}, {_ordinal(top)} largest "
        f"{net['top_edge']:.3g}, {net['negative_count']:,} below minus the floor "
        f"{net['floor']:.1e} ({net['negative_share']:.2%} of M), |lambda_min| / lambda_max "
        f"{net['negative_to_largest']:.1e}"
        for name in ("mnist_fc.json", "mnist_conv.json")
        for label, net in _load(record, name).items()
    ]
    return "; ".join(parts) + "."


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def summary(record: Path) -> str:
    """Each section of the summary with the verdicts it decides, in order."""
    sections = _load(record, "summary.json")["sections"]

    def worded(claim: dict) -> str:
        check = claim.get("kind") == "engine check"
        return claim["verdict"] + (" (engine check)" if check else "")

    return "\n".join(
        f"- {section['title']}: {', '.join(map(worded, section['claims']))}"
        for section in sections
        if section["claims"]
    )


BLOCKS: dict[str, Callable[[Path], str]] = {
    "fig1": fig1,
    "fig2": fig2,
    "table1": table1,
    "table1_vs_paper": table1_vs_paper,
    "gd_vs_sgd": gd_vs_sgd,
    "fig10": fig10,
    "fig_ggn": fig_ggn,
    "mnist": mnist,
    "summary": summary,
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
    """Copy a run's text artefacts (RECORDED) into the record."""
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
    print(f"recorded {', '.join(found)}")


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
