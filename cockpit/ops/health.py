"""GET /healthz, /readyz and /metrics: answered before the sign-in gate, without a session.

/healthz   the process answers (to anyone: a load balancer's probe). Nothing else.
/readyz    it can serve: the served generation opens, the state store (SQLite or PostgreSQL) answers
           and has an account; with the generation's age, its data's age and whether the warnings
           lag the data. 503 when not. A shared cache (Redis) that does not answer is reported
           (`cache`: the pages still serve, computing what they would have read from it; the open
           API's rate limits live there and refuse) but does not take the process out: every
           server shares that Redis, so it would take them all out.
/metrics   Prometheus text: requests and latency by page and handler, cache lookups, the
           generation's age, the last refresh's outcome and duration, the quarantine share.

/readyz and /metrics answer only the configured monitoring addresses (COCKPIT_MONITOR_FROM,
loopback by default; the client address as cockpit/ops/proxy.py found it). No answer carries
personal data or an area's name or code: ids, counts, instants and ages only."""
from __future__ import annotations

import json

from flask import Response, current_app, request

from cockpit.ops.first_admin import has_accounts
from cockpit.ops.proxy import address, within
from cockpit.queries import ops as q


def healthz() -> Response:
    return Response("ok\n", mimetype="text/plain")


def readyz() -> Response:
    refused = _refused()
    if refused is not None:
        return refused
    ready, report = readiness()
    return Response(json.dumps(report, ensure_ascii=False, indent=1), status=200 if ready else 503,
                    mimetype="application/json")


def metrics() -> Response:
    refused = _refused()
    if refused is not None:
        return refused
    ready, report = readiness()
    gauges = [("cockpit_ready", "1 when the served generation opens and the state store answers with an account",
                {}, ready),
              ("cockpit_state_store_up", "1 when the state store (SQLite or PostgreSQL) answers", {},
               report["state_store"])]
    if "cache" in report:
        gauges.append(("cockpit_cache_up", "1 when the shared cache (Redis) answers", {}, report["cache"]))
    served = report.get("generation") or {}
    for key, name, text in (("age_seconds", "cockpit_generation_age_seconds", "Since the served generation was published"),
                            ("data_age_seconds", "cockpit_data_age_seconds", "Since the instant the served data run up to"),
                            ("quarantine_share", "cockpit_quarantine_share",
                             "Rows quarantined / rows read, over the files behind the served generation")):
        if served.get(key) is not None:
            gauges.append((name, text, {}, served[key]))
    warnings = served.get("warnings")
    if warnings is not None:
        gauges += [("cockpit_warnings_lagging", "1 while the warnings are those of earlier data", {},
                    warnings["lagging"]),
                   ("cockpit_warnings_lag_seconds", "How far the warnings' as-of trails the data's", {},
                    warnings["lag_seconds"])]
    last = report.get("last_refresh")
    if last is not None:
        gauges.append(("cockpit_refresh_last_outcome", "The latest ended refresh, by its status", {"status": last["status"]}, 1))
        for key, name, text in (("seconds", "cockpit_refresh_last_duration_seconds", "The latest ended refresh's duration"),
                                ("exit_code", "cockpit_refresh_last_exit_code", "The latest ended refresh's exit code"),
                                ("ended_at", "cockpit_refresh_last_end_timestamp_seconds", "When the latest refresh ended"),
                                ("last_success", "cockpit_refresh_last_success_timestamp_seconds",
                                 "When the latest refresh that published or found nothing new ended")):
            if last.get(key) is not None:
                gauges.append((name, text, {}, last[key]))
    text = current_app.config["COCKPIT_METRICS"].render(gauges)
    return Response(text, mimetype="text/plain; version=0.0.4; charset=utf-8")


def readiness() -> tuple[bool, dict]:
    config = current_app.config
    warehouse = config["COCKPIT_WAREHOUSE"]
    report: dict = {"generation": None, "state_store": True, "accounts": False, "problems": []}
    try:
        _ping_store(config["COCKPIT_ACCOUNTS"].db)
        report["accounts"] = has_accounts()
    except Exception as exc:             # a PostgreSQL down or unreachable: nobody can sign in
        report["state_store"] = False
        report["problems"].append(f"state store does not answer: {type(exc).__name__}")
    if config["COCKPIT_SETTINGS"].cache_url:
        report["cache"] = _cache_answers(config["COCKPIT_SETTINGS"].cache_url)
        if not report["cache"]:
            report["problems"].append("cache (Redis) does not answer")
    try:
        with warehouse.snapshot() as snap:
            report["generation"] = q.served(snap, warehouse.path)
    except Exception as exc:             # whatever it is, the answer is "not ready", and why
        report["problems"].append(f"served generation does not open: {type(exc).__name__}")
    if report["state_store"] and not report["accounts"]:
        report["problems"].append("no account: create the first administrator")
    try:
        report["last_refresh"] = q.last_refresh(warehouse.path)
    except Exception as exc:
        report["last_refresh"] = None
        report["problems"].append(f"run log unreadable: {type(exc).__name__}")
    ready = report["generation"] is not None and report["state_store"] and report["accounts"]
    report["status"] = "ready" if ready else "not ready"
    return ready, report


def _ping_store(db) -> None:
    with db.connection() as con:
        con.execute("SELECT 1").fetchone()


def _cache_answers(url: str) -> bool:
    from cockpit.api.limits import redis_client  # the one client per URL the limits use
    try:
        return bool(redis_client(url).ping())
    except Exception:
        return False


def _refused() -> Response | None:
    if within(address(request.remote_addr or ""), current_app.config["COCKPIT_MONITOR_FROM"]):
        return None
    return Response("forbidden\n", status=403, mimetype="text/plain")


PUBLIC = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}
