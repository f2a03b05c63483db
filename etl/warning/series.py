"""Daily counts per area × subclass, as dense arrays, read from the built warehouse.

Areas are every grid code (a split grid's old code keeps its own series until it ends), community, street,
district and the city, one row each; `members` sums grid rows into the rows of every level. A
grid version only exists between its valid_from and valid_to: outside them its series has no
expectation and never alarms."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from warehouse.areas import CITY_CODE, CITY_NAME

LEVELS = ("grid", "community", "street", "district", "city")


@dataclass
class Areas:
    codes: np.ndarray          # all areas, grids first then the other levels in LEVELS order
    names: np.ndarray
    levels: np.ndarray
    n_grids: int
    members: sparse.csr_matrix  # (areas × grids): 1 where the grid lies in the area (itself included)
    exists: np.ndarray          # (areas × days) bool
    xy: np.ndarray              # grid centroids, km east/north (for neighbours)
    level_of: np.ndarray        # (areas,) index into LEVELS
    level_matrix: sparse.csr_matrix  # (levels × areas): sums the rows of each level
    repeats: np.ndarray         # (areas,) bool: the same grids as a finer area (a city of one
                                # district, a community of one grid): the same series, not alarmed twice

    def level_rows(self, level: str) -> np.ndarray:
        return np.flatnonzero(self.levels == level)


@dataclass
class Calendar:
    days: np.ndarray           # datetime64[D]
    dow: np.ndarray            # 0 = Monday
    off_weekday: np.ndarray    # a public holiday on a weekday
    on_weekend: np.ndarray     # a working weekend day (调休)
    long_holiday: np.ndarray   # a rest day in a run of 3 or more (春节, 国庆, 劳动节 weeks)
    periods: np.ndarray        # (days × 2·periods): in each season, and in its first days


def _runs_of(flag: np.ndarray, at_least: int) -> np.ndarray:
    """Where `flag` is True in a run of at least `at_least` days."""
    edges = np.diff(np.r_[0, flag.astype(int), 0])
    out = np.zeros(len(flag), bool)
    for lo, hi in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        if hi - lo >= at_least:
            out[lo:hi] = True
    return out


ONSET_WEEK = 7


def period_columns(days: np.ndarray, periods) -> np.ndarray:
    """(days × 3·len(periods)) 0/1: inside the period; in its first week; in the rest of its first
    onset_days days (a season's surge when it starts fades over weeks)."""
    month = days.astype("datetime64[M]").astype(int) % 12 + 1
    dom = (days - days.astype("datetime64[M]")).astype(int) + 1
    md = month * 100 + dom
    cols = []
    for q in periods:
        lo, hi = q.start[0] * 100 + q.start[1], q.end[0] * 100 + q.end[1]
        inside = (md >= lo) & (md <= hi) if lo <= hi else (md >= lo) | (md <= hi)
        since = np.full(len(days), -1)
        starts = np.flatnonzero(inside & ~np.r_[False, inside[:-1]])
        if len(inside) and inside[0]:
            starts = starts[1:]          # a span that opens inside a period has no visible start
        for start in starts:
            run = np.flatnonzero(~inside[start:])
            end = start + (run[0] if len(run) else len(days) - start)
            since[start:end] = np.arange(end - start)
        cols += [inside, (since >= 0) & (since < ONSET_WEEK),
                 (since >= ONSET_WEEK) & (since < max(q.onset_days, ONSET_WEEK))]
    return np.column_stack(cols).astype(float) if cols else np.zeros((len(days), 0))


def read_calendar(con, first: np.datetime64, last: np.datetime64, db: str = "wh", periods=()) -> Calendar:
    days = np.arange(first, last + np.timedelta64(1, "D"), dtype="datetime64[D]")
    work = con.execute(f"SELECT day FROM {db}.core.workdays WHERE day BETWEEN ? AND ?",
                       [pd.Timestamp(first).date(), pd.Timestamp(last).date()]).fetchnumpy()["day"]
    is_work = np.isin(days, np.asarray(work, dtype="datetime64[D]"))
    dow = (days.astype("int64") - 4) % 7            # 1970-01-01 was a Thursday
    weekend = dow >= 5
    return Calendar(days, dow, ~weekend & ~is_work, weekend & is_work, _runs_of(~is_work, 3),
                    period_columns(days, periods))


def read_areas(con, days: np.ndarray, db: str = "wh") -> Areas:
    # a redrawn grid keeps its code: one series over all its versions, drawn where it is now
    frame = con.execute(f"""
        SELECT code, arg_max(name, coalesce(valid_from, '1900-01-01')) AS name, any_value(level) AS level,
               any_value(parent_code) AS parent_code,
               arg_max(centroid_lon, coalesce(valid_from, '1900-01-01')) AS centroid_lon,
               arg_max(centroid_lat, coalesce(valid_from, '1900-01-01')) AS centroid_lat,
               min(valid_from)::DATE AS valid_from,
               CASE WHEN bool_or(valid_to IS NULL) THEN NULL ELSE max(valid_to)::DATE END AS valid_to
        FROM {db}.core.areas GROUP BY code ORDER BY any_value(level) <> 'grid', code""").df()
    grids = frame[frame["level"] == "grid"].reset_index(drop=True)
    others = [frame[frame["level"] == lv] for lv in LEVELS[1:4]]
    city = pd.DataFrame({"code": [CITY_CODE], "name": [CITY_NAME], "level": ["city"]})
    table = pd.concat([grids, *others, city], ignore_index=True)
    parent = dict(zip(frame["code"], frame["parent_code"]))
    row = {c: i for i, c in enumerate(table["code"])}
    pairs = []
    for g, code in enumerate(grids["code"]):
        node = code
        pairs.append((g, g))
        while (node := parent.get(node)) is not None and node in row:
            pairs.append((row[node], g))
        pairs.append((row[CITY_CODE], g))
    r, c = np.array(pairs).T
    members = sparse.csr_matrix((np.ones(len(r), np.float32), (r, c)), shape=(len(table), len(grids)))
    exists = np.ones((len(table), len(days)), bool)
    lo = pd.to_datetime(grids["valid_from"]).to_numpy("datetime64[D]")
    hi = pd.to_datetime(grids["valid_to"]).to_numpy("datetime64[D]")
    for g in np.flatnonzero(~(np.isnat(lo) & np.isnat(hi))):
        exists[g] = ((np.isnat(lo[g]) | (days >= lo[g])) & (np.isnat(hi[g]) | (days < hi[g])))
    lat0 = np.radians(np.nanmean(grids["centroid_lat"]))
    xy = np.column_stack([grids["centroid_lon"] * 111.32 * np.cos(lat0), grids["centroid_lat"] * 110.57])
    level_of = table["level"].map({lv: i for i, lv in enumerate(LEVELS)}).to_numpy()
    level_matrix = sparse.csr_matrix((np.ones(len(table)), (level_of, np.arange(len(table)))),
                                     shape=(len(LEVELS), len(table)))
    return Areas(table["code"].to_numpy(), table["name"].to_numpy(), table["level"].to_numpy(),
                 len(grids), members, exists, xy, level_of, level_matrix, _repeats(members))


def _repeats(members: sparse.csr_matrix) -> np.ndarray:
    """Rows (finest first) whose set of grids a finer row already has."""
    seen, out = set(), np.zeros(members.shape[0], bool)
    for i in range(members.shape[0]):
        grids = members.indices[members.indptr[i]:members.indptr[i + 1]]
        key = np.sort(grids).tobytes()
        out[i] = key in seen
        seen.add(key)
    return out


def day_span(con, db: str = "wh") -> tuple[np.datetime64, np.datetime64]:
    first, last = con.execute(f"SELECT min(day), max(day) FROM {db}.mart.events_daily").fetchone()
    as_of = con.execute(f"SELECT as_of::DATE FROM {db}.ops.meta").fetchone()[0]
    last = max(last, as_of) if as_of else last
    return np.datetime64(first, "D"), np.datetime64(last, "D")


def subclasses(con, db: str = "wh") -> pd.DataFrame:
    return con.execute(f"""SELECT class_code, class_name, subclass_code, subclass_name
                           FROM {db}.core.event_categories ORDER BY subclass_code""").df()


@dataclass
class Cells:
    """The non-zero counts of one subclass, every level: area row, day index, count."""
    area: np.ndarray
    day: np.ndarray
    n: np.ndarray
    _by_area: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def dense(self, rows: int, first_day: int, last_day: int) -> np.ndarray:
        """(rows × days) for the areas numbered below `rows` and days [first_day, last_day);
        repeated cells (an injected outbreak on top of a count) add up."""
        width = last_day - first_day
        keep = (self.area < rows) & (self.day >= first_day) & (self.day < last_day)
        flat = self.area[keep].astype(np.int64) * width + (self.day[keep] - first_day)
        return np.bincount(flat, self.n[keep].astype(float), rows * width).reshape(rows, width)

    def rows(self, rows: np.ndarray, first_day: int, last_day: int) -> np.ndarray:
        """(len(rows) × days) for the given area rows: an incident's review asks for a few rows
        thousands of times, so the cells are indexed by area once."""
        if self._by_area is None:
            order = np.argsort(self.area, kind="stable")
            self._by_area = (order, self.area[order])
        order, sorted_area = self._by_area
        rows = np.asarray(rows)
        at_dtype = rows.astype(sorted_area.dtype)        # another dtype would copy the whole column per call
        lo, hi = np.searchsorted(sorted_area, at_dtype, "left"), np.searchsorted(sorted_area, at_dtype, "right")
        at = np.concatenate([order[a:b] for a, b in zip(lo, hi)]) if len(rows) else np.zeros(0, int)
        slot = np.repeat(np.arange(len(rows)), hi - lo)
        day = self.day[at]
        keep = (day >= first_day) & (day < last_day)
        width = last_day - first_day
        flat = slot[keep] * width + (day[keep] - first_day)
        return np.bincount(flat, self.n[at][keep].astype(float), len(rows) * width).reshape(len(rows), width)

    def plus(self, area: np.ndarray, day: np.ndarray, n: np.ndarray) -> "Cells":
        return Cells(np.r_[self.area, area], np.r_[self.day, day], np.r_[self.n, n])


def _ancestors(areas: Areas) -> pd.DataFrame:
    grid_of, area_of = areas.members.T.tocoo().coords
    return pd.DataFrame({"grid_code": areas.codes[grid_of], "area_row": area_of.astype(np.int32)})


def counts(con, areas: Areas, cal: Calendar, db: str = "wh") -> dict[str, Cells]:
    """{subclass_code: Cells} for every subclass with a report, summed up every level in DuckDB
    (a grid's row counts towards itself and each area above it). In one order (the baselines add
    floats up in it: two runs on the same data must give the same bits, detections.py)."""
    codes = [c for (c,) in con.execute(f"SELECT DISTINCT subclass_code FROM {db}.mart.events_daily "
                                       "ORDER BY 1").fetchall()]
    numbered = pd.DataFrame({"subclass_code": codes, "k": np.arange(len(codes), dtype=np.int16)})
    con.register("warning_ancestors", _ancestors(areas))
    con.register("warning_subclasses", numbered)
    try:
        # numbers, not strings: at city scale the cells are tens of millions of rows
        cols = con.execute(f"""
            SELECT s.k, a.area_row, date_diff('day', ?::DATE, m.day)::INTEGER AS t,
                   sum(m.reported)::INTEGER AS n
            FROM {db}.mart.events_daily m JOIN warning_ancestors a USING (grid_code)
            JOIN warning_subclasses s USING (subclass_code)
            WHERE m.day BETWEEN ? AND ?
            GROUP BY ALL ORDER BY 1, 2, 3""", [str(cal.days[0]), str(cal.days[0]), str(cal.days[-1])]).fetchnumpy()
    finally:
        con.unregister("warning_ancestors")
        con.unregister("warning_subclasses")
    k = np.asarray(cols["k"])
    bounds = np.searchsorted(k, np.arange(len(codes) + 1))
    out = {}
    for i, code in enumerate(codes):
        lo, hi = bounds[i], bounds[i + 1]
        if hi > lo:
            out[code] = Cells(np.asarray(cols["area_row"][lo:hi]), np.asarray(cols["t"][lo:hi]),
                              np.asarray(cols["n"][lo:hi]))
    return out


def source_counts(con, areas: Areas, cal: Calendar, source: str, db: str = "wh") -> Cells:
    """The reports of one source (网格员巡查: what a grid's worker finds on patrol), every level."""
    con.register("warning_ancestors", _ancestors(areas))
    try:
        cols = con.execute(f"""
            SELECT a.area_row, date_diff('day', ?::DATE, e.reported_at::DATE)::INTEGER AS t,
                   count(*)::INTEGER AS n
            FROM {db}.core.events e JOIN warning_ancestors a USING (grid_code)
            WHERE e.source = ? AND e.reported_at::DATE BETWEEN ? AND ?
            GROUP BY ALL ORDER BY 1, 2""", [str(cal.days[0]), source, str(cal.days[0]), str(cal.days[-1])]).fetchnumpy()
    finally:
        con.unregister("warning_ancestors")
    return Cells(np.asarray(cols["area_row"]), np.asarray(cols["t"]), np.asarray(cols["n"]))
