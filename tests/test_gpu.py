"""The CUDA path against the CPU path: products, dense eigenvalues and training agree to
float64 round-off, and CIFAR-10 training on CUDA is deterministic. Skipped where torch sees
no GPU (CI has none); run them on a GPU machine with `pytest -m gpu`."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch

from hessian_spectra import assembly, basin, blobs, eigensolvers, hessian_file, models, storage
from hessian_spectra.curvature import HessianOperator, mean_cross_entropy
from hessian_spectra.models import FlatModel
from hessian_spectra.resources import spectrum_plan
from hessian_spectra.split import Split, to_splits
from hessian_spectra.stacks import MLPStack, ModuleStack
from hessian_spectra.steps import cifar as cifar_steps
from hessian_spectra.steps.datasets import make_dataset
from hessian_spectra.steps.hessian import build_hessian, compute_spectrum
from hessian_spectra.training import TrainSettings, train
from hessian_spectra.trajectory_file import read_trajectory

from .cifar_files import write_cifar10

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no GPU"),
]
CUDA = torch.device("cuda")


def mnist_like(n: int = 200, seed: int = 0) -> Split:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 784, generator=generator, dtype=torch.float64)
    return Split(x, torch.randint(0, 10, (n,), generator=generator))


@pytest.mark.parametrize("spec", [models.mlp_spec(784, [10], 10, "relu"), models.convnet_spec()])
def test_hessian_vector_products_agree(spec):
    model = models.build_model(spec)
    models.initialise(model, weight_std=None, generator=torch.Generator().manual_seed(0))
    split, flat = mnist_like(), FlatModel(model)
    vector = torch.randn(flat.dim, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    on_cpu = HessianOperator(mean_cross_entropy(flat, split), flat.flatten()).matvec(vector)
    flat.model.to(CUDA)
    on_gpu = HessianOperator(mean_cross_entropy(flat, split.to(CUDA)), flat.flatten()).matvec(
        vector.to(CUDA)
    )
    scale = on_cpu.abs().max()
    assert torch.allclose(on_gpu.cpu(), on_cpu, rtol=0, atol=1e-12 * scale)


def test_dense_eigenvalues_agree():
    matrix = np.random.default_rng(0).standard_normal((300, 300))
    matrix = matrix + matrix.T
    on_cpu = eigensolvers.dense_eigenvalues(matrix)
    on_gpu = eigensolvers.dense_eigenvalues(matrix, CUDA)
    np.testing.assert_allclose(on_gpu, on_cpu, rtol=0, atol=1e-12 * np.abs(on_cpu).max())


def test_hessian_file_and_spectrum_agree_across_devices(tmp_path):
    """The blob pipeline's dense engine on CUDA (batched rows) and on the CPU (rows one by
    one): the same HDF5 layout, contents equal to float64 round-off, and so the spectra."""
    arrays, _ = blobs.gaussian_blobs(
        n_classes=5, dim=20, n_train=300, n_test=1, cov=1.0, center_box=(-10.0, 10.0), seed=0
    )
    storage.write_arrays(tmp_path / "data.h5", arrays, {"n_classes": 5})
    spec = models.mlp_spec(20, [30, 30], 5, "relu")
    model = models.build_model(spec)
    models.initialise(model, weight_std=0.1, generator=torch.Generator().manual_seed(0))
    storage.save_checkpoint(
        tmp_path / "c.pt", parameters=FlatModel(model).flatten(), step=0, run="r", model=spec
    )
    files = {}
    for device in ("cpu", "cuda"):
        files[device] = tmp_path / f"{device}.h5"
        build_hessian(
            tmp_path / "c.pt", tmp_path / "data.h5", files[device],
            block_size=256, chunk_size=None, workers=1, device=device,
        )  # fmt: skip
        plan = spectrum_plan(FlatModel(model).dim)
        compute_spectrum(
            files[device], tmp_path / f"s-{device}.h5", plan=plan, memory_mb=plan["mem_mb"],
            device=device,
        )  # fmt: skip
    with h5py.File(files["cpu"]) as cpu, h5py.File(files["cuda"]) as gpu:
        assert set(cpu) == set(gpu)
        for name in cpu:
            assert (cpu[name].shape, cpu[name].dtype, cpu[name].chunks) == (
                gpu[name].shape, gpu[name].dtype, gpu[name].chunks,
            )  # fmt: skip
        on_cpu, on_gpu = cpu["hessian"][()], gpu["hessian"][()]
        assert gpu.attrs["row_engine"] == "batched" and cpu.attrs["row_engine"] == "per-row"
        # Each file's error, checked on its rows' device as they came, is its matrix's.
        for handle, matrix in ((cpu, on_cpu), (gpu, on_gpu)):
            whole = np.abs(matrix - matrix.T).max() / np.abs(matrix).max()
            assert handle.attrs["symmetry_error"] == float(whole) < 1e-13
    scale = np.abs(on_cpu).max()
    np.testing.assert_allclose(on_gpu, on_cpu, rtol=0, atol=1e-12 * scale)
    (values_cpu, attrs_cpu), (values_gpu, attrs_gpu) = (
        storage.read_spectrum(tmp_path / f"s-{d}.h5") for d in ("cpu", "cuda")
    )
    assert attrs_gpu["device"].startswith("cuda") and attrs_gpu["precision"] == "float64"
    values = {"cpu": values_cpu, "cuda": values_gpu}
    np.testing.assert_allclose(values["cuda"], values["cpu"], rtol=0, atol=1e-11 * scale)


def test_the_symmetry_check_on_the_gpu_equals_the_cpu_one_bit_for_bit():
    """The same pairs, the same maxima, kept on the device; a NaN is refused there too."""
    generator = torch.Generator().manual_seed(0)
    matrix = torch.randn(300, 300, generator=generator, dtype=torch.float64)
    matrix = matrix + matrix.T + 1e-15 * torch.randn(300, 300, generator=generator).double()
    errors = []
    for device in ("cpu", CUDA):
        check = hessian_file.SymmetryCheck(300, device)
        for start in range(0, 300, 7):
            check.add(matrix[start : start + 7].to(device))
        errors.append(check.error)
    assert errors[0] == errors[1] > 0
    small = HessianOperator(lambda theta: (theta**2).sum(), torch.ones(10, device=CUDA))
    assert assembly._check_device(small) == small.device  # kept on the GPU of the rows
    poisoned = matrix.clone().to(CUDA)
    poisoned[5, 9] = float("inf")
    with pytest.raises(ArithmeticError, match=r"holds NaN or infinite values \(rows 0..6\)"):
        hessian_file.SymmetryCheck(300, CUDA).add(poisoned[:7])


def test_float64_training_agrees():
    settings = TrainSettings(learning_rate=0.1, steps=30, batch_size=20, log_every=10, seed=0)
    ends = []
    for device in ("cpu", CUDA):
        model = models.build_model(models.convnet_spec())
        models.initialise(model, weight_std=None, generator=torch.Generator().manual_seed(0))
        model.to(device)
        train_split, test_split = mnist_like(100, 0).to(device), mnist_like(50, 1).to(device)
        train(
            ModuleStack(model),
            Split.stacked([train_split]),
            Split.stacked([test_split]),
            settings,
            runs=["gpu-check"],
            on_checkpoint=lambda *checkpoint: None,
        )
        ends.append(FlatModel(model).flatten().cpu())
    assert torch.allclose(ends[1], ends[0], rtol=0, atol=1e-10 * ends[0].abs().max())


def test_stacked_blob_training_agrees():
    """Blob runs trained side by side (blobs.device: auto) on the GPU follow the CPU's."""
    settings = TrainSettings(learning_rate=0.1, steps=200, batch_size=10, log_every=50, seed=0)
    spec = models.mlp_spec(8, [6, 5], 3, "tanh")
    model = models.build_model(spec)
    models.initialise(model, weight_std=0.1, generator=torch.Generator().manual_seed(0))
    data = []
    for cov in (1.0, 10.0):
        arrays, _ = blobs.gaussian_blobs(
            n_classes=3, dim=8, n_train=60, n_test=60, cov=cov, center_box=(-10, 10), seed=0
        )
        data.append(to_splits(arrays))
    ends = []
    for device in ("cpu", CUDA):
        stack = MLPStack(spec, [FlatModel(model).flatten().to(device)] * 2)
        train(
            stack,
            Split.stacked([train for train, _ in data]).to(device),
            Split.stacked([test for _, test in data]).to(device),
            settings,
            runs=["cov 1", "cov 10"],
            on_checkpoint=lambda *checkpoint: None,
        )
        ends.append(torch.stack([stack.flat(0), stack.flat(1)]).cpu())
    assert torch.allclose(ends[1], ends[0], rtol=0, atol=1e-10 * ends[0].abs().max())


def test_cifar_training_on_cuda_is_deterministic(tmp_path):
    write_cifar10(tmp_path / "root", per_batch=40)
    dataset = tmp_path / "cifar10.h5"
    make_dataset(
        "cifar",
        dataset,
        root=tmp_path / "root",
        download=False,
        verify_checksums=False,
        n_train=None,
        n_test=None,
        seed=0,
    )
    settings = basin.PartSettings(
        part=1,
        batch_size=50,
        learning_rate=0.05,
        steps_per_record=10,
        records=3,
        seed=0,
        eval_batch_size=100,
    )
    runs = []
    for name in ("first.h5", "second.h5"):
        cifar_steps.train_cifar_part(
            dataset,
            tmp_path / name,
            settings=settings,
            architecture={"conv_channels": [8, 8], "hidden": [16]},
            device="cuda",
        )
        runs.append(read_trajectory(tmp_path / name, records="all")["parameters"])
    np.testing.assert_array_equal(runs[0], runs[1])
