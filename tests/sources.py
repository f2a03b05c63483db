"""Export folders derived from the session's tiny source, for tests that refresh twice."""
from __future__ import annotations

import shutil
from pathlib import Path


def source_with_fewer_events(tiny_source: Path, tmp_path: Path, keep_share: float) -> Path:
    """A copy of `tiny_source` keeping the first `keep_share` of its events (header kept)."""
    src = tmp_path / f"src-{keep_share}"
    shutil.copytree(tiny_source, src)
    lines = (src / "events.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (src / "events.csv").write_text("".join(lines[: 1 + int((len(lines) - 1) * keep_share)]),
                                    encoding="utf-8")
    return src
