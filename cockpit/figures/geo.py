"""Polygons for the maps (geo subplots, SVG, no tiles): GeoJSON simplified for the map drawn."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import shapely


def shapes_geojson(shapes: pd.DataFrame, tolerance_deg: float = 0.0004,
                   canvas_px: int | None = None) -> dict:
    """GeoJSON FeatureCollection from WKB polygons (code, geometry_wkb), simplified with shared
    edges kept (so neighbours never gap) and rings wound clockwise, as d3's spherical geometry
    expects. With `canvas_px` (a map that does not zoom), detail finer than a pixel of a canvas
    that wide is dropped too: the whole city's communities on the big screen need no 40 m detail."""
    geoms = shapely.from_wkb([bytes(b) for b in shapes["geometry_wkb"]])
    if len(geoms) and canvas_px:
        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        tolerance_deg = max(tolerance_deg, max(maxx - minx, maxy - miny) / canvas_px)
    # coordinates to a tenth of the tolerance (10^-6 degrees at most, about 0.1 m)
    grid = max(1e-6, 10 ** math.floor(math.log10(tolerance_deg / 10)))
    if len(geoms):
        geoms = shapely.coverage_simplify(geoms, tolerance_deg)
        geoms = np.array([shapely.geometry.polygon.orient(g, sign=-1.0) if g.geom_type == "Polygon"
                          else shapely.MultiPolygon([shapely.geometry.polygon.orient(p, sign=-1.0)
                                                     for p in g.geoms]) for g in geoms])
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": code},
         "geometry": geometry(shapely.set_precision(g, grid))}
        for code, g in zip(shapes["code"], geoms)]}


def geometry(geom) -> dict:
    """A (multi)polygon's GeoJSON geometry with each ring an (n, 2) numpy array: the JSON writer
    (orjson) writes arrays whole, where nested lists were walked value by value on every response,
    cached or not (about 100 ms a megabyte)."""
    if geom.geom_type == "Polygon":
        return {"type": "Polygon", "coordinates": _rings(geom)}
    if geom.geom_type == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [_rings(p) for p in geom.geoms]}
    return {"type": "Polygon", "coordinates": []}       # simplified away: nothing to draw


def _rings(polygon) -> list[np.ndarray]:
    return [shapely.get_coordinates(polygon.exterior)] + [
        shapely.get_coordinates(ring) for ring in polygon.interiors]
