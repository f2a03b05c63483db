"""The tree passes `ruff check` with the settings in pyproject.toml (unused and undefined names,
syntax, sorted imports), so CI enforces them: `ruff check --fix .` mends most findings."""
import subprocess
import sys

from warehouse.paths import ROOT


def test_ruff_check_passes():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
