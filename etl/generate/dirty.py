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

Each entry: `file`; `line` (1-based physical line, header = 1; null for a file-level defect);
`column` (the Chinese header; "经度,纬度" for coordinate defects, whose values are then
"lon,lat"; for truncated_last_line the field the cut falls in; null for whole-row
(duplicate_row) and file-level defects); `defect`; `original` (the clean value);
`injected` (the value now in the file); `expect` ("quarantine", "repair" or "undetectable");
`key` (the row's clean key value, e.g. 事件编号); for rows not at their clean position
(appended duplicates, the moved truncated last line) `source_line`, the line the row comes from
in the clean file. Personal columns (姓名, 公民身份号码, 联系电话) are stored masked, see
`mask_personal`. For whole-row defects (duplicate_row) `original` and `injected` are the key.
One entry is one defect: `counts` is the number of entries per defect.

Defects, per file (at least `MIN_PER_KIND` each, one per `ROWS_PER_DEFECT` data rows, never two
on the same line; duplicates copy untouched rows):

| defect                 | files          | what                                      | expect     |
| ---------------------- | -------------- | ----------------------------------------- | ---------- |
| id_bad_check_digit     | persons        | last ID character changed                 | quarantine |
| id_excel_scientific    | persons        | ID as Excel prints it: 2.20204E+17        | quarantine |
| duplicate_row          | all three      | exact copy of a row appended              | quarantine |
| duplicate_key_conflict | all three      | copy with one other value appended        | quarantine |
| latlon_swapped         | events, househ.| 经度/纬度 exchanged                        | quarantine |
| point_outside_grid     | events         | moved 1.5–6 km into another grid          | quarantine |
| point_outside_city     | events, househ.| near another Chinese city                 | quarantine |
| gcj02_coordinates      | events         | WGS-84 -> GCJ-02 (a few hundred metres)   | quarantine if it left its grid version (beyond the ETL's tolerance), else undetectable |
| future_timestamp       | events         | 上报时间's year mistyped: 2025 → 2052      | quarantine |
| closed_before_reported | events         | 结案时间 before 上报时间                    | quarantine |
| unknown_grid_code      | all three      | 网格编码 not in grids.geojson              | quarantine |
| unknown_category_code  | events         | 小类代码 not in the category reference      | quarantine |
| empty_mandatory        | all three      | a required field blanked                  | quarantine |
| fullwidth_digits       | all three      | digits written ０-９ (NFKC repairs)         | repair     |
| stray_spaces           | all three      | leading/trailing " ", U+00A0 or U+3000    | repair     |
| lowercase_x            | persons        | ID check character X written x            | repair     |
| excel_date_serial      | persons        | 出生日期 as Excel serial (days from 1899-12-30) | repair |
| gb18030_file           | households     | whole file encoded GB18030 (file-level)   | repair     |
| truncated_last_line    | events         | last line cut inside a field, no newline  | quarantine |

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

from etl import contract
from etl.geo.crs import wgs84_to_gcj02
from etl.geo.inside import inside, metric_geometries
from etl.paths import EVENT_CATEGORIES_CSV

MANIFEST = "dirty_manifest.json"
ROWS_PER_DEFECT = 4000
MIN_PER_KIND = 4
GB18030_FILE = contract.HOUSEHOLDS.file
TS = "%Y-%m-%d %H:%M:%S"
CHUNK = 1 << 24          # bytes read at a time when rewriting a file

QUARANTINE, REPAIR, UNDETECTABLE = "quarantine", "repair", "undetectable"

# Which defects go into which file, in the (fixed) order lines are drawn for them.
PLAN: dict[str, tuple[str, ...]] = {
    contract.EVENTS.file: (
        "duplicate_row", "duplicate_key_conflict", "latlon_swapped", "point_outside_grid",
        "point_outside_city", "gcj02_coordinates", "future_timestamp", "closed_before_reported",
        "unknown_grid_code", "unknown_category_code", "empty_mandatory", "fullwidth_digits",
        "stray_spaces"),
    contract.HOUSEHOLDS.file: (
        "duplicate_row", "duplicate_key_conflict", "latlon_swapped", "point_outside_city",
        "unknown_grid_code", "empty_mandatory", "fullwidth_digits", "stray_spaces"),
    contract.PERSONS.file: (
        "id_bad_check_digit", "id_excel_scientific", "lowercase_x", "excel_date_serial",
        "duplicate_row", "duplicate_key_conflict", "unknown_grid_code", "empty_mandatory",
        "fullwidth_digits", "stray_spaces"),
}
EXPECT = {
    "id_bad_check_digit": QUARANTINE, "id_excel_scientific": QUARANTINE,
    "duplicate_row": QUARANTINE, "duplicate_key_conflict": QUARANTINE,
    "latlon_swapped": QUARANTINE, "point_outside_grid": QUARANTINE,
    "point_outside_city": QUARANTINE, "gcj02_coordinates": QUARANTINE,
    "future_timestamp": QUARANTINE, "closed_before_reported": QUARANTINE,
    "unknown_grid_code": QUARANTINE, "unknown_category_code": QUARANTINE,
    "empty_mandatory": QUARANTINE, "fullwidth_digits": REPAIR, "stray_spaces": REPAIR,
    "lowercase_x": REPAIR, "excel_date_serial": REPAIR, "gb18030_file": REPAIR,
    "truncated_last_line": QUARANTINE,
}
KINDS = tuple(EXPECT)
DUPLICATES = ("duplicate_row", "duplicate_key_conflict")

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
SPACES = ((" ", ""), ("", " "), ("", "\u00a0"), ("\u00a0", ""), ("  ", " "), ("", "\u3000"))
EVENT_STATUSES = ("已结案", "处置中", "待派遣", "待立案", "不予立案")
LIFECYCLE = ("立案时间", "派遣时间", "处置时间", "核查时间", "结案时间")
# Far from Jilin City, inside China: (lon, lat) of other cities' centres.
FAR_CITIES = ((116.397, 39.909), (121.473, 31.230), (113.264, 23.129), (104.066, 30.572),
              (114.305, 30.593), (108.940, 34.341), (102.833, 24.880), (87.617, 43.826),
              (103.834, 36.061), (117.200, 39.084))
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
EXCEL_EPOCH = dt.date(1899, 12, 30)
PERSONAL = {c.header for spec in contract.CSV_SOURCES for c in spec.columns if c.personal}
_SCIENTIFIC = re.compile(r"\d(\.\d+)?E[+-]\d+")


# ---------------------------------------------------------------------------------------------
# Masks and CSV tokens

def mask_personal(header: str | None, value: str | None) -> str | None:
    """The form in which the manifest stores a value of `header`: personal columns masked as the
    display masks do (ID 220204********1234, phone 138****1234, name 张**), surrounding
    whitespace kept; an ID already in scientific notation (no longer identifying) as it is."""
    if value is None or header not in PERSONAL:
        return value
    core = value.strip()
    if not core:
        return value
    lead = value[:len(value) - len(value.lstrip())]
    trail = value[len(value.rstrip()):]
    if header == "公民身份号码":
        if _SCIENTIFIC.fullmatch(core):
            masked = core
        elif len(core) > 10:
            masked = core[:6] + "*" * (len(core) - 10) + core[-4:]
        else:
            masked = "*" * len(core)
    elif header == "联系电话":
        masked = core[:3] + "*" * (len(core) - 7) + core[-4:] if len(core) > 7 else "*" * len(core)
    else:
        masked = core[:1] + "*" * (len(core) - 1)
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


TRANSFORMS = {
    "id_bad_check_digit": _id_bad_check_digit, "id_excel_scientific": _id_excel_scientific,
    "lowercase_x": _lowercase_x, "excel_date_serial": _excel_date_serial,
    "latlon_swapped": _latlon_swapped, "point_outside_grid": _point_outside_grid,
    "point_outside_city": _point_outside_city, "gcj02_coordinates": _gcj02_coordinates,
    "future_timestamp": _future_timestamp, "closed_before_reported": _closed_before_reported,
    "unknown_grid_code": _unknown_grid_code, "unknown_category_code": _unknown_category_code,
    "empty_mandatory": _empty_mandatory, "fullwidth_digits": _fullwidth_digits,
    "stray_spaces": _stray_spaces, "duplicate_key_conflict": _conflict,
}

# Which rows a defect can hit (a row that allows it without touching a second column), as SQL
# conditions on the file's columns read as text.
def _blank(h: str) -> str:
    return f"coalesce(\"{h}\", '') = ''"


ELIGIBLE = {
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
    tests = [(k, ELIGIBLE[k]) for k in kinds if k in ELIGIBLE]
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
    sources = [sources[i] for i in rng.permutation(len(sources))]
    wanted = {i for i, _ in sources}

    entries: list[dict] = []
    kept: dict[int, str] = {}
    last_line = None

    def entry(line, column, kind, original, injected, expect, key_value, source_line=None):
        e = {"file": file, "line": line, "column": column, "defect": kind,
             "original": original, "injected": injected, "expect": expect or EXPECT[kind],
             "key": key_value}
        if source_line is not None:
            e["source_line"] = source_line
        return e

    def apply(text: str, kind: str):
        tokens = split_raw(text)
        values = {h: unquote(t) for h, t in zip(headers, tokens)}
        changes, expect = TRANSFORMS[kind](values, rng, ctx, file)
        cols = [h for h in headers if h in changes]
        for h in cols:
            tokens[col[h]] = quote(changes[h])
        original = ",".join(mask_personal(h, values[h]) for h in cols)
        injected = ",".join(mask_personal(h, changes[h]) for h in cols)
        return ",".join(tokens), ",".join(cols), original, injected, expect, values[key]

    tmp = path.with_name(path.name + ".dirty-tmp")
    with open(path, "rb") as src, open(tmp, "wb") as dst:
        def write(text: str, newline: bool = True):
            dst.write((text + ("\n" if newline else "")).encode(encoding))

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
                text, column, original, injected, expect, kv = apply(text, kind)
                write(text)
                entries.append(entry(i + 2, column, kind, original, injected, expect, kv))
            copy(block[pos:])
            base += len(ends)
        if base != n or rest:
            raise ValueError(f"{file}: lines do not match its {n} rows (newlines inside values?)")

        line = n + 1 if truncate else n + 2       # the first appended line
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
                        "key": None})
    return entries


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
