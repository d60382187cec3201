"""A single-node SLURM on this machine, for the sweep's SLURM test (tests/cli/test_sweep_slurm.py)
and for trying ``ssbx sweep --backend slurm`` without a cluster.

    python tools/slurm_local.py start [DIR] [--install]   # prints: export SLURM_CONF=DIR/slurm.conf
    python tools/slurm_local.py stop [DIR]

Needs root and Debian's ``slurm-wlm`` and ``munge`` (``apt-get install slurm-wlm munge``).
Writes a minimal ``slurm.conf`` (this host as controller and only node, its CPUs and memory,
no cgroups, no accounting) into DIR (default /tmp/ssbx-slurm) and starts ``munged``,
``slurmctld`` and ``slurmd`` (they daemonise; ``stop`` ends them by their pid files).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_DIR = Path("/tmp/ssbx-slurm")


class Unavailable(RuntimeError):
    """SLURM cannot be started here (the message says why)."""


def _conf(d: Path) -> str:
    host = socket.gethostname().split(".")[0]
    cpus = os.cpu_count() or 1
    mem_mb = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20 * 0.9)
    return f"""ClusterName=ssbxtest
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
SlurmctldPort=6917
SlurmdPort=6918
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
InactiveLimit=0
KillWait=5
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={mem_mb} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


def _run(cmd: list[str], env=None, timeout=30) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)


def _daemon(cmd: list[str], env=None, timeout=60) -> subprocess.CompletedProcess:
    """Start a daemon that forks into the background; one that does not return in ``timeout``
    seconds is killed and reported as :class:`Unavailable` (never a hang, never a traceback)."""
    try:
        return _run(cmd, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Unavailable(
            f"{Path(cmd[-1] if cmd[0] == 'runuser' else cmd[0]).name} did not "
            f"return within {timeout} s: {' '.join(cmd)}"
        ) from None


def _munge_answers() -> bool:
    """True when a munged answers on its socket (``munge -n | unmunge`` round trip)."""
    if shutil.which("munge") is None or shutil.which("unmunge") is None:
        return False
    try:
        cred = subprocess.run(["munge", "-n"], capture_output=True, timeout=10)
        if cred.returncode != 0:
            return False
        back = subprocess.run(["unmunge"], input=cred.stdout, capture_output=True, timeout=10)
        return back.returncode == 0
    except subprocess.TimeoutExpired:
        return False


def _alive(pidfile: Path) -> bool:
    try:
        os.kill(int(pidfile.read_text().split()[0]), 0)
        return True
    except (OSError, ValueError):
        return False


def _missing() -> list[str]:
    return [
        exe
        for exe in ("munged", "slurmctld", "slurmd", "sbatch", "sinfo")
        if shutil.which(exe) is None and not Path(f"/usr/sbin/{exe}").exists()
    ]


def install() -> None:
    """``apt-get install slurm-wlm munge`` (root, Debian); :class:`Unavailable` if it fails."""
    if shutil.which("apt-get") is None:
        raise Unavailable("slurm-wlm is not installed and there is no apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "-q", "slurm-wlm", "munge"]
    r = _run(cmd, env=env, timeout=900)
    if r.returncode != 0:
        _run(["apt-get", "update", "-q"], env=env, timeout=600)
        r = _run(cmd, env=env, timeout=900)
    if r.returncode != 0:
        tail = (r.stderr.strip() or r.stdout.strip()).splitlines()[-1:]
        raise Unavailable(f"apt-get install slurm-wlm munge failed: {' '.join(tail)}")


def start(d: str | os.PathLike = DEFAULT_DIR, timeout: float = 60.0, install_missing=False) -> dict:
    """Start munged, slurmctld and slurmd (reusing those already running from ``d``) and wait
    until the node is idle; with ``install_missing``, install the Debian packages first when
    they are missing. Returns the environment for the SLURM clients (``SLURM_CONF``). Raises
    :class:`Unavailable` with the reason when SLURM cannot be started."""
    d = Path(d)
    if os.geteuid() != 0:
        raise Unavailable("not root (slurmd and munged need root here)")
    if _missing() and install_missing:
        install()
    if _missing():
        raise Unavailable(
            f"{', '.join(_missing())} not installed (apt-get install slurm-wlm munge)"
        )
    for sub in ("state", "spool"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    conf = d / "slurm.conf"
    conf.write_text(_conf(d))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    run_munge = Path("/run/munge")
    # a socket file left by a munged that is gone (a machine restored from a snapshot) is not
    # a running munged: slurmd would retry it for ever; ask munged itself
    if not _munge_answers():
        run_munge.mkdir(parents=True, exist_ok=True)
        shutil.chown(run_munge, "munge", "munge")
        for stale in ("munge.socket.2", "munge.socket.2.lock", "munged.pid"):
            (run_munge / stale).unlink(missing_ok=True)
        r = _daemon(["runuser", "-u", "munge", "--", "/usr/sbin/munged"])
        if r.returncode != 0:
            r = _daemon(["/usr/sbin/munged", "--force"])
        if r.returncode != 0 or not _munge_answers():
            raise Unavailable(f"munged did not start: {r.stderr.strip() or r.stdout.strip()}")
    if not _alive(d / "slurmctld.pid"):
        r = _daemon(["/usr/sbin/slurmctld", "-f", str(conf), "-c"], env=env)
        if r.returncode != 0:
            raise Unavailable(f"slurmctld did not start: {r.stderr.strip()}")
    if not _alive(d / "slurmd.pid"):
        r = _daemon(["/usr/sbin/slurmd", "-f", str(conf)], env=env)
        if r.returncode != 0:
            raise Unavailable(f"slurmd did not start: {r.stderr.strip()}")
    t_end = time.monotonic() + timeout
    state = ""
    while time.monotonic() < t_end:
        r = _run(["sinfo", "-h", "-o", "%T"], env=env)
        state = r.stdout.strip() or r.stderr.strip()
        if r.returncode == 0 and state.startswith(("idle", "mixed", "allocated")):
            return env
        time.sleep(1.0)
    log = (d / "slurmctld.log").read_text()[-500:] if (d / "slurmctld.log").exists() else ""
    raise Unavailable(f"the node did not become idle in {timeout:.0f} s (sinfo: {state}); {log}")


def stop(d: str | os.PathLike = DEFAULT_DIR) -> None:
    """End the slurmd and slurmctld started from ``d`` (by their pid files)."""
    d = Path(d)
    for name in ("slurmd", "slurmctld"):
        pidfile = d / f"{name}.pid"
        if _alive(pidfile):
            os.kill(int(pidfile.read_text().split()[0]), signal.SIGTERM)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "start"
    rest = [a for a in sys.argv[2:] if a != "--install"]
    folder = Path(rest[0]) if rest else DEFAULT_DIR
    if what == "stop":
        stop(folder)
    else:
        try:
            start(folder, install_missing="--install" in sys.argv)
        except Unavailable as e:
            sys.exit(f"slurm_local: {e}")
        print(f"export SLURM_CONF={folder / 'slurm.conf'}")
