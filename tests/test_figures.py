"""Figures that must draw whatever legal settings they are given."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from hessian_spectra import plotting

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("top", [3, 5, 6, 80])
def test_fig2_draws_any_top_even_at_or_below_the_count_above_the_gap(top):
    """Five outliers above a clear gap: a right panel of 3 or 5 values has no gap to mark,
    and says so by not drawing a bar, instead of failing."""
    values = np.concatenate([np.linspace(-1e-3, 1e-2, 200), [5.0, 6.0, 7.0, 8.0, 9.0]])
    figure = plotting.spectra_with_gap({"k = 5": [values]}, top=top, title="t")
    right = figure.axes[1]
    assert len(right.lines[0].get_xdata()) == min(top, values.size)
    assert (len(right.lines) == 2) == (top > 5)  # the gap bar, where the gap is shown


def _gap_spectrum(count: int, bulk_top: float, size: int = 300) -> np.ndarray:
    """A bulk from 0 to `bulk_top` and `count` outliers 20 times higher, above the gap."""
    bulk = np.sort(np.random.default_rng(count).uniform(-1e-4, bulk_top, size - count))
    return np.concatenate([bulk, 20 * bulk_top * (1 + 0.1 * np.arange(count))])


def _overlapping(boxes) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if boxes[i].overlaps(boxes[j])
    ]


@pytest.mark.parametrize("seeds", [1, 2])
@pytest.mark.parametrize(
    ("ks", "counts", "bulk_tops"),
    [
        # The paper's k with small counts: labels beside the bars printed over each other
        # here ("kk = 5020:12").
        ([2, 5, 10, 20, 50], [2, 5, 3, 2, 1], [1e-3, 1e-3, 1e-3, 1e-3, 1.3e-3]),
        (range(20, 45), [1 + i % 3 for i in range(25)], np.geomspace(1e-3, 3e-3, 25)),
        ([3, 3, 3, 3], [3, 3, 3, 3], [1e-3] * 4),  # equal bars
    ],
    ids=["paper", "25 close", "equal"],
)
def test_fig2_count_labels_never_overlap(ks, counts, bulk_tops, seeds):
    """Each setting's count is one label ("k = 50: 1 above the gap", with the range over
    seeds where there are several); as drawn, no two labels' boxes meet, however close the
    bars. A second seed counts one more outlier."""
    spectra = {
        f"k = {k} (run {i})": [_gap_spectrum(count + seed, top) for seed in range(seeds)]
        for i, (k, count, top) in enumerate(zip(ks, counts, bulk_tops, strict=True))
    }
    figure = plotting.spectra_with_gap(spectra, top=80, title="t")
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    texts = [text for legend in figure.legends for text in legend.get_texts()]
    texts += [text for ax in figure.axes for text in ax.texts]
    spread = "" if seeds == 1 else " (seeds: {}-{})"
    expected = [
        f"{name}: {count} above the gap" + spread.format(count, count + 1)
        for name, count in zip(spectra, counts, strict=True)
    ]
    assert sorted(text.get_text() for text in texts) == sorted(expected)
    assert _overlapping([text.get_window_extent(renderer) for text in texts]) == []
    # every first seed's gap barred on the right; every other seed a line in both panels
    assert len(figure.axes[1].lines) == (1 + seeds) * len(spectra)
    assert len(figure.axes[0].lines) == seeds * len(spectra)
    plt.close(figure)


def test_fig2_draws_the_other_seeds_thin_and_faint_in_the_first_seeds_colour():
    """The first seed is drawn as with one seed (its line, its gap bar); the second only
    as faint lines of the same colour beneath, without a bar or a legend entry of its own."""
    first, second = _gap_spectrum(5, 1e-3), _gap_spectrum(4, 2e-3)
    figure = plotting.spectra_with_gap({"k = 5": [first, second]}, top=80, title="t")
    full, right = figure.axes
    (legend,) = figure.legends
    assert [text.get_text() for text in legend.get_texts()] == [
        "k = 5: 5 above the gap (seeds: 4-5)"
    ]
    main, faint = full.lines
    np.testing.assert_array_equal(main.get_ydata(), np.sort(first))
    np.testing.assert_array_equal(faint.get_ydata(), np.sort(second))
    line, bar, faint_top = right.lines
    assert list(bar.get_xdata()) == [5.5, 5.5]
    np.testing.assert_array_equal(faint_top.get_ydata(), np.sort(second)[::-1][:80])
    for thin in (faint, faint_top):
        assert thin.get_color() == main.get_color() == line.get_color()
        assert thin.get_alpha() < 1 and thin.get_linewidth() < main.get_linewidth()
        assert thin.get_zorder() < main.get_zorder()
    same = plotting.spectra_with_gap({"k = 5": [first, first]}, top=80, title="t")
    assert same.legends[0].get_texts()[0].get_text() == "k = 5: 5 above the gap (every seed: 5)"
    plt.close(figure)
    plt.close(same)


def test_fig1_counts_negative_eigenvalues_beyond_the_round_off_floor():
    """The inset counts only the values below minus M eps max|lambda| (as fig1.json and
    docs/blobs.md do), not those round-off puts just below zero, and says so."""
    size = 1000
    floor = size * np.finfo(np.float64).eps * 2.0  # max|lambda| = 2
    values = np.zeros(size)
    values[-1] = 2.0
    values[:7] = -10 * floor  # real negatives, beyond the floor
    values[7:30] = -0.5 * floor  # inside the floor: round-off, not counted
    values[30:40] = 0.5 * floor
    figure = plotting.initial_and_final_spectra(values, values, title="t")
    for ax in figure.axes:
        (inset,) = ax.texts
        assert "7 of 1,000 below -floor" in inset.get_text()
        assert f"round-off floor M eps max|λ| = {floor:.1e}" in inset.get_text()
        assert "30" not in inset.get_text()
    plt.close(figure)


def test_every_figure_is_saved_as_a_pdf_and_a_small_png_beside_it(tmp_path):
    """The PNG is what the README's gallery shows (report/record/figures/): small enough
    to commit, and, like the PDF, the same bytes for the same figure."""
    pngs = []
    for name in ("a", "b"):
        values = np.concatenate([np.linspace(-1e-3, 1e-2, 4000), [5.0, 6.0, 7.0]])
        figure = plotting.spectra_with_gap({f"k = {k}": [values * k, values] for k in range(1, 6)},
                                           top=80, title="t")  # fmt: skip
        plotting.save_figure(figure, tmp_path / f"{name}.pdf")
        assert (tmp_path / f"{name}.pdf").read_bytes().startswith(b"%PDF")
        pngs.append((tmp_path / f"{name}.png").read_bytes())
    assert pngs[0].startswith(b"\x89PNG") and len(pngs[0]) < 150_000
    assert pngs[0] == pngs[1]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.pdf", "a.png", "b.pdf", "b.png"]


def test_every_figure_rule_declares_the_png_beside_each_pdf():
    """`save_figure` writes `<name>.png` beside `<name>.pdf`; the rule that makes the PDF
    declares it, so Snakemake knows the file and `--record` finds it."""
    for path in sorted((REPO / "rules").glob("*.smk")):
        text = path.read_text()
        for pdf in re.findall(r'"(results/[\w/]+)\.pdf"', text):
            assert f'"{pdf}.png"' in text, f"{path.name}: {pdf}.pdf without {pdf}.png"
