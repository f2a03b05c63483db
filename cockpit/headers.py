"""Security headers on every answer (an after_request hook).

- Content-Security-Policy: scripts only from this server plus the inline scripts Dash writes into
  its index page (by hash: `Dash.csp_hashes()`, taken once the pages router has registered its
  own), no plugins, no base or form elsewhere; styles also inline (plotly.js and Dash's tables set
  style attributes and sheets); images, fonts and workers from this server, data: and blob: URLs
  (MapLibre builds its workers from blobs); `frame-ancestors` from the settings (who may embed
  the cockpit in a frame; none by default), mirrored in X-Frame-Options where it can be.
- X-Content-Type-Options: nosniff; Referrer-Policy: same-origin.
- Cache-Control: no-store on everything but the static files (Dash's fingerprinted bundles and
  the assets folder): pages, callbacks, exports and map polygons are answers for one signed-in
  account and stay out of shared and disk caches."""
from __future__ import annotations

import re

import dash
from flask import Response, request

STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico")
_SOURCE = re.compile(r"'self'|'none'|https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?")


def check_frame_ancestors(value: str) -> str:
    """A frame-ancestors source list: 'none', 'self' and origins (https://portal.example.gov.cn),
    nothing that could end the header or widen it to any site."""
    sources = value.split()
    if not sources or not all(_SOURCE.fullmatch(s) for s in sources) or \
            ("'none'" in sources and len(sources) > 1):
        raise ValueError(f"frame_ancestors: 'none', 'self' or origins such as https://portal.example, "
                         f"separated by spaces: {value!r}")
    return " ".join(sources)


def policy(app: dash.Dash, frame_ancestors: str) -> str:
    scripts = " ".join(["'self'", *app.csp_hashes()])
    return "; ".join([
        "default-src 'self'", f"script-src {scripts}", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'",
        "worker-src 'self' blob:", "child-src 'self' blob:", "object-src 'none'", "base-uri 'none'",
        "form-action 'self'", f"frame-ancestors {frame_ancestors}",
    ])


def install(app: dash.Dash, frame_ancestors: str) -> None:
    frame_ancestors = check_frame_ancestors(frame_ancestors)
    legacy = {"'none'": "DENY", "'self'": "SAMEORIGIN"}.get(frame_ancestors)

    def add_headers(response: Response) -> Response:
        headers = response.headers
        # built per answer (a few short hashes): Dash's pages router adds its inline script
        # during the first request
        headers["Content-Security-Policy"] = policy(app, frame_ancestors)
        if legacy:
            headers["X-Frame-Options"] = legacy
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        if not request.path.startswith(STATIC_PREFIXES):
            headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
            headers.pop("ETag", None)
        return response

    app.server.after_request(add_headers)
