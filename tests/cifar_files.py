"""Small CIFAR-10 files in the real on-disk format (`cifar-10-batches-py/`: five training
batches, a test batch and `batches.meta`, pickles of uint8 N x 3072 arrays with str keys),
so the real `torchvision.datasets.CIFAR10` reads them. Their md5 sums are not the published
ones, so they need `cifar.data.verify_checksums: false`.

The images are learnable: each class has its own colour template, plus noise.

    python tests/cifar_files.py <root> [images per batch]   # writes <root>/cifar-10-batches-py
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np

LABEL_NAMES = ["airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck"]  # fmt: skip


def _batch(rng: np.random.Generator, templates: np.ndarray, count: int, name: str) -> dict:
    labels = rng.integers(0, 10, count)
    noise = rng.normal(0.0, 40.0, (count, 3072))
    images = np.clip(templates[labels] + noise, 0, 255).astype(np.uint8)
    return {
        "batch_label": name,
        "labels": labels.tolist(),
        "data": images,
        "filenames": [f"{name.replace(' ', '_')}_{i}.png" for i in range(count)],
    }


def write_cifar10(root: str | Path, per_batch: int = 40, seed: int = 0) -> Path:
    """Write the seven files under `root`/cifar-10-batches-py and return that folder."""
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    templates = rng.uniform(40, 215, (10, 3, 1)).repeat(1024, axis=2).reshape(10, 3072)
    templates += rng.normal(0, 20, (10, 3072))
    batches = {f"data_batch_{i}": f"training batch {i} of 5" for i in range(1, 6)}
    batches["test_batch"] = "testing batch 1 of 1"
    for filename, label in batches.items():
        with open(folder / filename, "wb") as handle:
            pickle.dump(_batch(rng, templates, per_batch, label), handle, protocol=2)
    meta = {"num_cases_per_batch": per_batch, "label_names": LABEL_NAMES, "num_vis": 3072}
    with open(folder / "batches.meta", "wb") as handle:
        pickle.dump(meta, handle, protocol=2)
    return folder


if __name__ == "__main__":
    print(write_cifar10(sys.argv[1], *(int(arg) for arg in sys.argv[2:3])))
