"""Benchmark the open read API (/api/v1): each endpoint's answer time in-process (Flask test client:
token check, rate limit, query, JSON, audit record), for a district's and a street's token, on the
first page and a deep one.

    python bench/api.py                      # demo (船营区, ~1.2 million events)
    python bench/api.py --scales demo city --reps 30

The warehouse per scale is bench/cockpit.py's (built once into data/bench/<scale>-warehouse).
Prints medians and 95th percentiles in milliseconds; the machine is shared and noisy."""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.cockpit import pct, warehouse  # noqa: E402

CALLS = [
    ("services", "services.json"),
    ("requests, 90 days, page 1", "requests.json?page_size=100"),
    ("requests, 90 days, page 50", "requests.json?page_size=100&page=50"),
    ("requests, a year, open only, 1000 rows", "requests.json?start_date={year_ago}&status=open&page_size=1000"),
    ("requests, one subclass, a year", "requests.json?start_date={year_ago}&service_code=0101&page_size=100"),
    ("one request", "requests/{one}.json"),
    ("KPIs, own level, 12 months", "kpis.json"),
    ("KPIs, grids, 12 months, 1000 rows", "kpis.json?level=grid&page_size=1000"),
]


def run(scale: str, reps: int) -> None:
    import duckdb

    from cockpit.app import create_app
    from cockpit.config import Settings
    from warehouse.generations import current
    wh = warehouse(scale)
    with duckdb.connect(str(current(wh).path), read_only=True) as con:
        street = con.execute("SELECT min(code) FROM core.areas WHERE level = 'street'").fetchall()[0][0]
        district = street[:6]
        as_of = con.execute("SELECT as_of FROM ops.meta").fetchall()[0][0]
        events = con.execute("SELECT count(*) FROM core.events").fetchall()[0][0]
    home = Path(tempfile.mkdtemp(prefix="bench-api-"))
    app = create_app(Settings(warehouse=wh, accounts=home / "a.sqlite", audit=home / "audit.sqlite",
                              secret_key_file=home / "s.key", api_tokens=home / "t.sqlite",
                              api_per_minute=10**9))
    app.server.config["COCKPIT_ACCOUNTS"].add("bench", "区级管理员", "2202", "bench-password")
    store = app.server.config["COCKPIT_API_TOKENS"]
    client = app.server.test_client()
    print(f"\n{scale}: {events:,} events, as of {as_of:%Y-%m-%d %H:%M}; ms per answer, median / p95 of {reps}")
    print(f"{'call':<42}{'token':>12}{'median':>9}{'p95':>9}{'rows':>7}{'KB':>8}")
    for name, code in (("district", district), ("street", street)):
        token = store.add(f"bench-{name}", code)
        auth = {"Authorization": f"Bearer {token}"}
        one = client.get("/api/v1/requests.json?page_size=1", headers=auth).get_json()[0]["service_request_id"]
        for label, path in CALLS:
            url = "/api/v1/" + path.format(year_ago=f"{as_of.year - 1}-{as_of:%m-%d}", one=one)
            times, r = [], None
            for _ in range(reps):
                t0 = time.perf_counter()
                r = client.get(url, headers=auth)
                body = r.get_data()
                times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, (url, r.status_code)
            data = r.get_json()
            rows = len(data["items"]) if isinstance(data, dict) else len(data)
            print(f"{label:<42}{name:>12}{statistics.median(times):>9.1f}{pct(times, 0.95):>9.1f}"
                  f"{rows:>7}{len(body) / 1024:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", nargs="+", default=["demo"])
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args()
    for scale in args.scales:
        run(scale, args.reps)


if __name__ == "__main__":
    main()
