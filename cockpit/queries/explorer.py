"""事件查询: events matching a filter, a page at a time, their count per day, and every matching
row for export. What the browser sends is cleaned here: the area through Scope.narrow, every
other value against the values in the warehouse, the sort column against SORTABLE."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import run
from cockpit.queries.filters import EventFilter, as_of, chosen_days
from cockpit.scope import Scope

# column id → Chinese header, in table and export order
COLUMNS = {
    "event_id": "事件编号", "reported_at": "上报时间", "class_name": "大类", "subclass_name": "小类",
    "source": "来源", "grid_name": "网格", "community_name": "社区", "address": "地址",
    "status": "状态", "sla_state": "时限状态", "department": "处置部门", "deadline": "处置时限",
    "closed_at": "结案时间", "satisfaction": "满意度",
}
TIME_COLUMNS = ("reported_at", "deadline", "closed_at")
# every column may be sorted on; explorer__rows.sql's CASE lists name the same ones
SORTABLE = tuple(COLUMNS)
DEFAULT_SORT = ("reported_at", True)         # newest first
PAGE_SIZE = 20
EXPORT_CAP = 200_000        # CSV: ~230 bytes a row, so at most ~45 MB (~60 MB as base64 in dcc.Download)
XLSX_CAP = 50_000           # XlsxWriter's pure-Python XML: ~10 s of CPU for 50,000 rows here
DEFAULT_DAYS = 30
FILTER_KINDS = ("class_code", "subclass_code", "source", "status", "department")

def values(wh: Snapshot, scope: Scope) -> pd.DataFrame:
    """kind, value, label, parent of every value a filter may take in the scope."""
    return run(wh, "explorer__values", scope)


def as_of_day(wh: Snapshot) -> dt.date:
    value = as_of(wh)
    return dt.date.today() if value is None else pd.Timestamp(value).date()    # today: no events yet


def clean_filter(wh: Snapshot, scope: Scope, raw: dict, allowed: pd.DataFrame | None = None) -> EventFilter:
    """The filter a browser asked for, with anything not in the warehouse dropped (= any) and the
    period defaulting to the last DEFAULT_DAYS days up to the data's as-of day. Whitelist against
    the viewer's whole scope (`allowed`: values(wh, scope), which callers may cache), not the
    narrowed area: a department that does not occur in the chosen area must match nothing."""
    period = chosen_days(raw.get("start_day"), raw.get("end_day"), as_of_day(wh), DEFAULT_DAYS)
    allowed = values(wh, scope) if allowed is None else allowed

    def pick(kind: str, key: str, parent: str | None = None):
        value = raw.get(key)
        rows = allowed[(allowed["kind"] == kind) & (allowed["value"] == value)]
        if parent is not None:
            rows = rows[rows["parent"] == parent]
        return value if isinstance(value, str) and len(rows) else None

    class_code = pick("class", "class_code")
    return EventFilter(period, class_code=class_code,
                       subclass_code=pick("subclass", "subclass_code", class_code),
                       source=pick("source", "source"), status=pick("status", "status"),
                       department=pick("department", "department"))


def check_sort(column: str, descending: bool) -> tuple[str, bool]:
    """Only whitelisted columns reach the query; anything else is refused."""
    if column not in SORTABLE:
        raise ValueError(f"not a sortable column: {column!r}")
    return column, bool(descending)


def rows(wh: Snapshot, scope: Scope, f: EventFilter, sort: tuple[str, bool] = DEFAULT_SORT,
         limit: int = PAGE_SIZE, offset: int = 0) -> pd.DataFrame:
    """Matching events in COLUMNS order, sorted, `limit` from `offset` (free text scrubbed by run)."""
    column, descending = check_sort(*sort)
    frame = run(wh, "explorer__rows", scope, **f.params(), sort=column, descending=descending,
                limit=int(limit), offset=int(offset))
    return frame[list(COLUMNS)]


def daily(wh: Snapshot, scope: Scope, f: EventFilter) -> pd.DataFrame:
    """Events per day over the whole period (days without events as 0)."""
    counts = run(wh, "explorer__daily", scope, **f.params())
    days = pd.date_range(f.window.first_day, f.window.last_day, freq="D")
    series = counts.set_index(pd.to_datetime(counts["day"]))["events"].reindex(days, fill_value=0)
    return pd.DataFrame({"day": days, "events": series.astype("int64").to_numpy()})


def count(wh: Snapshot, scope: Scope, f: EventFilter) -> int:
    return int(run(wh, "explorer__daily", scope, **f.params())["events"].sum())


def export_rows(wh: Snapshot, scope: Scope, f: EventFilter, sort=DEFAULT_SORT) -> pd.DataFrame:
    """Every matching row (callers check count() against the format's cap first)."""
    return rows(wh, scope, f, sort, limit=EXPORT_CAP, offset=0)


def display(frame: pd.DataFrame) -> pd.DataFrame:
    """Times as text to the minute, missing values as empty text: what the table and CSV show."""
    out = frame.copy()
    for c in TIME_COLUMNS:
        out[c] = pd.to_datetime(out[c]).dt.strftime("%Y-%m-%d %H:%M").fillna("")
    return out.fillna("")


def with_headers(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns=COLUMNS)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(value):
    """A text a spreadsheet would run as a formula (a reporter's "=HYPERLINK(…)" in a free-text
    field) starts with an apostrophe: Excel and WPS then show it as text (OWASP's CSV injection)."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a BOM (Excel then reads Chinese right), Chinese headers, times to the minute,
    no cell a spreadsheet would run (the XLSX writer writes text as text already), rows that a
    CR inside a field does not break."""
    shown = display(frame)
    for c in shown.columns:
        if shown[c].dtype == object or pd.api.types.is_string_dtype(shown[c]):
            shown[c] = shown[c].map(defuse)
    # CRLF, as Excel writes CSV: a field holding a bare CR is then quoted (with "\n" it was not)
    return with_headers(shown).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame) -> bytes:
    """The same rows and columns as the CSV; times as Excel date-times (warehouse/excel.py)."""
    import io

    from warehouse.excel import write_sheet

    out = io.BytesIO()
    write_sheet(out, "事件", list(COLUMNS.values()), frame[list(COLUMNS)].itertuples(index=False, name=None))
    return out.getvalue()
