"""Read source files as text, whatever their encoding, and say what was read."""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ENCODINGS = ("utf-8-sig", "gb18030")   # UTF-8 with or without BOM; GB18030 covers GBK and GB2312


class SourceError(Exception):
    """A source file cannot be read at all (missing, undecodable, wrong headers)."""


@dataclass
class TextFile:
    path: Path
    sha256: str
    encoding: str
    frame: pd.DataFrame      # every cell a str; column "line" is the 1-based line in the file


def read_csv_text(path: Path, headers: dict[str, str]) -> TextFile:
    """Read a CSV as strings, map its source headers to canonical names, number its lines."""
    if not path.exists():
        raise SourceError(f"缺少源文件 {path.name} (missing source file {path})")
    raw = path.read_bytes()
    for enc in ENCODINGS:
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SourceError(f"{path.name}: 无法识别编码 (neither UTF-8 nor GB18030)")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    frame.columns = [c.strip() for c in frame.columns]
    missing = [h for h in headers if h not in frame.columns]
    if missing:
        raise SourceError(f"{path.name}: 缺少列 {', '.join(missing)} (missing columns)")
    frame = frame[list(headers)].rename(columns=headers)
    frame.insert(0, "line", range(2, len(frame) + 2))
    return TextFile(path, hashlib.sha256(raw).hexdigest(), enc, frame)
