"""Run a command in a fresh process and report its wall time, CPU time and peak memory.

A wrapper process runs the command as its only child (its output kept as the wrapper's stderr),
so RUSAGE_CHILDREN's maxrss is that command's peak (or its largest worker's, for commands that fork)."""
from __future__ import annotations

import json
import subprocess
import sys

from warehouse.paths import ROOT

_WRAPPER = ("import resource, subprocess, sys, time, json; t = time.perf_counter(); "
            "subprocess.run(sys.argv[1:], check=True, stdout=sys.stderr); "
            "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "print(json.dumps({'wall': time.perf_counter() - t, 'cpu': u.ru_utime + u.ru_stime, "
            "'peak_mb': u.ru_maxrss / 1024, 'written_mb': u.ru_oublock * 512 / 1e6}))")


def measure(cmd: list[str]) -> dict:
    """{'wall', 'cpu' (seconds), 'peak_mb', 'written_mb' (what it sent to the disk: the
    kernel's block-output count), 'log' (its log lines, those that start with a time)} of one run
    of `cmd` (run from the project root)."""
    result = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], cwd=ROOT, capture_output=True, text=True)
    logged = [line for line in result.stderr.replace("\r", "\n").splitlines()
              if line[:2].isdigit() and line[2:3] == ":"]
    if result.returncode:           # what the command said last: a bench run is long to repeat
        # its last log lines too (what step it was in): the traceback alone filled the tail
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n" + "\n".join(logged[-20:])
                           + f"\n…\n{result.stderr[-5000:]}")
    return json.loads(result.stdout) | {"log": logged}
