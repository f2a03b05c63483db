"""Random points inside polygons (rejection sampling per polygon, vectorised within each)."""
from __future__ import annotations

import numpy as np
import shapely


def sample_points(polygons, counts, rng: np.random.Generator):
    """`counts[i]` uniform random points inside `polygons[i]`; returns lon, lat arrays in
    polygon order (all points of polygon 0, then polygon 1, …)."""
    lons, lats = [], []
    for poly, n in zip(polygons, counts):
        n = int(n)
        if n == 0:
            continue
        minx, miny, maxx, maxy = poly.bounds
        fill = max(poly.area / ((maxx - minx) * (maxy - miny)), 0.05)
        got_x, got_y, have = [], [], 0
        shapely.prepare(poly)
        while have < n:
            m = int((n - have) / fill * 1.2) + 16
            x = rng.uniform(minx, maxx, m)
            y = rng.uniform(miny, maxy, m)
            inside = shapely.contains_xy(poly, x, y)
            got_x.append(x[inside])
            got_y.append(y[inside])
            have += int(inside.sum())
        lons.append(np.concatenate(got_x)[:n])
        lats.append(np.concatenate(got_y)[:n])
    if not lons:
        return np.empty(0), np.empty(0)
    return np.concatenate(lons), np.concatenate(lats)
