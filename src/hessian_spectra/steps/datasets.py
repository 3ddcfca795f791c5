"""The dataset files: one writer for the blobs, MNIST-1K and CIFAR-10."""

from __future__ import annotations

import logging
import os

from .. import blobs, cifar, mnist, storage

LOG = logging.getLogger(__name__)

BUILDERS = {
    "blobs": blobs.gaussian_blobs,
    "mnist": mnist.mnist_subsample,
    "cifar": cifar.cifar10_subset,
}


def make_dataset(kind: str, output: str | os.PathLike, **settings) -> None:
    """Build one dataset (`kind` is blobs, mnist or cifar; the settings are those of
    `blobs.gaussian_blobs`, `mnist.mnist_subsample` or `cifar.cifar10_subset`) and write it."""
    if kind not in BUILDERS:
        raise ValueError(f"unknown dataset kind {kind!r}; choose one of {sorted(BUILDERS)}")
    arrays, attrs = BUILDERS[kind](**settings)
    storage.write_arrays(output, arrays, attrs)
    LOG.info("wrote %s: %s", output, attrs)
