"""How fast a spectrum job reads its Hessian: the raw sequential read rate of a stored
Hessian file against the project's reader (`hessian_file.load`, into the tensor the dense
eigensolver takes), in GB/s and as a ratio.

The file is written in the real format by the real writer (`assembly.assemble`: chunks of
whole rows with Fletcher-32 checksums, the symmetry check on the rows as they come) from a
cheap synthetic symmetric operator, H_ij = cos(1e-3 i j), of M = sqrt(GB / 8) rows (4 GB:
M = 22,360), in a temporary folder (`--dir`, else the system's). Before each cold read the
file's pages are dropped from the page cache (fsync, then posix_fadvise DONTNEED: no root
needed) and the share still cached is measured (mincore) and printed; where that fails the
read may have come from memory, and the line says so. The warm reads (file in the page
cache) show the ceiling of each path where the disk is faster than this one.

    python benchmarks/read_rate.py              # 4 GB
    python benchmarks/read_rate.py --gb 16 --dir /scratch --threads 1

The machine's load average is printed: on a shared machine the times of torch's threaded
kernels (the in-memory check) vary tenfold with it.

It prints figures and ratios; nothing is asserted.
"""

from __future__ import annotations

import argparse
import ctypes
import math
import mmap
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from hessian_spectra import assembly, hessian_file
from hessian_spectra.curvature import CurvatureOperator

GB = 1e9


class CosineMatrix(CurvatureOperator):
    """H_ij = cos(1e-3 i j): symmetric, dense, every entry different, cheap to compute."""

    def __init__(self, dim: int):
        super().__init__(torch.zeros(dim, dtype=torch.float64))

    def rows(self, start: int, stop: int) -> torch.Tensor:
        i = torch.arange(start, stop, dtype=torch.float64)[:, None]
        return torch.cos(1e-3 * i * torch.arange(self.dim, dtype=torch.float64))


def cached_share(path: Path) -> float | None:
    """The share of the file's pages in the page cache (mincore), or None where unknown."""
    try:
        size, page = path.stat().st_size, os.sysconf("SC_PAGE_SIZE")
        libc = ctypes.CDLL(None, use_errno=True)
        pages = (ctypes.c_ubyte * ((size + page - 1) // page))()
        with open(path, "rb") as handle:
            mapped = mmap.mmap(handle.fileno(), size, access=mmap.ACCESS_COPY)
            view = (ctypes.c_char * size).from_buffer(mapped)
            status = libc.mincore(ctypes.c_void_p(ctypes.addressof(view)),
                                  ctypes.c_size_t(size), pages)  # fmt: skip
            del view
            mapped.close()
        return None if status != 0 else sum(p & 1 for p in pages) / len(pages)
    except (OSError, AttributeError, ValueError):
        return None


def drop_from_cache(path: Path) -> str:
    """Evict the file's pages; say how much is still cached."""
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    share = cached_share(path)
    if share is None:
        return "cold? (the page cache could not be inspected: the read may come from memory)"
    return f"cold ({100 * share:.1f} % of the file cached before the read)"


def raw_read(path: Path, buffer_bytes: int = 64 << 20) -> float:
    """Seconds to read the whole file sequentially into one reused buffer (dd-like)."""
    buffer = bytearray(buffer_bytes)
    started = time.perf_counter()
    with open(path, "rb", buffering=0) as handle:
        while handle.readinto(buffer):
            pass
    return time.perf_counter() - started


def fresh_read(path: Path) -> float:
    """Seconds to read the whole file into a new array (np.fromfile): the least any reader
    that returns a new matrix takes, its memory touched for the first time included."""
    started = time.perf_counter()
    np.fromfile(path, dtype=np.uint8)
    return time.perf_counter() - started


def project_read(path: Path) -> tuple[float, float]:
    """Seconds of `hessian_file.load` into the float64 CPU tensor the dense solver takes,
    and of its in-memory check alone (redone on the loaded matrix)."""
    started = time.perf_counter()
    matrix = hessian_file.load(path)
    total = time.perf_counter() - started
    started = time.perf_counter()
    check = hessian_file.SymmetryCheck(matrix.shape[0])
    for first, stop in zip(check.bounds, check.bounds[1:], strict=False):
        check.add(matrix[first:stop], copy=False)
    check.error  # noqa: B018 (the value is what a load computes)
    return total, time.perf_counter() - started


def measure(path: Path, cold: bool) -> None:
    """Each reader's rate, from the disk (`cold`) or from the page cache."""
    size = path.stat().st_size

    def state() -> str:
        return drop_from_cache(path) if cold else "warm (file in the page cache)"

    print("\ncold, from the disk:" if cold else "\nwarm, from the page cache:")
    said, raw = state(), raw_read(path)
    print(f"  raw sequential read (dd-like)  {size / GB / raw:6.2f} GB/s  {raw:6.1f} s  {said}")
    said, fresh = state(), fresh_read(path)
    print(f"  into a new array (np.fromfile) {size / GB / fresh:6.2f} GB/s  {fresh:6.1f} s  {said}")
    said, (project, check) = state(), project_read(path)
    print(f"  hessian_file.load, float64     {size / GB / project:6.2f} GB/s  {project:6.1f} s  "
          f"{said}")  # fmt: skip
    print(f"    of which the in-memory check (finite, symmetric) {check:.1f} s: reading "
          f"{size / GB / (project - check):.2f} GB/s")  # fmt: skip
    print(f"  ratio load / raw {raw / project:.2f}, load / new array {fresh / project:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=4.0, help="size of the matrix, GB")
    parser.add_argument("--dir", type=Path, default=None, help="where to write the file")
    parser.add_argument("--block-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="torch's threads")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")  # fmt: skip
    dim = int(math.sqrt(args.gb * GB / 8))
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        path = Path(folder) / "hessian.h5"
        started = time.perf_counter()
        assembly.assemble(CosineMatrix(dim), path, block_size=args.block_size, attrs={})
        written = time.perf_counter() - started
        size = path.stat().st_size
        print(
            f"{path}: M = {dim:,}, {size / GB:.2f} GB, written and checked in "
            f"{written:.1f} s ({size / GB / written:.2f} GB/s, rows computed included)"
        )
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        fits = "fits in" if size < memory else "is larger than"
        print(f"memory {memory / GB:.1f} GB: the file {fits} the page cache; a cold read "
              "relies on the eviction, checked below")  # fmt: skip
        for cold in (True, False):
            measure(path, cold)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
