"""Versioned grid layer: a few grids are split or redrawn during the data period.

Real grid layers change: a grid that grew too populous is split in two, and a
border between two neighbouring grids is moved. :func:`version_grids` takes the
grid layer of :func:`demo.geography.build_area_layers` (what was valid
at ``start``) and returns every version of every grid, with

* ``valid_from`` (``datetime.date``, inclusive) and
* ``valid_to`` (``datetime.date``, exclusive: the first day the version no
  longer applies; ``None`` for the versions still valid at ``end``).

Unchanged grids have one version, ``valid_from = start``. Each change happens
on its own date D, drawn uniformly from [start + 90 days, end - 90 days]
(the margin shrinks to a quarter of the period for periods shorter than a
year); each grid changes at most once:

* **Split** (拆分): an urban grid, drawn among the largest quarter of the urban
  grids, ends on D (``valid_to = D``) and two new grids start on D
  (``valid_from = D``), with new codes: the next unused sequence numbers of the
  community (max + 1, max + 2, numbered in :func:`geo_order` order, earlier
  changes first), so still 15 digits, still unique across all versions, and
  named "{community name}第{n}网格". Each half holds 42-58 % of the area.
* **Redraw** (调整边界): two adjacent grids A, B of one community that share
  a border of real length. On D both get a new version with the same codes: a
  piece of A (17-33 % of its area) that borders B moves to B.

How a polygon is cut. The cut runs from one *existing* boundary vertex v_i
through one new interior vertex w to another existing boundary vertex v_j, so
the pieces are rebuilt from the parent's own vertex sequence and no vertex is
added to the outer boundary: the edges shared with untouched neighbours stay
bit-for-bit identical and the community stays a valid coverage
(``shapely.coverage_is_valid``) without snapping anything (``coverage_clean``
could move the outer vertices). The two pieces share the cut (v_i, w, v_j)
exactly. w lies on the perpendicular bisector of the chord v_i v_j at the
offset that gives the piece the drawn area share exactly (the shoelace area is
linear in w). All vertex pairs are scored at once (prefix sums of the shoelace
terms) and tried best first:

* split: short cut (relative to sqrt(area)), nearly straight; the best chord
  is roughly perpendicular to the long axis, through the middle;
* redraw: the piece is the part of A between the arc v_i -> v_j of A's ring
  and the cut; the arc must contain border shared with B (real length), and
  arcs mostly along B with a short, straight cut score best. B' = B ∪ piece.

A candidate is kept only if every new polygon is a single valid Polygon
without holes, reasonably compact (isoperimetric quotient >= MIN_COMPACTNESS for new grids,
MIN_PIECE_COMPACTNESS for the piece a redraw moves; the cut
keeps clear of other vertices), the pieces tile the parent (or A ∪ B) to
1e-9 of its area and the community with the new versions is still a valid
coverage. Geometry is measured in a local equirectangular frame (longitude
scaled by cos(latitude)); area shares there equal UTM shares to ~1e-4.

:func:`code_on` re-codes points placed in the original grids (households,
events) to the version valid on their date. Everything is deterministic given
the state of ``rng``.
"""

from __future__ import annotations

import datetime as dt
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon

from demo.names import grid_name
from demo.partition import geo_order

__all__ = [
    "CHANGE_MARGIN_DAYS",
    "SPLIT_SHARE",
    "REDRAW_SHARE",
    "version_grids",
    "current",
    "valid_on",
    "code_on",
]

CHANGE_MARGIN_DAYS = 90  # changes happen between start + margin and end - margin
SPLIT_SHARE = (0.42, 0.58)  # area share of the first half of a split grid
REDRAW_SHARE = (0.17, 0.33)  # area share of the piece of A that moves to B
SPLIT_POOL_FRACTION = 0.25  # splits are drawn among this top share (by area) of urban grids
MIN_COMPACTNESS = 0.5  # isoperimetric quotient 4 pi A / P^2 of every new grid polygon (originals: ~0.77)
MIN_PIECE_COMPACTNESS = 0.2  # ... of the piece a redraw moves (it only has to be no sliver)
MIN_CLEARANCE = 0.05  # cut-to-other-vertices distance, as a share of sqrt(area)
MIN_SHARED = 0.15  # shared border of a redraw pair, as a share of sqrt(smaller area)
_MAX_TRIES = 80  # candidate cuts tried per polygon
_REL_TOL = 1e-9  # relative area tolerance of the tiling checks
_GRID_MAX_SEQ = 999
_NAME_RE = re.compile(r"^(.*)第\d+网格$")


# =============================================================================
# Public API
# =============================================================================
def version_grids(
    grids: gpd.GeoDataFrame,
    start: dt.date,
    end: dt.date,
    rng: np.random.Generator,
    n_splits: int = 3,
    n_redraws: int = 3,
) -> gpd.GeoDataFrame:
    """All versions of the grids over [start, end], with ``n_splits`` splits and ``n_redraws`` redraws.

    ``grids`` is the layer valid at ``start`` (columns code, name,
    community_code, ..., geometry). Returns its columns plus ``valid_from`` and
    ``valid_to`` (see the module docstring), sorted by code and valid_from.
    Raises ``ValueError`` if the layer has too few suitable grids.
    """
    start, end = _as_date(start), _as_date(end)
    span = (end - start).days
    if span < 4:
        raise ValueError(f"period {start} - {end} too short for grid changes")
    if n_splits < 0 or n_redraws < 0:
        raise ValueError("n_splits and n_redraws must be >= 0")
    g = grids.reset_index(drop=True)
    if not g["code"].is_unique:
        raise ValueError("grid codes are not unique")
    geoms = np.asarray(g.geometry.values, dtype=object)
    geographic = g.crs is None or g.crs.is_geographic
    frame = _Frame(geoms, geographic)
    usable = np.array([_is_simple_polygon(p) for p in geoms])
    used: set[int] = set()

    splits = _choose_splits(g, geoms, frame, usable, n_splits, rng, used)
    redraws = _choose_redraws(g, geoms, frame, usable, n_redraws, rng, used)

    margin = min(CHANGE_MARGIN_DAYS, span // 4)
    n_changes = len(splits) + len(redraws)
    days = rng.integers(margin, span - margin + 1, size=n_changes)
    dates = [start + dt.timedelta(days=int(d)) for d in days]

    base = g.assign(valid_from=start, valid_to=None)
    base["valid_to"] = base["valid_to"].astype(object)
    rows = []  # (row index in g to copy attributes from, code, name, geometry, valid_from)
    top = g["code"].str[12:15].astype(int).groupby(g["community_code"]).max()
    next_seq = {c: int(s) + 1 for c, s in top.items()}
    # earlier changes get the lower new numbers
    split_dates = dates[: len(splits)]
    for k in sorted(range(len(splits)), key=lambda k: (split_dates[k], k)):
        i, halves = splits[k]
        d = split_dates[k]
        base.at[i, "valid_to"] = d
        comm = g.at[i, "community_code"]
        cname = _community_name(g, comm)
        h = np.sqrt(frame.area(geoms[i]) / 2)
        c = shapely.get_coordinates(shapely.centroid(np.array(halves, dtype=object)))
        for half in geo_order(c[:, 0], c[:, 1], h):
            seq = next_seq[comm]
            if seq > _GRID_MAX_SEQ:
                raise ValueError(f"community {comm} has no free grid sequence number")
            next_seq[comm] = seq + 1
            rows.append((i, f"{comm}{seq:03d}", grid_name(cname, seq), halves[int(half)], d))
    for (a, b, new_a, new_b), d in zip(redraws, dates[len(splits):]):
        for i, geom in ((a, new_a), (b, new_b)):
            base.at[i, "valid_to"] = d
            rows.append((i, g.at[i, "code"], g.at[i, "name"], geom, d))

    if rows:
        new = g.iloc[[r[0] for r in rows]].copy()
        new["code"] = [r[1] for r in rows]
        new["name"] = [r[2] for r in rows]
        new["valid_from"] = [r[4] for r in rows]
        new["valid_to"] = pd.Series([None] * len(rows), index=new.index, dtype=object)
        new = new.set_geometry(gpd.GeoSeries([r[3] for r in rows], index=new.index, crs=g.crs))
        out = pd.concat([base, new], ignore_index=True)
    else:
        out = base
    out = gpd.GeoDataFrame(out, geometry=g.geometry.name, crs=g.crs)
    out = out.sort_values(["code", "valid_from"], kind="stable").reset_index(drop=True)
    cols = [c for c in g.columns if c != g.geometry.name] + ["valid_from", "valid_to", g.geometry.name]
    return out[cols]


def current(versions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The versions still valid at the end of the period (``valid_to`` is None / NaT)."""
    return versions[versions["valid_to"].isna().to_numpy()]


def valid_on(versions: gpd.GeoDataFrame, date) -> gpd.GeoDataFrame:
    """The versions valid on ``date`` (``valid_from <= date < valid_to``)."""
    d = np.datetime64(_as_date(date), "D")
    vf, vt = _days(versions["valid_from"]), _days(versions["valid_to"])
    keep = (vf <= d) & (np.isnat(vt) | (d < vt))
    return versions[keep]


def code_on(versions: gpd.GeoDataFrame, original_codes, lon, lat, dates) -> np.ndarray:
    """Per point, the code of the grid version valid on its date that contains it.

    ``original_codes`` are the codes of the original grids (valid at the start)
    the points were placed in; ``lon``/``lat`` their coordinates (the CRS of
    ``versions``); ``dates`` a datetime64 array (or one date for all points,
    e.g. the end date for households; times of day are ignored). Points whose
    original grid never changed keep their code (one ``isin`` over the array);
    the others get the version valid on their date whose polygon contains them
    (on a shared border either side), or, failing that through numerics, the
    nearest such version. Returns an array of the dtype of ``original_codes``
    (fixed-width strings are widened to 15 characters if need be).
    """
    codes = np.asarray(original_codes)
    out = codes.copy()
    if out.dtype.kind == "U" and out.dtype.itemsize < 15 * 4:
        out = out.astype("U15")
    n = len(codes)
    if n == 0 or len(versions) == 0:
        return out
    vf, vt = _days(versions["valid_from"]), _days(versions["valid_to"])
    vcode = versions["code"].astype(str).to_numpy()
    changed = np.unique(vcode[~np.isnat(vt)])
    if len(changed) == 0:
        return out
    mask = _isin(codes, changed)
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return out
    x = np.asarray(lon, dtype=float)[idx]
    y = np.asarray(lat, dtype=float)[idx]
    d = np.asarray(dates)
    if d.ndim == 0:
        d = np.full(len(idx), _to_day64(d[()]), dtype="datetime64[D]")
    else:
        d = _days(d[idx])
    # the versions that replace or are replaced: versions of changed codes and new codes
    aff = np.flatnonzero(np.isin(vcode, changed) | (vf > vf.min()))
    ageoms = np.asarray(versions.geometry.values, dtype=object)[aff]
    avf, avt = vf[aff], vt[aff]
    shapely.prepare(ageoms)
    tree = shapely.STRtree(ageoms)
    p_idx, v_idx = tree.query(shapely.points(x, y))
    live = (avf[v_idx] <= d[p_idx]) & (np.isnat(avt[v_idx]) | (d[p_idx] < avt[v_idx]))
    p_idx, v_idx = p_idx[live], v_idx[live]
    hit = shapely.intersects_xy(ageoms[v_idx], x[p_idx], y[p_idx])
    p_idx, v_idx = p_idx[hit], v_idx[hit]
    chosen = np.full(len(idx), -1, dtype=np.int64)
    first = np.unique(p_idx, return_index=True)[1]  # one hit per point (two only on a border)
    chosen[p_idx[first]] = v_idx[first]
    lost = np.flatnonzero(chosen < 0)
    if len(lost):  # outside every valid version by numerics (or placed outside): nearest valid one
        best = np.full(len(lost), np.inf)
        pts = shapely.points(x[lost], y[lost])
        for v in range(len(aff)):
            ok = (avf[v] <= d[lost]) & (np.isnat(avt[v]) | (d[lost] < avt[v]))
            if not ok.any():
                continue
            dist = np.where(ok, shapely.distance(ageoms[v], pts), np.inf)
            better = dist < best
            best[better] = dist[better]
            chosen[lost[better]] = v
    acode = vcode[aff]
    found = chosen >= 0
    out[idx[found]] = acode[chosen[found]]
    return out


# =============================================================================
# Choosing and cutting
# =============================================================================
class _Frame:
    """Local isotropic frame: x = (lon - lon0) * cos(lat0), y = lat - lat0 (identity for metric CRSs)."""

    def __init__(self, geoms: np.ndarray, geographic: bool):
        b = shapely.total_bounds(geoms)
        self.x0, self.y0 = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        self.kx = float(np.cos(np.radians(self.y0))) if geographic else 1.0

    def to_local(self, xy: np.ndarray) -> np.ndarray:
        return np.column_stack([(xy[:, 0] - self.x0) * self.kx, xy[:, 1] - self.y0])

    def from_local(self, xy: np.ndarray) -> np.ndarray:
        return np.column_stack([xy[:, 0] / self.kx + self.x0, xy[:, 1] + self.y0])

    def area(self, geom) -> float:
        return float(shapely.area(geom)) * self.kx

    def areas(self, geoms) -> np.ndarray:
        return shapely.area(geoms) * self.kx


def _is_simple_polygon(p) -> bool:
    return (
        p is not None
        and p.geom_type == "Polygon"
        and not p.is_empty
        and len(p.interiors) == 0
        and p.is_valid
    )


def _compactness(p: Polygon, frame: _Frame) -> float:
    xy = frame.to_local(shapely.get_coordinates(p.exterior))
    q = Polygon(xy)
    return 4 * np.pi * q.area / q.length**2


def _choose_splits(g, geoms, frame, usable, n, rng, used) -> list[tuple[int, list[Polygon]]]:
    """``n`` urban grids, drawn among the largest, each cut into two halves."""
    if n == 0:
        return []
    urban = np.flatnonzero(g["urban"].to_numpy(dtype=bool) & usable)
    area = frame.areas(geoms[urban])
    ranked = urban[np.argsort(-area, kind="stable")]
    k = max(4 * n, int(np.ceil(SPLIT_POOL_FRACTION * len(ranked))))
    order = list(rng.permutation(ranked[:k])) + list(rng.permutation(ranked[k:]))
    out = []
    for i in order:
        i = int(i)
        halves = _split(geoms[i], frame, rng, _siblings(g, geoms, i))
        if halves is not None:
            out.append((i, halves))
            used.add(i)
            if len(out) == n:
                return out
    raise ValueError(f"only {len(out)} of {n} grid splits possible")


def _choose_redraws(g, geoms, frame, usable, n, rng, used) -> list[tuple[int, int, Polygon, Polygon]]:
    """``n`` pairs of adjacent sibling grids; a piece of the first moves to the second."""
    if n == 0:
        return []
    left, right = shapely.STRtree(geoms).query(geoms)  # bounding boxes; borders checked per pair
    comm = g["community_code"].to_numpy()
    sel = (left < right) & (comm[left] == comm[right]) & usable[left] & usable[right]
    pairs = np.column_stack([left[sel], right[sel]])
    out = []
    for p in rng.permutation(len(pairs)):
        a, b = (int(v) for v in pairs[p])
        if a in used or b in used:
            continue
        border = shapely.transform(shapely.intersection(geoms[a], geoms[b]), frame.to_local)
        if border.length < MIN_SHARED * np.sqrt(min(frame.area(geoms[a]), frame.area(geoms[b]))):
            continue
        if rng.random() < 0.5:
            a, b = b, a
        for donor, taker in ((a, b), (b, a)):
            res = _redraw(geoms[donor], geoms[taker], frame, rng, _siblings(g, geoms, donor, taker))
            if res is not None:
                out.append((donor, taker, res[0], res[1]))
                used.update((a, b))
                break
        if len(out) == n:
            return out
    raise ValueError(f"only {len(out)} of {n} grid redraws possible")


def _siblings(g, geoms, *idx: int) -> list:
    """Geometries of the other grids of the community of ``idx[0]``."""
    same = np.flatnonzero(g["community_code"].to_numpy() == g.at[idx[0], "community_code"])
    return [geoms[j] for j in same if j not in idx]


class _Cuts:
    """All cuts v_i -> w -> v_j of one polygon, for a target area share of the arc piece."""

    def __init__(self, poly: Polygon, frame: _Frame):
        xy = shapely.get_coordinates(poly.exterior)[:-1]
        loc = frame.to_local(xy)
        cross = loc[:, 0] * np.roll(loc[:, 1], -1) - np.roll(loc[:, 0], -1) * loc[:, 1]
        if cross.sum() < 0:  # work counter-clockwise
            xy, loc = xy[::-1].copy(), loc[::-1].copy()
            cross = loc[:, 0] * np.roll(loc[:, 1], -1) - np.roll(loc[:, 0], -1) * loc[:, 1]
        self.xy, self.loc, self.frame = xy, loc, frame
        self.n = n = len(xy)
        self.C = np.concatenate([[0.0], np.cumsum(cross)])
        self.area = self.C[-1] / 2
        self.edge = np.hypot(*(np.roll(loc, -1, axis=0) - loc).T)  # edge k: v_k -> v_k+1
        self.E = np.concatenate([[0.0], np.cumsum(self.edge)])
        i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        keep = i != j
        self.i, self.j = i[keep], j[keep]

    def arc_sum(self, S: np.ndarray) -> np.ndarray:
        """Sum over the edges of the arc i -> j of per-edge values with prefix sums ``S``."""
        i, j = self.i, self.j
        return np.where(j > i, S[j] - S[i], S[-1] - S[i] + S[j])

    def solve(self, share: float):
        """w (local) per candidate giving the arc piece ``share`` of the area, cut length, straightness."""
        vi, vj = self.loc[self.i], self.loc[self.j]
        d = vj - vi
        dl = np.hypot(d[:, 0], d[:, 1])
        dl_safe = np.where(dl > 0, dl, np.nan)
        m = (vi + vj) / 2
        base2 = self.arc_sum(self.C) + d[:, 0] * m[:, 1] - d[:, 1] * m[:, 0]
        t = (2 * share * self.area - base2) / dl_safe
        nrm = np.column_stack([-d[:, 1], d[:, 0]]) / dl_safe[:, None]
        w = m + t[:, None] * nrm
        cut = 2 * np.hypot(dl / 2, t)
        straight = dl / cut
        return w, cut, straight

    def arc(self, i: int, j: int) -> np.ndarray:
        return self.xy[i : j + 1] if j > i else np.vstack([self.xy[i:], self.xy[: j + 1]])

    def build(self, k: int, w_loc: np.ndarray, min_piece: float) -> tuple[Polygon, Polygon] | None:
        """(arc piece, rest) for candidate k, or None if they are not clean and compact."""
        i, j = int(self.i[k]), int(self.j[k])
        if not np.isfinite(w_loc).all():
            return None
        w = self.frame.from_local(w_loc[None, :])
        piece = Polygon(np.vstack([self.arc(i, j), w]))
        rest = Polygon(np.vstack([self.arc(j, i), w]))
        if not (piece.is_valid and rest.is_valid):
            return None
        # the cut keeps clear of the other vertices (no pinch)
        cut = LineString([self.loc[i], w_loc, self.loc[j]])
        others = np.delete(np.arange(self.n), [i, j])
        ring = LineString(np.vstack([self.loc, self.loc[:1]]))
        clear = MIN_CLEARANCE * np.sqrt(self.area)
        if len(others) and cut.distance(MultiPoint(self.loc[others])) < clear:
            return None
        if Point(w_loc).distance(ring) < clear:
            return None
        if _compactness(piece, self.frame) < min_piece or _compactness(rest, self.frame) < MIN_COMPACTNESS:
            return None
        return piece, rest


def _tiles(parts: list, whole, siblings: list) -> bool:
    """``parts`` tile ``whole`` to _REL_TOL and, with the siblings, form a valid coverage."""
    a = whole.area
    if abs(sum(p.area for p in parts) - a) > _REL_TOL * a:
        return False
    if shapely.symmetric_difference(shapely.union_all(parts), whole).area > _REL_TOL * a:
        return False
    return bool(shapely.coverage_is_valid(np.array(list(parts) + list(siblings), dtype=object)))


def _split(poly: Polygon, frame: _Frame, rng, siblings) -> list[Polygon] | None:
    cuts = _Cuts(poly, frame)
    share = rng.uniform(*SPLIT_SHARE)
    w, cut, straight = cuts.solve(share)
    arc_len = cuts.arc_sum(cuts.E)
    ipq = np.minimum(_ipq(share * cuts.area, arc_len + cut),
                     _ipq((1 - share) * cuts.area, cuts.E[-1] - arc_len + cut))
    score = -ipq + (1 - straight) + rng.uniform(0, 0.05, len(cut))
    score[~(cuts.i < cuts.j) | ~np.isfinite(score)] = np.inf  # (i, j) and (j, i) are the same cut
    for k in np.argsort(score, kind="stable")[:_MAX_TRIES]:
        if not np.isfinite(score[k]):
            break
        res = cuts.build(int(k), w[k], MIN_COMPACTNESS)
        if res is not None and _tiles(list(res), poly, siblings):
            return list(res)
    return None


def _ipq(area, perimeter):
    """Isoperimetric quotient 4 pi A / P^2 (1 for a disc)."""
    return 4 * np.pi * area / perimeter**2


def _redraw(a: Polygon, b: Polygon, frame: _Frame, rng, siblings) -> tuple[Polygon, Polygon] | None:
    """(A', B'): a piece of A bordering B moves to B."""
    cuts = _Cuts(a, frame)
    bxy = shapely.get_coordinates(b.exterior)[:-1]
    bpos = {tuple(p): k for k, p in enumerate(map(tuple, bxy))}
    m = len(bxy)
    nxt = np.roll(np.arange(cuts.n), -1)
    pa = [bpos.get(tuple(p)) for p in map(tuple, cuts.xy)]
    shared = np.array(
        [pa[k] is not None and pa[nxt[k]] is not None and (pa[k] - pa[nxt[k]]) % m in (1, m - 1)
         for k in range(cuts.n)]
    )
    if not shared.any():
        return None
    S = np.concatenate([[0.0], np.cumsum(cuts.edge * shared)])
    on_b = cuts.arc_sum(S)
    arc_len = cuts.arc_sum(cuts.E)
    share = rng.uniform(*REDRAW_SHARE)
    w, cut, straight = cuts.solve(share)
    along = on_b / np.where(arc_len > 0, arc_len, np.nan)
    area_b = frame.area(b)
    perim_b = shapely.length(shapely.transform(b.exterior, frame.to_local))
    ipq = np.minimum.reduce([
        _ipq(share * cuts.area, arc_len + cut),  # the piece
        _ipq((1 - share) * cuts.area, cuts.E[-1] - arc_len + cut),  # A'
        _ipq(area_b + share * cuts.area, perim_b - on_b + (arc_len - on_b) + cut),  # B'
    ])
    score = -ipq + (1 - straight) + 0.5 * (1 - along) + rng.uniform(0, 0.05, len(cut))
    score[~(on_b >= MIN_SHARED * np.sqrt(cuts.area)) | ~np.isfinite(score)] = np.inf
    for k in np.argsort(score, kind="stable")[:_MAX_TRIES]:
        if not np.isfinite(score[k]):
            break
        res = cuts.build(int(k), w[k], MIN_PIECE_COMPACTNESS)
        if res is None:
            continue
        piece, rest = res
        b_new = shapely.union(b, piece)
        if not _is_simple_polygon(b_new) or _compactness(b_new, frame) < MIN_COMPACTNESS:
            continue
        # no vertex invented by the overlay: B' is made of B's and the piece's vertices
        known = {tuple(p) for p in bxy} | {tuple(p) for p in shapely.get_coordinates(piece)}
        if not all(tuple(p) in known for p in shapely.get_coordinates(b_new)):
            continue
        if _tiles([rest, b_new], shapely.union(a, b), siblings):
            return rest, b_new
    return None


# =============================================================================
# Small helpers
# =============================================================================
def _community_name(g, comm: str) -> str:
    for name in g.loc[g["community_code"] == comm, "name"]:
        m = _NAME_RE.match(str(name))
        if m:
            return m.group(1)
    raise ValueError(f"grid names of community {comm} are not '{{community}}第{{n}}网格'")


def _as_date(v) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return pd.Timestamp(v).date()


def _to_day64(v) -> np.datetime64:
    if isinstance(v, np.datetime64):
        return v.astype("datetime64[D]")
    return np.datetime64(_as_date(v), "D")


def _days(values) -> np.ndarray:
    """datetime64[D] array (NaT for None) from dates, timestamps or datetime64 values."""
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[D]")
    return pd.to_datetime(pd.Series(arr, dtype=object)).to_numpy().astype("datetime64[D]")


def _isin(codes: np.ndarray, few: np.ndarray) -> np.ndarray:
    """``codes`` in ``few`` (a handful of codes), fast on ~10 million codes.

    Object arrays (what ``Series.to_numpy()`` gives): pandas' hash table, with
    ``dtype=object`` so that pandas does not first convert them to its string
    type. Fixed-width digit strings (``U``/``S``): compared as integers read
    straight from the array's buffer. Anything else: ``np.isin``.
    """
    few = np.asarray(few)
    if codes.dtype == object:
        return pd.Series(codes, dtype=object, copy=False).isin(set(few.tolist())).to_numpy()
    if codes.dtype.kind in "US" and codes.ndim == 1:
        mask = _digit_isin(codes, few)
        if mask is not None:
            return mask
    return np.isin(codes, few.astype(codes.dtype) if codes.dtype.kind == "S" else few)


def _digit_isin(a: np.ndarray, few: np.ndarray, block: int = 1 << 15) -> np.ndarray | None:
    """``np.isin`` for fixed-width strings of 1-18 digits (None if they are not all such strings).

    The characters are read from the buffer (UCS-4 or bytes) a block of rows
    at a time, accumulated in place into int64 numbers and looked up in the
    few sorted values: a few passes over cache-sized blocks, no temporaries of
    the array's length (``np.isin`` makes one full-length string comparison per
    value).
    """
    width = a.dtype.itemsize // (4 if a.dtype.kind == "U" else 1)
    if width == 0 or width > 18 or len(few) == 0:
        return None
    view = np.uint32 if a.dtype.kind == "U" else np.uint8
    chars = np.ascontiguousarray(a).view(view).reshape(len(a), width)
    fchars = np.ascontiguousarray(few.astype(a.dtype)).view(view).reshape(len(few), width)
    if fchars.min() < 48 or fchars.max() > 57:
        return None
    weights = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    zero = 48 * int(weights.sum())  # the '0' of every position
    targets = np.unique(fchars.astype(np.int64) @ weights - zero)
    mask = np.empty(len(a), dtype=bool)
    key = np.empty(block, dtype=np.int64)
    for lo in range(0, len(a), block):
        c = chars[lo : lo + block]
        # all digits: no shorter (NUL-padded) strings, no other characters
        if c.min() < 48 or c.max() > 57:
            return None
        k = key[: len(c)]
        k[:] = c[:, 0]
        for j in range(1, width):
            np.multiply(k, 10, out=k)
            np.add(k, c[:, j], out=k, casting="unsafe")
        k -= zero
        pos = np.minimum(np.searchsorted(targets, k), len(targets) - 1)
        np.equal(targets[pos], k, out=mask[lo : lo + len(c)])
    return mask
