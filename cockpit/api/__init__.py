"""The open read API (/api/v1/…) for other systems: the city's 一网统管 platform, 12345 hotline
analytics. Open311 GeoReport v2 services and service requests, and the KPIs per area and month,
as JSON; read only, paged, masked, within the area of the client's token.

`install(app, settings)` is called by create_app after cockpit/ops and before the sign-in gate:
its before_request hook answers every /api/ request itself, so the gate never sees one, and a
browser's session cookie opens nothing here (the API reads no session: a token or nothing, and
no CSRF question arises for a read-only, cookie-less API). In order, each request:

1. is answered 429 (without a look-up or an audit record) when its client address has failed
   FAILURES_PER_MINUTE times within about a minute (failures: the two refusals below);
2. is refused if a token appears in its URL (query or path: URLs end up in proxies' logs);
3. must be a GET (or HEAD) of a route of the blueprint (cockpit/api/routes.py);
4. must carry `Authorization: Bearer <token>` of a token that is neither revoked nor expired
   (cockpit/api/tokens.py);
5. is rate-limited per token (COCKPIT_API_PER_MINUTE; cockpit/api/limits.py);
6. runs its view with the token's Scope, the one path to data (cockpit.queries.run);
7. is audited (action `api`: the client, its address, the route, the status, the rows and the
   checked parameters; never the token), 429s excepted (the limiter exists to bound volume);
8. leaves with every string scrubbed of ID and mobile numbers (warehouse.personal.scrub, a last
   guard: the queries already leave out free text and addresses), no-store and nosniff."""
from __future__ import annotations

import json
import math

import dash
from flask import Response, current_app, g, request
from flask.sessions import SessionInterface

from cockpit.api import params
from cockpit.api.limits import limiter
from cockpit.api.routes import NotFound, blueprint
from cockpit.api.tokens import PREFIX as TOKEN_PREFIX, TokenStore
from cockpit.ops.access import ENVIRON_KEY
from warehouse.personal import scrub

ROOT = "/api"
FAILURES_PER_MINUTE = 30
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
           "Referrer-Policy": "no-referrer"}
# query parameters clients commonly put tokens in; refused by name as well as by the token prefix
TOKEN_PARAMETERS = {"token", "access_token", "api_key", "apikey", "key", "auth", "authorization", "bearer"}
UNKNOWN = "（无效令牌）"
# fields that hold an area or grid code from the warehouse's area layer: a key, not a person's
# number, though a 15-digit grid code such as 220204001008008 reads as a first-generation ID number
# (born 1900-10-08) to the scrubber, which cannot tell them apart by form
AREA_CODES = {"area_code"}


def install(app: dash.Dash, settings) -> None:
    server = app.server
    server.config.update(COCKPIT_API_TOKENS=TokenStore(settings.store("api_tokens")),
                         COCKPIT_API_LIMITER=limiter(settings, "api", settings.api_per_minute),
                         COCKPIT_API_FAILURES=limiter(settings, "api-failures", FAILURES_PER_MINUTE))
    server.register_blueprint(blueprint)
    server.before_request(answer)
    server.session_interface = NoSessionUnderApi(server.session_interface)


def _under_api(path: str) -> bool:
    return path == ROOT or path.startswith(ROOT + "/")


class NoSessionUnderApi(SessionInterface):
    """Under /api/ the session is the null session: a cookie is not read, and an answer neither
    sets nor refreshes one (a signed-in browser's session would otherwise be extended by every
    API call it made). Elsewhere the cockpit's own session, unchanged."""

    def __init__(self, inner: SessionInterface):
        self.inner = inner

    def open_session(self, app, request):
        if _under_api(request.path):
            return self.make_null_session(app)
        return self.inner.open_session(app, request)

    def save_session(self, app, session, response) -> None:
        self.inner.save_session(app, session, response)

    def __getattr__(self, name):          # everything else is the cockpit's own interface's
        return getattr(self.inner, name)


def answer():
    """before_request: every /api/ request is answered here (see the module doc); others pass."""
    if not _under_api(request.path):
        return None
    rule = request.url_rule if request.url_rule is not None and \
        (request.url_rule.endpoint or "").startswith("api.") else None
    seen = request.environ.get(ENVIRON_KEY)
    if seen is not None:                  # the access log and metrics: a closed set of labels
        seen["page"], seen["handler"] = (rule.rule if rule else "-"), "api"
    try:
        response = _answer(rule)
    except Exception:                     # logged with its traceback; the client learns nothing
        current_app.logger.exception("open API: %s failed", rule.rule if rule else "-")
        response = _error(500, "服务器内部错误")
    response.headers.update(HEADERS)
    return response


def _answer(rule):
    target = rule.rule if rule else "-"
    config = current_app.config
    address = request.remote_addr or ""
    failures = config["COCKPIT_API_FAILURES"]
    if not failures.peek(address).allowed:
        return _too_many(failures.peek(address))
    if _token_in_url():
        failures.take(address)
        _audit(UNKNOWN, target, 400, "网址中带令牌，已拒绝（令牌未记录）")
        return _error(400, "令牌只能放在 Authorization: Bearer 请求头中，不能放在网址里"
                           "（网址会进入代理和浏览器的日志）；该令牌应视为已泄露，请吊销后重新申请")
    if request.method not in ("GET", "HEAD"):
        return _error(405, "只读接口，只接受 GET", {"Allow": "GET, HEAD"})
    if rule is None:
        return _error(404, "没有这个接口（见 docs/api/openapi.yaml）")
    presented = _bearer()
    verdict = config["COCKPIT_API_TOKENS"].verify(presented) if presented else None
    if verdict is None or verdict.token is None:
        failures.take(address)
        why = verdict.refused if verdict else "缺少令牌（Authorization: Bearer …）"
        _audit(UNKNOWN, target, 401, why)
        return _error(401, why, {"WWW-Authenticate": 'Bearer realm="cockpit-api", error="invalid_token"'
                                 if verdict else 'Bearer realm="cockpit-api"'})
    token = verdict.token
    decision = config["COCKPIT_API_LIMITER"].take(token.name)
    if not decision.allowed:
        return _too_many(decision)
    who = f"api:{token.name}"
    if seen := request.environ.get(ENVIRON_KEY):
        seen["account"] = who
    g.api_token = token
    try:
        reply = current_app.view_functions[rule.endpoint](**(request.view_args or {}))
    except params.BadParameter as e:
        return _refused(who, target, 400, str(e), decision)
    except PermissionError as e:          # an area outside the token's, or KPIs for a department
        message = str(e) if isinstance(e, params.OutsideScope) else "本令牌限于部门，不能读取此接口"
        return _refused(who, target, 403, message, decision)
    except NotFound:
        return _refused(who, target, 404, "没有这个服务请求（或不在本令牌的区域内）", decision)
    _audit(who, target, 200, f"{reply.rows} 条" + _checked())
    return _json(reply.payload, 200, {**reply.headers, **_rate(decision)})


def _token_in_url() -> bool:
    if TOKEN_PREFIX in request.path.lower():
        return True
    return any(name.lower() in TOKEN_PARAMETERS or TOKEN_PREFIX in name.lower()
               or any(TOKEN_PREFIX in v.lower() for v in request.args.getlist(name))
               for name in request.args)


def _bearer() -> str:
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _checked() -> str:
    """The parameters as sent, once the view has accepted them (so: known names, checked values);
    jurisdiction_id is not checked and not kept."""
    kept = [f"{k}={v}" for k, v in request.args.items() if k != "jurisdiction_id"]
    return (" · " + " ".join(kept)) if kept else ""


def _audit(who: str, target: str, status: int, detail: str) -> None:
    current_app.config["COCKPIT_AUDIT"].record(who, request.remote_addr or "", "api", target,
                                               scrub(f"{status} {detail}"))


def _refused(who, target, status, message, decision):
    _audit(who, target, status, message)
    return _error(status, message, _rate(decision))


def _rate(decision) -> dict:
    return {"X-RateLimit-Limit": str(decision.limit), "X-RateLimit-Remaining": str(decision.remaining)}


def _too_many(decision) -> Response:
    return _error(429, "请求过于频繁，请稍后再试",
                  {"Retry-After": str(max(1, math.ceil(decision.retry_after))), **_rate(decision)})


def _error(status: int, message: str, headers: dict | None = None) -> Response:
    """Open311's error form: a list of {code, description}."""
    return _json([{"code": status, "description": message}], status, headers)


def _json(payload, status: int, headers: dict | None = None) -> Response:
    body = json.dumps(_scrubbed(payload), ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, headers=headers or {}, content_type="application/json; charset=utf-8")


def _scrubbed(value, key: str = ""):
    if isinstance(value, str):
        if key in AREA_CODES and value.isascii() and value.isdigit():
            return value
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrubbed(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    return value

