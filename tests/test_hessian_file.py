"""The dense Hessian file: its layout, its joined parts, and readers that open it once and
refuse a bad file with a message naming the file and the problem."""

from __future__ import annotations

from contextlib import contextmanager

import h5py
import numpy as np
import pytest
import torch

from hessian_spectra import assembly, hessian_file, low_rank, resources, storage
from hessian_spectra.curvature import HessianOperator, mean_cross_entropy
from hessian_spectra.models import FlatModel
from hessian_spectra.steps.hessian import compute_spectrum
from hessian_spectra.storage import ArtefactError

from .conftest import random_split, tiny_mlp


def write_hessian(path, matrix, **attrs):
    with h5py.File(path, "w") as handle:
        handle.create_dataset(hessian_file.HESSIAN_DATASET, data=matrix)
        storage.set_attrs(handle, attrs)


def test_hessian_of_the_wrong_shape_is_named(tmp_path):
    path = tmp_path / "h.h5"
    write_hessian(path, np.zeros((4, 5)))
    with pytest.raises(ArtefactError, match=r"h\.h5: dataset 'hessian' has shape \(4, 5\)"):
        hessian_file.read(path)


def test_hessian_disagreeing_with_its_parameter_count(tmp_path):
    path = tmp_path / "h.h5"
    write_hessian(path, np.zeros((4, 4)), parameter_count=5)
    with pytest.raises(ArtefactError, match="says M = 5"):
        hessian_file.read(path)


def test_float32_hessian_is_refused(tmp_path):
    path = tmp_path / "h.h5"
    write_hessian(path, np.zeros((3, 3), dtype=np.float32))
    with pytest.raises(ArtefactError, match="float32, expected float64"):
        hessian_file.read(path)


def test_incomplete_hessian_is_refused(tmp_path):
    path = tmp_path / "h.h5"
    write_hessian(path, np.eye(3))
    with h5py.File(path, "a") as handle:
        handle.create_dataset(hessian_file.BLOCKS_DONE_DATASET, data=np.array([True, False]))
    with pytest.raises(ArtefactError, match="incomplete"):
        hessian_file.read(path)


def test_non_hdf5_file_is_named(tmp_path):
    path = tmp_path / "h.h5"
    path.write_text("not hdf5")
    with pytest.raises(ArtefactError, match=r"h\.h5 is not a readable HDF5 file"):
        hessian_file.read(path)


def test_a_non_finite_entry_is_refused_naming_its_slab(tmp_path):
    path = tmp_path / "h.h5"
    matrix = np.eye(8)
    matrix[5, 1] = np.inf
    write_hessian(path, matrix)
    with hessian_file.HessianFile(path) as stored:
        slabs = stored.row_slabs(slab_bytes=4 * 8 * 8)  # four rows at a time
        assert next(slabs)[0] == 0  # rows 0..3 are finite
        with pytest.raises(ArtefactError, match=r"h\.h5: .* NaN or infinite values \(rows 4..7\)"):
            next(slabs)


# --- integrity: checksums, symmetry -------------------------------------------------------


def flip_stored_byte(path, dataset: str, position: int = 5) -> None:
    """Change one byte of a dataset's first chunk on disk, as a failing disk would: the
    file keeps its size and HDF5 structure."""
    with h5py.File(path, "r") as handle:
        offset = handle[dataset].id.get_chunk_info(0).byte_offset
    with open(path, "r+b") as raw:
        raw.seek(offset + position)
        byte = raw.read(1)
        raw.seek(offset + position)
        raw.write(bytes([byte[0] ^ 0x5A]))


def assembled_hessian(path):
    """A small Hessian assembled into its file, with its recorded symmetry error."""
    flat = FlatModel(tiny_mlp("tanh", dim=5, hidden=(4,), n_classes=3))
    loss = mean_cross_entropy(flat, random_split(n=20, dim=5, n_classes=3, seed=1))
    operator = HessianOperator(loss, flat.flatten())
    assembly.assemble(operator, path, block_size=8, attrs={"run": "unit"})
    return operator.dense().numpy()


def test_a_changed_byte_of_a_hessian_fails_its_checksum(tmp_path):
    path = tmp_path / "h.h5"
    assembled_hessian(path)
    flip_stored_byte(path, hessian_file.HESSIAN_DATASET)
    with pytest.raises(ArtefactError, match=rf"Hessian file {path} could not be read .*checksum"):
        hessian_file.load(path)


def test_an_entry_rewritten_through_hdf5_breaks_the_recorded_symmetry(tmp_path):
    """h5py recomputes the checksum of what it writes; the symmetry check still sees one
    lower-triangle entry that moved."""
    path = tmp_path / "h.h5"
    matrix = assembled_hessian(path)
    np.testing.assert_array_equal(hessian_file.load(path).numpy(), matrix)
    with h5py.File(path, "r+") as handle:
        handle[hessian_file.HESSIAN_DATASET][7, 2] += 0.39
    with pytest.raises(ArtefactError, match=rf"Hessian file {path}: max\|H - H\^T\|.*changed"):
        hessian_file.load(path)
    with pytest.raises(ArtefactError, match="changed"):
        hessian_file.load(path, torch.float32)


# --- one handle per use -----------------------------------------------------------------


@pytest.fixture
def opens(monkeypatch):
    """The paths hessian_file opens for reading, in order."""
    opened, real = [], hessian_file.open_h5

    @contextmanager
    def counting(path, what):
        opened.append(path)
        with real(path, what) as handle:
            yield handle

    monkeypatch.setattr(hessian_file, "open_h5", counting)
    return opened


def test_every_reader_opens_and_checks_the_file_once(tmp_path, opens):
    path = tmp_path / "h.h5"
    matrix = assembled_hessian(path)
    read, attrs = hessian_file.read(path)
    np.testing.assert_array_equal(read, matrix)
    assert attrs["run"] == "unit" and attrs["symmetry_error"] >= 0
    assert opens == [path]
    hessian_file.load(path, torch.float32)
    assert hessian_file.read_attrs(path) == attrs
    assert opens == [path] * 3
    low_rank.eigenvalues(path, rank_bound=0)  # two passes over the rows
    assert opens == [path] * 4


def test_a_handle_reads_attributes_once_and_rows_as_often_as_asked(tmp_path):
    path = tmp_path / "h.h5"
    matrix = assembled_hessian(path)
    with h5py.File(path, "r") as handle:
        written = storage.attrs_dict(handle)
    with hessian_file.HessianFile(path) as stored:
        assert stored.attrs == written
        slab_bytes = 3 * 8 * matrix.shape[0]  # three rows at a time
        for _ in range(2):
            starts, rows = zip(*stored.row_slabs(slab_bytes), strict=True)
            assert list(starts) == list(range(0, matrix.shape[0], 3))
            np.testing.assert_array_equal(np.concatenate(rows), matrix)
        np.testing.assert_array_equal(stored.load().numpy(), matrix)


# --- layout -----------------------------------------------------------------------------


def test_a_gathered_file_has_the_layout_of_a_single_jobs_file(tmp_path):
    """Chunks of whole rows dividing the block size, with checksums, whichever job wrote
    the file; the joined rows are those of the single job, bit for bit."""
    flat = FlatModel(tiny_mlp("tanh", dim=6, hidden=(5,), n_classes=3))
    loss = mean_cross_entropy(flat, random_split(n=20, dim=6, n_classes=3, seed=2))
    theta = flat.flatten()
    block_size = 6
    single = tmp_path / "single.h5"
    assembly.assemble(HessianOperator(loss, theta), single, block_size=block_size, attrs={})
    parts = [tmp_path / f"part{i}.h5" for i in range(3)]
    for i, path in enumerate(parts):
        assembly.assemble(
            HessianOperator(loss, theta), path, block_size=block_size, attrs={}, part=i, parts=3
        )
    hessian_file.gather(parts, tmp_path / "gathered.h5")
    layouts, matrices = [], []
    for name in ("single.h5", "gathered.h5"):
        with h5py.File(tmp_path / name, "r") as handle:
            dataset = handle[hessian_file.HESSIAN_DATASET]
            layouts.append((dataset.chunks, dataset.fletcher32, dataset.compression))
            matrices.append(dataset[()])
    assert layouts[0] == layouts[1]
    chunks, fletcher32, _ = layouts[0]
    assert block_size % chunks[0] == 0 and chunks[1] == len(theta) and fletcher32
    np.testing.assert_array_equal(matrices[1], matrices[0])


# --- the symmetry check, from the rows in memory ----------------------------------------


def whole_matrix_error(matrix: np.ndarray) -> float:
    """What `SymmetryCheck` compares, computed on the whole matrix at once."""
    largest = np.abs(matrix).max()
    return float(np.abs(matrix - matrix.T).max()) / float(largest) if largest > 0 else 0.0


def near_symmetric(dim: int, seed: int) -> np.ndarray:
    """A symmetric matrix with round-off asymmetry in every entry."""
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((dim, dim))
    return matrix + matrix.T + 1e-15 * rng.standard_normal((dim, dim))


@pytest.mark.parametrize("dim", [1, 2, 31, 33, 70])
@pytest.mark.parametrize("step", [1, 3, 16, 100])
@pytest.mark.parametrize("copy", [True, False])
def test_the_symmetry_check_equals_the_whole_matrix_error_bit_for_bit(dim, step, copy):
    """Whatever the row ranges the rows come in, kept as copies or as views, and wherever
    the worst pair lies (within a band, across bands, above or below the diagonal)."""
    for seed, (i, j) in enumerate([(0, 0), (dim - 1, 0), (0, dim - 1), (dim // 2, dim // 3)]):
        matrix = near_symmetric(dim, seed)
        matrix[i, j] += 0.25
        check = hessian_file.SymmetryCheck(dim)
        for start in range(0, dim, step):
            rows = matrix[start : start + step]
            check.add(rows if seed % 2 else torch.from_numpy(rows), copy=copy)
        assert check.error == whole_matrix_error(matrix)


def test_the_symmetry_check_of_a_zero_or_unsymmetric_matrix():
    zero = hessian_file.SymmetryCheck(4)
    zero.add(np.zeros((4, 4)))
    assert zero.error == 0.0
    matrix = np.random.default_rng(0).standard_normal((40, 40))
    check = hessian_file.SymmetryCheck(40)
    for start in range(0, 40, 7):
        check.add(matrix[start : start + 7])
    assert check.error == whole_matrix_error(matrix) > 0.1


def test_the_symmetry_check_needs_every_row_in_order():
    check = hessian_file.SymmetryCheck(6)
    check.add(np.eye(6)[:4])
    with pytest.raises(ValueError, match="needs all 6 rows, not 4"):
        check.error  # noqa: B018
    with pytest.raises(ValueError, match="after 4 rows of an M = 6 matrix"):
        check.add(np.eye(6)[:3])


def test_a_non_finite_row_is_refused_as_it_is_added():
    check = hessian_file.SymmetryCheck(8, name="the matrix of h.h5")
    check.add(np.eye(8)[:3])
    rows = np.eye(8)[3:6]
    rows[1, 2] = np.nan
    with pytest.raises(ArithmeticError, match=r"h\.h5 holds NaN or infinite values \(rows 3..5\)"):
        check.add(rows)


@pytest.mark.parametrize("dim", [100, 1000])
def test_the_symmetry_check_keeps_what_the_job_declares(dim):
    """About a quarter of the matrix at most (the entries of the earlier rows not yet
    compared), within `resources.symmetry_check_mb`."""
    check, peak = hessian_file.SymmetryCheck(dim), 0
    matrix = near_symmetric(dim, 0)
    for start in range(0, dim, 7):
        check.add(matrix[start : start + 7])
        peak = max(peak, sum(kept.numel() for kept in check._kept.values()) * 8)
    assert check._kept == {}
    assert 0.25 * 8 * dim**2 < peak <= resources.symmetry_check_mb(dim) * resources.MIB
    height = check.bounds[1]  # (M + band height)^2 / 4 entries at most
    assert peak <= 8 * (dim + height) ** 2 / 4 and height == -(-dim // 32)


def test_a_nan_written_through_hdf5_is_refused_on_loading_naming_its_rows(tmp_path):
    path = tmp_path / "h.h5"
    matrix = assembled_hessian(path)
    assert matrix.shape == (39, 39)  # bands of two rows
    with h5py.File(path, "r+") as handle:
        handle[hessian_file.HESSIAN_DATASET][21, 3] = np.nan
    message = (
        rf"Hessian file {path}: dataset 'hessian' holds NaN or infinite values \(rows 20..21\)"
    )
    for dtype in (torch.float64, torch.float32):
        with pytest.raises(ArtefactError, match=message):
            hessian_file.load(path, dtype)


def test_a_part_with_a_nan_is_refused_by_the_join_naming_it(tmp_path):
    flat = FlatModel(tiny_mlp("tanh", dim=5, hidden=(4,), n_classes=3))
    loss = mean_cross_entropy(flat, random_split(n=20, dim=5, n_classes=3, seed=1))
    parts = [tmp_path / f"part{i}.h5" for i in range(2)]
    for i, path in enumerate(parts):
        operator = HessianOperator(loss, flat.flatten())
        assembly.assemble(operator, path, block_size=8, attrs={}, part=i, parts=2)
    with h5py.File(parts[1], "r+") as handle:
        handle[hessian_file.HESSIAN_DATASET][2, 0] = np.inf
    with pytest.raises(ArtefactError, match=r"Hessian part .*part1\.h5 holds NaN or infinite"):
        hessian_file.gather(parts, tmp_path / "gathered.h5")
    assert not (tmp_path / "gathered.h5").exists()


# --- one read of the rows ---------------------------------------------------------------


@pytest.fixture
def rows_read(monkeypatch):
    """The row ranges read from any dataset named 'hessian', in order."""
    read = []
    real_direct, real_item = h5py.Dataset.read_direct, h5py.Dataset.__getitem__

    def rows_of(dataset, selection):
        if dataset.name == f"/{hessian_file.HESSIAN_DATASET}":
            first = selection[0] if isinstance(selection, tuple) else selection
            read.append(range(dataset.shape[0])[first])

    def read_direct(self, dest, source_sel=None, dest_sel=None):
        rows_of(self, source_sel)
        return real_direct(self, dest, source_sel, dest_sel)

    def getitem(self, args, *more):
        rows_of(self, args)
        return real_item(self, args, *more)

    monkeypatch.setattr(h5py.Dataset, "read_direct", read_direct)
    monkeypatch.setattr(h5py.Dataset, "__getitem__", getitem)
    return read


def test_the_assembly_never_reads_its_rows_back(tmp_path, rows_read):
    assembled_hessian(tmp_path / "h.h5")
    assert rows_read == []


@pytest.mark.parametrize("device_dtype", [torch.float64, torch.float32])
def test_the_dense_spectrum_reads_each_row_once_in_whole_chunks(
    tmp_path, monkeypatch, rows_read, device_dtype
):
    path = tmp_path / "h.h5"
    matrix = assembled_hessian(path)  # chunks of 8 rows
    monkeypatch.setattr(hessian_file, "SLAB_BYTES", 20 * 8 * matrix.shape[0])  # 16-row slabs
    dim = matrix.shape[0]
    plan = resources.spectrum_plan(dim)
    if device_dtype == torch.float32:
        plan |= {"precision": "float32", "solver": "in-place"}
    compute_spectrum(path, tmp_path / "s.h5", plan=plan, memory_mb=plan["mem_mb"])
    assert [(r.start, r.stop) for r in rows_read] == [(0, 16), (16, 32), (32, dim)]
    values, _ = storage.read_spectrum(tmp_path / "s.h5")
    tolerance = 1e-5 if device_dtype == torch.float32 else 1e-12
    np.testing.assert_allclose(
        values, np.linalg.eigvalsh(matrix), rtol=0, atol=tolerance * np.abs(matrix).max()
    )
