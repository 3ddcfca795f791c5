"""Full exact spectra: the row engines, the reduced-precision floor and the data behind
Figs. 5 and 6 (the solvers themselves: test_eigensolvers)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from hessian_spectra import assembly, hessian_file, models, plotting, storage
from hessian_spectra.curvature import (
    GaussNewtonOperator,
    HessianOperator,
    StagedHessian,
    mean_cross_entropy,
)
from hessian_spectra.models import FlatModel
from hessian_spectra.resources import spectrum_plan
from hessian_spectra.steps.figures import figure_top_and_negative
from hessian_spectra.steps.hessian import compute_spectrum

from .conftest import random_split, tiny_mlp


def small_convnet_problem(n: int = 12):
    """A convnet of the MNIST architecture's kind, small enough for torch.func.hessian."""
    model = torch.nn.Sequential(
        torch.nn.Unflatten(1, (1, 8, 8)),
        torch.nn.Conv2d(1, 2, 3, dtype=torch.float64), torch.nn.MaxPool2d(2), torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(18, 5, dtype=torch.float64), torch.nn.Tanh(),
        torch.nn.Linear(5, 3, dtype=torch.float64),
    )  # fmt: skip
    models.initialise(model, weight_std=0.5, generator=torch.Generator().manual_seed(0))
    flat = FlatModel(model)
    data = random_split(n=n, dim=64, n_classes=3, seed=4)
    return mean_cross_entropy(flat, data), flat.flatten(), flat, data


@pytest.mark.parametrize("engine", ["per-row", "batched"])
def test_both_row_engines_are_exact_on_a_small_convnet(engine):
    loss, theta, _, _ = small_convnet_problem()
    reference = torch.func.hessian(loss)(theta)
    rows = HessianOperator(loss, theta, engine).dense()
    assert reference.abs().max() > 1e-3
    assert (rows - reference).abs().max() / reference.abs().max() < 1e-12


def test_batched_gauss_newton_rows_equal_per_row_ones(tiny_problem):
    _, theta, flat, data = tiny_problem
    per_row = GaussNewtonOperator(flat, data, theta, "per-row").dense()
    batched = GaussNewtonOperator(flat, data, theta, "batched").dense()
    assert (batched - per_row).abs().max() / per_row.abs().max() < 1e-13


def assemble_staged(path, block_size, **kwargs):
    _, theta, flat, data = small_convnet_problem()
    operator = StagedHessian(flat, data, theta)
    assembly.assemble(operator, path, block_size=block_size, attrs={"run": "c"}, **kwargs)
    return operator


@pytest.mark.parametrize("block_size", [4, 7, 200])
def test_staged_assembly_is_exact_on_a_small_convnet(tmp_path, block_size):
    """Each layer's rows through the layers from it on, the rest by symmetry from earlier
    rows: the whole matrix equals torch.func.hessian, whether or not blocks straddle the
    stages (3 layers: rows from 0, 20 and 115 of 133)."""
    loss, theta, _, _ = small_convnet_problem()
    reference = torch.func.hessian(loss)(theta).numpy()
    operator = assemble_staged(tmp_path / "h.h5", block_size)
    assert operator.stage_starts == [0, 20, 115] and operator.dim == 133
    matrix, attrs = hessian_file.read(tmp_path / "h.h5")
    np.testing.assert_allclose(matrix, reference, rtol=0, atol=1e-13 * np.abs(reference).max())
    assert attrs["symmetry_error"] < 1e-14


def test_staged_parts_use_full_rows_and_join_to_the_same_matrix(tmp_path):
    single = assemble_staged(tmp_path / "single.h5", 8)
    paths = [tmp_path / f"part{p}.h5" for p in range(3)]
    for part, path in enumerate(paths):
        assemble_staged(path, 8, part=part, parts=3)
    hessian_file.gather(paths, tmp_path / "gathered.h5")
    joined, _ = hessian_file.read(tmp_path / "gathered.h5")
    reference, _ = hessian_file.read(tmp_path / "single.h5")
    assert len(single.stage_starts) == 3
    np.testing.assert_allclose(joined, reference, rtol=0, atol=1e-13 * np.abs(reference).max())


def test_unknown_engine_is_named():
    with pytest.raises(ValueError, match="'sideways'"):
        HessianOperator(lambda t: t.sum(), torch.zeros(3, dtype=torch.float64), "sideways")


def test_scipy_bridge_multiplies_like_the_dense_matrix(tiny_problem):
    loss, theta, _, _ = tiny_problem
    operator = HessianOperator(loss, theta)
    vector = np.random.default_rng(0).standard_normal(operator.dim)
    np.testing.assert_allclose(
        operator.to_scipy() @ vector, operator.dense().numpy() @ vector, rtol=0, atol=1e-13
    )


def assemble_tiny_hessian(path, hidden=(12, 9), dim=14, n_classes=4):
    flat = FlatModel(tiny_mlp("tanh", dim=dim, hidden=hidden, n_classes=n_classes))
    data = random_split(n=30, dim=dim, n_classes=n_classes, seed=7)
    loss = mean_cross_entropy(flat, data)
    theta = flat.flatten()
    assembly.assemble(HessianOperator(loss, theta), path, block_size=32, attrs={"run": "tiny"})
    return torch.func.hessian(loss)(theta).numpy()


def solve_as_planned(hessian, output, memory_mb):
    """compute_spectrum as the rules run it: planned from M and a memory cap."""
    plan = spectrum_plan(hessian_file.read_attrs(hessian)["parameter_count"], None, memory_mb)
    compute_spectrum(hessian, output, plan=plan, memory_mb=plan["mem_mb"])


def test_full_spectrum_equals_numpys(tmp_path):
    reference = assemble_tiny_hessian(tmp_path / "h.h5")
    solve_as_planned(tmp_path / "h.h5", tmp_path / "s.h5", memory_mb=4096)
    values, attrs = storage.read_spectrum(tmp_path / "s.h5")
    expected = np.linalg.eigvalsh(reference)
    assert values.size == reference.shape[0] == attrs["parameter_count"]
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-12 * np.abs(expected).max())
    assert attrs["precision"] == "float64" and attrs["method"] == "dense"
    assert attrs["round_off_floor"] == pytest.approx(
        values.size * np.finfo(np.float64).eps * np.abs(values).max()
    )


def test_reduced_precision_spectrum_lies_within_its_floor(tmp_path):
    """1 MiB over the job overhead holds a float32 M = 504 matrix (992 KiB) but not a
    float64 one (1.9 MiB): the plan falls back to float32 and the file says so."""
    assemble_tiny_hessian(tmp_path / "h.h5", hidden=(20, 8), dim=14, n_classes=4)
    solve_as_planned(tmp_path / "h.h5", tmp_path / "f64.h5", memory_mb=4096)
    solve_as_planned(tmp_path / "h.h5", tmp_path / "f32.h5", memory_mb=1025)
    exact, exact_attrs = storage.read_spectrum(tmp_path / "f64.h5")
    reduced, attrs = storage.read_spectrum(tmp_path / "f32.h5")
    assert exact_attrs["parameter_count"] == 504
    assert (exact_attrs["precision"], attrs["precision"]) == ("float64", "float32")
    assert "in place" in attrs["driver"]
    assert attrs["round_off_floor"] > 1e6 * exact_attrs["round_off_floor"]
    error = np.abs(reduced - exact).max()
    assert 1e-12 < error <= attrs["round_off_floor"]  # really reduced, and within its floor


def write_spectrum(path, values, floor, method="dense", precision="float64", **extra):
    storage.write_spectrum(
        path,
        np.sort(values),
        {"parameter_count": extra.pop("dim", len(values)), "round_off_floor": floor,
         "method": method, "precision": precision, **extra},
    )  # fmt: skip


def test_fig5_data_holds_every_eigenvalue_below_minus_the_floor(tmp_path):
    rng = np.random.default_rng(2)
    floor = 1e-9
    values = np.concatenate([
        -rng.uniform(2e-9, 1e-3, 37),  # negative, beyond round-off: counted
        -rng.uniform(0, 1e-9, 50),  # round-off zeros with a minus sign: drawn, not counted
        rng.uniform(0, 1e-9, 50), rng.uniform(0.1, 5, 63),
    ])  # fmt: skip
    write_spectrum(tmp_path / "a.h5", values, floor)
    write_spectrum(
        tmp_path / "b.h5", values[:40], 1e-7, method="lanczos", dim=900, converged_smallest=20
    )
    figure_top_and_negative(
        {"a": tmp_path / "a.h5", "b": tmp_path / "b.h5"},
        tmp_path / "top.pdf", tmp_path / "neg.pdf", tmp_path / "numbers.json",
        top=10, title="t",
    )  # fmt: skip
    numbers = json.loads((tmp_path / "numbers.json").read_text())
    assert numbers["a"]["negative_count"] == 37
    assert numbers["a"]["negative_share"] == pytest.approx(37 / 200)
    assert numbers["a"]["floor"] == floor and numbers["a"]["complete"] is True
    assert numbers["b"]["negative_share"] is None  # Lanczos: the share is not known
    assert numbers["b"]["converged_smallest"] == 20

    figure = plotting.negative_eigenvalues(
        {"a": plotting.NegativeCurve(np.sort(values), 200, floor)}, title="t"
    )
    drawn = figure.axes[0].lines[0]
    np.testing.assert_array_equal(drawn.get_ydata(), np.sort(values)[np.sort(values) < 0])
    np.testing.assert_allclose(drawn.get_xdata()[-1], 100 * 87 / 200)
    assert any(np.all(line.get_ydata() == -floor) for line in figure.axes[0].lines[1:])


def test_fig5_compares_each_width_with_the_next_smaller_one_of_its_activation(
    tmp_path, monkeypatch
):
    """Successive full float64 spectra of one activation, by M, get the distance between
    their curves; a float32 one is skipped (its floor hides the small negatives), and a
    tanh net is compared with tanh nets only. Each activation keeps its line style."""
    floor = 1e-12
    nets = {  # label: (activation, M, precision, negative eigenvalues)
        "h1": ("relu", 100, "float64", [-2.0, -1.0]),
        "h2": ("relu", 200, "float64", [-2.0, -2.0, -1.0, -1.0]),  # the same curve
        "h3": ("relu", 300, "float32", [-1.0]),
        "h4": ("relu", 400, "float64", [-1.0] * 4),
        "t1": ("tanh", 100, "float64", [-1.0]),
        "t2": ("tanh", 200, "float64", []),
    }
    for label, (_, dim, precision, negatives) in nets.items():
        values = np.concatenate([negatives, np.ones(dim - len(negatives))])
        write_spectrum(tmp_path / f"{label}.h5", values, floor, precision=precision)
    figures = []
    monkeypatch.setattr(plotting, "save_figure", lambda figure, path: figures.append(figure))
    figure_top_and_negative(
        {label: tmp_path / f"{label}.h5" for label in nets},
        tmp_path / "top.pdf", tmp_path / "neg.pdf", tmp_path / "numbers.json",
        top=3, title="t", activations={label: net[0] for label, net in nets.items()},
    )  # fmt: skip
    numbers = json.loads((tmp_path / "numbers.json").read_text())
    assert {label: entry["activation"] for label, entry in numbers.items()} == {
        label: net[0] for label, net in nets.items()
    }
    compared = {
        label: (entry["previous"], entry["distance_to_previous"])
        for label, entry in numbers.items()
        if "previous" in entry
    }
    # h4 against h2, not h3: -1 against -2 over (0, 1] % of M, 0 against -1 over (1, 2].
    assert compared == {"h2": ("h1", 0.0), "h4": ("h2", 2.0), "t2": ("t1", 1.0)}
    assert len(figures) == 2
    for figure in figures:  # Figs. 3 and 5
        styles = {
            line.get_label().split(" (")[0]: line.get_linestyle()
            for line in figure.axes[0].lines
            if line.get_label().split(" (")[0] in nets
        }
        assert styles == {label: "-." if net[0] == "tanh" else "-" for label, net in nets.items()}


class LaterStagesFailingAfter(StagedHessian):
    """A staged operator that dies after a number of blocks of its later stages."""

    def __init__(self, *args, blocks: int):
        super().__init__(*args)
        self.remaining = blocks

    def stage_rows(self, stage, start, stop):
        if stage > 0 and self.remaining == 0:
            raise KeyboardInterrupt("simulated interruption")
        self.remaining -= stage > 0
        return super().stage_rows(stage, start, stop)


def test_staged_assembly_killed_in_a_later_stage_resumes_to_the_same_matrix(tmp_path):
    _, theta, flat, data = small_convnet_problem()
    reference = assemble_staged(tmp_path / "reference.h5", 8)
    with pytest.raises(KeyboardInterrupt):
        assembly.assemble(
            LaterStagesFailingAfter(flat, data, theta, blocks=4), tmp_path / "h.h5", block_size=8,
            attrs={"run": "c"},
        )  # fmt: skip
    assert (tmp_path / "h.h5.partial").exists() and not (tmp_path / "h.h5").exists()
    assembly.assemble(
        StagedHessian(flat, data, theta), tmp_path / "h.h5", block_size=8, attrs={"run": "c"}
    )
    got, _ = hessian_file.read(tmp_path / "h.h5")
    expected, _ = hessian_file.read(tmp_path / "reference.h5")
    assert len(reference.stage_starts) == 3
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(("block_size", "workers"), [(1, 1), (5, 2), (32, 1), (200, 2)])
def test_the_stored_matrix_is_bit_identical_whatever_the_blocking(tmp_path, block_size, workers):
    """block_size and the worker count decide how rows are grouped and who computes them,
    never how a row is computed: the workflow passes them as resources, not params."""
    flat = FlatModel(tiny_mlp("tanh", dim=6, hidden=(5,), n_classes=3))
    loss = mean_cross_entropy(flat, random_split(n=20, dim=6, n_classes=3, seed=2))
    operator = HessianOperator(loss, flat.flatten())
    reference = torch.cat([operator.rows(i, i + 1) for i in range(operator.dim)])
    path = tmp_path / "h.h5"
    assembly.assemble(operator, path, block_size=block_size, attrs={}, workers=workers)
    assert torch.equal(hessian_file.load(path), reference)
