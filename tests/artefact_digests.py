"""Digests of the numbers in every artefact a workflow run built, to show that a change
to the code left them bit-identical.

HDF5 files and checkpoints are digested dataset by dataset and attribute by attribute (file
bytes also hold paths, library versions and layout details that say nothing about the
numbers); text artefacts (csv, json, md, tex) byte for byte. Attributes that name where a
file was built or with what software (`VOLATILE_ATTRS`) are left out, and so are the
sha256 hashes of input files (provenance of bytes, which an HDF5 layout change moves).

    python tests/artefact_digests.py WORKDIR > digests.json   # record
    python tests/artefact_digests.py WORKDIR --check digests.json

Float results are bit-identical only on one platform (CPU kernels differ between
instruction sets), so a recorded list carries the platform it was made on.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
from pathlib import Path

import h5py
import numpy as np
import torch

TEXT_SUFFIXES = {".csv", ".json", ".md", ".tex"}
# Logs, and the benchmark files and their tables (times and memory, not numbers).
SKIPPED_PARTS = {"logs", "benchmarks", "benchmarks.md", "benchmarks_so_far.md", ".snakemake"}
VOLATILE_ATTRS = {"software", "created", "host", "dataset", "hessian", "start", "checkpoint"}
# Hashes of input files' bytes: provenance, not numbers (an HDF5 layout change moves them).
FILE_HASH_SUFFIX = "_sha256"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _array_digest(array: np.ndarray) -> str:
    array = np.ascontiguousarray(array)
    return _sha(f"{array.dtype.str}{array.shape}".encode() + array.tobytes())


def _plain(value) -> str:
    if isinstance(value, np.ndarray):
        return _array_digest(value)
    if isinstance(value, bytes):
        value = value.decode()
    return str(value.item() if isinstance(value, np.generic) else value)


def _h5_digest(path: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    with h5py.File(path, "r") as handle:

        def visit(name: str, item) -> None:
            if isinstance(item, h5py.Dataset):
                entries[name] = _array_digest(item[()])
            for key, value in item.attrs.items():
                if key not in VOLATILE_ATTRS and not key.endswith(FILE_HASH_SUFFIX):
                    entries[f"{name}@{key}"] = _plain(value)

        visit("/", handle)
        handle.visititems(visit)
    return entries


def _checkpoint_digest(path: Path) -> dict[str, str]:
    payload = torch.load(path, map_location="cpu", weights_only=True)
    return {
        key: _array_digest(value.numpy()) if torch.is_tensor(value) else _plain(value)
        for key, value in sorted(payload.items())
        if key not in VOLATILE_ATTRS
    }


def digests(workdir: Path) -> dict[str, dict[str, str] | str]:
    """artefact path (relative to WORKDIR) -> its digest(s)."""
    found: dict[str, dict[str, str] | str] = {}
    for path in sorted((workdir / "results").rglob("*")):
        relative = path.relative_to(workdir)
        if not path.is_file() or SKIPPED_PARTS & set(relative.parts):
            continue
        if path.suffix == ".h5":
            found[str(relative)] = _h5_digest(path)
        elif path.suffix == ".pt":
            found[str(relative)] = _checkpoint_digest(path)
        elif path.suffix in TEXT_SUFFIXES:
            found[str(relative)] = _sha(path.read_bytes())
    return found


def platform_key() -> str:
    """What bit-identity is defined on: the CPU, the OS, the numerical libraries and the
    kernels they chose at run time. "AMD EPYC" names several CPU generations, and torch's
    vector kernels and OpenBLAS's (numpy, scipy) are picked per instruction set, so the
    same code gives other last bits on another generation."""
    libraries = f"torch {torch.__version__}, numpy {np.__version__}"
    return (
        f"{platform.system()} {platform.machine()}, {_cpu_model()}, {libraries}, "
        f"kernels {_kernels()}"
    )


def _kernels() -> str:
    """torch's CPU capability and the core of each BLAS that numpy and scipy load."""
    import scipy.linalg  # noqa: F401  (loads scipy's OpenBLAS, so threadpoolctl sees it)
    from threadpoolctl import threadpool_info

    blas = sorted(
        {f"{info['internal_api']} {info.get('architecture')}" for info in threadpool_info()
         if info["user_api"] == "blas"}
    )  # fmt: skip
    return f"torch {torch.backends.cpu.get_cpu_capability()}, {', '.join(blas)}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def differences(recorded: dict, current: dict) -> list[str]:
    """Each artefact or entry that is missing, new or different, one line each."""
    lines = []
    for name in sorted(set(recorded) | set(current)):
        old, new = recorded.get(name), current.get(name)
        if old is None or new is None:
            lines.append(f"{name}: {'new' if old is None else 'missing'}")
        elif isinstance(old, dict) and isinstance(new, dict):
            for key in sorted(set(old) | set(new)):
                if old.get(key) != new.get(key):
                    lines.append(f"{name} {key}: {old.get(key)} -> {new.get(key)}")
        elif old != new:
            lines.append(f"{name}: {old} -> {new}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--check", type=Path, help="a recorded digest list to compare with")
    args = parser.parse_args()
    current = digests(args.workdir)
    if args.check is None:
        json.dump({"platform": platform_key(), "artefacts": current}, sys.stdout, indent=1)
        return 0
    recorded = json.loads(args.check.read_text())
    lines = differences(recorded["artefacts"], current)
    print("\n".join(lines) or f"all {len(current)} artefacts bit-identical")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
