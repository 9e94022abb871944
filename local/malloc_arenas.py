"""Fewer glibc malloc arenas for the local system's processes: the same work in less memory.

glibc gives each thread that contends for the heap an arena of its own, up to eight per CPU, and
memory freed in an arena stays with it. The runtime's process serves every connection and poller
in a thread, and the DynamoDB Local JVM runs a pool of them: with two arenas the runtime held
about 20 MB less under load, the JVM about 6 MB less, at no measurable cost in speed.

`limit()` caps this process (through `mallopt`, before its threads start) and, through
`MALLOC_ARENA_MAX`, every process it starts (the JVM, the zygote and its workers). A value the
user already set wins. Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import os
import sys

ARENAS = 2
ENVIRONMENT_VARIABLE = "MALLOC_ARENA_MAX"
_M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)


def limit(arenas: int = ARENAS) -> bool:
    """Cap malloc arenas here and in every child process; True when this process was capped."""
    if not sys.platform.startswith("linux") or ENVIRONMENT_VARIABLE in os.environ:
        return False  # not glibc, or the user chose (glibc read it when this process started)
    os.environ[ENVIRONMENT_VARIABLE] = str(arenas)
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False  # another C library: the variable is harmless there
