"""One refresh at a time per warehouse: an exclusive flock on `<warehouse>/refresh.lock`. The
kernel drops the lock when the holder exits, however it exits (SIGKILL included), so a killed run
never blocks the next one."""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from etl.exitcodes import ExitCode, Failure

FILE = "refresh.lock"


class Locked(Failure):
    """Another run holds the warehouse."""
    exit_code = ExitCode.LOCKED


@contextmanager
def refresh_lock(warehouse: Path):
    Path(warehouse).mkdir(parents=True, exist_ok=True)
    fd = os.open(Path(warehouse) / FILE, os.O_RDWR | os.O_CREAT, 0o644)
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
        os.close(fd)      # releases the lock
