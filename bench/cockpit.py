"""Benchmark the cockpit: every callback cold and warm against its bare SQL, payload per page, the
big screen's first full render in headless Chromium, and 50 concurrent loopback clients.

    python bench/cockpit.py                      # demo
    python bench/cockpit.py --scales demo city --reps 20

A warehouse per scale is built once into data/bench/<scale>-warehouse (sources from bench/etl.py's
data/bench/<scale>, seed 42) and reused. Headless Chromium opens every page of a running cockpit
and records the callback requests it makes; those exact requests are then replayed in-process
(Flask test client: routing, callback, JSON) with the cache cleared before each call (cold) and
without (warm), while the SQL each callback ran is recorded and re-run alone on a cursor (bare).
Prints medians and 95th percentiles; this machine is shared and noisy, so read the ratios."""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.measure import ROOT  # noqa: E402

CLIENTS = 50
GEO = "GET "            # a recorded polygon request (cockpit/geometry.py), not a callback body
REQUESTS_PER_CLIENT = 10


def warehouse(scale: str) -> Path:
    from bench.etl import source
    wh = ROOT / "data" / "bench" / f"{scale}-warehouse"
    if not (wh / "CURRENT").exists():
        print(f"building the {scale} warehouse into {wh} …", flush=True)
        subprocess.run([sys.executable, "-m", "etl", "refresh", "--source", str(source(scale)),
                        "--warehouse", str(wh), "--key-file", str(wh.parent / "bench.key")],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return wh


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


FULLY_DRAWN = ("document.querySelectorAll('.counter-value').length > 0 && "
               "[...document.querySelectorAll('.counter-value')].every(e => e.innerText !== '—') && "
               "document.querySelectorAll('path.choroplethlocation').length > 0 && "
               "document.querySelectorAll('.board .main-svg').length >= 4")


def _browser(p):
    return p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])


def first_renders(url: str, visits: int = 2) -> list[float]:
    """ms from navigation (signed in) to the big screen fully drawn, for successive visits in
    fresh browser contexts: the first on a server that has answered nothing yet (every cache
    cold, as after a publish), the later ones cached."""
    from playwright.sync_api import sync_playwright

    from tests.cockpit_process import sign_in
    out = []
    with sync_playwright() as p:
        browser = _browser(p)
        for _ in range(visits):
            # Playwright's in-page wait compiles with eval, which the cockpit's CSP refuses; the
            # policy changes no timing, so the speed test sets it aside (tests/browser keep it)
            ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
            page = ctx.new_page()
            sign_in(page, url)
            page.goto(url)
            page.wait_for_function(FULLY_DRAWN, timeout=120000)
            out.append(page.evaluate("performance.now()"))
            ctx.close()
        browser.close()
    return out


def record_pages(url: str, paths: list[str]) -> tuple[dict, dict]:
    """Open every page in Chromium (signed in as the test administrator); returns ({path:
    [request bodies: callbacks, and polygon GETs]}, {path: bytes of every response})."""
    from playwright.sync_api import sync_playwright

    from tests.cockpit_process import sign_in
    bodies, sizes = defaultdict(list), defaultdict(int)
    with sync_playwright() as p:
        browser = _browser(p)
        for path in paths:
            ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
            page = ctx.new_page()
            sign_in(page, url)
            pending, last_done = set(), [time.monotonic()]

            def on_request(r, path=path):
                if "_dash-update-component" in r.url:
                    bodies[path].append(r.post_data)
                    pending.add(r)
                elif "/geo/" in r.url:                # map polygons, fetched by plotly.js
                    bodies[path].append(GEO + r.url[r.url.index("/geo/"):])
                    pending.add(r)

            def on_done(r, path=path):
                try:
                    sizes[path] += len(r.response().body())
                except Exception:     # redirects and aborted requests have no body
                    pass
                if r in pending:
                    pending.discard(r)
                    last_done[0] = time.monotonic()
            page.on("request", on_request)
            page.on("requestfinished", on_done)
            page.on("requestfailed", lambda r: pending.discard(r))
            page.goto(url + path.lstrip("/"))
            # settled: the page's own callbacks ran (beyond the frame's two) and none for 3 s
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and (
                    len(bodies[path]) < 3 or pending or time.monotonic() - last_done[0] < 3):
                page.wait_for_timeout(250)
            ctx.close()
        browser.close()
    return bodies, sizes


def callback_name(body: str) -> str:
    if body.startswith(GEO):                  # /geo/<generation>/<layer>/<code>.json[?px=…]
        _, _, _, layer, rest = body[len(GEO):].split("/", 4)
        return f"GET geo {layer} {rest.split('.json')[0]}"[:48]
    return json.loads(body)["output"].strip(".").split("...")[0][:48]


def request(client, body: str):
    """Replay one recorded request: a callback (POST) or a polygon layer (GET)."""
    if body.startswith(GEO):
        return client.get(body[len(GEO):])
    return client.post("/_dash-update-component", data=body, content_type="application/json")


def replay(wh: Path, bodies: dict, reps: int) -> list[dict]:
    """Per callback: cold and warm latencies through the app, and its recorded SQL run bare."""
    from cockpit.app import create_app
    from cockpit.cache import cache
    from cockpit.config import Settings
    from cockpit.db import Snapshot
    from tests.cockpit_process import TEST_PASSWORD
    home = Path(tempfile.mkdtemp(prefix="bench-cockpit-"))
    app = create_app(Settings(warehouse=wh, accounts=home / "accounts.sqlite", audit=home / "audit.sqlite",
                              secret_key_file=home / "session.key"))
    app.server.config["COCKPIT_ACCOUNTS"].add("T-ADMIN", "区级管理员", "2202", TEST_PASSWORD)
    from app import freeze_start_up
    freeze_start_up()                          # as app.py does before it serves
    client = app.server.test_client()
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"account": "T-ADMIN", "password": TEST_PASSWORD, "csrf": csrf})
    recorded: list = []
    original = Snapshot.query

    def recording(self, sql, params=None):
        recorded.append((sql, params))
        return original(self, sql, params)

    rows = []
    seen = set()
    for path, page_bodies in bodies.items():
        for body in page_bodies:
            name = callback_name(body)
            if name in seen:              # the frame's callbacks run on every page: once is enough
                continue
            seen.add(name)
            cold, warm = [], []
            for i in range(reps):
                cache.clear()
                Snapshot.query = recording
                recorded.clear()
                t = time.perf_counter()
                resp = request(client, body)
                cold.append(time.perf_counter() - t)
                Snapshot.query = original
                if resp.status_code not in (200, 204):
                    raise RuntimeError(f"{name}: HTTP {resp.status_code}")
                queries = list(recorded)
                t = time.perf_counter()
                request(client, body)
                warm.append(time.perf_counter() - t)
            bare = []
            snap = app.server.config["COCKPIT_WAREHOUSE"].snapshot()
            try:
                for _ in range(reps):
                    t = time.perf_counter()
                    for sql, params in queries:
                        original(snap, sql, params)
                    bare.append(time.perf_counter() - t)
            finally:
                snap.close()
            rows.append({"page": path, "callback": name, "queries": len(queries),
                         "bytes": len(resp.data), "cold": cold, "warm": warm, "bare": bare})
    return rows


def district_grid_maps(wh: Path) -> list[tuple[str, int, int, int, int]]:
    """Per district: grids, bytes of its grid polygons (fetched once by URL, cockpit/geometry.py),
    of the map figure (values, hover, names) and of a recolouring Patch, as Dash sends them."""
    from dash._utils import to_json

    from cockpit.db import Warehouse
    from cockpit.figures import grid_map as fig
    from cockpit.geometry import feature_collection
    from cockpit.queries import geometry, run
    from cockpit.queries.filters import window
    from cockpit.scope import Scope
    out = []
    with Warehouse(wh).snapshot() as snap:
        districts = snap.query("SELECT code, name FROM core.areas WHERE level = 'district' ORDER BY code")
        for code, name in zip(districts["code"], districts["name"]):
            scope = Scope(code, name)
            frame = run(snap, "grid_map__metrics", scope, child_len=15, **window(snap, 30).params())
            shapes = feature_collection(geometry.layer(snap, scope, "grid", "detail"))
            full = fig.grid_map(frame, f"/geo/{snap.generation}/grid/{code}.json", "events", "近30日")
            patch = fig.recolour(frame, "satisfaction", "近90日")
            out.append((name, len(frame), len(shapes), len(to_json(full)),
                        len(to_json(patch.to_plotly_json()))))
    return out


def hammer(url: str, bodies: list[str]) -> tuple[int, list[float]]:
    """CLIENTS threads, each sending the big screen's requests (callbacks, polygons) in turn."""
    from tests.cockpit_process import http_session
    errors, latencies, lock = [0], [], threading.Lock()

    def client(k):
        opener = http_session(url)            # each client signs in (its own session)
        for i in range(REQUESTS_PER_CLIENT):
            body = bodies[(k + i) % len(bodies)]
            req = (urllib.request.Request(url + body[len(GEO) + 1:]) if body.startswith(GEO) else
                   urllib.request.Request(url + "_dash-update-component", data=body.encode(),
                                          headers={"Content-Type": "application/json"}))
            t = time.perf_counter()
            try:
                with opener.open(req, timeout=120) as r:
                    r.read()
                    ok = r.status in (200, 204)
            except Exception:
                ok = False
            with lock:
                latencies.append(time.perf_counter() - t)
                errors[0] += not ok

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors[0], latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["demo"])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--renders", type=int, default=3, help="fresh servers for the first render")
    args = parser.parse_args()
    if len(args.scales) > 1:     # a process per scale: Dash registers pages and callbacks once
        for scale in args.scales:
            subprocess.run([sys.executable, __file__, "--scales", scale, "--reps", str(args.reps),
                            "--renders", str(args.renders)], check=True)
        return
    import dash

    from cockpit.app import create_app
    from cockpit.config import Settings
    from tests.cockpit_process import cockpit_process
    for scale in args.scales:
        wh = warehouse(scale)
        create_app(Settings(warehouse=wh))
        paths = [p["path"] for p in sorted(dash.page_registry.values(), key=lambda p: p.get("order", 99))]
        cold, cached = [], []
        for _ in range(args.renders):           # a fresh server each time: every cache cold
            with cockpit_process(wh, timeout=300) as url:
                first, *later = first_renders(url)
                cold.append(first)
                cached += later
        with cockpit_process(wh, timeout=300) as url:
            bodies, sizes = record_pages(url, paths)
            errors, latencies = hammer(url, bodies["/"])
        rows = replay(wh, bodies, args.reps)
        print(f"\n== {scale}: {wh}  ({args.reps} reps; ms, p50/p95)")
        print("targets: cold p95 ≤ 1.5 × bare p95 + 50 ms; warm (cached) p95 < 20 ms")
        print(f"{'page':<10} {'callback':<44} {'sql':>3} {'cold p50/p95':>15} {'warm p50/p95':>14} "
              f"{'bare p50/p95':>14} {'cold÷bare':>9} {'KB':>6}  targets")
        for r in rows:
            c, w, b = ([1000 * x for x in r[k]] for k in ("cold", "warm", "bare"))
            ratio = statistics.median(c) / statistics.median(b) if r["queries"] else float("nan")
            cold_ok = pct(c, .95) <= 1.5 * pct(b, .95) + 50
            warm_ok = pct(w, .95) < 20
            print(f"{r['page']:<10} {r['callback'][:44]:<44} {r['queries']:>3} "
                  f"{statistics.median(c):>7.0f}/{pct(c, .95):<7.0f} {statistics.median(w):>6.0f}/{pct(w, .95):<7.0f} "
                  f"{statistics.median(b):>6.0f}/{pct(b, .95):<7.0f} {ratio:>9.1f} {r['bytes'] / 1024:>6.0f}  "
                  f"{'ok' if cold_ok else 'COLD'} {'ok' if warm_ok else 'WARM'}")
        print("\ngrid-level map of each district (target < 1.5 MB, polygons and figure together):")
        for name, grids, polygons, figure, patch in district_grid_maps(wh):
            whole = polygons + figure
            print(f"  {name:<8} {grids:>5} grids  polygons {polygons / 1024:>5,.0f} KB + figure "
                  f"{figure / 1024:>5,.0f} KB  recolour {patch / 1024:>5,.0f} KB  "
                  f"{'ok' if whole < 1.5 * 2**20 else 'OVER'}")
        print("\npayload per page (every response, KB): " +
              ", ".join(f"{p} {sizes[p] / 1024:,.0f}" for p in paths))
        print(f"big screen fully drawn (target 3 s): first visit to a fresh server median "
              f"{statistics.median(cold):,.0f} ms ({min(cold):,.0f}–{max(cold):,.0f}, {len(cold)} servers); "
              f"a later visit median {statistics.median(cached):,.0f} ms")
        print(f"{CLIENTS} concurrent clients × {REQUESTS_PER_CLIENT} big-screen requests: "
              f"{errors} errors, p50 {1000 * statistics.median(latencies):,.0f} ms, "
              f"p95 {1000 * pct(latencies, .95):,.0f} ms")


if __name__ == "__main__":
    main()
