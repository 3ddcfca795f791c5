"""The training-trajectory file of the CIFAR-10 experiment (Section 4.1) and the journal a
part writes it from, so that a killed job resumes.

A trajectory holds one record per interval: `step`, the metrics `TRAJECTORY_METRICS` on the
full training and test sets, and a row of `parameters`, with the part's settings, inputs and
model (as sorted JSON, `model_attr`) in its attributes. While a part runs, its records go
to a journal beside the output; a journal resumes only the run whose identity it was
stamped with, executed as it was (`execution_of`: CPU threads, device, torch), since a CPU
reduction's result depends on how many threads share it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch

from .storage import (
    CHECKSUMMED,
    ArtefactError,
    atomic_path,
    attrs_dict,
    open_h5,
    require_dataset,
    require_finite,
    set_attrs,
)

TRAJECTORY_METRICS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")
JOURNAL_FORMAT = "hessian-spectra-journal/1"
LOG = logging.getLogger(__name__)


def model_attr(spec: Mapping) -> str:
    """How a trajectory records its model spec: sorted JSON, so that two records of one
    model compare equal as strings."""
    return json.dumps(spec, sort_keys=True)


def model_spec(trajectory: Mapping) -> dict:
    """The model spec of a trajectory read by `read_trajectory`."""
    return json.loads(trajectory["attrs"]["model"])


def execution_of(device: torch.device) -> dict[str, Any]:
    """How this process computes, beyond the run's settings and inputs: torch's CPU thread
    count now, the device (with the GPU's name) and torch's version. Each changes the
    rounding of a training step (a CPU reduction is split among the threads; even under
    `jobs.use_deterministic_algorithms` one conv gradient differs at 1 and 2 threads), so
    a record resumes only a process that computes alike."""
    described = {"threads": torch.get_num_threads(), "device": str(device)}
    if device.type == "cuda":
        described["gpu"] = torch.cuda.get_device_name(device)
    return described | {"torch": str(torch.__version__)}


def _in_words(execution: Mapping | None) -> str:
    if not execution:
        return "no recorded thread count or device"
    threads = execution.get("threads")
    where = execution.get("gpu", execution.get("device"))
    return f"{threads} thread{'s' * (threads != 1)} on {where}, torch {execution.get('torch')}"


class RecordJournal:
    """The records of a training run in progress, one file each, so a killed job resumes.

    A directory of `record-NNNNN.pt` files, each written atomically, each stamped with a
    fingerprint of the run's settings and inputs and with its `execution`: a record of
    another run (the config changed since), or of the same run computed with another thread
    count, device or torch, is never resumed from (the log says which). `finish` collects
    the records into the final trajectory file and deletes the directory.
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        fingerprint: str,
        execution: Mapping[str, Any] | None = None,
    ):
        self.directory = Path(directory)
        self.fingerprint = fingerprint
        # plain JSON types: a record is loaded with weights_only, and compared as loaded
        self.execution = json.loads(json.dumps(dict(execution or {}), sort_keys=True))

    @classmethod
    def beside(
        cls,
        output: str | os.PathLike,
        identity: Mapping,
        execution: Mapping[str, Any] | None = None,
    ) -> RecordJournal:
        """The journal of the trajectory `output` (`.<name>.journal` next to it), stamped
        with the hash of `identity` (JSON: the settings and inputs that make the run) and
        with `execution` (`execution_of(device)`: how the process computes)."""
        output = Path(output)
        fingerprint = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
        return cls(output.with_name(f".{output.name}.journal"), fingerprint, execution)

    def _path(self, index: int) -> Path:
        return self.directory / f"record-{index:05d}.pt"

    def write(self, index: int, parameters: torch.Tensor, step: int, metrics: Mapping) -> None:
        payload = {
            "format": JOURNAL_FORMAT,
            "fingerprint": self.fingerprint,
            "execution": self.execution,
            "index": int(index),
            "step": int(step),
            "metrics": {name: float(metrics[name]) for name in TRAJECTORY_METRICS},
            "parameters": parameters.detach().cpu().clone(),
        }
        with atomic_path(self._path(index)) as tmp:
            torch.save(payload, tmp)

    def read(self, index: int) -> dict:
        return torch.load(self._path(index), map_location="cpu", weights_only=True)

    def resumable(self) -> int:
        """How many records (from index 0 on) this run can resume from; records of another
        run or execution, or after a gap, are deleted."""
        count, why = 0, None
        while self._path(count).is_file():
            try:
                payload = self.read(count)
            except Exception as error:  # noqa: BLE001 - a damaged record is recomputed
                why = f"record {count} is unreadable ({str(error).splitlines()[0]})"
                break
            if payload.get("fingerprint") != self.fingerprint:
                why = f"record {count} holds another run (settings or inputs)"
                break
            if payload.get("execution") != self.execution:
                why = (
                    f"record {count} is of {_in_words(payload.get('execution'))}, this job "
                    f"has {_in_words(self.execution)} (a record resumes bit for bit only "
                    "under the execution that wrote it)"
                )
                break
            count += 1
        if why:
            LOG.info(
                "journal %s: %s: %s", self.directory, why,
                "starting over" if count == 0 else f"resuming from record {count - 1}",
            )  # fmt: skip
        for stale in self.directory.glob("record-*.pt"):
            if int(stale.stem.split("-")[1]) >= count:
                stale.unlink()
        return count

    def finish(self, output: str | os.PathLike, count: int, attrs: Mapping[str, Any]) -> None:
        """Write records 0..count-1 as one trajectory file, then remove the journal."""
        first = self.read(0)
        with atomic_path(output) as tmp, h5py.File(tmp, "w") as handle:
            parameters = handle.create_dataset(
                "parameters",
                shape=(count, first["parameters"].numel()),
                dtype=np.dtype(str(first["parameters"].dtype).removeprefix("torch.")),
                chunks=(1, first["parameters"].numel()),
                fletcher32=True,
            )
            steps = np.zeros(count, dtype=np.int64)
            metrics = {name: np.zeros(count) for name in TRAJECTORY_METRICS}
            for index in range(count):
                record = first if index == 0 else self.read(index)
                parameters[index] = record["parameters"].numpy()
                steps[index] = record["step"]
                for name in TRAJECTORY_METRICS:
                    metrics[name][index] = record["metrics"][name]
            handle.create_dataset("step", data=steps, **CHECKSUMMED)
            for name, values in metrics.items():
                handle.create_dataset(name, data=values, **CHECKSUMMED)
            set_attrs(handle, attrs)
        for path in self.directory.glob("record-*.pt"):
            path.unlink()
        self.directory.rmdir()


def read_trajectory(path, records: str = "none") -> dict[str, Any]:
    """A trajectory written by `RecordJournal.finish`: its steps, metrics and attributes,
    checked for consistency, and the parameters of no record (`records="none"`), of the
    last one ("last"), or of all of them ("all", as a (records, M) array)."""
    with open_h5(path, "trajectory") as handle:
        out = {"step": require_dataset(handle, "step", path, "trajectory")[()]}
        for name in TRAJECTORY_METRICS:
            dataset = require_dataset(handle, name, path, "trajectory")
            out[name] = require_finite(dataset[()], path, name, "trajectory")
        parameters = require_dataset(handle, "parameters", path, "trajectory")
        count = len(out["step"])
        if parameters.ndim != 2 or parameters.shape[0] != count:
            raise ArtefactError(
                f"trajectory file {path}: 'parameters' has shape {parameters.shape}, expected "
                f"({count}, M), one row per record"
            )
        for name in TRAJECTORY_METRICS:
            if out[name].shape != (count,):
                raise ArtefactError(
                    f"trajectory file {path}: '{name}' has shape {out[name].shape}, "
                    f"expected ({count},)"
                )
        out["attrs"] = attrs_dict(handle)
        if (
            "parameter_count" in out["attrs"]
            and parameters.shape[1] != out["attrs"]["parameter_count"]
        ):
            raise ArtefactError(
                f"trajectory file {path}: 'parameters' has {parameters.shape[1]} columns but "
                f"the file says M = {out['attrs']['parameter_count']}"
            )
        if records == "last":
            out["parameters"] = parameters[count - 1]
        elif records == "all":
            out["parameters"] = parameters[()]
        elif records != "none":
            raise ValueError(f"records must be none, last or all, not {records!r}")
    if "parameters" in out:
        require_finite(out["parameters"], path, "parameters", "trajectory")
    return out


def read_start(path, spec: Mapping) -> dict[str, Any]:
    """The last record of trajectory `path`, to continue a run of the model `spec` from;
    a trajectory of another model is refused."""
    previous = read_trajectory(path, records="last")
    if previous["attrs"].get("model") != model_attr(spec):
        raise ArtefactError(
            f"trajectory {path} was trained with the model {previous['attrs'].get('model')}"
            f", not {spec}; rerun it with the same cifar.model"
        )
    return previous
