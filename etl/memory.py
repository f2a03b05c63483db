"""Keep freed heap memory in the process instead of handing it back to the kernel.

The ETL allocates and frees arrays of hundreds of megabytes many times. glibc serves each from a
fresh mmap and unmaps it on free, so every new array pays first-touch page faults again; on the
virtual machines governments run this on those faults cost more than the arithmetic (measured:
the same numpy loop 2.5× faster with this setting). The cost: up to 1 GiB freed but not yet
reused may stay counted in the process's resident memory."""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4


def keep_freed_memory() -> bool:
    """Tell glibc malloc to use no mmap for large blocks and to trim the heap only when more
    than 1 GiB is free at its top. No-op (False) where glibc is not the allocator."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_MAX, 0)) and bool(libc.mallopt(M_TRIM_THRESHOLD, 1 << 30))
    except (OSError, AttributeError):
        return False
