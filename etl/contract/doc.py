"""Render docs/data-contract.md from the contract's TOML files, so the two never disagree."""
from __future__ import annotations

from etl import storage
from etl.contract import AREA_LAYERS, KINDS, load_contract
from etl.warning.truth import TRUTH_DOC as TRUTH  # the truth file is early warning's: documented there

INTRO = """\
# Data contract

What the ETL reads: `python -m etl refresh --source DIR [--mapping site.toml]`. This document is
generated from `etl/contract/*.toml` by `python -m etl contract-doc`; a test fails when the two
disagree. The refresh checks every row against these rules: a row that breaks one goes to the
`ops.quarantine` table with the file, line, column, rule name and value as written (personal data
masked, see below); `ops.load_log` records for every file `rows_in = rows_loaded + rows_quarantined`
and its physical lines (`lines_in`). Where each table of a generation lives: "What a generation
holds" below.

## Reading a file: every line accounted for

- **Formats and encodings**: CSV (RFC 4180: comma, double quotes, `""` inside quotes) in UTF-8
  with or without BOM, or GB18030 (which covers GBK and GB2312), detected per file; LF, CRLF or
  both; old Mac files (CR only) are read too. A file that is empty (0 bytes), has no header line,
  lacks a column (the message names the missing headers and those found), or is in another
  encoding (UTF-16, …) stops the run with a clear error (exit code 2).
- **Records and lines**: line numbers are the file's physical lines (header = 1). A record starts
  on a line and ends where its last field ends: a quoted field may hold commas and line breaks
  (up to 50 lines). Every physical line is part of exactly one record, loaded or quarantined;
  `rows_in` counts records. Where no record with the header's number of fields starts, that one
  line is quarantined (column `*`) as `malformed_line:<reason>` and reading goes on at the next
  line, so a broken line never takes the rows after it with it:
  `malformed_line:blank_line` (an empty line), `malformed_line:invalid_encoding` (bytes that are
  not text in the file's encoding; only that line), `malformed_line:unclosed_quote` (a quote
  opened and never closed), `malformed_line:bad_quote` (a quote inside an unquoted field or after
  a closing one), `malformed_line:too_few_fields` / `too_many_fields` (including a truncated last
  line). The quarantine shows the line as written: keys and codes as they are, ID and mobile
  numbers masked, and in a file with personal columns each field masked by its column's type
  (when the fields cannot be matched to columns, any field that is not a plain code keeps only
  its first character).

## Column types

Every column has a type (`kind` in the contract files; the *type* column below), and every file
gets that type's repairs, checks and masks: an ID number is checked and masked the same way in
persons.csv, volunteers.csv or any other file, a code is checked at its exact length wherever it
appears. *stored as* is the warehouse type after the checks; a number after a code's type is its
exact length; *past* marks a time that cannot lie after the refresh (`in_future`).

{kinds}

## Repairs

Before any check, the refresh repairs what is unambiguous and records every repaired cell in the
`ops.repairs` table (file, line, column, repair, value before and after, shown as quarantine shows
values: personal types masked, ID and mobile numbers in any other value masked):

- `control_characters`: NUL and other control characters removed, in every column (line breaks
  are kept in free text);
- `whitespace`: leading and trailing tabs and Unicode spaces (U+0020, U+00A0, U+2000–U+200A, U+3000 and
  the other space separators) removed, in every column;
- `fullwidth_digits`: ０-９ read as 0-9, in every column but free text;
- `number_format`: an ID or phone number's separators (spaces, hyphens, dots) and a mobile's
  +86 / 0086 removed, `139-1234-5678` → `13912345678`;
- `lowercase_x`: an ID number's check character `x` read as `X`;
- `excel_date_serial`: five digits in a date column read as Excel's day serial (days since
  1899-12-30), e.g. `29221` → `1980-01-01`;
- `date_format`: a date written another unambiguous way: `1980/1/1`, `1980-1-1`, `1980.01.01`,
  `1980年1月1日`, `19800101`, `1980-01-01 00:00:00`;
- `timestamp_format`: a time written another unambiguous way: 12-hour with `上午`/`下午` or
  `AM`/`PM` (`2026-8-25 5:15 PM` → `2026-08-25 17:15:00`; 12 AM is 00), `2026/08/25 17:15`,
  `2026年8月25日 17时15分`, ISO `2026-08-25T17:15:00` with or without `+08:00`,
  `20260825171500`, seconds left out.

Everything else that is wrong is quarantined, never guessed at: a date with the month and day in
doubt (`3/4/2026`), a two-digit year, a time of day that is not given, `13:00 PM`, another time
zone, a code that lost its leading zero (`4` for `04`).

## General rules

- **Coordinate reference system**: WGS-84 / CGCS2000 (EPSG:4326 ≈ EPSG:4490) longitude and
  latitude in decimal degrees. A source whose coordinates are GCJ-02 (AMap, Tencent) declares it
  in the mapping file (`[crs] events = "GCJ-02"`) and is converted on load (iterative inverse,
  better than 1e-7°); BD-09 (Baidu) must be converted before export. GCJ-02 points mixed into a
  WGS-84 file are caught by `outside_grid` when they leave their grid.
- **Time**: local time (Asia/Shanghai, UTC+8), `YYYY-MM-DD HH:MM:SS`; dates `YYYY-MM-DD`.
- **Empty cells** are empty strings; a mandatory column that is empty fails `required`.
- **Types**: a value that is not in its type's form fails `type_<type>` (`type_timestamp`,
  `type_double`, `type_integer`, `type_date`), `code_format`, `not_in_list`, `credit_code`,
  `phone_format`, `id_format` … (see Column types).
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
  day reported), `in_future` (a time after the refresh: a typo such as 2062).
- **Personal data** (the personal types) never reaches the warehouse in clear: ID numbers become
  an HMAC-SHA256 keyed hash plus a mask keeping the issuing area (`220204************`), names
  `张*`, phones `138****1234`; ID and mobile numbers inside any other text, however written
  (full-width, Chinese numerals, spaced, hyphenated, in digit groups, with +86), are masked the
  same way on load. Keys and codes are never masked. The clear values of loaded rows are sealed
  (AES-256-GCM, key outside the database) in the `secure.vault` table, for the cockpit's audited "show
  one record in full".

## Work calendar

Working days (需求 办理时限, the warning baselines' holidays) come from two sources: the calendar
file `data/work_calendar.toml` (or the file named by `ETL_WORK_CALENDAR`) and the
`chinese-calendar` library. For a year the file lists, the file decides: weekends off, its
holidays off, its make-up working days (调休) on; for other years the library decides (1.11.0:
2004–2026). A year neither covers counts Monday–Friday: the refresh records it in
`ops.calendar_coverage` (each year with events or needs, reported or due, and from November next
year) and 数据健康 and `python -m etl status` warn. Changing the file makes the next refresh
count the deadlines again, an incremental one too (even without new update files). The file
follows the State Council's annual notice (国务院办公厅关于某年部分节假日安排的通知), one block
per year, one line per festival:

```toml
[[years]]
year = 2026
notice = "国务院办公厅关于2026年部分节假日安排的通知"
holidays = [
    { name = "元旦", from = 2026-01-01, to = 2026-01-03, workdays = [2026-01-04] },
    { name = "春节", from = 2026-02-15, to = 2026-02-23, workdays = [2026-02-14, 2026-02-28] },
]
```

`from`/`to`: the first and last day off; `workdays`: the make-up working days the notice names
(a weekend day worked; it may lie in the year before). A file that does not parse stops the run
(exit code 2).

## Event updates

Between full exports, files `updates/events-*.csv` (same columns and rules as `events.csv`, named
so that name order is export order, e.g. `events-20261101T0015.csv`) carry new events and the
current state of changed ones. They are applied in name order after `events.csv`: an event's
latest state wins unless the stored state is further along (its latest workflow time is later);
replaced and stale states are kept in `core.event_history`. A key repeated within one update file
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

## What a generation holds: one schema per layer

Each refresh publishes a generation (a folder: one small DuckDB file and the large tables as
Parquet partitions, docs/design.md "Generations"). Readers open the small file: a large table
({stored}) is a view of the same name over its partitions, read like any table. Its tables
and views are in five schemas, one per layer, and none in `main`; every query (the ETL's models,
the cockpit's SQL files, the notebooks' helper, bench, tests) names the schema it reads, as in
`FROM core.events` or `mart.events_daily`: a reader sees the layer it reads, and no query reaches
`secure` by a bare name. This table is the contract (a test compares it with a built generation):

| schema | what it holds | tables and views | read by |
| --- | --- | --- | --- |
| `core` | the cleaned register and facts, one row per thing: loaded, repaired, pseudonymised (personal columns masked or hashed) | `core.addresses`, `core.houses`, `core.households`, `core.persons`, `core.organisations`, `core.events`, `core.event_history` (the states incremental runs replaced), `core.needs`, `core.volunteer_teams`, `core.volunteers`, `core.service_projects`, `core.service_activities`, `core.surveys`, `core.property_firms`, `core.accounts` (the platform's accounts from `accounts.csv`: grid workers and staff, names and phones masked), `core.areas` (every version of every area), `core.map_shapes`, `core.event_categories`, `core.workdays`, the views `core.areas_in_force` and `core.area_names` (each code's display name: the version in force at as-of, else its latest) | the cockpit's pages, the notebooks (listed columns only) |
| `mart` | aggregates and per-event derivations of `core`, no personal data | `mart.event_sla`, `mart.events_daily`, `mart.area_kpis_monthly`, `mart.area_population`, `mart.services_monthly`, `mart.person_groups_per_grid` (the special groups counted per grid, built with the core models from the staging persons: the tags never reach the warehouse per person) | the cockpit, the notebooks (whole tables) |
| `warning` | the early warnings (docs/early-warning.md), no personal data | `warning.incidents`, `warning.incident_subclasses`, `warning.incident_grids`, `warning.incident_areas`, `warning.incident_days`, `warning.incident_events`, `warning.alerts`, `warning.screen`, `warning.budget`, `warning.detections`, `warning.detection_days` (what detection found on each day, kept for the next run: docs/design.md), `warning.incident_reviews` (the days each incident's review read, kept likewise), `warning.meta`, `warning.quality` (only after `evaluate-warnings --save`) | 预警研判, the notebooks (tables with an area or incident, whole) |
| `ops` | the run's own bookkeeping: what it read, refused, repaired and found | `ops.meta` (run, as-of, format), `ops.load_log`, `ops.quarantine`, `ops.repairs`, `ops.applied_updates`, `ops.calendar_coverage`, `ops.grid_topology` (the grids' overlaps and gaps the refresh found), `ops.stored_keys` (the partition key each stored table was written with) | every page (`ops.meta`: the as-of and the generation), 数据健康, `/readyz`, `etl status`, the ETL; never analysts' SQL in the notebooks (their helper reads `ops.meta` for the as-of) |
| `secure` | the sealed clear values of personal columns (AES-256-GCM, key outside the database) | `secure.vault`, `secure.vault_index` | only `warehouse/vault.py` (the audited "show in full") and the ETL's sealing |

A generation of a release before these schemas (every table in `main`) is rebuilt in full by the
next refresh (its warehouse format differs) and is not a generation `rollback` may return to.

## Area layers

"""


def render() -> str:
    kinds = "\n".join(["| type | what it holds, its repairs and checks |", "| --- | --- |"]
                      + [f"| `{k}` | {text} |" for k, text in KINDS.items()])
    stored = ", ".join(f"`{t}`" for t in sorted(storage.STORED))
    out = [INTRO.replace("{kinds}", kinds).replace("{stored}", stored)]
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
               "上报时间; households, addresses, houses and organisations to the version in force at "
               "the data's as-of instant (the latest event time: events are loaded first). "
               "`worker_account` (Shapefile `worker`) names the 账号编号 in `accounts.csv` of the "
               "grid's full-time grid worker (专职网格员). Without `valid_from` a layer is taken as "
               "one current version per grid.\n")
    out.append("**Grid topology.** The refresh checks that the grids tile their community: on today's "
               "layer and on every date a grid or community of it starts or ends a version, with the "
               "versions in force that day, it finds `overlap` (two grids on the same ground), `gap` "
               "(ground of the community no grid covers) and `outside_community` (a grid's ground "
               "outside its community) larger than a tolerance (`--topology-tolerance`, default 100 "
               "m², measured in metres in UTM 52N). Each is recorded in `ops.grid_topology` (first date "
               "seen, community, problem, the grids involved, area in m²) and shown on 数据健康 and by "
               "`python -m etl status`. `--topology warn` (the default) publishes and warns; "
               "`--topology refuse` refuses the build (exit code 4, nothing published) while any "
               "remain. The layers are loaded either way: points are checked against their own "
               "grid.\n")
    for spec in load_contract(loaded_only=False):
        loading = (f"loaded in order {spec.load_order}" if spec.loaded
                   else "generated, not yet loaded by the refresh")
        out += [f"## `{spec.file}`: {spec.title}", "",
                f"Format {spec.format.upper()}; key `{spec.key}`; {loading}.", "",
                "| header | canonical name | type | stored as | mandatory | rule | example |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for c in spec.columns:
            kind = f"`{c.kind}`" + (f" ({c.digits})" if c.digits else "") + (" past" if c.past else "")
            out.append(f"| {c.header} | `{c.name}` | {kind} | {c.type} | {'yes' if c.required else 'no'} | "
                       f"{c.rule} | `{c.example}` |")
        out.append("")
    out.append(TRUTH)
    return "\n".join(out)

