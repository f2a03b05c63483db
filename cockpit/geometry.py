"""Map geometry as resources of their own: GET /geo/<generation>/<layer>/<code>.json.

A choropleth's `geojson` may be a URL; plotly.js fetches it once per page and keeps it. So the
maps name these URLs and their callbacks send only what colours the polygons: a drill step, a
recolour or a new heatmap filter no longer resends (and the server no longer re-serialises) a
megabyte of polygons. The generation in the URL keys the server's cache; the answer, like every
data answer, is not stored by the browser (no-store, cockpit/headers.py): an account's polygons
stay out of the disk cache of a shared machine.

Layers: a level ("district", "street", "community", "grid") = the polygons of that level inside
<code> in force at the as-of instant, as the ETL simplified them (etl/transform/map_shapes.py; ?px=N
asks for a map N pixels wide that does not zoom, which may take the coarser variant); "hex" = the
heatmap's hexagon lattice over <code>. Outside the signed-in account's jurisdiction: refused."""
from __future__ import annotations

import orjson
import shapely
from flask import Response, abort, g, request, url_for

from cockpit.cache import cache
from cockpit.context import viewer_scope, warehouse
from cockpit.db import Snapshot
from cockpit.figures.heatmap import hex_geojson, outline_lines
from cockpit.queries import geometry as q
from cockpit.queries.heatmap import HexGrid
from cockpit.scope import Scope
from warehouse.areas import CODE_LENGTH

HEX = "hex"
LAYERS = ("district", "street", "community", "grid", HEX)
MAP_PAGES = ("/", "/map", "/heatmap", "/warning")      # an account that may open none gets no polygons
OUTLINE_PX = 1000       # the heatmap's width: its borders need no detail below a pixel of it
# the borders drawn over a heatmap's hexagons: below the area shown (the city's streets)
OUTLINE_LEVEL = {4: "street", 6: "street", 9: "community", 12: "grid", 15: "grid"}


def url(wh: Snapshot, layer: str, code: str, px: int | None = None) -> str:
    return url_for("geometry", generation=wh.generation, layer=layer, code=code,
                   **({"px": px} if px else {}))


def inline(wh: Snapshot, scope: Scope, codes) -> dict:
    """GeoJSON of a few listed areas inside the scope, to carry in a figure itself."""
    return orjson.loads(feature_collection(q.by_codes(wh, scope, list(codes))))


def outlines(wh: Snapshot, code: str) -> dict:
    """Borders of the area's sub-areas (one polyline) and their bounds, for the heatmap."""
    return _outlines(wh, code)


def hex_grid(wh: Snapshot, code: str) -> HexGrid | None:
    """The heatmap's hexagons for an area: sized to its extent (None: no polygons)."""
    bounds = _outlines(wh, code)["bounds"]
    return HexGrid.for_extent(bounds) if bounds else None


def _span(bounds) -> float:
    return max(bounds[2] - bounds[0], bounds[3] - bounds[1])


@cache.memoize()
def _outlines(wh: Snapshot, code: str) -> dict:
    scope, level = Scope(code, code), OUTLINE_LEVEL[len(code)]
    bounds = q.extent(wh, scope, level)
    if bounds is None:
        return outline_lines([], None)
    rows = q.outlines(wh, scope, level, q.variant(_span(bounds), OUTLINE_PX))
    return outline_lines(shapely.from_wkb([bytes(b) for b in rows["geometry_wkb"]]), bounds)


def feature_collection(rows) -> bytes:
    """A FeatureCollection from (code, geometry_json) rows, the geometry text as the ETL wrote it."""
    features = ",".join(f'{{"type":"Feature","properties":{{"code":{orjson.dumps(code).decode()}}},'
                        f'"geometry":{geometry}}}'
                        for code, geometry in zip(rows["code"], rows["geometry_json"]))
    return f'{{"type":"FeatureCollection","features":[{features}]}}'.encode()


@cache.memoize()
def _layer(wh: Snapshot, layer: str, code: str, variant: str) -> bytes:
    """The layer's GeoJSON, once per generation (in the snapshot's repr) and variant."""
    if layer == HEX:
        grid, bounds = hex_grid(wh, code), _outlines(wh, code)["bounds"]
        qs, rs = grid.lattice(bounds)
        lon, lat = grid.corners(qs, rs)
        return orjson.dumps(hex_geojson([f"{a},{b}" for a, b in zip(qs, rs)], lon, lat),
                            option=orjson.OPT_SERIALIZE_NUMPY)
    return feature_collection(q.layer(wh, Scope(code, code), layer, variant))


def serve(generation: str, layer: str, code: str) -> Response:
    del generation        # names the URL per generation (plotly.js keeps a page's by URL); any is served
    if layer not in LAYERS:
        abort(404)
    account, scope = g.account, viewer_scope()
    if scope.department or not any(account.may_open(page) for page in MAP_PAGES):
        abort(403)                               # a department's account has no map to draw
    if scope.narrow(code).code != code:          # not an area code, or outside the jurisdiction
        abort(403)
    if layer != HEX and CODE_LENGTH[layer] < len(code):
        abort(404)                               # a level above the area: not inside it
    wh = warehouse()
    # what is cached varies only by the variant, whatever ?px says: a client cannot fill the cache
    if layer == HEX:
        known, variant = _outlines(wh, code)["bounds"] is not None, ""
    else:
        bounds = q.extent(wh, Scope(code, code), layer)
        known = bounds is not None
        variant = q.variant(_span(bounds), request.args.get("px", type=int)) if known else ""
    if not known:
        abort(404)                               # no such area (or nothing of that level in it)
    return Response(_layer(wh, layer, code, variant), mimetype="application/json")


def install(server) -> None:
    server.add_url_rule("/geo/<generation>/<layer>/<code>.json", "geometry", serve)
