"""Do the grids tile their community? The contract says the grid versions in force on any date
tile their community; this finds where they do not, beyond a tolerance in square metres:

- `overlap`: two grids of one community covering the same ground (both named);
- `gap`: ground of the community no grid covers (the grids along it named);
- `outside_community`: a grid's ground outside its community.

Each community is checked on today's layer and on every date one of its grids (or itself) starts
or ends a version, with the versions in force that day. Areas are measured in metres
(etl/geo/inside.METRIC_CRS). The refresh reports what it finds (wh.grid_topology, 数据健康,
`etl status`) and warns or refuses by its setting (PublishRules.topology)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import shapely

from etl.geo.inside import metric_geometries

COLUMNS = ["check_date", "community_code", "problem", "grid_codes", "area_m2"]
NEAR_M = 1.0          # a grid "along" a gap comes within this distance of it


def _in_force(frame: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    return frame[(frame["valid_from"].isna() | (frame["valid_from"] <= day))
                 & (frame["valid_to"].isna() | (frame["valid_to"] > day))]


def check(areas: pd.DataFrame, tolerance_m2: float, today: dt.date | None = None) -> pd.DataFrame:
    """`areas` as etl/areas.py reads them (code, level, parent_code, valid_from, valid_to,
    geometry_wkb). Returns one row per problem larger than `tolerance_m2` (COLUMNS)."""
    today = pd.Timestamp(today or dt.date.today())
    frame = areas[areas["level"].isin(["community", "grid"])].copy()
    frame["geometry"] = metric_geometries(shapely.from_wkb([bytes(b) for b in frame["geometry_wkb"]]))
    frame["community"] = np.where(frame["level"] == "grid", frame["parent_code"], frame["code"])
    rows = []
    for community, group in frame.groupby("community", sort=True):
        changes = pd.concat([group["valid_from"], group["valid_to"]]).dropna()
        days = sorted({d for d in changes if d <= today} | {today})
        seen = set()
        for day in days:
            now = _in_force(group, day)
            grids = now[now["level"] == "grid"]
            key = tuple(sorted(zip(grids["code"], grids["valid_from"].astype(str))))
            if key in seen or grids.empty:
                continue                       # the same versions as on a date already checked
            seen.add(key)
            shell = now.loc[now["level"] == "community", "geometry"]
            rows += _problems(day, community, grids, shell.iloc[0] if len(shell) else None, tolerance_m2)
    out = pd.DataFrame(rows, columns=COLUMNS)
    # a problem that lasts is reported once, on the first date it was seen
    return out.drop_duplicates(["community_code", "problem", "grid_codes"]).reset_index(drop=True)


def _problems(day, community, grids, shell, tolerance) -> list[tuple]:
    out = []
    codes, geoms = grids["code"].to_numpy(), grids["geometry"].to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    for i, j in zip(left, right):
        if i < j:
            area = shapely.area(shapely.intersection(geoms[i], geoms[j]))
            if area > tolerance:
                out.append((day.date(), community, "overlap", f"{codes[i]};{codes[j]}", round(area, 1)))
    if shell is None:
        return out
    union = shapely.union_all(geoms)
    for part in shapely.get_parts(shapely.difference(shell, union)):
        area = shapely.area(part)
        if area > tolerance:
            along = codes[shapely.dwithin(geoms, part, NEAR_M)]
            out.append((day.date(), community, "gap", ";".join(sorted(along)), round(area, 1)))
    for code, geom in zip(codes, geoms):
        area = shapely.area(shapely.difference(geom, shell))
        if area > tolerance:
            out.append((day.date(), community, "outside_community", code, round(area, 1)))
    return out
