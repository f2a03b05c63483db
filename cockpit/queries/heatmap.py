"""事件热力: where and when events are reported, for a period, an event category and an area.

Every function takes an EventFilter (queries/filters.py) whose values were whitelisted by
`make_filter` (category codes against the taxonomy, dates parsed) and a Scope already narrowed
on the server."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import run
from cockpit.queries.filters import EventFilter, chosen_days
from cockpit.scope import Scope

PRESETS = {"7": 7, "30": 30, "90": 90, "365": 365}     # 近7日/近30日/近90日/近一年
EARTH_RADIUS_M = 6_371_008.8                          # mean radius (IUGG)
HEXES_ACROSS = 70            # about this many hexagons across the area's longer side …
HEX_WIDTH_MIN_M, HEX_WIDTH_MAX_M = 150, 5000          # … within these widths, in steps of 50 m


def span(wh: Snapshot, scope: Scope) -> tuple[dt.date | None, dt.date | None]:
    """(first day with an event, the as-of day): the days a period may cover."""
    row = run(wh, "heatmap__span", scope).iloc[0]
    as_of, first = row["as_of"], row["first_at"]
    return (None if pd.isna(first) else first.date(), None if pd.isna(as_of) else as_of.date())


def categories(wh: Snapshot, scope: Scope) -> pd.DataFrame:
    return run(wh, "heatmap__categories", scope)


def make_filter(cats: pd.DataFrame, as_of_day: dt.date, start, end, class_code, subclass_code,
                default_days: int = 30) -> EventFilter:
    """An EventFilter from what the browser sent. Unknown category codes mean 'all'; a subclass
    must belong to the chosen class; the dates as filters.chosen_days reads them."""
    classes = set(cats["class_code"])
    cls = class_code if class_code in classes else None
    allowed = cats if not cls else cats[cats["class_code"] == cls]
    sub = subclass_code if subclass_code in set(allowed["subclass_code"]) else None
    return EventFilter(chosen_days(start, end, as_of_day, default_days), cls, sub)


def total(wh: Snapshot, scope: Scope, f: EventFilter) -> dict:
    row = run(wh, "heatmap__total", scope, **f.params()).iloc[0]
    return {"events": int(row["events"]), "located": int(row["located"])}


def weekday_hour(wh: Snapshot, scope: Scope, f: EventFilter) -> pd.DataFrame:
    """dow (1 = 周一 … 7 = 周日), hour (0–23), events: all 168 cells."""
    return run(wh, "heatmap__weekday_hour", scope, **f.params())


def daily(wh: Snapshot, scope: Scope, f: EventFilter) -> pd.DataFrame:
    """day, events: every day of the period."""
    out = run(wh, "heatmap__daily", scope, **f.params())
    out["day"] = pd.to_datetime(out["day"])
    return out


@dataclass(frozen=True)
class HexGrid:
    """Pointy-top hexagons in a local equirectangular projection around (lon0, lat0).
    width_m = distance between neighbouring centres (flat side to flat side)."""
    lon0: float
    lat0: float
    width_m: float

    @property
    def radius_m(self) -> float:
        return self.width_m / math.sqrt(3)

    @classmethod
    def for_extent(cls, bounds: tuple[float, float, float, float]) -> "HexGrid":
        """Hexagons sized so the area shows a readable pattern: ~HEXES_ACROSS across its longer
        side (the city gets a few kilometres, a district a few hundred metres, a community
        smaller ones; a city drawn at 1 km was 6.6 MB of hexagons)."""
        minx, miny, maxx, maxy = bounds
        lon0, lat0 = (minx + maxx) / 2, (miny + maxy) / 2
        k = math.radians(1) * EARTH_RADIUS_M
        extent = max((maxx - minx) * k * math.cos(math.radians(lat0)), (maxy - miny) * k)
        width = round(extent / HEXES_ACROSS / 50) * 50
        return cls(lon0, lat0, float(min(max(width, HEX_WIDTH_MIN_M), HEX_WIDTH_MAX_M)))

    def params(self) -> dict:
        return {"lon0": self.lon0, "lat0": self.lat0, "radius": self.radius_m,
                "earth_radius": EARTH_RADIUS_M}

    def corners(self, q: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """lon, lat of the six corners of each hexagon (n × 7, ring closed), clockwise as d3's
        spherical polygons expect (anticlockwise would mean 'the whole globe but this')."""
        q, r = np.asarray(q, float)[:, None], np.asarray(r, float)[:, None]
        cx = self.radius_m * math.sqrt(3) * (q + r / 2)
        cy = self.radius_m * 1.5 * r
        angles = np.radians(30 - 60 * np.arange(7))           # decreasing angle: clockwise
        x = cx + self.radius_m * np.cos(angles)
        y = cy + self.radius_m * np.sin(angles)
        k = math.radians(1) * EARTH_RADIUS_M
        return (self.lon0 + x / (k * math.cos(math.radians(self.lat0))), self.lat0 + y / k)


    def lattice(self, bounds: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
        """q, r of every hexagon whose centre lies within `bounds` (lon/lat) widened by a hexagon
        width: every hexagon an event inside the bounds can fall into."""
        k = math.radians(1) * EARTH_RADIUS_M
        kx = k * math.cos(math.radians(self.lat0))
        x0, x1 = (bounds[0] - self.lon0) * kx - self.width_m, (bounds[2] - self.lon0) * kx + self.width_m
        y0, y1 = (bounds[1] - self.lat0) * k - self.width_m, (bounds[3] - self.lat0) * k + self.width_m
        row = 1.5 * self.radius_m
        qs, rs = [], []
        for r in range(math.floor(y0 / row), math.ceil(y1 / row) + 1):
            q = np.arange(math.floor(x0 / self.width_m - r / 2), math.ceil(x1 / self.width_m - r / 2) + 1)
            qs.append(q)
            rs.append(np.full(len(q), r))
        return np.concatenate(qs), np.concatenate(rs)


def hexbins(wh: Snapshot, scope: Scope, f: EventFilter, grid: HexGrid) -> pd.DataFrame:
    """q, r, events for every non-empty hexagon."""
    return run(wh, "heatmap__hexbins", scope, **f.params(), **grid.params())
