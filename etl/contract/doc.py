"""Render docs/data-contract.md from the contract's TOML files, so the two never disagree."""
from __future__ import annotations

from etl.contract import AREA_LAYERS, load_contract
from etl.warning.truth import TRUTH_DOC as TRUTH     # the truth file is early warning's: documented there

INTRO = """\
# Data contract

What the ETL reads: `python -m etl refresh --source DIR [--mapping site.toml]`. This document is
generated from `etl/contract/*.toml` by `python -m etl contract-doc`; a test fails when the two
disagree. The refresh checks every row against these rules: a row that breaks one goes to the
`quarantine` table with the file, line, column, rule name and raw value (masked where it is
personal data); `load_log` records for every file `rows_in = rows_loaded + rows_quarantined`.

## Repairs

Before any check, the refresh repairs what is unambiguous and records every repaired cell in the
`repairs` table (file, line, column, repair, value before and after; personal data withheld):

- `whitespace`: leading and trailing spaces, tabs, U+00A0 and U+3000 removed, in every column;
- `fullwidth_digits`: ０-９ read as 0-9, in every column but free text (marked *text* below);
- `excel_date_serial`: five digits in a DATE column read as Excel's day serial (days since
  1899-12-30), e.g. `29221` → `1980-01-01`;
- `lowercase_x`: an ID number's check character `x` read as `X`.

Everything else that is wrong is quarantined, never guessed at.

## General rules

- **Formats and encodings**: CSV (RFC 4180: comma, double quotes) in UTF-8 with or without BOM, or
  GB18030 (which covers GBK and GB2312), detected per file. A file in any other encoding stops the
  run with a clear error (exit code 2); a few undecodable lines in a UTF-8 file are quarantined as
  `malformed_line:INVALID ENCODING`.
- **Malformed lines** (wrong number of fields, broken quoting, a truncated last line) are
  quarantined as `malformed_line:<reason>` with their line number, never dropped.
- **Coordinate reference system**: WGS-84 / CGCS2000 (EPSG:4326 ≈ EPSG:4490) longitude and
  latitude in decimal degrees. A source whose coordinates are GCJ-02 (AMap, Tencent) declares it
  in the mapping file (`[crs] events = "GCJ-02"`) and is converted on load (iterative inverse,
  better than 1e-7°); BD-09 (Baidu) must be converted before export. GCJ-02 points mixed into a
  WGS-84 file are caught by `outside_grid` when they leave their grid.
- **Time**: local time (Asia/Shanghai, UTC+8), `YYYY-MM-DD HH:MM:SS`; dates `YYYY-MM-DD`.
- **Empty cells** are empty strings; a mandatory column that is empty fails `required`.
- **Types**: a value that does not parse as the column's type fails `type_<type>`
  (`type_timestamp`, `type_double`, `type_integer`, `type_date`).
- **Keys**: a repeated key fails `duplicate_key`; the first occurrence loads.
- **Cross-file rules**: `unknown_grid` (网格编码 not in grids); `unknown_<noun>` for every reference
  a column's rule states to a file loaded before it or to an area layer (`unknown_household`: a
  person's 户编号 not in households; `unknown_address`, `unknown_community`, `unknown_team`,
  `unknown_project` likewise; an empty optional reference passes); a reference to a file loaded
  later (a house's owner in persons.csv) is documented, not checked; `unknown_category` (小类代码 not in the taxonomy
  `data/reference/event_categories.csv`), `stage_order` (a workflow time earlier than
  上报时间 or any earlier stage), `outside_china` (coordinates outside 73–136 E, 3–54 N), `outside_grid` (the point
  more than 25 m outside its grid: for events the grid version in force on the day reported, for
  households today's), `grid_not_in_force` (an event's grid code has no version in force on the
  day reported), `in_future` (a time after the refresh: a typo such as 2062), `id_format`,
  `id_check_digit`, `id_birth_mismatch`, `id_sex_mismatch` (GB 11643-1999).
- **Personal data** (columns marked personal) never reach the warehouse in clear: ID numbers
  become an HMAC-SHA256 keyed hash plus a mask (`220204********1234`), names `张*`, phones
  `138****1234`. The clear values of loaded rows are sealed (AES-256-GCM, key outside the
  database) in the `vault` table, for the cockpit's audited "show one record in full".

## Event updates

Between full exports, files `updates/events-*.csv` (same columns and rules as `events.csv`, named
so that name order is export order, e.g. `events-20261101T0015.csv`) carry new events and the
current state of changed ones. They are applied in name order after `events.csv`: an event's
latest state wins unless the stored state is further along (its latest workflow time is later);
replaced and stale states are kept in `event_history`. A key repeated within one update file
fails `duplicate_key`; across files it is the point.

## Other file names or headers: the mapping file

A site whose systems export other file names or headers writes a TOML mapping file and passes it
with `--mapping`; only what differs needs a line:

```toml
[files]
events = "事件导出.csv"          # table = file name in the source folder

[headers.events]
event_id = "案件编号"            # canonical column = the header in that file
reported_at = "发现时间"

[crs]
events = "GCJ-02"                # coordinates exported from an AMap-based system
```

## Area layers

"""


def render() -> str:
    out = [INTRO]
    out.append("One file per level: " + ", ".join(f"`{f}` ({lvl})" for lvl, f in AREA_LAYERS.items())
               + ". GeoJSON FeatureCollections, one Feature per area, Polygon or MultiPolygon in "
               "WGS-84. Properties: `code` (6/9/12/15 digits = 6 county (GB/T 2260) + 3 street + 3 "
               "community + 3 grid; each level's code starts with its parent's; numbered west→east, "
               "north→south), `name`, optional `kind` (街道/镇/乡, 社区/村) and `urban`. Children tile "
               "their parent. The same layers may come as Shapefiles instead (`grids.shp` with its "
               "`.dbf/.shx/.prj/.cpg`, in the source folder or its `shapefile/` subfolder; fields "
               "`code`, `name`, `kind`, `urban` as 0/1, `valid_from`, `valid_to`, `worker`; any CRS "
               "with a `.prj` is reprojected to WGS-84). Rules: `code_format`, `duplicate_key`, "
               "`unknown_parent`, `invalid_geometry`, `type_date` (a validity date that is not "
               "YYYY-MM-DD), `valid_to_before_valid_from`, `overlapping_versions`; an unreadable "
               "layer or one without `code`/`name` stops the run.\n")
    out.append("**The grid layer is versioned.** Each feature of `grids.geojson` is one version of a "
               "grid: `valid_from` (YYYY-MM-DD, first day it applies) and `valid_to` (the first day "
               "it no longer applies; empty or null while current); the key is (`code`, "
               "`valid_from`), and the versions of one code never overlap in time. A grid that is "
               "split ends (`valid_to` set) and its parts start under new codes on the same day; a "
               "redrawn grid keeps its code with a new version. On any date the versions valid "
               "that day tile their community. An event belongs to the version valid on its "
               "上报时间; households, addresses, houses and organisations to the current version. "
               "`worker_account` (Shapefile `worker`) names the 账号编号 in `accounts.csv` of the "
               "grid's full-time grid worker (专职网格员). Without `valid_from` a layer is taken as "
               "one current version per grid.\n")
    for spec in load_contract(loaded_only=False):
        loading = (f"loaded in order {spec.load_order}" if spec.loaded
                   else "generated, not yet loaded by the refresh")
        out += [f"## `{spec.file}`: {spec.title}", "",
                f"Format {spec.format.upper()}; key `{spec.key}`; {loading}.", "",
                "| header | canonical name | type | mandatory | personal / text | rule | example |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for c in spec.columns:
            kind = "yes" if c.personal else "text" if c.text else ""
            out.append(f"| {c.header} | `{c.name}` | {c.type} | {'yes' if c.required else 'no'} | "
                       f"{kind} | {c.rule} | `{c.example}` |")
        out.append("")
    out.append(TRUTH)
    return "\n".join(out)

