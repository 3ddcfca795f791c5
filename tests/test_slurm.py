"""The workflow through a real SLURM scheduler: a single-node cluster on localhost.

The fixture writes /etc/slurm/slurm.conf (the executor plugin's job step ignores
SLURM_CONF), starts munged (unless one already answers), slurmctld and slurmd from
Debian's packages, and stops every daemon it started, by PID. Without the packages the
tests skip, unless REQUIRE_SLURM=1 (as in .ci/run), where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from hessian_spectra import hessian_file, runs, storage

from .snakemake_runs import (
    REPO,
    SAFETY_NET_S,
    SNAKEMAKE,
    TEST_CONFIG,
    copy_workflow,
    snakemake,
)

pytestmark = [pytest.mark.workflow, pytest.mark.slurm]

CONF = Path("/etc/slurm/slurm.conf")
DAEMONS = ("/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch")
TARGET = "results/fig2.pdf"
SPLIT = 4
PARTITION = "work"  # not the cluster's default: jobs land there only if the profile says so
# One seed: a split Hessian gathered through the scheduler is a property of each run, not of
# the seeds; one seed halves the jobs SLURM schedules (each a sbatch and a status poll).
ONE_SEED = {**TEST_CONFIG, "blobs": {**TEST_CONFIG["blobs"], "seeds": [0]}}


def slurm_conf(state: Path) -> str:
    cpus = os.cpu_count() or 1
    return f"""\
ClusterName=hessiantest
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation={state}/ctld
SlurmdSpoolDir={state}/spool
SlurmctldPidFile={state}/slurmctld.pid
SlurmdPidFile={state}/slurmd.pid
SlurmctldLogFile={state}/slurmctld.log
SlurmdLogFile={state}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MinJobAge=300
ReturnToService=2
EnforcePartLimits=ALL
SlurmdParameters=config_overrides
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=8000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
PartitionName={PARTITION} Nodes=localhost MaxTime=INFINITE State=UP
"""


def munge_answers() -> bool:
    encoded = subprocess.run(["munge", "-n"], capture_output=True)
    if encoded.returncode != 0:
        return False
    return subprocess.run(["unmunge"], input=encoded.stdout, capture_output=True).returncode == 0


def stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def read_pid(path: Path, timeout: float = 120.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        time.sleep(0.1)
    raise RuntimeError(f"{path} did not appear")


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    missing = [path for path in DAEMONS if not Path(path).exists()]
    if missing:
        message = f"SLURM packages missing ({', '.join(missing)}): make slurm-packages"
        if os.environ.get("REQUIRE_SLURM") == "1":
            pytest.fail(message)
        pytest.skip(message)
    state = tmp_path_factory.mktemp("slurm")
    (state / "ctld").mkdir()
    (state / "spool").mkdir()
    backup = CONF.read_bytes() if CONF.exists() else None
    CONF.parent.mkdir(parents=True, exist_ok=True)
    CONF.write_text(slurm_conf(state))
    started: list[int] = []
    try:
        if not munge_answers():
            if not Path("/etc/munge/munge.key").exists():
                subprocess.run(["mungekey", "--create"], check=True)
            Path("/run/munge").mkdir(parents=True, exist_ok=True)
            shutil.chown("/run/munge", "munge", "munge")
            pid_file = Path("/run/munge/munged.pid")  # munged runs as munge: its own dir
            pid_file.unlink(missing_ok=True)
            subprocess.run(
                ["runuser", "-u", "munge", "--", "/usr/sbin/munged", f"--pid-file={pid_file}"],
                check=True,
            )
            started.append(read_pid(pid_file))
        subprocess.run(["/usr/sbin/slurmctld", "-f", str(CONF)], check=True)
        started.append(read_pid(state / "slurmctld.pid"))
        subprocess.run(["/usr/sbin/slurmd", "-N", "localhost", "-f", str(CONF)], check=True)
        started.append(read_pid(state / "slurmd.pid"))
        deadline = time.monotonic() + 120  # returns as soon as the node is idle
        while True:
            node = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
            if node.stdout.strip() == "idle":
                break
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the SLURM node never became idle: {node.stdout}"
                    f"{node.stderr}{(state / 'slurmctld.log').read_text()}"
                )
            time.sleep(0.5)
        yield state
    finally:
        subprocess.run(["scancel", "--full", "--user", "root"], capture_output=True)
        for pid in reversed(started):
            stop(pid)
        if backup is None:
            CONF.unlink(missing_ok=True)
        else:
            CONF.write_bytes(backup)


def slurm_profile(workdir: Path) -> Path:
    """profiles/slurm with the test cluster's non-default partition, as a user edits it,
    and faster polling."""
    profile = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())
    profile["default-resources"]["slurm_partition"] = PARTITION
    profile.update({
        "slurm-init-seconds-before-status-checks": 2,
        "slurm-no-account": True,
        "latency-wait": 5,
        "retries": 0,
    })  # fmt: skip
    target = workdir / "profiles" / "slurm-test"
    target.mkdir(parents=True)
    (target / "config.yaml").write_text(yaml.safe_dump(profile))
    return target


def test_slurm_run_with_a_split_hessian_equals_the_local_run(slurm_cluster, tmp_path):
    local = copy_workflow(tmp_path / "local")
    snakemake(local, TARGET, config=ONE_SEED)

    cluster = copy_workflow(tmp_path / "cluster")
    config = yaml.safe_load(yaml.safe_dump(ONE_SEED))
    config["hessian"]["split"] = SPLIT
    (cluster / "run-config.yaml").write_text(yaml.safe_dump(config))
    command = [
        SNAKEMAKE,
        TARGET,
        "--profile",
        str(slurm_profile(cluster)),
        "--configfile",
        str(cluster / "run-config.yaml"),
    ]
    # Snakemake ignores SIGTERM while it waits for the scheduler: bound it with SIGKILL.
    process = subprocess.Popen(
        command,
        cwd=cluster,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=SAFETY_NET_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"the SLURM run did not finish in {SAFETY_NET_S} s:\n{output[-5000:]}")
    assert process.returncode == 0, output[-5000:]
    assert "SLURM jobid" in output  # the jobs went through the scheduler
    jobs = subprocess.run(
        ["squeue", "--states=all", "--noheader", "--format=%P %j"],
        capture_output=True, text=True, check=True,
    ).stdout.split("\n")  # fmt: skip
    ran = [line.split() for line in jobs if line.strip()]
    fig2_runs = runs.fig2_runs(ONE_SEED)
    assert len(ran) >= SPLIT * len(fig2_runs)
    assert {partition for partition, _ in ran} == {PARTITION}, ran
    assert output.count("rule hessian_part:") == SPLIT * len(fig2_runs)

    assert (cluster / TARGET).read_bytes().startswith(b"%PDF")
    for run in (fig2_run.name for fig2_run in fig2_runs):
        single, _ = hessian_file.read(local / f"results/blobs/hessians/{run}/final.h5")
        gathered, attrs = hessian_file.read(cluster / f"results/blobs/hessians/{run}/final.h5")
        assert attrs["gathered_from_parts"] == SPLIT
        assert np.array_equal(gathered, single)
        spectrum = f"results/blobs/spectra/{run}/final.h5"
        local_values, _ = storage.read_spectrum(local / spectrum)
        cluster_values, _ = storage.read_spectrum(cluster / spectrum)
        assert np.array_equal(cluster_values, local_values)
