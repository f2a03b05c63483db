"""Synthetic administrative area layers that tile their parents exactly.

Hierarchy (codes follow the 15-digit grid-code rule, 6 + 3 + 3 + 3 digits)::

    district (区/县, 6)  ->  street / township (街道/镇/乡, 9)
                         ->  community / village (社区/村, 12)  ->  grid (网格, 15)

The district boundaries are real (``data/reference``, converted GCJ-02 ->
WGS-84 by :func:`load_districts`); everything below them is generated:

* Every level is a partition of its parent: children are Voronoi cells of seed
  points, clipped to the parent, so they cover the parent with no gap and no
  overlap. Cells that the clipping splits into several pieces keep the piece
  holding their seed; the other pieces ("fragments") and any sliver smaller
  than 1 % of the median area of its siblings of the same class (urban /
  rural) are merged into the sibling sharing the longest border.
  ``shapely.coverage_clean`` makes sibling borders exactly identical.
  Children of a single-polygon parent are single polygons; only a multi-part
  parent (舒兰市 has a tiny exclave) can have a multi-part child.
* Seeds are placed by weighted k-means on random points inside the parent
  (so cells are compact), with weights from a population density model: a
  Gaussian around the plan's ``urban_centre`` (sigma = ``urban_radius_km``)
  plus a low rural floor. Urban streets, communities and grids are therefore
  small near the centre and large in the countryside.
* The urban core (area ~ pi * urban_radius^2 around the centre, clipped to the
  district; its outline is a union of Voronoi "blocks" inside an irregular
  blob) is tiled by the 街道, the rest of the district by the 镇/乡. Inside a
  town a small core around its seat holds its 社区 (usually one, the seat);
  the rest is tiled by 村. In a county without 街道 (永吉县) the town holding
  the urban centre is the seat town: its 社区 core is centred on the urban centre.
* Counts: the district's 社区 go to the 街道 in proportion to expected
  population (density integrated over the area, at least 2 each), one 社区
  per town seat; 村 go to the towns in proportion to area. Grids are shared
  out in proportion to a weight of 2.7 per 社区 and 1 per 村, modulated by
  (population / median population of the kind) ** 0.35; at least 1 each.
* ``urban`` is True for 街道, for 社区 (including a town-seat 社区) and for
  their grids; False for 镇/乡, 村 and village grids.
* All geometry is computed in UTM 52N (EPSG:32652, metres) and returned in
  EPSG:4326 (WGS-84 ~ CGCS2000 lon/lat).

Codes are numbered west -> east within latitude rows, rows north -> south
(:func:`geo_order`; rows are sqrt(median sibling area) high), separately for each category range (GB/T 10114 practice:
街道 001-099, 镇 100-199, 乡 200-299; 社区 001-199, 村 200-399; grids 001-999).
Names: streets from ``DistrictPlan.street_names`` (or generated), 社区 and 村
from :mod:`demo.names` (unique within the district), grids
"{community name}第{n}网格".

Plans are in :mod:`demo.plans`; the generic partition geometry in :mod:`demo.partition`.

Everything is deterministic given ``seed`` and the plans.
"""


from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import Point

from demo.names import NamePicker, grid_name
from demo.partition import (
    allocate,
    clean,
    core_region,
    fix_partition,
    inside_point,
    order_children,
    partition_polygon,
    place_seeds,
    sample_in,
    voronoi_cells,
)
from demo.plans import DistrictPlan, validate_plan
from etl.geo.crs import CANONICAL_CRS, METRIC_CRS, gcj02_to_wgs84, transform_geometry
from etl.paths import DISTRICTS_GEOJSON

#: first/last sequence number of each kind (GB/T 10114 practice)
STREET_CODE_RANGES = {"街道": (1, 99), "镇": (100, 199), "乡": (200, 299)}
COMMUNITY_CODE_RANGES = {"社区": (1, 199), "村": (200, 399)}
GRID_CODE_RANGE = (1, 999)

# --- model constants --------------------------------------------------------
RURAL_FLOOR = 0.02  # rural population density relative to the urban peak
VILLAGE_TO_COMMUNITY_AREA = 8.0  # typical 村 area / 社区 area inside one town
COMMUNITY_GRID_FACTOR = 2.7  # grids per 社区 relative to grids per 村
GRID_POP_EXPONENT = 0.35  # how strongly grid counts follow population within a kind


@dataclass
class AreaLayers:
    districts: gpd.GeoDataFrame  # code(6), name, geometry
    streets: gpd.GeoDataFrame  # code(9), name, kind, district_code, urban, geometry
    communities: gpd.GeoDataFrame  # code(12), name, kind, street_code, district_code, urban, geometry
    grids: gpd.GeoDataFrame  # code(15), name, community_code, street_code, district_code, urban, geometry



# =============================================================================
# Loading
# =============================================================================
def load_districts(path=None, *, source_crs: str = "GCJ-02") -> gpd.GeoDataFrame:
    """Read the reference county boundaries and convert them to WGS-84.

    Returns columns ``adcode`` (str), ``name``, ``geometry`` in EPSG:4326,
    sorted by adcode. ``source_crs="WGS-84"`` skips the GCJ-02 conversion.
    """
    path = DISTRICTS_GEOJSON if path is None else Path(path)
    gdf = gpd.read_file(path)
    gdf["adcode"] = gdf["adcode"].astype(str).str.zfill(6)
    geoms = np.asarray(gdf.geometry.values)
    if source_crs.upper().replace("-", "") in ("GCJ02",):
        geoms = transform_geometry(geoms, gcj02_to_wgs84)
    elif source_crs.upper().replace("-", "") not in ("WGS84", "CGCS2000", "EPSG:4326"):
        raise ValueError(f"unsupported source_crs {source_crs!r}")
    bad = ~shapely.is_valid(geoms)
    if bad.any():  # not expected for the reference data; keep layers valid regardless
        geoms[bad] = shapely.make_valid(geoms[bad])
    out = gpd.GeoDataFrame(
        {"adcode": gdf["adcode"].to_numpy(), "name": gdf["name"].astype(str).to_numpy()},
        geometry=geoms,
        crs=CANONICAL_CRS,
    )
    return out.sort_values("adcode").reset_index(drop=True)


# =============================================================================
# Builder
# =============================================================================
class _DistrictBuilder:
    def __init__(self, plan: DistrictPlan, district_geom, seed: int, to_metric):
        self.plan = plan
        self.geom = district_geom  # metric
        self.rng = np.random.default_rng([int(seed), int(plan.adcode), 0])
        cx, cy = to_metric.transform(*plan.urban_centre)
        centre = np.array([cx, cy])
        if not self.geom.covers(Point(centre)):
            # keep the plan usable if the centre falls just outside (e.g. in the river):
            # use the nearest of a fixed set of interior sample points
            pts = sample_in(self.geom, 4000, np.random.default_rng([int(seed), int(plan.adcode), 9]))
            centre = pts[int(np.argmin(((pts - centre) ** 2).sum(axis=1)))]
        self.centre = centre
        self.sigma = float(plan.urban_radius_km) * 1000.0

    # density model ----------------------------------------------------------
    def gauss(self, pts: np.ndarray) -> np.ndarray:
        d2 = ((pts - self.centre) ** 2).sum(axis=1)
        return np.exp(-d2 / (2.0 * self.sigma**2))

    def density(self, pts: np.ndarray) -> np.ndarray:
        return self.gauss(pts) + RURAL_FLOOR

    def expected_pop(self, geom, n: int = 200) -> float:
        pts = sample_in(geom, n, self.rng)
        return float(self.density(pts).mean() * geom.area)

    # levels -----------------------------------------------------------------
    def _core_rest_partition(self, parent, centre, core_area, k_core, k_rest, core_w, rest_w):
        """Partition parent into k_core cells inside a core blob and k_rest outside.

        Returns list of (is_core, seed_xy, geom).
        """
        seeds_list, raws, is_core = [], [], []
        if k_core and k_rest:
            core = core_region(parent, centre, core_area, self.rng)
            rest = clean(shapely.difference(parent, core))
            regions = [(core, k_core, core_w, True), (rest, k_rest, rest_w, False)]
        else:
            regions = [(parent, k_core or k_rest, core_w if k_core else rest_w, bool(k_core))]
        for region, k, wfn, flag in regions:
            s = place_seeds(region, k, self.rng, wfn)
            seeds_list.append(s)
            raws.extend(voronoi_cells(s, region))
            is_core.extend([flag] * k)
        seeds = np.concatenate(seeds_list)
        kept = fix_partition(raws, seeds, groups=[0 if c else 1 for c in is_core])
        return [(is_core[i], seeds[i], g) for i, g in kept]

    def build(self):
        plan = self.plan
        n_u, n_t = plan.n_urban_streets, plan.n_towns
        # ---- streets -------------------------------------------------------
        urban_area = np.pi * self.sigma**2
        streets = self._core_rest_partition(
            self.geom,
            self.centre,
            urban_area,
            n_u,
            n_t,
            lambda p: self.gauss(p) ** 2 + RURAL_FLOOR**2,
            None,
        )
        street_kind = self._street_kinds(streets)
        s_geoms = [g for _, _, g in streets]
        s_seeds = [inside_point(g, s) for (_, s, g) in streets]
        # a 镇/乡 holding the urban centre (a county without 街道, whose seat is a
        # town) gathers its 社区 around the centre instead of around its own seed;
        # with 街道 the centre is always inside the urban core, so nothing changes
        centre_pt = Point(self.centre)
        for si, g in enumerate(s_geoms):
            if street_kind[si] != "街道" and g.covers(centre_pt):
                s_seeds[si] = np.asarray(self.centre, dtype=float)
        pops = np.array([self.expected_pop(g) for g in s_geoms])
        areas = np.array([g.area for g in s_geoms])
        n_comm, n_vill = self._allocate_communities(street_kind, pops, areas)

        # ---- communities & villages ---------------------------------------
        comms = []  # (street_idx, kind, geom)
        for si, g in enumerate(s_geoms):
            nc, nv = int(n_comm[si]), int(n_vill[si])
            core_area = g.area * nc / (nc + VILLAGE_TO_COMMUNITY_AREA * nv) if nv else g.area
            cells = self._core_rest_partition(
                g,
                s_seeds[si],
                core_area,
                nc,
                nv,
                (lambda p: self.density(p) ** 2) if street_kind[si] == "街道" else None,
                None,
            )
            for is_core, _, cg in cells:
                comms.append((si, "社区" if is_core else "村", cg))

        # ---- grids ----------------------------------------------------------
        c_kind = np.array([k for _, k, _ in comms])
        c_pop = np.array([self.expected_pop(g, 100) for _, _, g in comms])
        w = np.zeros(len(comms))
        for kind, factor in (("社区", COMMUNITY_GRID_FACTOR), ("村", 1.0)):
            sel = c_kind == kind
            if sel.any():
                rel = np.clip(c_pop[sel] / np.median(c_pop[sel]), 0.25, 4.0)
                w[sel] = factor * rel**GRID_POP_EXPONENT
        n_grid = np.minimum(allocate(plan.n_grids, w, np.ones(len(comms), dtype=np.int64)), 999)
        grids = []  # (community_idx, geom)
        for ci, (_, _, cg) in enumerate(comms):
            k = int(n_grid[ci])
            if k == 1:
                grids.append((ci, cg))
                continue
            seeds = place_seeds(cg, k, self.rng, lambda p: self.density(p) ** 2)
            for _, gg in partition_polygon(cg, seeds):
                grids.append((ci, gg))
        return s_geoms, street_kind, comms, grids

    def _street_kinds(self, streets) -> list[str]:
        plan = self.plan
        kinds = ["街道" if is_core else "镇" for is_core, _, _ in streets]
        town_idx = [i for i, k in enumerate(kinds) if k == "镇"]
        if plan.street_names:
            n_xiang = sum(1 for s in plan.street_names[plan.n_urban_streets :] if s.endswith("乡"))
        else:
            n_xiang = plan.n_towns // 3
        if n_xiang and town_idx:
            # the townships farthest from the city are 乡
            d = [float(np.hypot(*(streets[i][1] - self.centre))) for i in town_idx]
            for j in np.argsort(d, kind="stable")[max(0, len(town_idx) - n_xiang) :]:
                kinds[town_idx[int(j)]] = "乡"
        return kinds

    def _allocate_communities(self, kinds, pops, areas):
        plan = self.plan
        kinds = np.array(kinds)
        urban = kinds == "街道"
        rural = ~urban
        n = len(kinds)
        n_comm = np.zeros(n, dtype=np.int64)
        n_vill = np.zeros(n, dtype=np.int64)
        nc, nv = plan.n_communities, plan.n_villages
        ui, ti = np.flatnonzero(urban), np.flatnonzero(rural)
        if len(ti) == 0:
            # villages go to the urban streets with the most thinly populated land
            # (weight area / mean density = area**2 / population)
            n_vill[ui] = allocate(nv, areas[ui] ** 2 / pops[ui], np.zeros(len(ui)))
            n_comm[ui] = allocate(nc, pops[ui], np.maximum(1, 2 - n_vill[ui]))
            return n_comm, n_vill
        if len(ui) == 0:
            seats = min(len(ti), nc)
            order = ti[np.argsort(-pops[ti], kind="stable")]
            n_comm[order[:seats]] = 1
            n_comm[ti] = allocate(nc, pops[ti], n_comm[ti])
        else:
            if nc < 2 * len(ui):
                raise ValueError(f"{plan.adcode}: need at least 2 社区 per 街道")
            seats = min(len(ti), nc - 2 * len(ui))
            order = ti[np.argsort(-pops[ti], kind="stable")]
            n_comm[order[:seats]] = 1
            n_comm[ui] = allocate(nc - seats, pops[ui], np.full(len(ui), 2))
        n_vill[ti] = allocate(nv, areas[ti], np.maximum(0, 2 - n_comm[ti]))
        return n_comm, n_vill


def build_area_layers(districts: gpd.GeoDataFrame, plans: Sequence[DistrictPlan], seed: int) -> AreaLayers:
    """Generate street, community and grid layers for the planned districts.

    ``districts`` is the output of :func:`load_districts` (``adcode`` or
    ``code``, ``name``, geometry in any CRS). Only districts with a plan are
    generated and returned, in adcode order.
    """
    code_col = "adcode" if "adcode" in districts.columns else "code"
    d = districts.to_crs(CANONICAL_CRS) if districts.crs is not None else districts.set_crs(CANONICAL_CRS)
    d = d.assign(_code=d[code_col].astype(str).str.zfill(6))
    by_code = {c: i for i, c in enumerate(d["_code"])}
    plans = sorted(plans, key=lambda p: p.adcode)
    for p in plans:
        validate_plan(p)
    if len({p.adcode for p in plans}) != len(plans):
        raise ValueError("duplicate district plans")
    missing = [p.adcode for p in plans if p.adcode not in by_code]
    if missing:
        raise ValueError(f"no boundary for districts {missing}")
    rows = [by_code[p.adcode] for p in plans]
    dsel = d.iloc[rows].reset_index(drop=True)
    metric = dsel.to_crs(METRIC_CRS)
    to_metric = pyproj.Transformer.from_crs(CANONICAL_CRS, METRIC_CRS, always_xy=True)

    st_rows, cm_rows, gr_rows = [], [], []
    for plan, dname, dgeom in zip(plans, dsel["name"], metric.geometry):
        dgeom = clean(dgeom)
        s_geoms, s_kind, comms, grids = _DistrictBuilder(plan, dgeom, seed, to_metric).build()
        s_codes, s_names = _code_streets(plan, s_geoms, s_kind, seed)
        for g, k, c, nm in zip(s_geoms, s_kind, s_codes, s_names):
            st_rows.append((c, nm, k, plan.adcode, k == "街道", g))
        # communities: code within each street
        picker = NamePicker(np.random.default_rng([int(seed), int(plan.adcode), 2]))
        c_codes = [""] * len(comms)
        c_names = [""] * len(comms)
        for si in range(len(s_geoms)):
            idx = [i for i, (s, _, _) in enumerate(comms) if s == si]
            for kind in ("社区", "村"):
                sub = [i for i in idx if comms[i][1] == kind]
                if not sub:
                    continue
                first, last = COMMUNITY_CODE_RANGES[kind]
                if len(sub) > last - first + 1:
                    raise ValueError(f"too many {kind} in street {s_codes[si]}")
                order = order_children([comms[i][2] for i in sub])
                for seq, o in enumerate(order):
                    i = sub[int(o)]
                    c_codes[i] = f"{s_codes[si]}{first + seq:03d}"
                    c_names[i] = picker.community_name() if kind == "社区" else picker.village_name()
        for i, (si, kind, g) in enumerate(comms):
            cm_rows.append((c_codes[i], c_names[i], kind, s_codes[si], plan.adcode, kind == "社区", g))
        # grids: code within each community
        by_comm: dict[int, list[int]] = {}
        for gi, (ci, _) in enumerate(grids):
            by_comm.setdefault(ci, []).append(gi)
        for ci, gidx in by_comm.items():
            order = order_children([grids[g][1] for g in gidx])
            for seq, o in enumerate(order, start=1):
                g = grids[gidx[int(o)]][1]
                si, kind, _ = comms[ci]
                gr_rows.append(
                    (
                        f"{c_codes[ci]}{seq:03d}",
                        grid_name(c_names[ci], seq),
                        c_codes[ci],
                        s_codes[si],
                        plan.adcode,
                        kind == "社区",
                        g,
                    )
                )

    def gdf(rows, cols):
        df = pd.DataFrame([r[:-1] for r in rows], columns=cols)
        out = gpd.GeoDataFrame(df, geometry=[r[-1] for r in rows], crs=METRIC_CRS)
        out = out.sort_values("code").reset_index(drop=True)
        return out.to_crs(CANONICAL_CRS)

    streets = gdf(st_rows, ["code", "name", "kind", "district_code", "urban"])
    communities = gdf(cm_rows, ["code", "name", "kind", "street_code", "district_code", "urban"])
    grids_gdf = gdf(gr_rows, ["code", "name", "community_code", "street_code", "district_code", "urban"])
    districts_out = gpd.GeoDataFrame(
        {"code": dsel["_code"].to_numpy(), "name": dsel["name"].astype(str).to_numpy()},
        geometry=dsel.geometry.to_numpy(),
        crs=CANONICAL_CRS,
    )
    return AreaLayers(districts=districts_out, streets=streets, communities=communities, grids=grids_gdf)


def _code_streets(plan: DistrictPlan, geoms, kinds, seed):
    """Street codes (by category, geographic order) and names."""
    codes = [""] * len(geoms)
    names = [""] * len(geoms)
    given_urban = list(plan.street_names[: plan.n_urban_streets]) if plan.street_names else []
    given_towns = list(plan.street_names[plan.n_urban_streets :]) if plan.street_names else []
    given = {
        "街道": given_urban,
        "乡": [s for s in given_towns if s.endswith("乡")],
        "镇": [s for s in given_towns if not s.endswith("乡")],
    }
    picker = NamePicker(np.random.default_rng([int(seed), int(plan.adcode), 3]), used=plan.street_names)
    for kind in ("街道", "镇", "乡"):
        sub = [i for i, k in enumerate(kinds) if k == kind]
        if not sub:
            continue
        first, last = STREET_CODE_RANGES[kind]
        if len(sub) > last - first + 1:
            raise ValueError(f"{plan.adcode}: too many {kind}")
        order = order_children([geoms[i] for i in sub])
        pool = list(given[kind])
        for seq, o in enumerate(order):
            i = sub[int(o)]
            codes[i] = f"{plan.adcode}{first + seq:03d}"
            if pool:
                names[i] = pool.pop(0)
            elif kind == "街道":
                names[i] = picker.urban_street_name()
            else:
                names[i] = picker.town_name(kind)
    return codes, names
