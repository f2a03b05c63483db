"""The routes of the open read API: Open311 GeoReport v2 (services, service requests, one service
request; JSON only, read only) and the KPIs per area and month. docs/api/openapi.yaml describes
exactly these (a test holds the two together).

Views run only through cockpit/api/__init__.py's `answer`, which has checked the client's token
and put it in `g.api_token`; reached any other way they refuse (`_token`)."""
from __future__ import annotations

import datetime as dt
import math
from urllib.parse import urlencode

import pandas as pd
from flask import Blueprint, g, request

from cockpit.api import params as p
from cockpit.context import warehouse
from cockpit.queries import api as q
from cockpit.queries.meta import generation

PREFIX = "/api/v1"
blueprint = Blueprint("api", __name__, url_prefix=PREFIX)

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000                # Open311's own cap on one answer
JURISDICTION = "jurisdiction_id"    # Open311's; accepted and ignored: the token decides the area
ALLOWED = {                         # by endpoint (view function)
    "services": {JURISDICTION},
    "requests": {JURISDICTION, "service_request_id", "service_code", "start_date", "end_date", "status",
                 "page", "page_size", "area_code"},
    "request_one": {JURISDICTION},
    "kpis": {"area_code", "level", "start_month", "end_month", "page", "page_size"},
}


class NotFound(LookupError):
    pass


class Reply:
    """A view's answer: the JSON payload, extra headers, and what the audit log records."""

    def __init__(self, payload, headers: dict | None = None, rows: int = 0):
        self.payload, self.headers, self.rows = payload, headers or {}, rows


def _token():
    token = g.get("api_token")
    if token is None:                     # not through answer(): never serve
        raise PermissionError("no API token")
    return token


def _local(value) -> str | None:
    """A warehouse time (naive, local UTC+8) as ISO 8601 with its offset, as Open311 asks."""
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).to_pydatetime().replace(tzinfo=p.LOCAL).isoformat(timespec="seconds")


def _number(value):
    if value is None or pd.isna(value):
        return None
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _as_of(wh) -> dt.datetime:
    as_of = generation(wh)["as_of"]
    return pd.Timestamp(as_of).to_pydatetime() if as_of is not None and not pd.isna(as_of) \
        else dt.datetime.now(p.LOCAL).replace(tzinfo=None)


def _paging(total: int, page: int, size: int) -> dict:
    """X-Total-Count and a Link header (RFC 8288) to the previous page and the next one (when
    there are more rows)."""
    links = []
    for rel, n in (("prev", page - 1), ("next", page + 1)):
        if n >= 1 and (rel == "prev" or page * size < total):
            query = urlencode({**{k: v for k, v in request.args.items() if k != JURISDICTION}, "page": n})
            links.append(f'<{request.script_root}{request.path}?{query}>; rel="{rel}"')
    return {"X-Total-Count": str(total), **({"Link": ", ".join(links)} if links else {})}


# -- Open311 GeoReport v2 ---------------------------------------------------------------------

@blueprint.get("/services.json")
def services():
    token = _token()
    p.check_names(request.args, ALLOWED["services"])
    frame = q.services(warehouse(), token.scope)
    out = [{"service_code": r.subclass_code, "service_name": r.subclass_name,
            "description": f"{r.class_name} · {r.subclass_name}，处置时限 {r.limit_value} {r.limit_unit}",
            "metadata": False, "type": "batch", "keywords": r.class_name, "group": r.class_name}
           for r in frame.itertuples()]
    return Reply(out, rows=len(out))


@blueprint.get("/requests.json")
def requests():
    token = _token()
    args = request.args
    p.check_names(args, ALLOWED["requests"])
    scope = p.area(args, token.scope)
    page = p.integer(args, "page", 1, 1, p.MAX_PAGE)
    size = p.integer(args, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    ids = p.listed(args, "service_request_id")
    codes = p.listed(args, "service_code", 16)
    status = p.statuses(args)
    start, end = p.instant(args, "start_date"), p.instant(args, "end_date")
    wh = warehouse()
    as_of = _as_of(wh)
    if codes is not None:
        known = set(q.services(wh, token.scope)["subclass_code"])
        if not set(codes) <= known:
            raise p.BadParameter("未知的 service_code（见 services.json）")
    start, end = p.period(start, end, as_of)
    if ids is not None:                   # Open311: with ids, the other filters are ignored
        codes = status = start = end = None
    frame, total = q.requests(wh, scope, ids=ids, service_codes=codes, status=status, start=start,
                              end=end, limit=size, offset=(page - 1) * size)
    return Reply([_request(r) for r in frame.itertuples()],
                 {**_paging(total, page, size), "X-Data-As-Of": _local(as_of)}, rows=len(frame))


@blueprint.get("/requests/<service_request_id>.json")
def request_one(service_request_id: str):
    token = _token()
    p.check_names(request.args, ALLOWED["request_one"])
    if not (1 <= len(service_request_id) <= 64 and service_request_id.isprintable()):
        raise NotFound()
    wh = warehouse()
    frame, _ = q.requests(wh, token.scope, ids=[service_request_id], limit=1, offset=0)
    if frame.empty:                       # outside the token's area looks the same as unknown
        raise NotFound()
    return Reply([_request(r) for r in frame.itertuples()], {"X-Data-As-Of": _local(_as_of(wh))}, rows=1)


def _request(r) -> dict:
    """One event as an Open311 service request (api__requests.sql says what is left out, why)."""
    notes = r.status if r.sla_state in (None, r.status) or pd.isna(r.sla_state) else f"{r.status}（{r.sla_state}）"
    return {
        "service_request_id": r.event_id,
        "status": r.open311_status,
        "status_notes": notes,
        "service_name": r.subclass_name,
        "service_code": r.subclass_code,
        "agency_responsible": None if pd.isna(r.department) else r.department,
        "requested_datetime": _local(r.reported_at),
        "updated_datetime": _local(r.updated_at),
        "expected_datetime": _local(r.deadline),
        "address": r.area_address,
        "lat": _number(r.lat),
        "long": _number(r.lon),
        # extensions: where (the grid's code) and how it came in (12345热线, 随手拍, …)
        "area_code": r.grid_code,
        "source": r.source,
    }


# -- KPIs per area and month --------------------------------------------------------------------

KPI_FIELDS = ("accepted", "due", "closed", "closed_on_time", "reworked", "extended",
              "closure_rate", "on_time_rate", "rework_rate", "extension_rate")


@blueprint.get("/kpis.json")
def kpis():
    token = _token()
    args = request.args
    p.check_names(args, ALLOWED["kpis"])
    scope = p.area(args, token.scope)
    level = p.level(args, scope)
    page = p.integer(args, "page", 1, 1, p.MAX_PAGE)
    size = p.integer(args, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    wh = warehouse()
    as_of = _as_of(wh)
    start, stop = p.months(args, as_of)
    frame, total = q.kpis(wh, scope, level=level, start=start, stop=stop, limit=size,
                          offset=(page - 1) * size)
    items = [{"area_code": r.code, "area_name": r.name, "level": r.level,
              "month": pd.Timestamp(r.month).strftime("%Y-%m"),
              **{f: _number(getattr(r, f)) for f in KPI_FIELDS}} for r in frame.itertuples()]
    payload = {"area_code": scope.code, "level": level, "start_month": start.strftime("%Y-%m"),
               "end_month": stop.strftime("%Y-%m"), "as_of": _local(as_of), "page": page,
               "page_size": size, "total": total, "items": items}
    return Reply(payload, {**_paging(total, page, size), "X-Data-As-Of": _local(as_of)}, rows=len(items))
