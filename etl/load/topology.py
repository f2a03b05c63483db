"""Do the grids tile their community? The contract says the grid versions in force on any date
tile their community; this finds where they do not, beyond a tolerance in square metres:

- `overlap`: two grids of one community covering the same ground (both named);
- `gap`: ground of the community no grid covers (the grids along it named);
- `outside_community`: a grid's ground outside its community.

Each community is checked on today's layer and on every date one of its grids (or itself) starts
or ends a version, with the versions in force that day. Areas are measured in metres
(etl/geo/inside.METRIC_CRS). The refresh reports what it finds (wh.ops.grid_topology, 数据健康,
`etl status`) and warns or refuses by its setting (PublishRules.topology).

Vectorised over a whole layer: pairs of grids that share more than a boundary come from one
spatial index; a community's gap is computed only where its area and its grids' areas disagree
(with no overlap and no grid outside, the gap is that difference), so a clean city layer of
10,000 grids costs a few seconds."""
from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd
import shapely

from etl.geo.inside import metric_geometries
from etl.run import PublishRefused, Run

log = logging.getLogger(__name__)

COLUMNS = ["check_date", "community_code", "problem", "grid_codes", "area_m2"]
NEAR_M = 1.0          # a grid "along" a gap comes within this distance of it


def record(run: Run, areas: pd.DataFrame) -> None:
    """wh.ops.grid_topology: where grids overlap, leave gaps in or leave their community beyond the
    tolerance; refused or reported by the run's rules (PublishRules.topology)."""
    con, rules = run.con, run.rules
    found = check(areas, rules.topology_tolerance_m2)
    con.execute("CREATE TABLE wh.ops.grid_topology (check_date DATE, community_code VARCHAR, problem VARCHAR, "
                "grid_codes VARCHAR, area_m2 DOUBLE)")
    if len(found):
        con.register("topology_df", found)
        con.execute("INSERT INTO wh.ops.grid_topology SELECT check_date, community_code, problem, grid_codes, "
                    "area_m2 FROM topology_df")
        con.unregister("topology_df")
    if found.empty:
        return
    summary = "; ".join(f"{r.community_code} {r.problem} {r.grid_codes} {r.area_m2:,.0f} m²"
                        for r in found.head(5).itertuples())
    message = (f"网格拓扑: {len(found)} 处重叠、缝隙或越出社区超过 {rules.topology_tolerance_m2:g} m² "
               f"(grids do not tile their community): {summary}" + (" …" if len(found) > 5 else ""))
    run.report.detail["topology_problems"] = len(found)
    if rules.topology == "refuse":
        run.report.problems = [message]
        raise PublishRefused(message)
    log.warning(message)


def _in_force(frame: pd.DataFrame, day: pd.Timestamp) -> np.ndarray:
    return ((frame["valid_from"].isna() | (frame["valid_from"] <= day))
            & (frame["valid_to"].isna() | (frame["valid_to"] > day))).to_numpy()


def check(areas: pd.DataFrame, tolerance_m2: float, today: dt.date | None = None) -> pd.DataFrame:
    """`areas` as etl/load/areas.py reads them (code, level, parent_code, valid_from, valid_to,
    geometry_wkb). Returns one row per problem larger than `tolerance_m2` (COLUMNS), on the first
    date it is seen."""
    today = pd.Timestamp(today or dt.date.today())
    frame = areas[areas["level"].isin(["community", "grid"])].reset_index(drop=True)
    frame = frame.assign(community=np.where(frame["level"] == "grid", frame["parent_code"], frame["code"]),
                         geometry=metric_geometries(shapely.from_wkb([bytes(b) for b in frame["geometry_wkb"]])))
    # the dates to check: today for every community, and each day a version of it starts or ends
    changes = pd.concat([frame[["community", "valid_from"]].set_axis(["community", "day"], axis=1),
                         frame[["community", "valid_to"]].set_axis(["community", "day"], axis=1)]).dropna()
    changes = changes[changes["day"] <= today].drop_duplicates()
    days = {today: None}                          # None: every community
    for day, group in changes.groupby("day"):
        days.setdefault(day, set()).update(group["community"])
    found = []
    for day in sorted(days):
        now = frame[_in_force(frame, day)]
        if days[day] is not None:
            now = now[now["community"].isin(days[day])]
        found.append(_layer_problems(day.date(), now, tolerance_m2))
    out = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=COLUMNS)
    out = out.sort_values(["check_date", "community_code", "problem", "grid_codes"])
    # a problem that lasts is reported once, on the first date it was seen
    return out.drop_duplicates(["community_code", "problem", "grid_codes"]).reset_index(drop=True)[COLUMNS]


def _layer_problems(day: dt.date, now: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    grids = now[now["level"] == "grid"].reset_index(drop=True)
    shells = now[now["level"] == "community"].drop_duplicates("code").set_index("code")["geometry"]
    codes, community = grids["code"].to_numpy(), grids["community"].to_numpy()
    geoms = grids["geometry"].to_numpy()
    rows = []
    # overlaps: pairs in one community whose interiors meet (neighbours only touch)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = (left < right) & (community[left] == community[right])
    left, right = left[keep], right[keep]
    inner = ~shapely.touches(geoms[left], geoms[right])
    left, right = left[inner], right[inner]
    overlap = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    for i, j, area in zip(left, right, overlap):
        if area > tolerance:
            rows.append((day, community[i], "overlap", f"{codes[i]};{codes[j]}", round(float(area), 1)))
    # ground outside the community
    shell_of = shells.reindex(community).to_numpy()
    known = pd.notna(shell_of)
    shapely.prepare(shell_of[known])
    loose = np.flatnonzero(known)[~shapely.covers(shell_of[known], geoms[known])]
    outside = shapely.area(shapely.difference(geoms[loose], shell_of[loose]))
    for k, area in zip(loose, outside):
        if area > tolerance:
            rows.append((day, community[k], "outside_community", codes[k], round(float(area), 1)))
    # gaps: the community's area less what its grids cover in it, which is their areas less their
    # overlaps and less what lies outside (triple overlaps aside); computed exactly only where
    # that estimate comes near the tolerance (float noise along shared edges stays far below)
    extra = pd.concat([pd.Series(overlap, index=community[left]), pd.Series(outside, index=community[loose]),
                       pd.Series(-shapely.area(geoms), index=community)])
    covered = -extra.groupby(level=0).sum()
    estimate = shapely.area(shells.reindex(covered.index).to_numpy()) - covered.to_numpy()
    suspect = [c for c, gap in zip(covered.index, estimate) if gap > tolerance / 2]
    for c in suspect:
        shell = shells.get(c)
        if shell is None:
            continue
        mine = geoms[community == c]
        for part in shapely.get_parts(shapely.difference(shell, shapely.union_all(mine))):
            area = shapely.area(part)
            if area > tolerance:
                along = codes[community == c][shapely.dwithin(mine, part, NEAR_M)]
                rows.append((day, c, "gap", ";".join(sorted(along)), round(float(area), 1)))
    return pd.DataFrame(rows, columns=COLUMNS)
