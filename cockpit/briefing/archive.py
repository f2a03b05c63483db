"""The briefings archive: `{root}/{area_code}/{daily|weekly}-{YYYY-MM-DD}.pdf` and `.png`, the root
being the setting COCKPIT_BRIEFINGS (warehouse/state.py: backed up with the other kept files).

The one place that turns names into paths: a name is accepted only when it is exactly of that
form, an area code only when it is one (digits of an area's length), and both are rebuilt from
their parsed parts before they touch the file system, so no `..`, slash, encoding trick or
symbolic link inside the name can reach another file. Which areas an account sees is decided
here too: its own area and the areas inside it."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

NAME = re.compile(r"(daily|weekly)-(\d{4})-(\d{2})-(\d{2})\.(pdf|png)")
AREA_LENGTHS = (4, 6, 9, 12, 15)
FORMATS = ("pdf", "png")


class NotABriefing(ValueError):
    """A name or an area code that is not of the archive's form."""


@dataclass(frozen=True)
class Entry:
    area_code: str
    kind: str               # daily | weekly
    day: dt.date            # the day it was issued
    files: dict             # {"pdf": bytes, "png": bytes} of the formats present

    def name(self, fmt: str) -> str:
        return file_name(self.kind, self.day, fmt)


def file_name(kind: str, day: dt.date, fmt: str) -> str:
    if kind not in ("daily", "weekly") or fmt not in FORMATS:
        raise NotABriefing(f"{kind} {fmt}")
    return f"{kind}-{day.isoformat()}.{fmt}"


def is_area_code(code) -> bool:
    return isinstance(code, str) and code.isascii() and code.isdigit() and len(code) in AREA_LENGTHS


def parse(name) -> tuple[str, dt.date, str]:
    """(kind, day, format) of a file name of the archive, else NotABriefing."""
    m = NAME.fullmatch(name) if isinstance(name, str) else None
    if m is None:
        raise NotABriefing(repr(name)[:80])
    try:
        day = dt.date(int(m.group(2)), int(m.group(3)), int(m.group(4)))
    except ValueError:
        raise NotABriefing(repr(name)[:80]) from None
    return m.group(1), day, m.group(5)


def path(root: Path, area_code: str, kind: str, day: dt.date, fmt: str) -> Path:
    if not is_area_code(area_code):
        raise NotABriefing(repr(area_code)[:80])
    return Path(root) / area_code / file_name(kind, day, fmt)


def sees(scope_code: str, area_code: str) -> bool:
    """Whether an account of area `scope_code` sees the briefings of `area_code`."""
    return is_area_code(scope_code) and is_area_code(area_code) and area_code.startswith(scope_code)


def locate(root: Path, scope_code: str, area_code, name) -> Path:
    """The file an account of `scope_code` asks for. NotABriefing for a malformed request,
    PermissionError for an area outside the account's, FileNotFoundError when there is none."""
    kind, day, fmt = parse(name)
    target = path(root, area_code, kind, day, fmt)
    if not sees(scope_code, area_code):
        raise PermissionError(area_code)
    folder = Path(root).resolve() / area_code
    # the area's folder must be a real folder of the root (not a link to elsewhere), the file a file
    if folder.is_symlink() or target.is_symlink() or not target.is_file() or \
            target.resolve().parent != folder.resolve() or folder.resolve().parent != Path(root).resolve():
        raise FileNotFoundError(name)
    return target


def listing(root: Path, scope_code: str) -> list[Entry]:
    """Every briefing of the account's area and the areas inside it, newest first."""
    root = Path(root)
    if not root.is_dir() or not is_area_code(scope_code):
        return []
    found: dict[tuple, dict] = {}
    for folder in root.iterdir():
        if not (folder.is_dir() and not folder.is_symlink() and sees(scope_code, folder.name)):
            continue
        for f in folder.iterdir():
            try:
                kind, day, fmt = parse(f.name)
            except NotABriefing:
                continue
            if f.is_file() and not f.is_symlink():
                found.setdefault((folder.name, kind, day), {})[fmt] = f.stat().st_size
    entries = [Entry(code, kind, day, files) for (code, kind, day), files in found.items()]
    return sorted(entries, key=lambda e: (-e.day.toordinal(), e.kind != "daily", len(e.area_code), e.area_code))
