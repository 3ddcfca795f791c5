"""CIFAR-10 for Section 4.1, read through `torchvision.datasets.CIFAR10`.

The images stay uint8 on disk (N x 3072, channel-first like CIFAR's own files); the
standard per-channel normalisation (training-set mean and standard deviation of each
colour channel) is stored beside them and applied when a job loads them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torchvision.datasets import CIFAR10

from .split import Split
from .storage import ArtefactError

IMAGE_SHAPE = (3, 32, 32)
N_CLASSES = 10


class UncheckedCIFAR10(CIFAR10):
    """CIFAR10 without the md5 checks of its batch files: for a root whose files are in
    CIFAR's format but are not the published ones (the tests' small files). Everything
    else, the file layout and the pickle reading, is torchvision's own."""

    train_list = [[name, None] for name, _ in CIFAR10.train_list]
    test_list = [[name, None] for name, _ in CIFAR10.test_list]
    meta = {**CIFAR10.meta, "md5": None}


def _fixes(root: Path) -> str:
    return (
        f"either set cifar.data.download: true to let torchvision download CIFAR-10 into "
        f"{root}, or unpack cifar-10-python.tar.gz (https://www.cs.toronto.edu/~kriz/cifar.html)"
        f" there, so that {root / CIFAR10.base_folder} holds data_batch_1..5, test_batch "
        "and batches.meta"
    )


def _split(root: Path, train: bool, download: bool, verify_checksums: bool):
    dataset_class = CIFAR10 if verify_checksums else UncheckedCIFAR10
    try:
        dataset = dataset_class(str(root), train=train, download=download)
    except Exception as err:  # a failed download, missing files, or a checksum mismatch
        raise ArtefactError(
            f"CIFAR-10 under {root / CIFAR10.base_folder} could not be "
            f"{'downloaded or ' if download else ''}read ({err}); {_fixes(root)}"
        ) from err
    images = np.ascontiguousarray(dataset.data.transpose(0, 3, 1, 2)).reshape(len(dataset), -1)
    return images, np.asarray(dataset.targets, dtype=np.int64)


def cifar10_subset(
    *,
    root: str | Path,
    download: bool,
    verify_checksums: bool,
    n_train: int | None,
    n_test: int | None,
    seed: int,
) -> tuple[dict[str, np.ndarray], dict]:
    """CIFAR-10's training and test images (all of them where `n_train` / `n_test` is
    None, else a seeded sample without replacement) as uint8 N x 3072 arrays, with the
    per-channel mean and standard deviation of the training images in the attributes."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, train, count in (("train", True, n_train), ("test", False, n_test)):
        images, labels = _split(root, train, download, verify_checksums)
        if count is not None:
            if count > len(labels):
                raise ValueError(
                    f"CIFAR-10 under {root} has {len(labels)} {split} images; asked for {count}"
                )
            chosen = np.sort(rng.choice(len(labels), count, replace=False))
            images, labels = images[chosen], labels[chosen]
        arrays[f"x_{split}"], arrays[f"y_{split}"] = images, labels
    channels = arrays["x_train"].reshape(len(arrays["x_train"]), 3, -1) / 255.0
    attrs = {
        "kind": "cifar10",
        "root": str(root),
        "n_classes": N_CLASSES,
        "n_train": len(arrays["y_train"]),
        "n_test": len(arrays["y_test"]),
        "seed": seed,
        "channel_mean": channels.mean(axis=(0, 2)).tolist(),
        "channel_std": channels.std(axis=(0, 2)).tolist(),
        "normalisation": "per channel: (x / 255 - channel_mean) / channel_std",
    }
    return arrays, attrs


def normalised_splits(
    arrays: dict[str, np.ndarray], attrs: dict, dtype: torch.dtype = torch.float32
) -> tuple[Split, Split]:
    """Train and test splits with the stored per-channel normalisation applied."""
    mean = torch.tensor(attrs["channel_mean"], dtype=torch.float64).view(1, 3, 1)
    std = torch.tensor(attrs["channel_std"], dtype=torch.float64).view(1, 3, 1)

    def split(name: str) -> Split:
        images = torch.as_tensor(arrays[f"x_{name}"]).reshape(-1, 3, 1024).double() / 255.0
        x = ((images - mean) / std).reshape(len(images), -1).to(dtype)
        return Split(x, torch.as_tensor(arrays[f"y_{name}"], dtype=torch.int64))

    return split("train"), split("test")
