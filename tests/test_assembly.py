"""The block scheduler: which rows each part computes, the stages an operator declares, and
an interrupted assembly resumed to the file an uninterrupted one writes."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch

from hessian_spectra import assembly, hessian_file
from hessian_spectra.curvature import HessianOperator, mean_cross_entropy
from hessian_spectra.models import FlatModel

from .conftest import random_split, tiny_mlp


def small_problem():
    """(loss, theta) of a net with M = 53 parameters."""
    flat = FlatModel(tiny_mlp("tanh", dim=6, hidden=(5,), n_classes=3))
    return mean_cross_entropy(flat, random_split(n=20, dim=6, n_classes=3, seed=2)), flat.flatten()


@pytest.mark.parametrize("n_blocks", [0, 1, 5, 12])
@pytest.mark.parametrize("parts", [1, 2, 5, 7])
def test_the_parts_cover_every_block_once_in_order(n_blocks, parts):
    ranges = [assembly.part_blocks(n_blocks, part, parts) for part in range(parts)]
    assert [block for blocks in ranges for block in blocks] == list(range(n_blocks))
    for index in (-1, parts):
        with pytest.raises(ValueError, match=f"part {index} is not in 0..{parts - 1}"):
            assembly.part_blocks(n_blocks, index, parts)


def test_blocks_cover_the_rows_the_last_one_short():
    dim, block_size = 53, 8
    count = assembly.block_count(dim, block_size)
    bounds = [assembly.block_bounds(block, dim, block_size) for block in range(count)]
    assert bounds[0] == (0, 8) and bounds[-1] == (48, 53)
    assert all(stop == start for (_, stop), (start, _) in zip(bounds, bounds[1:], strict=False))


class DeclaredStages(HessianOperator):
    """A Hessian that declares three stages and gives a stage's rows only from its first
    column on (the rest cut off whole rows), recording which stage each call was for."""

    stage_starts = [0, 10, 23]

    def __init__(self, *args):
        super().__init__(*args)
        self.calls = []

    def stage_rows(self, stage, start, stop):
        self.calls.append((stage, start, stop))
        return self.rows(start, stop)[:, self.stage_starts[stage] :]


def test_the_scheduler_takes_the_declared_stages_and_fills_the_rest_by_symmetry(tmp_path):
    """With blocks of 4 rows, blocks 0-2 (rows 0..11) are stage 0, blocks 3-5 (rows
    12..23) stage 1, the rest stage 2: a block belongs to the stage of its first row."""
    loss, theta = small_problem()
    operator = DeclaredStages(loss, theta)
    assembly.assemble(operator, tmp_path / "h.h5", block_size=4, attrs={})
    stored = hessian_file.load(tmp_path / "h.h5")
    full = HessianOperator(loss, theta).dense()
    assert [call[0] for call in operator.calls] == [0] * 3 + [1] * 3 + [2] * 8
    for stage, start, stop in operator.calls:
        first = operator.stage_starts[stage]
        assert torch.equal(stored[start:stop, first:], full[start:stop, first:])
        assert torch.equal(stored[start:stop, :first], stored[:first, start:stop].T)
    assert (stored - full).abs().max() < 1e-12 * full.abs().max()


def test_parts_take_whole_rows_whatever_the_declared_stages(tmp_path):
    loss, theta = small_problem()
    operator = DeclaredStages(loss, theta)
    assembly.assemble(operator, tmp_path / "p.h5", block_size=4, attrs={}, part=1, parts=2)
    assert {call[0] for call in operator.calls} == {0}
    with h5py.File(tmp_path / "p.h5", "r") as handle:
        assert (handle.attrs["row_start"], handle.attrs["row_stop"]) == (28, 53)
        rows = handle[hessian_file.HESSIAN_DATASET][()]
    np.testing.assert_array_equal(rows, HessianOperator(loss, theta).rows(28, 53).numpy())


class KilledAfter(HessianOperator):
    """An operator whose job is killed after a number of row blocks."""

    def __init__(self, *args, blocks: int):
        super().__init__(*args)
        self.remaining = blocks

    def rows(self, start, stop):
        if self.remaining <= 0:
            raise KeyboardInterrupt("simulated kill")
        self.remaining -= 1
        return super().rows(start, stop)


@pytest.mark.parametrize(("workers", "part", "parts"), [(1, 0, 1), (2, 0, 1), (1, 1, 2), (2, 1, 2)])
def test_a_killed_assembly_resumes_to_the_same_bytes(tmp_path, workers, part, parts):
    """The resumed file is the uninterrupted one byte for byte, whether the rows come from
    one thread or two, for a whole matrix or a part of its rows."""
    loss, theta = small_problem()
    layout = {"block_size": 5, "attrs": {"run": "r"}, "workers": workers, "part": part}
    layout["parts"] = parts
    assembly.assemble(HessianOperator(loss, theta), tmp_path / "whole.h5", **layout)
    killed = tmp_path / "killed.h5"
    with pytest.raises(KeyboardInterrupt):
        assembly.assemble(KilledAfter(loss, theta, blocks=3), killed, **layout)
    with h5py.File(tmp_path / "killed.h5.partial", "r") as handle:
        written = int(handle[hessian_file.BLOCKS_DONE_DATASET][()].sum())
    assert 0 < written < len(assembly.part_blocks(assembly.block_count(53, 5), part, parts))
    assert not killed.exists()
    assembly.assemble(HessianOperator(loss, theta), killed, **layout)
    assert killed.read_bytes() == (tmp_path / "whole.h5").read_bytes()


# --- the symmetry check, as the rows are computed ---------------------------------------


def stored(path):
    with h5py.File(path, "r") as handle:
        return handle[hessian_file.HESSIAN_DATASET][()], dict(handle.attrs)


def whole_matrix_error(matrix):
    return float(np.abs(matrix - matrix.T).max()) / float(np.abs(matrix).max())


@pytest.mark.parametrize(("block_size", "workers"), [(1, 1), (4, 2), (5, 1), (53, 1)])
def test_the_recorded_symmetry_error_is_that_of_the_stored_rows(tmp_path, block_size, workers):
    """The matrix equals its dense reference; its recorded error, computed from the rows as
    they were computed, equals the error of the whole stored matrix bit for bit, at
    round-off."""
    loss, theta = small_problem()
    operator = HessianOperator(loss, theta)
    assembly.assemble(operator, tmp_path / "h.h5", block_size=block_size, attrs={}, workers=workers)
    matrix, attrs = stored(tmp_path / "h.h5")
    np.testing.assert_array_equal(matrix, HessianOperator(loss, theta).dense().numpy())
    assert attrs["symmetry_error"] == whole_matrix_error(matrix)
    assert 0 < attrs["symmetry_error"] < 1e-14


def test_a_staged_assembly_records_the_error_of_its_rows(tmp_path):
    """Columns filled by symmetry are exactly symmetric; the rest is round-off."""
    loss, theta = small_problem()
    assembly.assemble(DeclaredStages(loss, theta), tmp_path / "h.h5", block_size=4, attrs={})
    matrix, attrs = stored(tmp_path / "h.h5")
    assert attrs["symmetry_error"] == whole_matrix_error(matrix) < 1e-14


class PoisonedRow(HessianOperator):
    """A Hessian whose row 7 has a NaN entry."""

    def rows(self, start, stop):
        out = super().rows(start, stop)
        if start <= 7 < stop:
            out[7 - start, 2] = float("nan")
        return out


@pytest.mark.parametrize(("part", "parts", "name"), [(0, 1, "the matrix of"), (0, 2, "part in")])
def test_a_non_finite_row_stops_the_assembly_before_it_is_written(tmp_path, part, parts, name):
    loss, theta = small_problem()
    path = tmp_path / "h.h5"
    with pytest.raises(ArithmeticError, match=rf"{name} .*h\.h5.* NaN or infinite .*rows 4..7\)"):
        assembly.assemble(
            PoisonedRow(loss, theta), path, block_size=4, attrs={}, part=part, parts=parts
        )
    assert not path.exists()
    with h5py.File(tmp_path / "h.h5.partial", "r") as handle:
        assert handle[hessian_file.BLOCKS_DONE_DATASET][()].tolist()[:2] == [True, False]
