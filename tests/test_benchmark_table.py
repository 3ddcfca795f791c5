"""results/benchmarks.md from Snakemake's benchmark files (hessian_spectra.benchmark_table):
per rule, the jobs, their total and longest wall time and the largest peak memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from hessian_spectra.benchmark_table import (
    RuleBenchmarks,
    read_benchmarks,
    render,
    write_benchmarks_table,
)

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def benchmark(path: Path, *rows: tuple[str, str]) -> None:
    """A benchmark file as Snakemake writes it: one row per repeat, (s, max_rss)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        HEADER + "".join(f"{s}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t50\t1\n" for s, rss in rows)
    )


def test_jobs_are_summed_per_rule_from_their_folders_and_single_files(tmp_path):
    benchmark(tmp_path / "hessian" / "gd-relu-k2-cov1-final.tsv", ("2.5", "100.0"))
    benchmark(tmp_path / "hessian" / "gd-relu-k3-cov1-final.tsv", ("4.0", "250.5"))
    benchmark(tmp_path / "fig10.tsv", ("1.0", "NA"))
    assert read_benchmarks(tmp_path) == [
        RuleBenchmarks("hessian", jobs=2, total_s=6.5, max_s=4.0, max_rss_mb=250.5),
        RuleBenchmarks("fig10", jobs=1, total_s=1.0, max_s=1.0, max_rss_mb=None),
    ]


def test_a_repeated_benchmark_is_one_job_at_its_mean_time(tmp_path):
    benchmark(tmp_path / "spectrum" / "a.tsv", ("1.0", "10"), ("3.0", "30"))
    (entry,) = read_benchmarks(tmp_path)
    assert (entry.jobs, entry.total_s, entry.max_rss_mb) == (1, pytest.approx(2.0), 30.0)


def test_the_markdown_has_a_row_per_rule_and_one_for_every_rule(tmp_path):
    benchmark(tmp_path / "train_sgd" / "relu-k2.tsv", ("12.25", "300"))
    benchmark(tmp_path / "fig1.tsv", ("0.5", "-"))
    text = render(read_benchmarks(tmp_path))
    assert "| train_sgd | 1 | 12.2 | 12.2 | 300.0 |" in text
    assert "| fig1 | 1 | 0.5 | 0.5 | n/a |" in text
    assert "| **every rule** | 2 | 12.8 | 12.2 | 300.0 |" in text


def test_no_benchmark_folder_is_an_empty_table(tmp_path):
    write_benchmarks_table(tmp_path / "none", tmp_path / "benchmarks.md")
    assert "(no benchmark files yet)" in (tmp_path / "benchmarks.md").read_text()
