"""The Hessian engine against independent computations and closed forms (one file over 300
lines: every operator checked against the same references)."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from hessian_spectra import blobs, models, storage
from hessian_spectra.assembly import assemble as assemble_hessian
from hessian_spectra.curvature import (
    GaussNewtonOperator,
    HessianOperator,
    ResidualOperator,
    mean_cross_entropy,
)
from hessian_spectra.hessian_file import BLOCKS_DONE_DATASET, HESSIAN_DATASET
from hessian_spectra.hessian_file import gather as gather_hessian
from hessian_spectra.hessian_file import read as read_matrix
from hessian_spectra.models import FlatModel
from hessian_spectra.resources import spectrum_plan
from hessian_spectra.steps.figures import figure_gauss_newton
from hessian_spectra.steps.hessian import build_gauss_newton, build_hessian, compute_spectrum
from hessian_spectra.storage import ArtefactError

from .conftest import random_split


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).abs().max() / b.abs().max()).item()


def test_rows_equal_torch_func_hessian(tiny_problem):
    loss, theta, _, _ = tiny_problem
    reference = torch.func.hessian(loss)(theta)
    assert reference.abs().max() > 1e-3  # a Hessian worth comparing
    assert relative_error(HessianOperator(loss, theta).dense(), reference) < 1e-10


def test_matvec_equals_matrix_product(tiny_problem):
    loss, theta, _, _ = tiny_problem
    operator = HessianOperator(loss, theta)
    vector = torch.randn(
        operator.dim, generator=torch.Generator().manual_seed(3), dtype=torch.float64
    )
    assert relative_error(operator.matvec(vector), operator.dense() @ vector) < 1e-12


def test_chunked_loss_has_the_same_hessian(tiny_problem):
    loss, theta, flat, data = tiny_problem
    chunked = mean_cross_entropy(flat, data, chunk_size=5)  # 23 = 4 x 5 + 3: unequal chunks
    assert torch.allclose(chunked(theta), loss(theta), rtol=1e-14, atol=0)
    whole = HessianOperator(loss, theta).dense()
    assert relative_error(HessianOperator(chunked, theta).dense(), whole) < 1e-12


def test_softmax_regression_closed_form():
    """Linear softmax model: H = (1/N) sum_i (diag(p_i) - p_i p_i^T) kron x~_i x~_i^T.

    Parameters are ordered as W (k x d, row-major) then b (k), so the closed form is built
    on x~ = x for the weight block and 1 for the bias block.
    """
    n, dim, k = 31, 4, 3
    data = random_split(n, dim, k, seed=5)
    model = torch.nn.Linear(dim, k, dtype=torch.float64)
    flat = FlatModel(model)
    theta = torch.randn(flat.dim, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    weight, bias = theta[: k * dim].view(k, dim), theta[k * dim :]
    probs = F.softmax(data.x @ weight.T + bias, dim=1)
    closed = torch.zeros(flat.dim, flat.dim, dtype=torch.float64)
    for x, p in zip(data.x, probs, strict=True):
        curvature = torch.diag(p) - torch.outer(p, p)
        features = torch.cat([x, torch.ones(1, dtype=torch.float64)])
        # Reorder kron(curvature, features features^T) from (class, feature) pairs to the
        # flat order: all weights (class-major) then all biases.
        block = torch.einsum("ab,ij->aibj", curvature, torch.outer(features, features))
        weights_part = block[:, :dim, :, :dim].reshape(k * dim, k * dim)
        cross = block[:, :dim, :, dim].reshape(k * dim, k)
        bias_part = block[:, dim, :, dim]
        closed += (
            torch.cat([torch.cat([weights_part, cross], 1), torch.cat([cross.T, bias_part], 1)], 0)
            / n
        )
    engine = HessianOperator(mean_cross_entropy(flat, data), theta).dense()
    assert relative_error(engine, closed) < 1e-12


def test_least_squares_closed_form():
    """The engine takes any scalar loss: 1/(2N) |X w - y|^2 has Hessian X^T X / N."""
    generator = torch.Generator().manual_seed(7)
    x = torch.randn(40, 9, generator=generator, dtype=torch.float64)
    y = torch.randn(40, generator=generator, dtype=torch.float64)

    def loss(w):
        return 0.5 * ((x @ w - y) ** 2).mean()

    theta = torch.randn(9, generator=generator, dtype=torch.float64)
    assert relative_error(HessianOperator(loss, theta).dense(), x.T @ x / 40) < 1e-13


def read_file(path):
    with h5py.File(path, "r") as handle:
        return handle[HESSIAN_DATASET][()], dict(handle.attrs)


ATTRS = {"checkpoint_sha256": "abc", "run": "test"}


@pytest.mark.parametrize("block_size", [7, 16, 200])
def test_block_assembly_equals_one_shot(tmp_path, tiny_problem, block_size):
    loss, theta, _, _ = tiny_problem
    operator = HessianOperator(loss, theta)
    serial, parallel = tmp_path / "serial.h5", tmp_path / "parallel.h5"
    assemble_hessian(operator, serial, block_size=block_size, attrs=ATTRS, workers=1)
    assemble_hessian(
        HessianOperator(loss, theta), parallel, block_size=block_size, attrs=ATTRS, workers=2
    )
    matrix, attrs = read_file(serial)
    assert np.array_equal(matrix, read_file(parallel)[0])
    assert relative_error(torch.from_numpy(matrix), torch.func.hessian(loss)(theta)) < 1e-10
    assert attrs["parameter_count"] == operator.dim
    assert 0 <= attrs["symmetry_error"] < 1e-12
    assert not (tmp_path / "serial.h5.partial").exists()


class FailingAfter(HessianOperator):
    """An operator that dies after a number of row blocks, like a killed job."""

    def __init__(self, loss, theta, blocks: int):
        super().__init__(loss, theta)
        self.remaining = blocks

    def rows(self, start, stop):
        if self.remaining == 0:
            raise KeyboardInterrupt("simulated interruption")
        self.remaining -= 1
        return super().rows(start, stop)


def test_interrupted_assembly_resumes_to_the_same_file(tmp_path, tiny_problem):
    loss, theta, _, _ = tiny_problem
    reference, resumed = tmp_path / "reference.h5", tmp_path / "resumed.h5"
    assemble_hessian(HessianOperator(loss, theta), reference, block_size=8, attrs=ATTRS)

    with pytest.raises(KeyboardInterrupt):
        assemble_hessian(FailingAfter(loss, theta, blocks=3), resumed, block_size=8, attrs=ATTRS)
    partial = tmp_path / "resumed.h5.partial"
    assert not resumed.exists() and partial.exists()
    with h5py.File(partial, "r") as handle:
        assert handle[BLOCKS_DONE_DATASET][()].sum() == 3

    # The restart may compute only the missing blocks: this operator fails on any more.
    with h5py.File(partial, "r") as handle:
        missing = int((~handle[BLOCKS_DONE_DATASET][()]).sum())
    assemble_hessian(FailingAfter(loss, theta, blocks=missing), resumed, block_size=8, attrs=ATTRS)
    expected, expected_attrs = read_file(reference)
    got, got_attrs = read_file(resumed)
    assert np.array_equal(got, expected)
    assert got_attrs == expected_attrs


def test_partial_file_of_another_checkpoint_is_discarded(tmp_path, tiny_problem):
    loss, theta, _, _ = tiny_problem
    target = tmp_path / "h.h5"
    with pytest.raises(KeyboardInterrupt):
        assemble_hessian(
            FailingAfter(loss, theta, blocks=2),
            target,
            block_size=8,
            attrs={"checkpoint_sha256": "old"},
        )
    moved = theta + 0.1
    assemble_hessian(
        HessianOperator(loss, moved), target, block_size=8, attrs={"checkpoint_sha256": "new"}
    )
    matrix, attrs = read_file(target)
    assert attrs["checkpoint_sha256"] == "new"
    assert relative_error(torch.from_numpy(matrix), torch.func.hessian(loss)(moved)) < 1e-10


def test_gauss_newton_equals_dense_jacobian_product(tiny_problem):
    _, theta, flat, data = tiny_problem
    jacobian = torch.func.jacrev(lambda t: flat(t, data.x))(theta)  # N x k x M
    probs = torch.softmax(flat(theta, data.x), dim=1)
    curvature = torch.diag_embed(probs) - probs[:, :, None] * probs[:, None, :]
    dense = torch.einsum("nam,nab,nbp->mp", jacobian, curvature, jacobian) / len(data)
    ggn = GaussNewtonOperator(flat, data, theta).dense()
    assert relative_error(ggn, dense) < 1e-12


def test_hessian_splits_into_gauss_newton_and_residual(tiny_problem):
    """H = G + R with R = (1/N) sum_i sum_c (p_ic - y_ic) Hess f_ic (Eq. 3-4), where R is
    the Hessian of theta -> (1/N) sum (p - y) . f(theta) with p held fixed."""
    loss, theta, flat, data = tiny_problem
    residual_weights = (
        torch.softmax(flat(theta, data.x), dim=1) - F.one_hot(data.y, 3).double()
    ) / len(data)
    residual = torch.func.hessian(lambda t: (residual_weights * flat(t, data.x)).sum())(theta)
    hessian_operator = HessianOperator(loss, theta)
    ggn_operator = GaussNewtonOperator(flat, data, theta)
    hessian, ggn = hessian_operator.dense(), ggn_operator.dense()
    assert relative_error(ggn + residual, hessian) < 1e-12
    residual_operator = ResidualOperator(hessian_operator, ggn_operator)
    assert relative_error(residual_operator.dense(), residual) < 1e-12
    assert torch.equal(residual_operator.rows(3, 9), hessian[3:9] - ggn[3:9])  # bit for bit
    vector = torch.randn(len(theta), generator=torch.Generator().manual_seed(5), dtype=theta.dtype)
    assert relative_error(residual_operator.matvec(vector), residual @ vector) < 1e-12
    eigenvalues = torch.linalg.eigvalsh(ggn)
    assert eigenvalues.min() > -1e-12 * eigenvalues.max()  # G is positive semi-definite
    rank = int((eigenvalues > 1e-10 * eigenvalues.max()).sum())
    assert rank <= len(data) * (3 - 1)


def test_logistic_regression_closed_form():
    """(1/N) sum sigma (1 - sigma) x x^T, the Hessian Appendix B starts from."""
    generator = torch.Generator().manual_seed(11)
    x = torch.randn(50, 6, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 2, (50,), generator=generator).double()

    def loss(w):
        return F.binary_cross_entropy_with_logits(x @ w, y)

    w = torch.randn(6, generator=generator, dtype=torch.float64)
    sigma = torch.sigmoid(x @ w)
    closed = (x.T * (sigma * (1 - sigma))) @ x / 50
    assert relative_error(HessianOperator(loss, w).dense(), closed) < 1e-13


@pytest.mark.parametrize(("parts", "block_size"), [(4, 8), (3, 5), (7, 8)])
def test_parts_gathered_equal_the_single_job_matrix(tmp_path, tiny_problem, parts, block_size):
    loss, theta, _, _ = tiny_problem
    single = tmp_path / "single.h5"
    assemble_hessian(HessianOperator(loss, theta), single, block_size=block_size, attrs=ATTRS)
    paths = [tmp_path / f"part{i}.h5" for i in range(parts)]
    for i, path in enumerate(paths):  # each part in its own "job", with its own operator
        assemble_hessian(
            HessianOperator(loss, theta),
            path,
            block_size=block_size,
            attrs=ATTRS,
            part=i,
            parts=parts,
        )
    gathered = tmp_path / "gathered.h5"
    gather_hessian(paths, gathered)
    expected, expected_attrs = read_file(single)
    got, got_attrs = read_file(gathered)
    assert np.array_equal(got, expected)
    assert got_attrs["symmetry_error"] == expected_attrs["symmetry_error"]
    assert got_attrs["gathered_from_parts"] == parts


def test_gather_refuses_parts_out_of_order_or_of_another_assembly(tmp_path, tiny_problem):
    loss, theta, _, _ = tiny_problem
    paths = []
    for i, sha in enumerate(["abc", "abc", "other"]):
        path = tmp_path / f"part{i}.h5"
        assemble_hessian(
            HessianOperator(loss, theta),
            path,
            block_size=8,
            attrs={"checkpoint_sha256": sha},
            part=i,
            parts=3,
        )
        paths.append(path)
    with pytest.raises(ArtefactError, match=r"part2\.h5 differs .* \['checkpoint_sha256'\]"):
        gather_hessian(paths, tmp_path / "out.h5")
    with pytest.raises(ArtefactError, match="are not parts 0..2 in order"):
        gather_hessian([paths[1], paths[0]], tmp_path / "out.h5")
    assert not (tmp_path / "out.h5").exists()


def test_decomposition_files_give_fig_ggn_without_the_hessian_file(tmp_path):
    """rule gauss_newton's residual file is the stored H minus G bit for bit, so fig_ggn
    needs no Hessian file; the spectra of G and R of another checkpoint than the spectrum
    of H are refused, naming the files."""
    arrays, _ = blobs.gaussian_blobs(
        n_classes=3, dim=4, n_train=40, n_test=1, cov=1.0, center_box=(-3.0, 3.0), seed=0
    )
    storage.write_arrays(tmp_path / "data.h5", arrays, {"n_classes": 3})
    spec = models.mlp_spec(4, [6], 3, "tanh")
    model = models.build_model(spec)
    models.initialise(model, weight_std=0.5, generator=torch.Generator().manual_seed(0))
    parameters = FlatModel(model).flatten()
    for step in (0, 1):
        storage.save_checkpoint(
            tmp_path / f"c{step}.pt", parameters=parameters + step, step=step, run="r", model=spec
        )
        build_gauss_newton(
            tmp_path / f"c{step}.pt", tmp_path / "data.h5", tmp_path / f"g{step}.h5",
            tmp_path / f"r{step}.h5", block_size=7, chunk_size=None, workers=2,
        )  # fmt: skip
    build_hessian(
        tmp_path / "c0.pt", tmp_path / "data.h5", tmp_path / "h0.h5",
        block_size=5, chunk_size=None, workers=1,
    )  # fmt: skip
    plan = spectrum_plan(len(parameters))
    for matrix in ("h0", "g0", "r0", "g1", "r1"):
        compute_spectrum(
            tmp_path / f"{matrix}.h5",
            tmp_path / f"s{matrix}.h5",
            plan=plan,
            memory_mb=plan["mem_mb"],
        )
    hessian, ggn, residual = (
        read_matrix(tmp_path / name)[0] for name in ("h0.h5", "g0.h5", "r0.h5")
    )
    assert np.array_equal(residual, hessian - ggn)
    assert np.abs(residual).max() > 1e-3 * np.abs(hessian).max()  # tanh: R is not negligible

    run = {
        "label": "r",
        "title": "GD, tanh, k = 3",
        "n_classes": 3,
        "spectrum": tmp_path / "sh0.h5",
    }

    def decomposition(step):
        return {
            "ggn_spectrum": tmp_path / f"sg{step}.h5",
            "residual_spectrum": tmp_path / f"sr{step}.h5",
        }

    figure_gauss_newton(
        [run | decomposition(0)], tmp_path / "fig.pdf", tmp_path / "fig.json", top=5
    )
    assert json.loads((tmp_path / "fig.json").read_text())["r"]["M"] == len(parameters)
    with pytest.raises(ArtefactError, match=r"sh0\.h5.*sg1\.h5"):
        figure_gauss_newton(
            [run | decomposition(1)], tmp_path / "other.pdf", tmp_path / "other.json", top=5
        )
