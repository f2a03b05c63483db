"""Map geometry as cacheable resources: GET /geo/<generation>/<layer>/<code>.json.

A choropleth's `geojson` may be a URL; plotly.js fetches it once per page and keeps it. So the
maps name these URLs and their callbacks send only what colours the polygons: a drill step, a
recolour or a new heatmap filter no longer resends (and the server no longer re-serialises) a
megabyte of polygons. The generation in the URL makes it immutable, so the browser may keep it.

Layers: a level ("district", "street", "community", "grid") = the polygons of that level inside
<code> in force at the as-of instant, simplified for it (?px=N: also to a pixel of an N-pixel
canvas, for the big screen's map, which does not zoom); "hex" = the heatmap's hexagon lattice
over <code>. A request for an area outside the signed-in account's jurisdiction is refused."""
from __future__ import annotations

import orjson
from flask import Response, abort, request, url_for

from cockpit.cache import cache
from cockpit.context import viewer_scope, warehouse
from cockpit.db import Snapshot
from cockpit.figures import grid_map as grid_fig
from cockpit.figures.geo import shapes_geojson
from cockpit.figures.heatmap import hex_geojson, outline_lines
from cockpit.queries import areas
from cockpit.queries.heatmap import HexGrid
from cockpit.scope import Scope
from etl.area_levels import CODE_LENGTH

HEX = "hex"
LAYERS = ("district", "street", "community", "grid", HEX)
MAX_PX = 8000
# the borders drawn over a heatmap's hexagons: below the area shown (the city's streets)
OUTLINE_LEVEL = {4: "street", 6: "street", 9: "community", 12: "grid", 15: "grid"}


def url(wh: Snapshot, layer: str, code: str, px: int | None = None) -> str:
    return url_for("geometry", generation=wh.generation, layer=layer, code=code,
                   **({"px": px} if px else {}))


def outlines(wh: Snapshot, code: str) -> dict:
    """Borders of the area's sub-areas (one polyline) and their bounds, for the heatmap."""
    return _outlines(wh, code)


def hex_grid(wh: Snapshot, code: str) -> HexGrid | None:
    """The heatmap's hexagons for an area: sized to its extent (None: no polygons)."""
    bounds = _outlines(wh, code)["bounds"]
    return HexGrid.for_extent(bounds) if bounds else None


@cache.memoize()
def _outlines(wh: Snapshot, code: str) -> dict:
    return outline_lines(areas.shapes(wh, Scope(code, code), OUTLINE_LEVEL[len(code)]))


@cache.memoize()
def _layer(wh: Snapshot, layer: str, code: str, px: int | None) -> bytes:
    """The layer's GeoJSON, serialised once per generation (in the snapshot's repr)."""
    if layer == HEX:
        grid = hex_grid(wh, code)
        if grid is None:
            return orjson.dumps({"type": "FeatureCollection", "features": []})
        q, r = grid.lattice(_outlines(wh, code)["bounds"])
        lon, lat = grid.corners(q, r)
        body = hex_geojson([f"{a},{b}" for a, b in zip(q, r)], lon, lat)
    else:
        frame = areas.polygons(wh, Scope(code, code), CODE_LENGTH[layer])
        body = shapes_geojson(frame, grid_fig.TOLERANCE[layer], canvas_px=px)
    return orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)


def serve(generation: str, layer: str, code: str) -> Response:
    if layer not in LAYERS:
        abort(404)
    scope = viewer_scope()
    if scope.narrow(code).code != code:          # not an area code, or outside the jurisdiction
        abort(403)
    if layer != HEX and CODE_LENGTH[layer] < len(code):
        abort(404)                               # a level above the area: not inside it
    px = request.args.get("px", type=int)
    px = px if px and 0 < px <= MAX_PX else None
    wh = warehouse()
    response = Response(_layer(wh, layer, code, px), mimetype="application/json")
    if generation == wh.generation:              # what this URL names never changes
        response.cache_control.private = True
        response.cache_control.max_age = 7 * 24 * 3600
        response.cache_control.immutable = True
    else:                                        # a URL from before a publish: today's shapes
        response.cache_control.no_store = True
    return response


def install(server) -> None:
    server.add_url_rule("/geo/<generation>/<layer>/<code>.json", "geometry", serve)
