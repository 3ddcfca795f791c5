"""Table 1 rows and their renderings (`tables`)."""

from __future__ import annotations

import numpy as np
import pytest

from hessian_spectra import paper, tables

# A run's seed, initialisation and stop, and where its training was at that stop.
STOPPED = {"seed": 0, "init": 0, "stop": 1e-4, "steps": 12_300, "gradient_norm": 9.9e-5}


def spectrum_with(outliers: int) -> np.ndarray:
    bulk = np.concatenate([-np.geomspace(3e-4, 1e-6, 100), np.linspace(1e-2, 1e-3, 200)])
    return np.concatenate([bulk, np.geomspace(1.0, 0.1, outliers)])


def test_row_has_our_counts_and_the_papers():
    row = tables.table1_row(
        spectrum_with(10), algorithm="gd", activation="relu", n_classes=10, cov=1, **STOPPED
    )
    assert row["M"] == 310 and row["n_classes"] == 10
    assert (row["ratio"], row["heur"]) == (10, 10)
    assert (row["paper_gap"], row["paper_ratio"], row["paper_heur"]) == (11, 12, 10)
    assert row["paper_cutoff"] == 0.003


def test_row_counts_above_the_papers_own_cutoff():
    values = spectrum_with(10)
    row = tables.table1_row(
        values, algorithm="gd", activation="relu", n_classes=10, cov=1, **STOPPED
    )
    assert row["above_paper_cutoff"] == np.count_nonzero(values > 0.003) == 10 + 155


@pytest.mark.parametrize(
    ("point", "cutoff"),
    [
        (("gd", "relu", 10, 1.0), 0.003),  # its own Table 1 row
        (("gd", "relu", 3, 1.0), 0.003),  # not listed: its group shares one cutoff
        (("sgd", "relu", 3, 10.0), None),  # its group's cutoffs differ (0.015, 0.005)
        (("gd", "tanh", 2, 1.0), None),  # listed, without an elbow
        (("gd", "relu", 2, 10.0), None),  # no listed point of its group
    ],
)
def test_the_papers_cutoff_of_a_grid_point(point, cutoff):
    assert paper.elbow_cutoff(*point) == cutoff


def test_row_outside_the_papers_table_has_no_paper_counts():
    row = tables.table1_row(
        spectrum_with(2), algorithm="gd", activation="tanh", n_classes=2, cov=10, **STOPPED
    )
    assert all(row[f"paper_{key}"] is None for key in ("gap", "ratio", "heur", "cutoff"))


def test_csv_round_trip_keeps_types_and_missing_values(tmp_path):
    rows = [
        tables.table1_row(
            spectrum_with(5), algorithm="sgd", activation="relu", n_classes=5, cov=1, **STOPPED
        ),
        tables.table1_row(
            np.array([-1.0, 0.5]), algorithm="gd", activation="tanh", n_classes=2, cov=1, **STOPPED
        ),
    ]
    tables.write_csv(rows, tmp_path / "t.csv")
    assert tables.read_csv(tmp_path / "t.csv") == rows
    assert rows[1]["heur"] is None


def test_markdown_and_latex_show_ours_beside_the_papers():
    rows = [
        tables.table1_row(
            spectrum_with(5), algorithm="sgd", activation="relu", n_classes=5, cov=1, **STOPPED
        ),
        tables.table1_row(
            spectrum_with(2), algorithm="gd", activation="tanh", n_classes=2, cov=10, **STOPPED
        ),
    ]
    markdown = tables.to_markdown(rows)
    assert "| SGD relu | 305 | 1 | 0.0001 | 1 |" in markdown
    assert "| 12,300 | 9.9e-05 |" in markdown
    # gap, ratio, elbow: ours (the paper's), then our cutoff (the paper's)
    assert "| 1 (6) | 5 (7) | 5 (7) | 0.01 (0.002) |" in markdown
    assert "| 2 | 1 | 2 | 2 | 0.01 |" in markdown  # no paper row: our numbers alone
    latex = tables.to_latex(rows)
    assert latex.startswith(r"\begin{tabular}") and latex.count(r"\\") == 3


def test_a_cell_shows_the_median_and_range_over_its_seeds_at_each_stop():
    def row(outliers, seed, stop):
        return tables.table1_row(
            spectrum_with(outliers), algorithm="sgd", activation="relu", n_classes=5, cov=1,
            **STOPPED | {"seed": seed, "stop": stop},
        )  # fmt: skip

    rows = [row(5, 0, 1e-3), row(4, 1, 1e-3), row(6, 2, 1e-3), row(5, 0, 1e-4), row(5, 1, 1e-4)]
    lines = [line for line in tables.to_markdown(rows).splitlines() if line.startswith("| SGD")]
    assert len(lines) == 2  # one per stop
    assert "| 0.001 | 3 |" in lines[0] and "| 0.0001 | 2 |" in lines[1]
    assert "| 5 [4-6] (7) |" in lines[0]  # ratio: median [range] over seeds (the paper's)
    assert "| 5 (7) |" in lines[1]  # every seed gives 5


def test_the_count_at_a_stop_is_read_where_the_history_first_passes_it():
    history = {"step": np.array([0, 10, 20, 30]),
               "gradient_norm": np.array([1e-5, 5e-3, 5e-4, 5e-5])}  # fmt: skip
    assert tables.stop_record(history, 1e-3, "grad0.001") == (20, 5e-4)
    assert tables.stop_record(history, 1e-4, "final") == (30, 5e-5)
    assert tables.stop_record(history, 1e-6, "grad1e-06") == (30, 5e-5)  # never reached


def test_agreement_counts_exact_and_near_hits():
    rows = [{"n_classes": 5, "gap": 5}, {"n_classes": 5, "gap": 6}, {"n_classes": 5, "gap": None}]
    assert tables.agreement(rows, "gap") == (1, 3)
    assert tables.agreement(rows, "gap", tolerance=1) == (2, 3)
