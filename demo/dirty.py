"""Dirty mode: inject realistic source-data defects, in known numbers, into a folder of clean
generated files, in place, and list every one in `dirty_manifest.json`.

`make_dirty(out_dir, seed)` runs after `generate(...)` on the same folder. It reads each CSV
twice, in blocks (a DuckDB scan picks the rows, a rewrite changes them; memory stays bounded at
the `city` scale), changes only the lines it lists, appends duplicate
rows, re-encodes one file and truncates the last line of events.csv. Every line it does not list
stays byte-identical (apart from the file-level re-encoding of the GB18030 file). Same clean
files and same seed give byte-identical dirty files.

The manifest:

    {"seed", "end" (the clean data's end date), "encodings" {file: encoding},
     "counts" {defect: number}, "defects": [entry, ...]}

Each entry: `file`; `line` (1-based physical line in the dirty file, header = 1; null for a
file-level defect); `column` (the Chinese header; "经度,纬度" for coordinate defects, whose values
are then "lon,lat"; for truncated_last_line the field the cut falls in; null for whole-row and
line-level defects); `defect`; `original` (the clean value); `injected` (the value now in the
file); `expect` (what the ETL must do: "quarantine", "repair", "load" (the row loads with the value
as injected), "masked" (the row loads, the personal number in the text masked), "topology" (the
grid is reported in grid_topology) or "undetectable"); `key` (the row's clean key value, e.g.
事件编号; null for an inserted line); `source_line`, the row's line in the clean file (lines move:
blank lines and multi-line records come before them, duplicates are appended). Every value is
stored as the ETL shows it: personal columns masked, any ID or mobile number in other text masked
(warehouse/personal.py), so the manifest holds nothing in clear. For whole-row defects
(duplicate_row) `original` and `injected` are the key. One entry is one defect: `counts` is the
number of entries per defect.

Defects, per file (at least `MIN_PER_KIND` each, one per `ROWS_PER_DEFECT` data rows, never two
on the same row; duplicates copy untouched rows). They are classes, not examples: each draws its
form (which written form of a number, which 12-hour spelling, which control character) at random.

| defect                 | files          | what                                      | expect     |
| ---------------------- | -------------- | ----------------------------------------- | ---------- |
| id_bad_check_digit     | persons, volunteers | last ID character changed            | quarantine |
| id_excel_scientific    | persons        | ID as Excel prints it: 2.20204E+17        | quarantine |
| duplicate_row          | events, households, persons | exact copy of a row appended | quarantine |
| duplicate_key_conflict | events, households, persons | copy with one other value appended | quarantine |
| latlon_swapped         | events, househ.| 经度/纬度 exchanged                        | quarantine |
| point_outside_grid     | events         | moved 1.5–6 km into another grid          | quarantine |
| point_outside_city     | events, househ.| near another Chinese city                 | quarantine |
| gcj02_coordinates      | events         | WGS-84 -> GCJ-02 (a few hundred metres)   | quarantine if it left its grid version (beyond the ETL's tolerance), else undetectable |
| future_timestamp       | events         | 上报时间's year mistyped: 2025 → 2052      | quarantine |
| closed_before_reported | events         | 结案时间 before 上报时间                    | quarantine |
| unknown_grid_code      | events, households, persons | 网格编码 not in grids.geojson | quarantine |
| unknown_category_code  | events         | 小类代码 not in the category reference      | quarantine |
| code_lost_zero         | events         | 大类代码 0x written x (a spreadsheet's number) | quarantine |
| ambiguous_time         | events         | 上报时间 as M/D/YYYY H:MM (which is the month?) | quarantine |
| twelve_hour_time       | events         | 上报时间 in a 12-hour or other unambiguous form (下午5:15, 5:15 PM, 17时15分) | repair |
| nonstandard_date       | persons, needs, volunteers, organisations | a date as 1980/1/1, 1980年1月1日, 19800101 | repair |
| phone_separators       | persons, volunteers, organisations | a phone as 139-1234-5678, +86 139 1234 5678 | repair |
| bad_phone              | organisations  | 负责人电话 a digit short                   | quarantine |
| credit_code_check      | organisations  | 统一社会信用代码's check character changed | quarantine |
| personal_in_text       | events, households, needs, organisations | an ID or mobile number, in one of many written forms, inside free text or an address | masked |
| control_character      | events, needs  | NUL, BEL or ESC inside a value            | repair     |
| empty_mandatory        | events, households, persons | a required field blanked     | quarantine |
| fullwidth_digits       | events, households, persons | digits written ０-９ (NFKC repairs) | repair |
| stray_spaces           | events, households, persons | leading/trailing " ", U+00A0 or U+3000 | repair |
| lowercase_x            | persons        | ID check character X written x            | repair     |
| excel_date_serial      | persons        | 出生日期 as Excel serial (days from 1899-12-30) | repair |
| quoted_field           | events, needs  | a text with a comma, legally quoted       | load       |
| multiline_text         | events         | a text with a line break, legally quoted: the row takes two lines | load |
| unclosed_quote         | events, needs  | a quote opened in a text and never closed (a legally quoted field follows a few rows later) | quarantine |
| blank_line             | events, persons, needs | an empty line between two rows    | quarantine |
| invalid_encoding       | events         | a byte that is not UTF-8 inside a text    | quarantine |
| gb18030_file           | households     | whole file encoded GB18030 (file-level)   | repair     |
| truncated_last_line    | events         | last line cut inside a field, no newline  | quarantine |
| grid_overlap           | grids.geojson  | one grid grown 40 m over its neighbours (file-level) | topology |

The appended rows of events.csv come before its (truncated) last line, which therefore has a
`source_line`. A duplicate's source row is left clean; an ETL that keeps the first of a
duplicate key keeps it.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import re
from collections import Counter
from pathlib import Path

import duckdb
import numpy as np
import shapely
from shapely.geometry import shape

from demo.identity import make_id_numbers, make_mobiles
from etl import contract
from etl.geo.crs import wgs84_to_gcj02
from etl.geo.inside import inside, metric_geometries
from etl.load.values import CREDIT_CHARS
from etl.paths import EVENT_CATEGORIES_CSV
from warehouse import personal

MANIFEST = "dirty_manifest.json"
ROWS_PER_DEFECT = 4000
MIN_PER_KIND = 4
GB18030_FILE = contract.HOUSEHOLDS.file
TS = "%Y-%m-%d %H:%M:%S"
CHUNK = 1 << 24          # bytes read at a time when rewriting a file

QUARANTINE, REPAIR, UNDETECTABLE = "quarantine", "repair", "undetectable"
LOAD, MASKED, TOPOLOGY = "load", "masked", "topology"
NEEDS, VOLUNTEERS, ORGANISATIONS = (contract.BY_TABLE[t].file for t in ("needs", "volunteers", "organisations"))

# Which defects go into which file, in the (fixed) order lines are drawn for them.
PLAN: dict[str, tuple[str, ...]] = {
    contract.EVENTS.file: (
        "duplicate_row", "duplicate_key_conflict", "latlon_swapped", "point_outside_grid",
        "point_outside_city", "gcj02_coordinates", "future_timestamp", "closed_before_reported",
        "unknown_grid_code", "unknown_category_code", "empty_mandatory", "fullwidth_digits",
        "stray_spaces", "code_lost_zero", "ambiguous_time", "twelve_hour_time", "personal_in_text",
        "control_character", "quoted_field", "multiline_text", "unclosed_quote", "blank_line",
        "invalid_encoding"),
    contract.HOUSEHOLDS.file: (
        "duplicate_row", "duplicate_key_conflict", "latlon_swapped", "point_outside_city",
        "unknown_grid_code", "empty_mandatory", "fullwidth_digits", "stray_spaces", "personal_in_text"),
    contract.PERSONS.file: (
        "id_bad_check_digit", "id_excel_scientific", "lowercase_x", "excel_date_serial",
        "duplicate_row", "duplicate_key_conflict", "unknown_grid_code", "empty_mandatory",
        "fullwidth_digits", "stray_spaces", "nonstandard_date", "phone_separators", "blank_line"),
    NEEDS: ("nonstandard_date", "personal_in_text", "control_character", "quoted_field",
            "unclosed_quote", "blank_line"),
    VOLUNTEERS: ("id_bad_check_digit", "nonstandard_date", "phone_separators"),
    ORGANISATIONS: ("bad_phone", "credit_code_check", "nonstandard_date", "phone_separators",
                    "personal_in_text"),
}
EXPECT = {
    "id_bad_check_digit": QUARANTINE, "id_excel_scientific": QUARANTINE,
    "duplicate_row": QUARANTINE, "duplicate_key_conflict": QUARANTINE,
    "latlon_swapped": QUARANTINE, "point_outside_grid": QUARANTINE,
    "point_outside_city": QUARANTINE, "gcj02_coordinates": QUARANTINE,
    "future_timestamp": QUARANTINE, "closed_before_reported": QUARANTINE,
    "unknown_grid_code": QUARANTINE, "unknown_category_code": QUARANTINE,
    "code_lost_zero": QUARANTINE, "ambiguous_time": QUARANTINE, "twelve_hour_time": REPAIR,
    "nonstandard_date": REPAIR, "phone_separators": REPAIR, "bad_phone": QUARANTINE,
    "credit_code_check": QUARANTINE, "personal_in_text": MASKED, "control_character": REPAIR,
    "empty_mandatory": QUARANTINE, "fullwidth_digits": REPAIR, "stray_spaces": REPAIR,
    "lowercase_x": REPAIR, "excel_date_serial": REPAIR, "quoted_field": LOAD, "multiline_text": LOAD,
    "unclosed_quote": QUARANTINE, "blank_line": QUARANTINE, "invalid_encoding": QUARANTINE,
    "gb18030_file": REPAIR, "truncated_last_line": QUARANTINE, "grid_overlap": TOPOLOGY,
}
# the repair the ETL records for a defect of kind REPAIR (etl/load/repairs.py), where it is named otherwise
REPAIR_NAMES = {"stray_spaces": "whitespace", "twelve_hour_time": "timestamp_format",
                "nonstandard_date": "date_format", "phone_separators": "number_format",
                "control_character": "control_characters"}
KINDS = tuple(EXPECT)
DUPLICATES = ("duplicate_row", "duplicate_key_conflict")
LINE_KINDS = ("blank_line",)        # a line inserted before the row; the row itself is untouched
GROWN_M = 40.0                      # how far grid_overlap grows a grid

# Columns each column-level defect may hit, per file.
EMPTY_COLUMNS = {
    contract.EVENTS.file: ("事件来源", "小类代码", "上报时间", "经度", "网格编码", "事件状态"),
    contract.HOUSEHOLDS.file: ("网格编码", "地址", "纬度", "户内人数", "户类型"),
    contract.PERSONS.file: ("姓名", "公民身份号码", "性别", "出生日期", "户编号", "网格编码"),
}
SPACE_COLUMNS = {
    contract.EVENTS.file: ("事件编号", "网格编码", "小类代码", "事件来源"),
    contract.HOUSEHOLDS.file: ("户编号", "网格编码", "户类型"),
    contract.PERSONS.file: ("人员编号", "姓名", "公民身份号码", "户编号", "网格编码"),
}
FULLWIDTH_COLUMNS = {
    contract.EVENTS.file: ("网格编码", "小类代码"),
    contract.HOUSEHOLDS.file: ("网格编码",),
    contract.PERSONS.file: ("公民身份号码", "网格编码"),
}
CONFLICT_COLUMNS = {
    contract.EVENTS.file: ("事件状态", "处置部门"),
    contract.HOUSEHOLDS.file: ("户内人数", "户类型"),
    contract.PERSONS.file: ("人口类型", "联系电话"),
}
TEXT_COLUMNS = {           # free text and addresses: where numbers hide and quotes break
    contract.EVENTS.file: ("事件描述", "事件地址"),
    contract.HOUSEHOLDS.file: ("地址",),
    NEEDS: ("需求内容",),
    ORGANISATIONS: ("单位名称",),
}
CONTROL_COLUMNS = {        # any kind: a control character in a key is removed and recorded too
    contract.EVENTS.file: ("事件描述", "事件编号", "处置部门"),
    NEEDS: ("需求内容", "需求编号"),
}
DATE_COLUMNS = {contract.PERSONS.file: ("出生日期",), NEEDS: ("登记日期",), VOLUNTEERS: ("注册日期",),
                ORGANISATIONS: ("登记日期",)}
PHONE_COLUMNS = {contract.PERSONS.file: "联系电话", VOLUNTEERS: "联系电话", ORGANISATIONS: "负责人电话"}
SPACES = ((" ", ""), ("", " "), ("", "\u00a0"), ("\u00a0", ""), ("  ", " "), ("", "\u3000"))
EVENT_STATUSES = ("已结案", "处置中", "待派遣", "待立案", "不予立案")
LIFECYCLE = ("立案时间", "派遣时间", "处置时间", "核查时间", "结案时间")
# Far from Jilin City, inside China: (lon, lat) of other cities' centres.
FAR_CITIES = ((116.397, 39.909), (121.473, 31.230), (113.264, 23.129), (104.066, 30.572),
              (114.305, 30.593), (108.940, 34.341), (102.833, 24.880), (87.617, 43.826),
              (103.834, 36.061), (117.200, 39.084))
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
EXCEL_EPOCH = dt.date(1899, 12, 30)
KIND_OF = {c.header: c.kind for spec in contract.CSV_SOURCES for c in spec.columns}
_MASKS = {"id_number": personal.mask_id_number, "phone": personal.mask_mobile,
          "person_name": personal.mask_name}
_SCIENTIFIC = re.compile(r"\d(\.\d+)?E[+-]\d+")


# ---------------------------------------------------------------------------------------------
# Masks and CSV tokens

def mask_personal(header: str | None, value: str | None) -> str | None:
    """The form in which the manifest stores a value of `header`: personal columns masked as every
    layer masks them (warehouse/personal.py: ID 220204************, phone 138****1234, name 张*),
    surrounding whitespace kept; an ID already in scientific notation (no longer identifying) as
    it is; any other value with its ID and mobile numbers masked; bytes that are not UTF-8 as
    U+FFFD."""
    if value is None:
        return value
    value = value.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
    kind = KIND_OF.get(header)
    if kind not in _MASKS:
        return personal.scrub(value)
    core = value.strip()
    if not core:
        return value
    lead = value[:len(value) - len(value.lstrip())]
    trail = value[len(value.rstrip()):]
    masked = core if kind == "id_number" and _SCIENTIFIC.fullmatch(core) else _MASKS[kind](core)
    return lead + masked + trail


def split_raw(line: str) -> list[str]:
    """A CSV line's fields as written (quotes kept), so untouched fields are re-joined as-is."""
    if '"' not in line:
        return line.split(",")
    tokens, cur, quoted = [], [], False
    for ch in line:
        if ch == '"':
            quoted = not quoted
            cur.append(ch)
        elif ch == "," and not quoted:
            tokens.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    tokens.append("".join(cur))
    return tokens


def unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == '"' and token[-1] == '"':
        return token[1:-1].replace('""', '"')
    return token


def quote(value: str) -> str:
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


# ---------------------------------------------------------------------------------------------
# Context: reference data the defects need

class _Context:
    def __init__(self, out_dir: Path, end: dt.date):
        self.end = end
        grids = json.loads((out_dir / contract.AREA_LAYERS["grid"]).read_text(encoding="utf-8"))
        # every version of every grid: (code, valid_from, valid_to, geometry), in code order
        versions = sorted(((f["properties"]["code"], f["properties"].get("valid_from") or "",
                            f["properties"].get("valid_to") or "", shape(f["geometry"]))
                           for f in grids["features"]), key=lambda v: v[:3])
        self.versions: dict[str, list] = {}
        for code, start, stop, geom in versions:
            self.versions.setdefault(code, []).append((start, stop, geom))
        current = [(code, vs[-1][2]) for code, vs in self.versions.items()]
        self.grid_codes = [c for c, _ in current]
        self.grid_geoms = [g for _, g in current]      # today's layer
        self.grid_index = {c: i for i, c in enumerate(self.grid_codes)}
        shapely.prepare(self.grid_geoms)
        cent = [g.representative_point() for g in self.grid_geoms]
        self.grid_xy = np.array([[p.x, p.y] for p in cent])
        with open(EVENT_CATEGORIES_CSV, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        self.subclasses = {r["小类代码"] for r in rows}
        self.departments = sorted({r["责任部门"] for r in rows})

    def version_on(self, code: str, day: str):
        """The geometry of grid `code` in force on `day` (YYYY-MM-DD...), as the ETL picks it."""
        day = day[:10]
        for start, stop, geom in self.versions.get(code, ()):
            if (not start or start <= day) and (not stop or day < stop):
                return geom
        return None

    def inside(self, code: str, day: str, x: float, y: float) -> bool:
        """Within the ETL's tolerance of the grid version in force that day (etl/geo/inside.py)."""
        geom = self.version_on(code, day)
        return geom is not None and bool(inside(metric_geometries([geom]), [x], [y])[0])



def _km(xy: np.ndarray, lon: float, lat: float) -> np.ndarray:
    dx = (xy[:, 0] - lon) * 111.32 * math.cos(math.radians(lat))
    dy = (xy[:, 1] - lat) * 110.57
    return np.hypot(dx, dy)


def _fmt(x: float) -> str:
    return f"{x:.6f}"


# ---------------------------------------------------------------------------------------------
# Column-level defects: each returns ({header: new value}, expect or None)

def _id_bad_check_digit(v, rng, ctx, file):
    old = v["公民身份号码"]
    choices = [c for c in "0123456789X" if c != old[-1].upper()]
    return {"公民身份号码": old[:-1] + choices[rng.integers(len(choices))]}, None


def _id_excel_scientific(v, rng, ctx, file):
    return {"公民身份号码": f"{int(v['公民身份号码']):.5E}"}, None


def _lowercase_x(v, rng, ctx, file):
    return {"公民身份号码": v["公民身份号码"][:-1] + "x"}, None


def _excel_date_serial(v, rng, ctx, file):
    d = dt.date.fromisoformat(v["出生日期"])
    return {"出生日期": str((d - EXCEL_EPOCH).days)}, None


def _latlon_swapped(v, rng, ctx, file):
    return {"经度": v["纬度"], "纬度": v["经度"]}, None


def _point_outside_grid(v, rng, ctx, file):
    lon, lat = float(v["经度"]), float(v["纬度"])
    code, day = v["网格编码"], v["上报时间"]
    dist = _km(ctx.grid_xy, lon, lat)
    dist[ctx.grid_index[code]] = np.inf
    near = np.flatnonzero((dist >= 1.5) & (dist <= 6.0))
    target = int(near[rng.integers(len(near))]) if len(near) else int(np.argmin(dist))
    geom = ctx.grid_geoms[target]
    x0, y0, x1, y1 = geom.bounds
    for _ in range(200):
        x, y = round(rng.uniform(x0, x1), 6), round(rng.uniform(y0, y1), 6)
        p = shapely.Point(x, y)
        if geom.contains(p) and not ctx.inside(code, day, x, y):
            break
    else:
        p = geom.representative_point()
        x, y = round(p.x, 6), round(p.y, 6)
    return {"经度": _fmt(x), "纬度": _fmt(y)}, None


def _point_outside_city(v, rng, ctx, file):
    lon, lat = FAR_CITIES[rng.integers(len(FAR_CITIES))]
    return {"经度": _fmt(lon + rng.uniform(-0.05, 0.05)),
            "纬度": _fmt(lat + rng.uniform(-0.05, 0.05))}, None


def _gcj02_coordinates(v, rng, ctx, file):
    x, y = wgs84_to_gcj02(float(v["经度"]), float(v["纬度"]))
    x, y = round(x, 6), round(y, 6)
    stayed = ctx.inside(v["网格编码"], v["上报时间"], x, y)
    return {"经度": _fmt(x), "纬度": _fmt(y)}, (UNDETECTABLE if stayed else QUARANTINE)


def _future_timestamp(v, rng, ctx, file):
    """The year mistyped, its last two digits swapped (2025 → 2052) or, when that changes
    nothing or stays in the past, a 1 for its 0 (2022 → 2122): after any export, on any day
    the ETL runs this century, and the same bytes whatever day the generator runs."""
    t = dt.datetime.strptime(v["上报时间"], TS)
    y = str(t.year)
    typo = int(y[:2] + y[3] + y[2])
    year = typo if typo > ctx.end.year + 10 else t.year + 100
    day = 28 if (t.month, t.day) == (2, 29) else t.day
    return {"上报时间": t.replace(year=year, day=day).strftime(TS)}, None


def _closed_before_reported(v, rng, ctx, file):
    t = dt.datetime.strptime(v["上报时间"], TS)
    closed = t - dt.timedelta(minutes=int(rng.integers(30, 72 * 60)))
    return {"结案时间": closed.strftime(TS)}, None


def _unknown_grid_code(v, rng, ctx, file):
    code = v["网格编码"]
    while True:
        new = code[:12] + f"{int(rng.integers(900, 1000)):03d}"
        if new not in ctx.grid_index:
            return {"网格编码": new}, None


def _unknown_category_code(v, rng, ctx, file):
    code = v["小类代码"]
    while True:
        new = code[:2] + f"{int(rng.integers(90, 100)):02d}"
        if new not in ctx.subclasses:
            return {"小类代码": new}, None


def _pick(columns, rng):
    return columns[rng.integers(len(columns))]


def _empty_mandatory(v, rng, ctx, file):
    return {_pick(EMPTY_COLUMNS[file], rng): ""}, None


def _fullwidth_digits(v, rng, ctx, file):
    col = _pick(FULLWIDTH_COLUMNS[file], rng)
    return {col: v[col].translate(FULLWIDTH)}, None


def _stray_spaces(v, rng, ctx, file):
    col = _pick(SPACE_COLUMNS[file], rng)
    lead, trail = SPACES[rng.integers(len(SPACES))]
    return {col: lead + v[col] + trail}, None


def _conflict(v, rng, ctx, file):
    col = _pick(CONFLICT_COLUMNS[file], rng)
    old = v[col]
    if col == "事件状态":
        options = [s for s in EVENT_STATUSES if s != old]
    elif col == "处置部门":
        options = [d for d in ctx.departments if d != old]
    elif col == "户内人数":
        options = [str(int(old) + 1), str(int(old) + 2)]
    elif col == "户类型":
        options = ["流动人口户" if old == "户籍户" else "户籍户"]
    elif col == "人口类型":
        options = ["流动人口" if old == "户籍人口" else "户籍人口"]
    else:  # 联系电话: another mobile number
        options = []
        while not options or options[0] == old:
            options = [f"1{rng.integers(3, 10)}{rng.integers(0, 10**9):09d}"]
    return {col: options[rng.integers(len(options))]}, None


def _code_lost_zero(v, rng, ctx, file):
    return {"大类代码": v["大类代码"].lstrip("0") or "0"}, None


def _ambiguous_time(v, rng, ctx, file):
    t = dt.datetime.strptime(v["上报时间"], TS)
    return {"上报时间": f"{t.month}/{t.day}/{t.year} {t.hour}:{t:%M}"}, None


def _twelve_hour_time(v, rng, ctx, file):
    """上报时间 in one of the unambiguous forms exports use: 12-hour with AM/PM or 上午/下午,
    unpadded, slashes, 年月日 and 时分, ISO with T and +08:00."""
    t = dt.datetime.strptime(v["上报时间"], TS)
    h12 = t.hour % 12 or 12
    ampm, half = ("AM", "上午") if t.hour < 12 else ("PM", "下午")
    forms = (f"{t.year}-{t.month}-{t.day} {h12}:{t:%M} {ampm}", f"{t:%Y/%m/%d} {half}{h12}:{t:%M:%S}",
             f"{t.year}年{t.month}月{t.day}日 {t.hour}时{t.minute}分", f"{t:%Y-%m-%dT%H:%M:%S}+08:00",
             f"{t:%Y-%m-%d} {h12}:{t:%M:%S}{ampm.lower()}", f"{t.year}/{t.month}/{t.day} {t.hour}:{t:%M}")
    return {"上报时间": forms[rng.integers(len(forms))]}, None


def _nonstandard_date(v, rng, ctx, file):
    col = _pick(DATE_COLUMNS[file], rng)
    d = dt.date.fromisoformat(v[col])
    forms = (f"{d.year}/{d.month}/{d.day}", f"{d.year}年{d.month}月{d.day}日", f"{d:%Y%m%d}",
             f"{d.year}-{d.month}-{d.day}", f"{d:%Y.%m.%d}", f"{d:%Y-%m-%d} 00:00:00")
    return {col: forms[rng.integers(len(forms))]}, None


def _phone_separators(v, rng, ctx, file):
    col = PHONE_COLUMNS[file]
    n = v[col]
    forms = (f"{n[:3]}-{n[3:7]}-{n[7:]}", f"{n[:3]} {n[3:7]} {n[7:]}", f"+86 {n}", f"0086-{n}",
             f"+86 {n[:3]} {n[3:7]} {n[7:]}", f"{n[:3]}.{n[3:7]}.{n[7:]}")
    return {col: forms[rng.integers(len(forms))]}, None


def _bad_phone(v, rng, ctx, file):
    col = PHONE_COLUMNS[file]
    return {col: v[col][:-1]}, None


def _credit_code_check(v, rng, ctx, file):
    code = v["统一社会信用代码"]
    choices = [c for c in CREDIT_CHARS if c != code[-1]]
    return {"统一社会信用代码": code[:-1] + choices[rng.integers(len(choices))]}, None


CN_DIGITS = str.maketrans("0123456789", "〇一二三四五六七八九")
NUMBER_LEADS = ("联系电话", "电话", "手机", "身份证号", "身份证", "来电人", "反映人电话", "联系人")


def _written(number: str, rng) -> str:
    """A number as people type it: plain, grouped with spaces or hyphens, full-width, in Chinese
    numerals, with +86 before a mobile, or an ID cut in its 6-8-4 groups."""
    form = int(rng.integers(7))
    if form == 1:
        cuts = (3, 7) if len(number) == 11 else (6, 14)
        return " ".join((number[:cuts[0]], number[cuts[0]:cuts[1]], number[cuts[1]:]))
    if form == 2:
        cuts = (3, 7) if len(number) == 11 else (6, 14)
        return "-".join((number[:cuts[0]], number[cuts[0]:cuts[1]], number[cuts[1]:]))
    if form == 3:
        return number.translate(FULLWIDTH)
    if form == 4 and number.isdigit():
        return number.translate(CN_DIGITS)
    if form == 5 and len(number) == 11:
        return "+86 " + number
    if form == 6:
        return "".join(c + ("\u00a0" if i % 4 == 3 else "") for i, c in enumerate(number)).strip()
    return number


def _personal_in_text(v, rng, ctx, file):
    """An ID or mobile number written into free text or an address (a hotline transcript names
    its caller; an address field carries the contact)."""
    col = _pick(TEXT_COLUMNS[file], rng)
    if rng.random() < 0.5:
        number = str(make_mobiles(1, rng)[0])
    else:
        born = np.array([np.datetime64("1950-01-01") + np.timedelta64(int(rng.integers(0, 25_000)), "D")])
        number = str(make_id_numbers(np.array(["220204"]), born, np.array([bool(rng.integers(2))]), rng)[0])
    lead = NUMBER_LEADS[rng.integers(len(NUMBER_LEADS))]
    sep = ("：", ":", "", " ")[rng.integers(4)]
    text = f"{lead}{sep}{_written(number, rng)}"
    old = v[col]
    at = int(rng.integers(0, len(old) + 1))
    return {col: old[:at] + ("，" if at else "") + text + ("，" if at < len(old) else "") + old[at:]}, None


def _control_character(v, rng, ctx, file):
    col = _pick(CONTROL_COLUMNS[file], rng)
    old = v[col]
    at = int(rng.integers(1, max(len(old), 2)))
    return {col: old[:at] + ("\x00", "\x07", "\x1b", "\x0b")[rng.integers(4)] + old[at:]}, None


def _quoted_field(v, rng, ctx, file):
    col = TEXT_COLUMNS[file][0]
    extra = ("详见附件1,2", "位置:东门,北侧", "已电话联系, 待回访", "涉及\"三无\"小区")[rng.integers(4)]
    return {col: v[col] + "," + extra}, None


def _multiline_text(v, rng, ctx, file):
    col = TEXT_COLUMNS[file][0]
    return {col: v[col] + "\n补充：" + ("现场已拍照", "请尽快处理", "居民多次反映")[rng.integers(3)]}, None


def _unclosed_quote(v, rng, ctx, file):
    col = TEXT_COLUMNS[file][0]
    return {col: '"' + v[col]}, None           # written raw: a quote that is never closed


def _invalid_encoding(v, rng, ctx, file):
    col = TEXT_COLUMNS[file][0]
    old = v[col]
    at = int(rng.integers(0, len(old) + 1))
    return {col: old[:at] + ("\udcff", "\udcfe", "\udcc0")[rng.integers(3)] + old[at:]}, None


TRANSFORMS = {
    "id_bad_check_digit": _id_bad_check_digit, "id_excel_scientific": _id_excel_scientific,
    "lowercase_x": _lowercase_x, "excel_date_serial": _excel_date_serial,
    "latlon_swapped": _latlon_swapped, "point_outside_grid": _point_outside_grid,
    "point_outside_city": _point_outside_city, "gcj02_coordinates": _gcj02_coordinates,
    "future_timestamp": _future_timestamp, "closed_before_reported": _closed_before_reported,
    "unknown_grid_code": _unknown_grid_code, "unknown_category_code": _unknown_category_code,
    "empty_mandatory": _empty_mandatory, "fullwidth_digits": _fullwidth_digits,
    "stray_spaces": _stray_spaces, "duplicate_key_conflict": _conflict,
    "code_lost_zero": _code_lost_zero, "ambiguous_time": _ambiguous_time,
    "twelve_hour_time": _twelve_hour_time, "nonstandard_date": _nonstandard_date,
    "phone_separators": _phone_separators, "bad_phone": _bad_phone,
    "credit_code_check": _credit_code_check, "personal_in_text": _personal_in_text,
    "control_character": _control_character, "quoted_field": _quoted_field,
    "multiline_text": _multiline_text, "unclosed_quote": _unclosed_quote,
    "invalid_encoding": _invalid_encoding,
}
RAW_KINDS = ("unclosed_quote",)             # the value goes into the line as it is, unquoted

# Which rows a defect can hit (a row that allows it without touching a second column), as SQL
# conditions on the file's columns read as text.
def _blank(h: str) -> str:
    return f"coalesce(\"{h}\", '') = ''"


ELIGIBLE = {
    "code_lost_zero": "starts_with(coalesce(\"大类代码\", ''), '0')",
    "phone_separators": lambda file: f"length(coalesce(\"{PHONE_COLUMNS[file]}\", '')) = 11",
    "bad_phone": lambda file: f"length(coalesce(\"{PHONE_COLUMNS[file]}\", '')) = 11",
    "id_excel_scientific": "regexp_matches(coalesce(\"公民身份号码\", ''), '[0-9]$')",
    "lowercase_x": "ends_with(coalesce(\"公民身份号码\", ''), 'X')",
    "future_timestamp": " AND ".join(_blank(h) for h in LIFECYCLE + ("处置时限",)),
    "closed_before_reported": f"NOT {_blank('结案时间')}",
}


# ---------------------------------------------------------------------------------------------
# One file

def _count(rows: int) -> int:
    return max(MIN_PER_KIND, round(rows / ROWS_PER_DEFECT))


def _scan(path: Path, headers: list[str], kinds) -> tuple[int, dict[str, np.ndarray]]:
    """First pass: the number of data rows and, per defect with a condition, the rows allowing it
    (in file order). DuckDB reads the file in parallel, in bounded memory, and fails on a row
    with the wrong number of fields."""
    with open(path, encoding="utf-8", newline="") as f:
        if next(csv.reader([f.readline()])) != headers:
            raise ValueError(f"{path.name}: unexpected header")
    tests = [(k, ELIGIBLE[k](path.name) if callable(ELIGIBLE[k]) else ELIGIBLE[k])
             for k in kinds if k in ELIGIBLE]
    source = ("read_csv('{}', header = true, delim = ',', quote = '\"', escape = '\"', "
              "all_varchar = true)").format(str(path).replace("'", "''"))
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        if not tests:
            return con.execute(f"SELECT count(*) FROM {source}").fetchone()[0], {}
        select = ", ".join(f"coalesce({cond}, false) AS \"{k}\"" for k, cond in tests)
        cols = con.execute(f"SELECT {select} FROM {source}").fetchnumpy()
    finally:
        con.close()
    flags = {k: np.asarray(cols[k], dtype=bool) for k, _ in tests}
    return len(next(iter(flags.values()))), flags


def _inject_file(out_dir: Path, spec: contract.SourceFile, ctx: _Context,
                 rng: np.random.Generator) -> list[dict]:
    path = out_dir / spec.file
    file = spec.file
    headers = [c.header for c in spec.columns]
    col = {h: i for i, h in enumerate(headers)}
    key = next(c.header for c in spec.columns if c.name == spec.key)
    kinds = PLAN[file]
    truncate = file == contract.EVENTS.file
    encoding = "gb18030" if file == GB18030_FILE else "utf-8"

    n, eligible = _scan(path, headers, kinds)
    taken = np.zeros(n, dtype=bool)
    if truncate:
        taken[n - 1] = True
    targets: dict[int, str] = {}          # data-row index -> defect
    sources: list[tuple[int, str]] = []   # duplicated rows
    for kind in kinds:
        ok = ~taken if kind not in eligible else eligible[kind] & ~taken
        pool = np.flatnonzero(ok)
        pick = np.sort(rng.choice(pool, size=min(_count(n), len(pool)), replace=False))
        taken[pick] = True
        if kind in DUPLICATES:
            sources += [(int(i), kind) for i in pick]
        else:
            targets.update((int(i), kind) for i in pick)
    # an unclosed quote followed a few rows later by a legally quoted field, which a reader that
    # does not re-synchronise reads as the quote's end, swallowing the rows between
    for i in sorted(i for i, kind in targets.items() if kind == "unclosed_quote"):
        later = [j for j in range(i + 2, min(i + 6, n)) if not taken[j]]
        if later:
            targets[later[0]] = "quoted_field"
            taken[later[0]] = True
    sources = [sources[i] for i in rng.permutation(len(sources))]
    wanted = {i for i, _ in sources}

    entries: list[dict] = []
    kept: dict[int, str] = {}
    last_line = None
    extra = 0                             # lines written so far beyond one per clean row

    def entry(line, column, kind, original, injected, expect, key_value, source_line):
        return {"file": file, "line": line, "column": column, "defect": kind,
                "original": original, "injected": injected, "expect": expect or EXPECT[kind],
                "key": key_value, "source_line": source_line}

    def apply(text: str, kind: str):
        tokens = split_raw(text)
        values = {h: unquote(t) for h, t in zip(headers, tokens)}
        changes, expect = TRANSFORMS[kind](values, rng, ctx, file)
        cols = [h for h in headers if h in changes]
        for h in cols:
            tokens[col[h]] = changes[h] if kind in RAW_KINDS else quote(changes[h])
        original = ",".join(mask_personal(h, values[h]) for h in cols)
        injected = ",".join(mask_personal(h, changes[h]) for h in cols)
        return ",".join(tokens), ",".join(cols), original, injected, expect, values[key]

    tmp = path.with_name(path.name + ".dirty-tmp")
    with open(path, "rb") as src, open(tmp, "wb") as dst:
        def write(text: str, newline: bool = True):
            """`text` as bytes (a lone surrogate is the byte it escapes: not UTF-8 on purpose)."""
            dst.write((text + ("\n" if newline else "")).encode(encoding, errors="surrogateescape"))

        def copy(block: bytes):
            dst.write(block if encoding == "utf-8" else block.decode("utf-8").encode(encoding))

        copy(src.readline())                                   # the header
        special = np.array(sorted(set(targets) | wanted | ({n - 1} if truncate else set())),
                           dtype=np.int64)
        base, rest = 0, b""                                    # base: data row of block start
        while chunk := src.read(CHUNK):
            data = rest + chunk
            end = data.rfind(b"\n") + 1
            block, rest = data[:end], data[end:]
            if not block:
                continue
            ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
            lo, hi = np.searchsorted(special, [base, base + len(ends)])
            pos = 0
            for i in special[lo:hi].tolist():
                j = i - base
                start = int(ends[j - 1]) + 1 if j else 0
                copy(block[pos:start])
                pos = int(ends[j]) + 1
                text = block[start:pos - 1].decode("utf-8")
                if truncate and i == n - 1:
                    last_line = text
                    continue
                if i in wanted:
                    kept[i] = text
                kind = targets.get(i)
                if kind is None:
                    copy(block[start:pos])
                    continue
                if kind in LINE_KINDS:                         # a blank line before the row
                    write("")
                    entries.append(entry(i + 2 + extra, None, kind, "", "", None, None, None))
                    extra += 1
                    copy(block[start:pos])
                    continue
                new, column, original, injected, expect, kv = apply(text, kind)
                write(new)
                entries.append(entry(i + 2 + extra, column, kind, original, injected, expect, kv, i + 2))
                extra += new.count("\n")                       # a line break inside a quoted field
            copy(block[pos:])
            base += len(ends)
        if base != n or rest:
            raise ValueError(f"{file}: lines do not match its {n} rows (newlines inside values?)")

        line = (n + 1 if truncate else n + 2) + extra     # the first appended line
        for i, kind in sources:
            text = kept[i]
            if kind == "duplicate_row":
                kv = unquote(split_raw(text)[col[key]])
                write(text)
                entries.append(entry(line, None, kind, kv, kv, None, kv, i + 2))
            else:
                text, column, original, injected, expect, kv = apply(text, kind)
                write(text)
                entries.append(entry(line, column, kind, original, injected, expect, kv, i + 2))
            line += 1

        if truncate:
            tokens = split_raw(last_line)
            # cut inside a field that is neither the key nor the last, so the field count is short
            # (uniformly over the characters where such a cut can fall)
            cands = [j for j in range(1, len(tokens) - 1)
                     if len(tokens[j]) >= 2 and not tokens[j].startswith('"')]
            weights = np.array([len(tokens[j]) - 1 for j in cands], dtype=float)
            j = cands[rng.choice(len(cands), p=weights / weights.sum())]
            value = tokens[j]
            cut = int(rng.integers(1, len(value)))
            write(",".join(tokens[:j] + [value[:cut]]), newline=False)
            entries.append(entry(line, headers[j], "truncated_last_line",
                                 mask_personal(headers[j], value),
                                 mask_personal(headers[j], value[:cut]), None,
                                 unquote(tokens[col[key]]), n + 1))
    os.replace(tmp, path)
    if encoding != "utf-8":
        entries.append({"file": file, "line": None, "column": None, "defect": "gb18030_file",
                        "original": "utf-8", "injected": encoding, "expect": EXPECT["gb18030_file"],
                        "key": None, "source_line": None})
    return entries


def _grow_a_grid(out_dir: Path, ctx: _Context, rng: np.random.Generator) -> list[dict]:
    """grid_overlap: one current grid with at least three neighbours in its community grown by
    GROWN_M metres over them (the grid layer's contract: grids tile their community)."""
    from pyproj import Transformer

    from etl.geo.crs import CANONICAL_CRS, METRIC_CRS
    path = out_dir / contract.AREA_LAYERS["grid"]
    layer = json.loads(path.read_text(encoding="utf-8"))
    current = [k for k, f in enumerate(layer["features"]) if not f["properties"].get("valid_to")]
    by_community: dict[str, list[int]] = {}
    for k in current:
        by_community.setdefault(layer["features"][k]["properties"]["code"][:12], []).append(k)
    candidates = []
    for k in current:
        code = layer["features"][k]["properties"]["code"]
        geom = shape(layer["features"][k]["geometry"])
        near = [m for m in by_community[code[:12]] if m != k
                and shape(layer["features"][m]["geometry"]).distance(geom) < 1e-6]
        if len(near) >= 3:
            candidates.append(k)
    if not candidates:
        return []
    k = candidates[int(rng.integers(len(candidates)))]
    feature = layer["features"][k]
    to_m = Transformer.from_crs(CANONICAL_CRS, METRIC_CRS, always_xy=True)
    back = Transformer.from_crs(METRIC_CRS, CANONICAL_CRS, always_xy=True)
    geom = shapely.transform(shape(feature["geometry"]), lambda xy: np.column_stack(to_m.transform(xy[:, 0], xy[:, 1])))
    grown = shapely.transform(geom.buffer(GROWN_M, join_style="mitre"),
                              lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))
    grown = shapely.set_precision(grown, 1e-7)
    feature["geometry"] = shapely.geometry.mapping(grown)
    path.write_text(json.dumps(layer, ensure_ascii=False), encoding="utf-8")
    code = feature["properties"]["code"]
    return [{"file": path.name, "line": None, "column": None, "defect": "grid_overlap",
             "original": code, "injected": f"{code} +{GROWN_M:g} m", "expect": TOPOLOGY, "key": code,
             "source_line": None}]


# ---------------------------------------------------------------------------------------------

def make_dirty(out_dir: Path, seed: int) -> dict:
    """Inject the defects into the clean files in `out_dir` (in place), write and return the
    manifest. Refuses a folder that is already dirty (events.csv without its final newline)."""
    out_dir = Path(out_dir)
    events = out_dir / contract.EVENTS.file
    with open(events, "rb") as f:
        f.seek(-1, os.SEEK_END)
        if f.read(1) != b"\n":
            raise ValueError(f"{out_dir} is not clean generator output (already dirty?)")
    clean = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    end = dt.date.fromisoformat(clean["end"])
    ctx = _Context(out_dir, end)
    rng = np.random.default_rng([seed, 0xD1_27])

    entries: list[dict] = []
    for spec in contract.CSV_SOURCES:      # in load order, as planned
        if spec.file in PLAN:
            entries += _inject_file(out_dir, spec, ctx, rng)
    entries += _grow_a_grid(out_dir, ctx, rng)

    counts = Counter(e["defect"] for e in entries)
    manifest = {
        "seed": seed,
        "end": clean["end"],
        "encodings": {file: ("gb18030" if file == GB18030_FILE else "utf-8") for file in PLAN},
        "counts": {k: counts[k] for k in KINDS if counts[k]},
        "defects": entries,
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n",
                                    encoding="utf-8")
    return manifest
