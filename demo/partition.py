"""Generic partition geometry (metric CRS): a polygon cut into clipped Voronoi cells of seed
points that cover it with no gap and no overlap (fragments and slivers merged into the sibling
sharing the longest border, shared borders made identical), seeds placed by weighted k-means,
an irregular core region, siblings numbered in reading order, and an integer allocation by
weights. Nothing here knows districts, streets or grids (demo/geography.py does)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyproj
import shapely
import shapely.affinity
from shapely.geometry import MultiPolygon, Point, Polygon

from etl.geo.crs import CANONICAL_CRS, METRIC_CRS

SLIVER_FRACTION = 0.01  # children below this share of the median sibling area are merged
_AREA_EPS = 1e-3  # m^2: pieces smaller than this are numerical noise
_TOUCH_TOL = 1e-3  # m: tolerance when measuring shared borders
_SNAP_TOL = 1e-3  # m: snapping tolerance when a merge leaves a numerical gap
_COVERAGE_SNAP = 1e-6  # m: node snapping distance when cleaning a partition's shared edges
_SPIKE_TOL = 1e-6  # m: a vertex this close to the line back is a degenerate spike


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


def clean(g, despike: bool = False):
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
    u = clean(shapely.union(a, b), despike=True)
    if touching and _nparts(u) > _nparts(a):
        u2 = clean(shapely.union(a, shapely.snap(b, a, _SNAP_TOL)), despike=True)
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


def voronoi_cells(seeds: np.ndarray, region) -> np.ndarray:
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
            g = clean(g)
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


def fix_partition(
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
    cells = [clean(g) if g is not None else None for g in raw_cells]
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

    Returns ``(seed_index, child)`` pairs; see :func:`fix_partition`.
    """
    seeds = np.asarray(seeds, dtype=float)
    return fix_partition(voronoi_cells(seeds, parent), seeds)


def sample_in(region, n: int, rng: np.random.Generator) -> np.ndarray:
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


def place_seeds(region, k: int, rng, weight_fn=None) -> np.ndarray:
    m = int(np.clip(30 * k, 200, 3000))
    m = max(m, 4 * k)
    pts = sample_in(region, m, rng)
    w = np.ones(len(pts)) if weight_fn is None else weight_fn(pts)
    return _kmeans_seeds(pts, w, k, rng)


def _blob(cx: float, cy: float, r: float, rng: np.random.Generator, n: int = 96) -> Polygon:
    """Irregular star-shaped polygon of mean radius ~ r."""
    th = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    rad = np.ones(n)
    for h in range(2, 6):
        rad += rng.uniform(0.02, 0.14 / (h - 1)) * np.cos(h * th + rng.uniform(0, 2 * np.pi))
    return Polygon(np.column_stack([cx + r * rad * np.cos(th), cy + r * rad * np.sin(th)]))


def core_region(parent, centre: np.ndarray, target_area: float, rng) -> object:
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
        cells = voronoi_cells(sites[keep], parent)
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


def inside_point(poly, xy: np.ndarray) -> np.ndarray:
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


def order_children(geoms: list) -> np.ndarray:
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


def allocate(total: int, weights: np.ndarray, mins: np.ndarray) -> np.ndarray:
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
