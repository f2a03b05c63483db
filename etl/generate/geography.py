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
from :mod:`etl.generate.names` (unique within the district), grids
"{community name}第{n}网格".

Plans: :data:`GRID_PLAN_CHUANYING` and one plan per other division;
:data:`JILIN_CITY_PLANS` holds all nine (the whole of Jilin City, ~9,900 grids).

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
import shapely.affinity
from shapely.geometry import MultiPolygon, Point, Polygon

from etl.generate.names import NamePicker, grid_name
from etl.geo.crs import CANONICAL_CRS, METRIC_CRS, gcj02_to_wgs84, transform_geometry

__all__ = [
    "DistrictPlan",
    "AreaLayers",
    "GRID_PLAN_CHUANYING",
    "GRID_PLAN_CHANGYI",
    "GRID_PLAN_LONGTAN",
    "GRID_PLAN_FENGMAN",
    "GRID_PLAN_YONGJI",
    "GRID_PLAN_JIAOHE",
    "GRID_PLAN_HUADIAN",
    "GRID_PLAN_SHULAN",
    "GRID_PLAN_PANSHI",
    "JILIN_CITY_PLANS",
    "DEFAULT_DISTRICTS_PATH",
    "METRIC_CRS",
    "STREET_CODE_RANGES",
    "COMMUNITY_CODE_RANGES",
    "GRID_CODE_RANGE",
    "load_districts",
    "build_area_layers",
    "geo_order",
    "METRES_PER_DEGREE_LAT",
    "partition_polygon",
]

DEFAULT_DISTRICTS_PATH = (
    Path(__file__).resolve().parents[2] / "data" / "reference" / "jilin_city_districts.geojson"
)

#: first/last sequence number of each kind (GB/T 10114 practice)
STREET_CODE_RANGES = {"街道": (1, 99), "镇": (100, 199), "乡": (200, 299)}
COMMUNITY_CODE_RANGES = {"社区": (1, 199), "村": (200, 399)}
GRID_CODE_RANGE = (1, 999)

# --- model constants --------------------------------------------------------
RURAL_FLOOR = 0.02  # rural population density relative to the urban peak
SLIVER_FRACTION = 0.01  # children below this share of the median sibling area are merged
VILLAGE_TO_COMMUNITY_AREA = 8.0  # typical 村 area / 社区 area inside one town
COMMUNITY_GRID_FACTOR = 2.7  # grids per 社区 relative to grids per 村
GRID_POP_EXPONENT = 0.35  # how strongly grid counts follow population within a kind
_AREA_EPS = 1e-3  # m^2: pieces smaller than this are numerical noise
_TOUCH_TOL = 1e-3  # m: tolerance when measuring shared borders
_SNAP_TOL = 1e-3  # m: snapping tolerance when a merge leaves a numerical gap
_COVERAGE_SNAP = 1e-6  # m: node snapping distance when cleaning a partition's shared edges
_SPIKE_TOL = 1e-6  # m: a vertex this close to the line back is a degenerate spike


# =============================================================================
# Public data classes
# =============================================================================
@dataclass(frozen=True)
class DistrictPlan:
    adcode: str  # 6-digit GB/T 2260 county code, e.g. "220204"
    n_urban_streets: int  # 街道 count
    n_towns: int  # 镇 / 乡 count (rural townships)
    n_communities: int  # 社区 (urban communities) total in the district
    n_villages: int  # 村 total in the district
    n_grids: int  # target grid total (actual may differ by a few)
    urban_centre: tuple[float, float]  # WGS-84 lon, lat of the urban core
    urban_radius_km: float  # scale of the dense urban area
    street_names: tuple[str, ...] = ()  # optional real names, urban streets first then towns


@dataclass
class AreaLayers:
    districts: gpd.GeoDataFrame  # code(6), name, geometry
    streets: gpd.GeoDataFrame  # code(9), name, kind, district_code, urban, geometry
    communities: gpd.GeoDataFrame  # code(12), name, kind, street_code, district_code, urban, geometry
    grids: gpd.GeoDataFrame  # code(15), name, community_code, street_code, district_code, urban, geometry


# 船营区 (220204): 15 streets/townships and 120 communities/villages (published
# figures); the urban core is the east end of the district on the Songhua river.
GRID_PLAN_CHUANYING = DistrictPlan(
    adcode="220204",
    n_urban_streets=10,
    n_towns=5,
    n_communities=70,
    n_villages=50,
    n_grids=950,
    urban_centre=tuple(round(v, 6) for v in gcj02_to_wgs84(126.530, 43.850)),  # type: ignore[arg-type]
    urban_radius_km=3.5,
    street_names=(
        "北京路街道", "大东街道", "青岛街道", "致和街道", "南京街道",
        "德胜街道", "临江街道", "北山街道", "向阳街道", "长春路街道",
        "搜登站镇", "越北镇", "大绥河镇", "欢喜乡", "黄榆乡",
    ),
)


def _wgs84(lon_gcj: float, lat_gcj: float) -> tuple[float, float]:
    """A GCJ-02 (AMap) point as WGS-84 lon/lat, rounded to 1e-6 degrees."""
    return tuple(round(v, 6) for v in gcj02_to_wgs84(lon_gcj, lat_gcj))  # type: ignore[return-value]


# Plans for the other eight divisions of Jilin City. Street/township names and the
# 社区 (居委会) / 村 (村委会) counts follow the 2023 statistical division codes
# (国家统计局 统计用区划代码, as of 2023-06-30); units the statistics file under
# the functional zones 220271 经开区 (九站、双吉街道), 220272 高新区 (高新街道) and
# 220273 中新食品区 (岔路河镇) are given back to the district they lie in, and
# special "开发区" units are folded into the totals. Urban centres are the seats'
# government locations (AMap, GCJ-02, converted). n_grids is tuned so that the
# expected residents, 1.063 * (500 * urban grids + 250 * rural grids), is within
# 5 % of the 2020 census population given in each comment (approximate).
# 街道 that in reality also hold villages (county seats) get 社区 only: the model
# puts every 村 in a 镇/乡, so the village totals go to the townships.

# 昌邑区 (220202): 14 街道, 3 镇, 2 乡; 82 社区, 101 村. Census 2020 ≈ 610,000 (approximate).
# 双吉 and 九站 (statistics: 经开区) lie in 昌邑区.
GRID_PLAN_CHANGYI = DistrictPlan(
    adcode="220202",
    n_urban_streets=14,
    n_towns=5,
    n_communities=82,
    n_villages=101,
    n_grids=1395,
    urban_centre=_wgs84(126.574709, 43.881818),
    urban_radius_km=4.0,
    street_names=(
        "兴华街道", "文庙街道", "东局子街道", "新地号街道", "延安街道",
        "站前街道", "民主街道", "莲花街道", "通江街道", "哈达湾街道",
        "新建街道", "延江街道", "双吉街道", "九站街道",
        "孤店子镇", "桦皮厂镇", "左家镇", "两家子满族乡", "土城子满族朝鲜族乡",
    ),
)

# 龙潭区 (220203): 13 街道, 5 镇, 1 乡; 44 社区, 127 村. Census 2020 ≈ 416,000 (approximate).
GRID_PLAN_LONGTAN = DistrictPlan(
    adcode="220203",
    n_urban_streets=13,
    n_towns=6,
    n_communities=44,
    n_villages=127,
    n_grids=1095,
    urban_centre=_wgs84(126.562197, 43.910802),
    urban_radius_km=3.5,
    street_names=(
        "龙华街道", "湘潭街道", "铁东街道", "泡子沿街道", "龙潭街道",
        "新吉林街道", "山前街道", "新安街道", "遵义街道", "榆树街道",
        "东城街道", "承德街道", "靠山街道",
        "乌拉街满族镇", "缸窑镇", "江密峰镇", "大口钦镇", "金珠镇", "江北乡",
    ),
)

# 丰满区 (220211): 8 街道, 1 镇, 3 乡; 67 社区, 52 村. Census 2020 ≈ 328,000 (approximate).
# 高新街道 (statistics: 高新区) is taken to lie in 丰满区 (assumption).
GRID_PLAN_FENGMAN = DistrictPlan(
    adcode="220211",
    n_urban_streets=8,
    n_towns=4,
    n_communities=67,
    n_villages=52,
    n_grids=715,
    urban_centre=_wgs84(126.562274, 43.821601),
    urban_radius_km=3.0,
    street_names=(
        "泰山街道", "江南街道", "石井街道", "沿丰街道", "丰满街道",
        "建华街道", "红旗街道", "高新街道",
        "旺起镇", "江南乡", "前二道乡", "小白山乡",
    ),
)

# 永吉县 (220221): no 街道 (the seat is 口前镇), 7 镇, 2 乡; 16 社区, 141 村.
# Census 2020 ≈ 329,000 (approximate).
GRID_PLAN_YONGJI = DistrictPlan(
    adcode="220221",
    n_urban_streets=0,
    n_towns=9,
    n_communities=16,
    n_villages=141,
    n_grids=1020,
    urban_centre=_wgs84(126.497741, 43.672582),
    urban_radius_km=2.0,
    street_names=(
        "口前镇", "岔路河镇", "西阳镇", "北大湖镇", "一拉溪镇",
        "双河镇", "万昌镇", "金家满族乡", "黄榆乡",
    ),
)

# 蛟河市 (220281): 7 街道, 8 镇, 2 乡; 30 社区, 256 村. Census 2020 ≈ 340,000 (approximate).
GRID_PLAN_JIAOHE = DistrictPlan(
    adcode="220281",
    n_urban_streets=7,
    n_towns=10,
    n_communities=30,
    n_villages=256,
    n_grids=1070,
    urban_centre=_wgs84(127.344229, 43.724007),
    urban_radius_km=2.5,
    street_names=(
        "民主街道", "长安街道", "河南街道", "奶子山街道", "拉法街道",
        "河北街道", "新农街道",
        "新站镇", "天岗镇", "白石山镇", "漂河镇", "黄松甸镇",
        "天北镇", "松江镇", "庆岭镇", "乌林朝鲜族乡", "前进乡",
    ),
)

# 桦甸市 (220282): 5 街道, 6 镇, 3 乡; 26 社区, 156 村. Census 2020 ≈ 353,000 (approximate).
GRID_PLAN_HUADIAN = DistrictPlan(
    adcode="220282",
    n_urban_streets=5,
    n_towns=9,
    n_communities=26,
    n_villages=156,
    n_grids=1060,
    urban_centre=_wgs84(126.746309, 42.972096),
    urban_radius_km=2.5,
    street_names=(
        "明桦街道", "永吉街道", "胜利街道", "新华街道", "启新街道",
        "夹皮沟镇", "二道甸子镇", "红石砬子镇", "八道河子镇", "常山镇",
        "金沙镇", "桦郊乡", "横道河子乡", "公吉乡",
    ),
)

# 舒兰市 (220283): 5 街道, 10 镇, 5 乡; 37 社区, 211 村. Census 2020 ≈ 441,000 (approximate).
# Its boundary has a tiny exclave (a second polygon).
GRID_PLAN_SHULAN = DistrictPlan(
    adcode="220283",
    n_urban_streets=5,
    n_towns=15,
    n_communities=37,
    n_villages=211,
    n_grids=1310,
    urban_centre=_wgs84(126.965607, 44.406105),
    urban_radius_km=2.5,
    street_names=(
        "北城街道", "南城街道", "环城街道", "吉舒街道", "滨河街道",
        "法特镇", "白旗镇", "溪河镇", "朝阳镇", "小城镇",
        "上营镇", "水曲柳镇", "平安镇", "金马镇", "开原镇",
        "莲花乡", "亮甲山乡", "新安乡", "七里乡", "天德乡",
    ),
)

# 磐石市 (220284): 3 街道, 13 镇, 1 乡; 30 社区, 268 村. Census 2020 ≈ 417,000 (approximate).
GRID_PLAN_PANSHI = DistrictPlan(
    adcode="220284",
    n_urban_streets=3,
    n_towns=14,
    n_communities=30,
    n_villages=268,
    n_grids=1325,
    urban_centre=_wgs84(126.060427, 42.946285),
    urban_radius_km=2.0,
    street_names=(
        "福安街道", "东宁街道", "河南街道",
        "烟筒山镇", "红旗岭镇", "明城镇", "石嘴镇", "驿马镇",
        "牛心镇", "呼兰镇", "吉昌镇", "松山镇", "黑石镇",
        "朝阳山镇", "富太镇", "取柴河镇", "宝山乡",
    ),
)

#: all nine divisions of Jilin City (吉林市), in adcode order
JILIN_CITY_PLANS: tuple[DistrictPlan, ...] = (
    GRID_PLAN_CHANGYI,
    GRID_PLAN_LONGTAN,
    GRID_PLAN_CHUANYING,
    GRID_PLAN_FENGMAN,
    GRID_PLAN_YONGJI,
    GRID_PLAN_JIAOHE,
    GRID_PLAN_HUADIAN,
    GRID_PLAN_SHULAN,
    GRID_PLAN_PANSHI,
)


# =============================================================================
# Loading
# =============================================================================
def load_districts(path=None, *, source_crs: str = "GCJ-02") -> gpd.GeoDataFrame:
    """Read the reference county boundaries and convert them to WGS-84.

    Returns columns ``adcode`` (str), ``name``, ``geometry`` in EPSG:4326,
    sorted by adcode. ``source_crs="WGS-84"`` skips the GCJ-02 conversion.
    """
    path = DEFAULT_DISTRICTS_PATH if path is None else Path(path)
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
# Geometry helpers (all in metres)
# =============================================================================
def _polygon_parts(g) -> list[Polygon]:
    """Polygon parts of ``g`` with a non-negligible area (recursing into collections)."""
    if g is None or g.is_empty:
        return []
    if isinstance(g, Polygon):
        return [g] if g.area > _AREA_EPS else []
    if g.geom_type not in ("MultiPolygon", "GeometryCollection"):
        return []  # points / lines from degenerate intersections
    out: list[Polygon] = []
    for p in shapely.get_parts(g):
        out.extend(_polygon_parts(p))
    return out


def _despike_ring(xy: np.ndarray, tol: float = _SPIKE_TOL) -> np.ndarray:
    """Remove zero-width spikes and repeated points from a closed ring.

    Merging children whose shared border was computed by different overlay
    operations can leave a degenerate "spike" (the ring runs out to a vertex
    and straight back). It has no area but is only valid by a few
    nanometres and turns invalid after reprojection, so it is cut off.
    """
    pts = xy[:-1]
    while len(pts) >= 3:
        a = np.roll(pts, 1, axis=0) - pts
        b = np.roll(pts, -1, axis=0) - pts
        la = np.hypot(a[:, 0], a[:, 1])
        lb = np.hypot(b[:, 0], b[:, 1])
        cross = np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])
        h = cross / np.maximum(np.maximum(la, lb), 1e-300)  # offset of the nearer neighbour
        bad = (la <= 1e-12) | (((a * b).sum(axis=1) > 0) & (h < tol))
        if not bad.any():
            break
        pts = np.delete(pts, int(np.flatnonzero(bad)[0]), axis=0)
    if len(pts) < 3:
        return np.empty((0, 2))
    return np.vstack([pts, pts[:1]])


def _despike(p: Polygon) -> Polygon | None:
    shell = _despike_ring(np.asarray(p.exterior.coords)[:, :2])
    if len(shell) < 4:
        return None
    holes = []
    for r in p.interiors:
        h = _despike_ring(np.asarray(r.coords)[:, :2])
        if len(h) >= 4 and abs(Polygon(h).area) > _AREA_EPS:
            holes.append(h)
    q = Polygon(shell, holes)
    return q if q.area > _AREA_EPS else None


def _clean(g, despike: bool = False):
    """Drop numerical-noise parts and holes (and, optionally, spikes).

    Returns a Polygon or MultiPolygon (empty Polygon if nothing is left).
    """
    parts = []
    for p in _polygon_parts(g):
        if despike:
            q = _despike(p)
            if q is None:
                continue
            if not q.is_valid:  # pragma: no cover - despiking a valid polygon keeps it valid
                q = p
        else:
            holes = [r for r in p.interiors if abs(Polygon(r).area) > _AREA_EPS]
            q = p if len(holes) == len(p.interiors) else Polygon(p.exterior, holes)
        parts.append(q)
    if not parts:
        return Polygon()
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts)


def _nparts(g) -> int:
    return 0 if g.is_empty else int(shapely.get_num_geometries(g))


def _union(a, b, touching: bool = True):
    """Union of two adjacent children.

    Separately computed overlays can leave the shared border of ``a`` and ``b``
    a few nanometres apart; the union then does not dissolve it. In that case
    ``b`` is snapped onto ``a`` (tolerance 1 mm) first.
    """
    u = _clean(shapely.union(a, b), despike=True)
    if touching and _nparts(u) > _nparts(a):
        u2 = _clean(shapely.union(a, shapely.snap(b, a, _SNAP_TOL)), despike=True)
        if _nparts(u2) < _nparts(u) and shapely.is_valid(u2):
            u = u2
    return u


def _shared_border(frag, others: list, cand: list[int]) -> np.ndarray:
    """Length of border ``frag`` shares with each ``others[j]`` for j in cand."""
    lengths = np.zeros(len(cand))
    if not cand:
        return lengths
    geoms = np.array([others[j] for j in cand], dtype=object)
    near = shapely.distance(frag, geoms) < _TOUCH_TOL
    if not near.any():
        return lengths
    fb = frag.boundary
    minx, miny, maxx, maxy = frag.bounds
    pad = 10 * _TOUCH_TOL
    for k in np.flatnonzero(near):
        ob = shapely.clip_by_rect(geoms[k].boundary, minx - pad, miny - pad, maxx + pad, maxy + pad)
        if ob.is_empty:
            continue
        lengths[k] = shapely.length(shapely.intersection(fb, shapely.buffer(ob, _TOUCH_TOL)))
    return lengths


def _best_neighbour(frag, geoms: list, alive: list[int], prefer: list[int] | None = None) -> int | None:
    """Sibling sharing the longest border with ``frag`` (from ``prefer`` if any borders it)."""
    for cand in ([prefer] if prefer else []) + [alive]:
        lengths = _shared_border(frag, geoms, cand)
        if len(lengths) and lengths.max() > 10 * _TOUCH_TOL:
            return cand[int(np.argmax(lengths))]
    return None


def _nearest(frag, geoms: list, alive: list[int]) -> int:
    d = shapely.distance(frag, np.array([geoms[j] for j in alive], dtype=object))
    return alive[int(np.argmin(d))]


def _voronoi_cells(seeds: np.ndarray, region) -> np.ndarray:
    """Voronoi cells of ``seeds`` (ordered like seeds), clipped to ``region``."""
    if len(seeds) == 1:
        return np.array([region], dtype=object)
    minx, miny, maxx, maxy = region.bounds
    sx0, sy0 = seeds.min(axis=0)
    sx1, sy1 = seeds.max(axis=0)
    minx, miny, maxx, maxy = min(minx, sx0), min(miny, sy0), max(maxx, sx1), max(maxy, sy1)
    pad = max(maxx - minx, maxy - miny) + 1.0
    env = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    vor = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=env, ordered=True)
    cells = shapely.get_parts(vor)
    if len(cells) != len(seeds):  # pragma: no cover - GEOS contract
        raise RuntimeError("voronoi_polygons returned an unexpected number of cells")
    # cells well inside the region need no overlay (their vertices are kept exactly either way)
    shapely.prepare(region)
    inside = shapely.contains_properly(region, cells)
    out = cells.copy()
    if (~inside).any():
        out[~inside] = shapely.intersection(cells[~inside], region)
    return out


def _coverage_clean(geoms: list) -> list:
    """``shapely.coverage_clean`` on the non-empty entries (others stay None).

    Makes shared edges of siblings exactly identical: borders computed by
    different overlay operations (e.g. a cell clipped to the urban core and
    its neighbour clipped to the rest) differ by ~1e-10 m and can otherwise
    leave zero-width corridors or inlets, which hide real disconnections and
    turn invalid after reprojection.
    """
    idx = [i for i, g in enumerate(geoms) if g is not None and not g.is_empty]
    out: list = [None] * len(geoms)
    if idx:
        cleaned = shapely.coverage_clean(
            np.array([geoms[i] for i in idx], dtype=object), snapping_distance=_COVERAGE_SNAP
        )
        for i, g in zip(idx, cleaned):
            g = _clean(g)
            out[i] = None if g.is_empty else g
    return out


def _merge_pass(cells: list, seeds: np.ndarray, grp: np.ndarray) -> tuple[list, int]:
    """One round of fragment and sliver merging.

    Returns the new cell list (None = merged away) and the number of merges.
    """
    n = len(cells)
    geoms: list = [None] * n
    frags: list[tuple[Polygon, int]] = []
    for i in range(n):
        parts = _polygon_parts(cells[i])
        if not parts:
            continue
        if len(parts) == 1:
            geoms[i] = parts[0]
            continue
        pt = Point(seeds[i])
        arr = np.array(parts, dtype=object)
        hit = np.flatnonzero(shapely.covers(arr, pt))
        k = int(hit[0]) if len(hit) else int(np.argmin(shapely.distance(arr, pt)))
        geoms[i] = parts[k]
        frags.extend((p, int(grp[i])) for j, p in enumerate(parts) if j != k)
    alive = [i for i in range(n) if geoms[i] is not None]
    if not alive:
        raise ValueError("partition produced no children")

    def same(g: int, exclude: int = -1) -> list[int]:
        return [j for j in alive if grp[j] == g and j != exclude]

    pending = sorted(frags, key=lambda f: -f[0].area)
    while pending:
        remaining = []
        for f, g in pending:
            j = _best_neighbour(f, geoms, alive, same(g))
            if j is None:
                remaining.append((f, g))
            else:
                geoms[j] = _union(geoms[j], f)
        if len(remaining) == len(pending):
            # detached pieces of a multi-part parent: attach to the nearest child
            for f, _ in remaining:
                j = _nearest(f, geoms, alive)
                geoms[j] = _union(geoms[j], f, touching=False)
            break
        pending = remaining

    n_merged = len(frags)
    while len(alive) > 1:
        slivers = []
        for g in np.unique(grp[alive]):
            members = same(int(g))
            areas = np.array([geoms[i].area for i in members])
            med = float(np.median(areas))
            slivers.extend((a, i) for a, i in zip(areas, members) if a < SLIVER_FRACTION * med)
        if not slivers:
            break
        _, i = min(slivers)
        alive.remove(i)
        j = _best_neighbour(geoms[i], geoms, alive, same(int(grp[i])))
        if j is None:
            j = _nearest(geoms[i], geoms, alive)
            geoms[j] = _union(geoms[j], geoms[i], touching=False)
        else:
            geoms[j] = _union(geoms[j], geoms[i])
        geoms[i] = None
        n_merged += 1
    return geoms, n_merged


def _fix_partition(
    raw_cells: Sequence, seeds: np.ndarray, groups: Sequence[int] | None = None
) -> list[tuple[int, object]]:
    """Turn clipped Voronoi cells into a clean partition.

    Returns ``(seed_index, geometry)`` for the surviving children. Each cell
    keeps the part holding its seed; other parts ("fragments") are merged into
    the sibling with the longest shared border (or, for detached parts of a
    multi-part parent, the nearest sibling). Slivers below ``SLIVER_FRACTION``
    of the median area of their group are merged likewise. ``groups`` labels
    the children (e.g. urban core vs rest): the sliver test compares a child
    only with its own group, since urban streets are meant to be far smaller
    than rural towns, and merges prefer a neighbour of the same group.
    Shared edges are made identical with ``coverage_clean`` before and after
    merging; the loop repeats if cleaning reveals new fragments.
    """
    n = len(raw_cells)
    grp = np.zeros(n, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    cells = [_clean(g) if g is not None else None for g in raw_cells]
    # Cells clipped to different regions (core / rest) have borders from
    # different overlays: clean first. Cells clipped to one region by one
    # overlay each are sound as they are (cleaning is the dominant cost).
    cleaned = len(np.unique(grp)) > 1
    if cleaned:
        cells = _coverage_clean(cells)
    for _ in range(4):
        merged, n_merged = _merge_pass(cells, seeds, grp)
        if n_merged == 0:
            cells = merged
            break
        cells = _coverage_clean(merged)
        # cleaning can split a child held together only by a zero-width corridor
        if not any(m is not None and _nparts(g) > _nparts(m) for g, m in zip(cells, merged)):
            break
    return [(i, g) for i, g in enumerate(cells) if g is not None]


def partition_polygon(parent, seeds: np.ndarray) -> list[tuple[int, object]]:
    """Partition ``parent`` (metric CRS) into clipped Voronoi cells of ``seeds``.

    Returns ``(seed_index, child)`` pairs; see :func:`_fix_partition`.
    """
    seeds = np.asarray(seeds, dtype=float)
    return _fix_partition(_voronoi_cells(seeds, parent), seeds)


def _sample_in(region, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points strictly inside ``region``."""
    minx, miny, maxx, maxy = region.bounds
    shapely.prepare(region)
    fill = max(region.area / max((maxx - minx) * (maxy - miny), 1e-12), 0.01)
    out = []
    got = 0
    for _ in range(200):
        m = int(np.ceil((n - got) / fill * 1.3)) + 16
        x = rng.uniform(minx, maxx, m)
        y = rng.uniform(miny, maxy, m)
        ok = shapely.contains_xy(region, x, y)
        pts = np.column_stack([x[ok], y[ok]])
        out.append(pts)
        got += len(pts)
        if got >= n:
            break
    pts = np.concatenate(out)[:n]
    if len(pts) < n:  # pragma: no cover - pathological geometry
        rp = shapely.get_coordinates(shapely.point_on_surface(region))
        pts = np.concatenate([pts, np.repeat(rp, n - len(pts), axis=0)])
    return pts


def _sqdist(pts: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Squared distances (M, k); coordinates are centred first for precision."""
    d = pts @ (-2.0 * centres.T)
    d += (pts * pts).sum(axis=1)[:, None]
    d += (centres * centres).sum(axis=1)[None, :]
    return d


def _kmeans_seeds(
    pts: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator, iters: int = 10
) -> np.ndarray:
    """Weighted k-means on sample points; returns k distinct sample points (medoid snap).

    Snapping each centre to the nearest sample of its cluster keeps seeds
    inside the region even when it is not convex.
    """
    m = len(pts)
    if k >= m:
        raise ValueError("need more sample points than seeds")
    origin = pts.mean(axis=0)
    pts = pts - origin  # local coordinates: better conditioned distances
    w = np.asarray(w, dtype=float)
    w = w / w.sum()
    # k-means++ initialisation (weighted)
    centres = np.empty((k, 2))
    cum = np.cumsum(w)
    centres[0] = pts[min(int(np.searchsorted(cum, rng.random() * cum[-1])), m - 1)]
    d2 = ((pts - centres[0]) ** 2).sum(axis=1)
    for c in range(1, k):
        cum = np.cumsum(w * d2)
        if cum[-1] > 0:
            idx = min(int(np.searchsorted(cum, rng.random() * cum[-1], side="right")), m - 1)
        else:
            idx = int(rng.integers(m))
        centres[c] = pts[idx]
        d2 = np.minimum(d2, ((pts - centres[c]) ** 2).sum(axis=1))
    labels = None
    for _ in range(iters):
        dist = _sqdist(pts, centres)
        new = dist.argmin(axis=1)
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        ws = np.bincount(labels, weights=w, minlength=k)
        cx = np.bincount(labels, weights=w * pts[:, 0], minlength=k)
        cy = np.bincount(labels, weights=w * pts[:, 1], minlength=k)
        empty = ws <= 0
        nz = ~empty
        centres[nz, 0] = cx[nz] / ws[nz]
        centres[nz, 1] = cy[nz] / ws[nz]
        if empty.any():  # re-seed empty clusters at the worst-served points
            far = np.argsort(-dist.min(axis=1), kind="stable")
            centres[empty] = pts[far[: int(empty.sum())]]
    labels = _sqdist(pts, centres).argmin(axis=1)
    seeds = np.empty((k, 2))
    used = np.zeros(m, dtype=bool)
    for c in range(k):
        members = np.flatnonzero(labels == c)
        if len(members) == 0:
            members = np.flatnonzero(~used)
        dc = ((pts[members] - centres[c]) ** 2).sum(axis=1)
        order = members[np.argsort(dc, kind="stable")]
        pick = next(int(i) for i in order if not used[i])
        used[pick] = True
        seeds[c] = pts[pick]
    return seeds + origin


def _place_seeds(region, k: int, rng, weight_fn=None) -> np.ndarray:
    m = int(np.clip(30 * k, 200, 3000))
    m = max(m, 4 * k)
    pts = _sample_in(region, m, rng)
    w = np.ones(len(pts)) if weight_fn is None else weight_fn(pts)
    return _kmeans_seeds(pts, w, k, rng)


def _blob(cx: float, cy: float, r: float, rng: np.random.Generator, n: int = 96) -> Polygon:
    """Irregular star-shaped polygon of mean radius ~ r."""
    th = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    rad = np.ones(n)
    for h in range(2, 6):
        rad += rng.uniform(0.02, 0.14 / (h - 1)) * np.cos(h * th + rng.uniform(0, 2 * np.pi))
    return Polygon(np.column_stack([cx + r * rad * np.cos(th), cy + r * rad * np.sin(th)]))


def _core_region(parent, centre: np.ndarray, target_area: float, rng) -> object:
    """Single-polygon core of ~target_area around ``centre``, inside ``parent``.

    The core is the union of the Voronoi cells of those "block" sites that
    fall inside an irregular blob, so its outline is polygonal like a real
    administrative boundary instead of a smooth curve. The scale is adjusted
    (a few iterations) until the part inside ``parent`` has ~target_area.
    """
    target_area = min(target_area, 0.8 * parent.area)
    shape_rng = np.random.default_rng(rng.integers(2**63))
    base = _blob(0.0, 0.0, 1.0, shape_rng)
    n_sites = 90
    rad = 1.8 * np.sqrt(shape_rng.uniform(0.0, 1.0, n_sites))
    ang = shape_rng.uniform(0.0, 2.0 * np.pi, n_sites)
    unit_sites = np.column_stack([rad * np.cos(ang), rad * np.sin(ang)])
    unit_sites[0] = 0.0  # a site at the centre, so the centre is always in the core
    in_blob = shapely.contains_xy(base, unit_sites[:, 0], unit_sites[:, 1])
    in_blob[0] = True
    pt = Point(centre)
    shapely.prepare(parent)
    r = np.sqrt(target_area / np.pi)
    core = None
    for _ in range(8):
        # only sites inside the parent count, so cells next to the parent's
        # boundary reach it and no thin rest strips are left along it
        sites = centre + r * unit_sites
        keep = shapely.contains_xy(parent, sites[:, 0], sites[:, 1])
        keep[0] = True
        cells = _voronoi_cells(sites[keep], parent)
        shape = shapely.union_all(cells[in_blob[keep]])
        parts = _polygon_parts(shape)
        if parts:
            hit = [p for p in parts if p.covers(pt)]
            core = hit[0] if hit else max(parts, key=lambda p: p.area)
            ratio = target_area / core.area
            if 0.85 < ratio < 1.15:
                break
            r *= float(np.clip(np.sqrt(ratio), 0.5, 2.0))
        else:
            r *= 2.0
    if core is None:  # pragma: no cover - centre is always inside parent
        core = max(_polygon_parts(parent), key=lambda p: p.area)
    return core


def _inside_point(poly, xy: np.ndarray) -> np.ndarray:
    if poly.covers(Point(xy)):
        return np.asarray(xy, dtype=float)
    return shapely.get_coordinates(shapely.point_on_surface(poly))[0]


METRES_PER_DEGREE_LAT = 111_195.0  # mean length of one degree of latitude


def geo_order(lon: np.ndarray, lat: np.ndarray, row_height_deg: float) -> np.ndarray:
    """Indices ordering points west->east within latitude rows, rows north->south.

    Rows are bands ``row_height_deg`` degrees of latitude high, counted down
    from the northernmost point, so the first element is always in the top
    band; within a band points are sorted by longitude.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if len(lon) == 0:
        return np.zeros(0, dtype=int)
    row = np.floor((lat.max() - lat) / max(row_height_deg, 1e-12)).astype(np.int64)
    return np.lexsort((lon, row))


_TO_LONLAT = pyproj.Transformer.from_crs(METRIC_CRS, CANONICAL_CRS, always_xy=True)


def _order_children(geoms: list) -> np.ndarray:
    """Code order of sibling polygons (metric CRS).

    Centroids are taken in the metric CRS and converted to lon/lat; the row
    height is the side of a median-sized square, sqrt(median area), in degrees
    of latitude.
    """
    arr = np.array(geoms, dtype=object)
    c = shapely.get_coordinates(shapely.centroid(arr))
    lon, lat = _TO_LONLAT.transform(c[:, 0], c[:, 1])
    h = float(np.sqrt(np.median(shapely.area(arr)))) / METRES_PER_DEGREE_LAT
    return geo_order(lon, lat, h)


# =============================================================================
# Allocation helpers
# =============================================================================
def _allocate(total: int, weights: np.ndarray, mins: np.ndarray) -> np.ndarray:
    """Integer allocation: ``mins`` first, the rest proportional to weights (largest remainder)."""
    weights = np.asarray(weights, dtype=float)
    mins = np.asarray(mins, dtype=np.int64)
    rest = total - int(mins.sum())
    if rest < 0:
        raise ValueError(f"cannot allocate {total} with minimums summing to {int(mins.sum())}")
    if len(weights) == 0:
        return mins
    if weights.sum() <= 0:
        weights = np.ones_like(weights)
    share = rest * weights / weights.sum()
    base = np.floor(share).astype(np.int64)
    left = rest - int(base.sum())
    frac = share - base
    order = np.lexsort((np.arange(len(frac)), -frac))
    base[order[:left]] += 1
    return mins + base


# =============================================================================
# Builder
# =============================================================================
def _validate_plan(plan: DistrictPlan) -> None:
    a = plan.adcode
    if not (isinstance(a, str) and len(a) == 6 and a.isdigit()):
        raise ValueError(f"adcode must be a 6-digit string, got {a!r}")
    counts = (plan.n_urban_streets, plan.n_towns, plan.n_communities, plan.n_villages, plan.n_grids)
    if min(counts) < 0:
        raise ValueError(f"{a}: negative count in plan")
    if plan.n_urban_streets + plan.n_towns == 0:
        raise ValueError(f"{a}: plan has no streets")
    if plan.n_urban_streets > 99:
        raise ValueError(f"{a}: at most 99 街道 (codes 001-099)")
    if plan.n_urban_streets and plan.n_communities < 2 * plan.n_urban_streets:
        raise ValueError(f"{a}: need at least 2 社区 per 街道")
    if plan.n_communities + plan.n_villages < 2 * (plan.n_urban_streets + plan.n_towns):
        raise ValueError(f"{a}: need at least 2 communities/villages per street")
    if plan.n_grids < plan.n_communities + plan.n_villages:
        raise ValueError(f"{a}: need at least one grid per community/village")
    if plan.urban_radius_km <= 0:
        raise ValueError(f"{a}: urban_radius_km must be positive")
    if plan.street_names:
        if len(plan.street_names) != plan.n_urban_streets + plan.n_towns:
            raise ValueError(f"{a}: street_names must list the urban streets, then the towns")
        if len(set(plan.street_names)) != len(plan.street_names):
            raise ValueError(f"{a}: duplicate street names")
        towns = plan.street_names[plan.n_urban_streets :]
        if sum(s.endswith("乡") for s in towns) > 100 or sum(not s.endswith("乡") for s in towns) > 100:
            raise ValueError(f"{a}: at most 100 镇 and 100 乡")
    elif plan.n_towns > 150:
        raise ValueError(f"{a}: too many towns")


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
            pts = _sample_in(self.geom, 4000, np.random.default_rng([int(seed), int(plan.adcode), 9]))
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
        pts = _sample_in(geom, n, self.rng)
        return float(self.density(pts).mean() * geom.area)

    # levels -----------------------------------------------------------------
    def _core_rest_partition(self, parent, centre, core_area, k_core, k_rest, core_w, rest_w):
        """Partition parent into k_core cells inside a core blob and k_rest outside.

        Returns list of (is_core, seed_xy, geom).
        """
        seeds_list, raws, is_core = [], [], []
        if k_core and k_rest:
            core = _core_region(parent, centre, core_area, self.rng)
            rest = _clean(shapely.difference(parent, core))
            regions = [(core, k_core, core_w, True), (rest, k_rest, rest_w, False)]
        else:
            regions = [(parent, k_core or k_rest, core_w if k_core else rest_w, bool(k_core))]
        for region, k, wfn, flag in regions:
            s = _place_seeds(region, k, self.rng, wfn)
            seeds_list.append(s)
            raws.extend(_voronoi_cells(s, region))
            is_core.extend([flag] * k)
        seeds = np.concatenate(seeds_list)
        kept = _fix_partition(raws, seeds, groups=[0 if c else 1 for c in is_core])
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
        s_seeds = [_inside_point(g, s) for (_, s, g) in streets]
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
        n_grid = np.minimum(_allocate(plan.n_grids, w, np.ones(len(comms), dtype=np.int64)), 999)
        grids = []  # (community_idx, geom)
        for ci, (_, _, cg) in enumerate(comms):
            k = int(n_grid[ci])
            if k == 1:
                grids.append((ci, cg))
                continue
            seeds = _place_seeds(cg, k, self.rng, lambda p: self.density(p) ** 2)
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
            n_vill[ui] = _allocate(nv, areas[ui] ** 2 / pops[ui], np.zeros(len(ui)))
            n_comm[ui] = _allocate(nc, pops[ui], np.maximum(1, 2 - n_vill[ui]))
            return n_comm, n_vill
        if len(ui) == 0:
            seats = min(len(ti), nc)
            order = ti[np.argsort(-pops[ti], kind="stable")]
            n_comm[order[:seats]] = 1
            n_comm[ti] = _allocate(nc, pops[ti], n_comm[ti])
        else:
            if nc < 2 * len(ui):
                raise ValueError(f"{plan.adcode}: need at least 2 社区 per 街道")
            seats = min(len(ti), nc - 2 * len(ui))
            order = ti[np.argsort(-pops[ti], kind="stable")]
            n_comm[order[:seats]] = 1
            n_comm[ui] = _allocate(nc - seats, pops[ui], np.full(len(ui), 2))
        n_vill[ti] = _allocate(nv, areas[ti], np.maximum(0, 2 - n_comm[ti]))
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
        _validate_plan(p)
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
        dgeom = _clean(dgeom)
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
                order = _order_children([comms[i][2] for i in sub])
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
            order = _order_children([grids[g][1] for g in gidx])
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
        order = _order_children([geoms[i] for i in sub])
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
