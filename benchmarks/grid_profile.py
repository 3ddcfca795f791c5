"""Where the time of a workflow run went, per rule, read from the jobs' logs.

Every job logs with timestamps from its start to its end, so the span of its log is the
time spent in the library (Python start-up and imports, about 2 s a job here, are not in
it). Run after a build, from the repository root:

    rm -rf results && time snakemake --cores 2     # the whole grid, every artefact
    python benchmarks/grid_profile.py              # the breakdown by rule
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path

STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


def log_span(path: Path) -> float | None:
    stamps = [
        datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f")
        for line in path.read_text().splitlines()
        if (m := STAMP.match(line))
    ]
    return (stamps[-1] - stamps[0]).total_seconds() if len(stamps) > 1 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=Path, default=Path("results/logs"))
    args = parser.parse_args()
    spans: dict[str, list[float]] = defaultdict(list)
    for path in sorted(args.logs.rglob("*.log")):
        rule = path.parent.name if path.parent != args.logs else path.stem
        span = log_span(path)
        if span is not None:
            spans[rule].append(span)
    total = sum(sum(values) for values in spans.values())
    print(f"{'rule':15s} {'jobs':>5s} {'total s':>9s} {'mean s':>8s} {'share':>7s}")
    for rule, values in sorted(spans.items(), key=lambda item: -sum(item[1])):
        print(
            f"{rule:15s} {len(values):5d} {sum(values):9.1f} {sum(values) / len(values):8.2f} "
            f"{sum(values) / total:7.1%}"
        )
    print(f"{'all':15s} {sum(map(len, spans.values())):5d} {total:9.1f}")


if __name__ == "__main__":
    main()
