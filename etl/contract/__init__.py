"""The data contract: one TOML file per source in this folder (file name, format, key, and for every
column the Chinese header a source system exports, the canonical name, type, rule and example).
docs/data-contract.md is generated from them (`python -m etl contract-doc`).

A site whose exports use other file names or headers maps them in a mapping file
(`--mapping site.toml`, see docs/data-contract.md) without touching code."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

CONTRACT_DIR = Path(__file__).parent


# What a column holds: every column of every file with a kind gets that kind's repairs
# (etl/load/repairs.py), checks (etl/load/checks.py) and display (etl/privacy/pseudonymise.py). The descriptions are the
# data contract's (docs/data-contract.md, "Column types").
KINDS = {
    "identifier": "a record's key or a reference to one: kept as written (surrounding whitespace, "
                  "full-width digits and control characters repaired), never masked; a value that "
                  "is itself an ID or mobile number fails `personal_in_key`",
    "id_number": "personal: a resident ID number (GB 11643-1999), 18 characters; separators, "
                 "full-width digits and a lower-case x repaired; `id_format`, `id_check_digit`, and "
                 "where the file has 出生日期 and 性别 `id_birth_mismatch`, `id_sex_mismatch`; stored "
                 "only as a keyed hash and the mask `220204************`",
    "phone": "personal: a mobile (`1[3-9]` + 9 digits) or a fixed line (0 + area code + number); "
             "separators, full-width digits and +86 / 0086 repaired; `phone_format`; stored only "
             "as the mask `138****1234`",
    "person_name": "personal: a person's name; stored only as the mask `张*`",
    "credit_code": "统一社会信用代码 (GB 32100-2015): 18 characters of 0-9 and A-Y without I O S V Z, "
                   "the last a check character; `credit_code`",
    "area_code": "an area code of exactly `digits` digits (6 district, 9 street, 12 community, 15 "
                 "grid); `code_format`",
    "code": "a code of exactly `digits` digits (a leading zero lost on the way fails); `code_format`",
    "enum": "one of the values the rule lists (an optional column may be empty); `not_in_list`",
    "text": "free text, kept as written (surrounding whitespace and control characters other than "
            "line breaks and tabs repaired); any ID or mobile number in it, however written, is "
            "masked on load",
    "string": "short text (names of places, departments, skills); repaired like an identifier; "
              "any ID or mobile number in it is masked on load",
    "timestamp": "`YYYY-MM-DD HH:MM:SS`, local time; other unambiguous forms repaired "
                 "(`timestamp_format`), ambiguous ones fail `type_timestamp`",
    "date": "`YYYY-MM-DD`; other unambiguous forms repaired (`date_format`, `excel_date_serial`), "
            "ambiguous ones fail `type_date`",
    "integer": "digits with an optional sign; anything else (`1.5`, `1e3`) fails `type_integer`",
    "decimal": "a decimal number (`-12.5`, `3`); anything else (`1,2`, `nan`) fails `type_double`",
}
PERSONAL_KINDS = frozenset({"id_number", "phone", "person_name"})
_KIND_OF_TYPE = {"TIMESTAMP": "timestamp", "DATE": "date", "INTEGER": "integer", "DOUBLE": "decimal"}


def enumeration(rule: str) -> tuple[set[str], bool] | None:
    """The allowed values of a rule written "A | B | C[; note]" (or "zero or more of A | B,
    joined by 、"), and whether several may be joined; None for a rule of another form. "empty"
    in the list means the cell may be empty."""
    multi = rule.startswith("zero or more of ")
    body = rule.removeprefix("zero or more of ").split(";")[0].split(", joined by")[0]
    body = re.sub(r"\s*\([^)]*\)", "", body)
    values = [v.strip() for v in body.split(" | ")]
    if len(values) < 2 or any(" " in v or "+" in v for v in values):
        return None
    return set(values) - {"empty"}, multi


@dataclass(frozen=True)
class Column:
    name: str          # canonical, English
    header: str        # as exported by the source system
    type: str          # DuckDB type after checking
    required: bool = True
    kind: str = "string"     # what it holds: one of KINDS
    digits: int = 0          # the exact length of a code or area_code
    past: bool = False       # a time that cannot lie after the refresh (`in_future`)
    rule: str = ""
    example: str = ""

    @property
    def personal(self) -> bool:
        """Personal data: never stored or shown in clear."""
        return self.kind in PERSONAL_KINDS

    @property
    def text(self) -> bool:
        """Free text: kept as written."""
        return self.kind == "text"

    @property
    def values(self) -> set[str]:
        """An enum's allowed values."""
        return enumeration(self.rule)[0]


@dataclass(frozen=True)
class SourceFile:
    table: str
    file: str
    columns: tuple[Column, ...]
    key: str
    format: str = "csv"
    load_order: int = 100
    title: str = ""
    loaded: bool = True      # false: generated and documented, not yet read by the refresh
    # the column whose date picks the grid version a row's point must lie in ("" = the version in
    # force at the data's as-of instant)
    grid_version_date: str = ""
    crs: str = "WGS-84"      # of lon/lat as the site exports them; GCJ-02 is converted on load

    @property
    def headers(self) -> dict[str, str]:
        """Source header → canonical name."""
        return {c.header: c.name for c in self.columns}


def _load(path: Path) -> SourceFile:
    with open(path, "rb") as f:
        d = tomllib.load(f)
    title = path.read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()
    columns = []
    for c in d.pop("columns"):
        c.setdefault("kind", "identifier" if c["name"] == d["key"] else _KIND_OF_TYPE.get(c["type"], "string"))
        column = Column(**c)
        if column.kind not in KINDS or (column.kind in ("code", "area_code")) != (column.digits > 0) \
                or (column.kind == "enum" and enumeration(column.rule) is None):
            raise ValueError(f"{path.name}: column {column.name}: kind {column.kind!r} needs "
                             "digits (code, area_code) or a rule listing values (enum)")
        columns.append(column)
    return SourceFile(columns=tuple(columns), title=title, **d)


def load_contract(mapping: Path | None = None, *, loaded_only: bool = True) -> tuple[SourceFile, ...]:
    """Sources in load order, with a site's mapping of file names and headers applied."""
    sources = [_load(p) for p in sorted(CONTRACT_DIR.glob("*.toml"))]
    if loaded_only:
        sources = [s for s in sources if s.loaded]
    if mapping is not None:
        sources = [apply_mapping(s, mapping) for s in sources]
    return tuple(sorted(sources, key=lambda s: (s.load_order, s.table)))


CRS_NAMES = {"WGS-84": "WGS-84", "WGS84": "WGS-84", "EPSG:4326": "WGS-84", "CGCS2000": "WGS-84",
             "EPSG:4490": "WGS-84", "GCJ-02": "GCJ-02", "GCJ02": "GCJ-02"}


def apply_mapping(spec: SourceFile, mapping: Path) -> SourceFile:
    """Mapping file: [files] table = "local file name"; [headers.<table>] canonical = "local
    header"; [crs] table = "GCJ-02" for a source whose coordinates are GCJ-02 (AMap, Tencent)."""
    with open(mapping, "rb") as f:
        m = tomllib.load(f)
    unknown = set(m.get("headers", {}).get(spec.table, {})) - {c.name for c in spec.columns}
    if unknown:
        raise ValueError(f"{mapping}: [headers.{spec.table}] names unknown columns {sorted(unknown)}")
    headers = m.get("headers", {}).get(spec.table, {})
    columns = tuple(replace(c, header=headers.get(c.name, c.header)) for c in spec.columns)
    crs = m.get("crs", {}).get(spec.table, spec.crs)
    if crs.upper() not in CRS_NAMES:
        raise ValueError(f"{mapping}: [crs] {spec.table} = {crs!r}: one of WGS-84, CGCS2000, GCJ-02 "
                         "(BD-09 must be converted before export)")
    return replace(spec, file=m.get("files", {}).get(spec.table, spec.file), columns=columns,
                   crs=CRS_NAMES[crs.upper()])


CSV_SOURCES = load_contract()
ALL_SOURCES = load_contract(loaded_only=False)
BY_TABLE = {s.table: s for s in ALL_SOURCES}
HOUSEHOLDS, PERSONS, EVENTS = BY_TABLE["households"], BY_TABLE["persons"], BY_TABLE["events"]

# Event updates between full exports (etl/load/updates.py): same columns as events.csv.
EVENT_UPDATES = "updates/events-*.csv"

# The area layers: one GeoJSON (or Shapefile) per level, properties in canonical names.
AREA_LAYERS = {"district": "districts.geojson", "street": "streets.geojson",
               "community": "communities.geojson", "grid": "grids.geojson"}


@dataclass(frozen=True)
class Reference:
    column: str
    noun: str                  # what the column names: "address", "team", "community"
    table: str                 # the warehouse table holding the keys
    key: str                   # its key column
    where: str = ""            # SQL condition on that table (an area layer's level)


def references(spec: SourceFile) -> list[Reference]:
    """The references to other files that a column's rule states ("an address in
    addresses.csv", "a community in communities.geojson"), which the refresh can check when the
    row loads: the other file is an area layer or a source loaded before this one. grid_code is
    checked on its own (unknown_grid, and the point against the grid)."""
    out = []
    for c in spec.columns:
        m = re.search(r"(\w+)(?:'s)? in (\w+)\.(csv|geojson)\b", c.rule)
        if not m or c.type != "VARCHAR" or c.personal or c.name == "grid_code":
            continue
        noun, target, kind = m.groups()
        if kind == "geojson":
            level = next((lv for lv, f in AREA_LAYERS.items() if f == f"{target}.geojson"), None)
            if level:
                out.append(Reference(c.name, noun, "areas", "code", f"level = '{level}'"))
        elif target in BY_TABLE and BY_TABLE[target].loaded and BY_TABLE[target].load_order < spec.load_order:
            out.append(Reference(c.name, noun, target, BY_TABLE[target].key))
    return out


# Reference data shipped with the project.
CATEGORY_HEADERS = {"大类代码": "class_code", "大类名称": "class_name", "小类代码": "subclass_code",
                    "小类名称": "subclass_name", "处置时限": "limit_value", "时限单位": "limit_unit",
                    "责任部门": "department", "板块": "board"}
