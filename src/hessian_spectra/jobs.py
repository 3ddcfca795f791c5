"""Set-up shared by every workflow job: a log file, and a fixed number of CPU threads."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

LOG = logging.getLogger("hessian_spectra")


@contextmanager
def job(log_path: str | os.PathLike, threads: int) -> Iterator[logging.Logger]:
    """Log to `log_path` (and stderr) and give torch `threads` threads for the job's body.

    The first line marks the start, so a log's timestamps span the whole job
    (benchmarks/grid_profile.py reads them).

    An exception is written to the log with its traceback and then re-raised, so the job
    fails with the message in both the log and the scheduler's output.
    """
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers = [logging.FileHandler(log_path, mode="w"), logging.StreamHandler(sys.stderr)]
    for handler in handlers:
        handler.setFormatter(formatter)
        LOG.addHandler(handler)
    LOG.setLevel(logging.INFO)
    torch.set_num_threads(max(1, int(threads)))
    LOG.info("job started with %d thread(s)", torch.get_num_threads())
    try:
        yield LOG
    except Exception:
        LOG.exception("job failed")
        raise
    finally:
        for handler in handlers:
            LOG.removeHandler(handler)
            handler.close()


def resolve_device(name: str, key: str | None = None) -> torch.device:
    """ "auto" is CUDA when a GPU is visible, else the CPU; "cuda" without one is an error,
    raised before the job writes anything, naming the config `key` (e.g. "hessian.device")
    where the caller gives it. The parse-time check (config_checks.check_devices) catches
    it earlier on the machine that parses; this one catches a job's machine."""
    where = f"{key}: " if key else ""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"{where}device 'cuda' was asked for, but torch sees no GPU on this machine "
            f"(CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES')!r}); use 'auto'"
        )
    if name not in ("cpu", "cuda"):
        raise ValueError(f"{where}unknown device {name!r}; choose auto, cpu or cuda")
    return torch.device(name)


def use_deterministic_algorithms() -> None:
    """Ask torch for reproducible kernels, so a training run resumed from a record follows
    the uninterrupted trajectory. cuBLAS needs its workspace fixed before CUDA starts;
    operations without a deterministic kernel warn instead of failing."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False


@contextmanager
def heartbeat(what: str, progress: Callable[[], str] = lambda: "", every: float = 30.0):
    """Log `what`, the elapsed time and `progress()` every `every` seconds while the block
    runs, so a long call that cannot report itself (one LAPACK call, ARPACK) still shows in
    its log that it is alive and how far it got."""
    started, done = time.perf_counter(), threading.Event()

    def beat() -> None:
        while not done.wait(every):
            detail = progress()
            LOG.info(
                "%s: %.0f s so far%s", what, time.perf_counter() - started,
                f", {detail}" if detail else "",
            )  # fmt: skip

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
