"""Figures that must draw whatever legal settings they are given."""

from __future__ import annotations

import numpy as np
import pytest

from hessian_spectra import plotting


@pytest.mark.parametrize("top", [3, 5, 6, 80])
def test_fig2_draws_any_top_even_at_or_below_the_count_above_the_gap(top):
    """Five outliers above a clear gap: a right panel of 3 or 5 values has no gap to mark,
    and says so by not drawing a bar, instead of failing."""
    values = np.concatenate([np.linspace(-1e-3, 1e-2, 200), [5.0, 6.0, 7.0, 8.0, 9.0]])
    figure = plotting.spectra_with_gap({"k = 5": values}, top=top, title="t")
    right = figure.axes[1]
    assert len(right.lines[0].get_xdata()) == min(top, values.size)
    assert (len(right.lines) == 2) == (top > 5)  # the gap bar, where the gap is shown
