"""Is a run's process still there? The ETL's run log (etl/runlog.py) records each run's process
id, host and start token; `etl status` and the cockpit's data-health page both ask this, so a
killed run shows as interrupted (中断) at once, not only when the next run starts.

The start token is the process's start time as the kernel counts it (/proc/<pid>/stat, field
22): a process id reused by another program has another token. Where /proc is missing, a process
that exists is taken to be the run."""
from __future__ import annotations

import os
import socket
from pathlib import Path

FILE = "runs.sqlite"            # the run log, beside the generations (written by etl/runlog.py)


def host() -> str:
    return socket.gethostname()


def start_token(pid: int | None = None) -> str | None:
    """The kernel's start time of process `pid` (default: this one), or None if unknown."""
    try:
        stat = Path(f"/proc/{pid or os.getpid()}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]     # field 22; the name in () may hold spaces


def _known(value):
    """None for a missing value as a reader may hand it over (None, NaN, "")."""
    return None if value is None or value != value or value == "" else value


def still_running(pid, run_host, token) -> bool:
    """True while the process that started a run is alive (or when that cannot be told: another
    host's run, no process id)."""
    pid, run_host, token = _known(pid), _known(run_host), _known(token)
    if pid is None or (run_host is not None and run_host != host()):
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass                                        # exists, another user's
    now = start_token(int(pid))
    return token is None or now is None or now == str(token)
