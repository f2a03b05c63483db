"""One refresh at a time per warehouse: an exclusive flock on `<warehouse>/refresh.lock`. The
kernel drops the lock when the holder exits, however it exits (SIGKILL included), so a killed run
never blocks the next one. A flock belongs to the open file, which a forked child shares: so a
child closes its copy at once (etl/cores.py forks workers), and the lock never outlives
the run in an orphan."""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from etl.exitcodes import ExitCode, Failure

FILE = "refresh.lock"
_held: set[int] = set()          # this process's lock descriptors


def _close_in_child() -> None:
    for fd in list(_held):
        try:
            os.close(fd)
        except OSError:
            pass
    _held.clear()


os.register_at_fork(after_in_child=_close_in_child)


class Locked(Failure):
    """Another run holds the warehouse."""
    exit_code = ExitCode.LOCKED


@contextmanager
def refresh_lock(warehouse: Path):
    Path(warehouse).mkdir(parents=True, exist_ok=True)
    fd = os.open(Path(warehouse) / FILE, os.O_RDWR | os.O_CREAT, 0o644)
    _held.add(fd)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise Locked(f"另一次刷新正在运行 (pid {holder}) (another run holds {warehouse})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        _held.discard(fd)
        os.close(fd)      # releases the lock
