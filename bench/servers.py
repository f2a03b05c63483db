"""Several cockpit processes behind the install kit's nginx, sharing their state: accounts,
sessions and audit in PostgreSQL (COCKPIT_DATABASE_URL), the cache and rate limits in Redis
(COCKPIT_CACHE_URL). Many concurrent clients open the big screen through nginx over HTTPS;
prints errors and latency percentiles, and checks that signing out on one server ends the session
on the other.

    python bench/servers.py                                  # demo, 2 servers, 200 clients, 3 visits each
    python bench/servers.py --scale city --clients 200 --visits 3
    python bench/servers.py --pace 10 --visits 6     # each screen refreshing every 10 s instead
    python bench/servers.py --scale city --pace 15 --visits 4 --publish   # the first visit after a publish, warmed

The big screen's requests (its callbacks and polygon layers, as Chromium makes them on opening
it) are recorded once from a cockpit of their own, then each client signs in through nginx (its
own session) and replays them `--visits` times over one keep-alive HTTPS connection, gzip
accepted, as a browser does. PostgreSQL, Redis and nginx are started as this run's own processes
(tests/servers.py, tests/nginx.py), like the tests start them. The clients run in several
processes (Python's TLS is not free), all on this machine: read the numbers with that in mind."""
from __future__ import annotations

import argparse
import gzip
import http.client
import json
import multiprocessing as mp
import os
import random
import re
import resource
import shutil
import ssl
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.cockpit import GEO, callback_name, pct, record_pages, warehouse  # noqa: E402

PREFIX = "/cockpit"
UPDATE = PREFIX + "/_dash-update-component"


class Browser:
    """One client: its own cookies, one keep-alive HTTPS connection to nginx (reopened if nginx
    or the server closed it)."""

    def __init__(self, base: str, ca: str):
        url = urlparse(base)
        self.host, self.port = url.hostname, url.port
        self.context = ssl.create_default_context(cafile=ca)
        self.cookies: dict[str, str] = {}
        self.conn = None

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "",
                decode: bool = False) -> tuple[int, bytes]:
        """(status, body): the body as sent (gzip), or unzipped when `decode`."""
        headers = {"Accept-Encoding": "gzip"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=120)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except Exception as e:            # the connection is unusable now: a new one next time
                self.conn.close()
                self.conn = None
                # nginx closed an idle keep-alive connection: once more on a new one
                if attempt == 2 or not isinstance(e, (http.client.RemoteDisconnected, ConnectionResetError,
                                                      BrokenPipeError)):
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";")[0]
        if response.headers.get("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        if decode and response.headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        return response.status, data

    def sign_in(self, account: str, password: str) -> int:
        _, form = self.request("GET", PREFIX + "/login", decode=True)
        csrf = re.search(rb'name="csrf" value="([^"]+)"', form).group(1).decode()
        body = urllib.parse.urlencode({"account": account, "password": password, "csrf": csrf, "next": "/"})
        return self.request("POST", PREFIX + "/login", body.encode(), "application/x-www-form-urlencoded")[0]


def _client_process(base, ca, bodies, clients, visits, pace, account, password, go, ready, out) -> None:
    """`clients` threads: each signs in, waits for `go`, then opens the big screen `visits` times:
    back to back, or (`pace` seconds) first at a random moment within `pace` and then every
    `pace` seconds, as a screen refreshing on its timer."""
    results, lock = [], threading.Lock()

    def client():
        browser, mine = Browser(base, ca), []
        t = time.perf_counter()
        try:
            signed = browser.sign_in(account, password) == 302
        except Exception:
            signed = False
        mine.append(("sign-in", -1, time.perf_counter() - t, signed))
        ready.put(1)
        go.wait()
        began = time.monotonic() + random.uniform(0, pace)
        for visit in range(visits):
            time.sleep(max(0.0, began + visit * pace - time.monotonic()))
            for body in bodies:
                t = time.perf_counter()
                try:
                    if body.startswith(GEO):
                        status, _ = browser.request("GET", PREFIX + body[len(GEO):])
                    else:
                        status, _ = browser.request("POST", UPDATE, body.encode(), "application/json")
                    ok = status in (200, 204)
                except Exception:
                    ok = False
                mine.append((callback_name(body), visit, time.perf_counter() - t, ok))
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for th in threads:
        th.start()
    go.wait()
    before = _own_cpu()
    for th in threads:
        th.join()
    out.put((results, _own_cpu() - before))


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def hammer(base: str, ca: str, bodies: list[str], clients: int, visits: int, pace: float, processes: int,
           roots: dict[str, list[str]], signed_in_then=None):
    """Returns (results, seconds for every client to sign in, seconds of the visits, CPU seconds
    by component during the visits). `signed_in_then()`: called once every client has signed in,
    before their visits."""
    from tests.cockpit_process import TEST_PASSWORD
    ctx = mp.get_context("spawn")
    go, ready, out = ctx.Event(), ctx.Queue(), ctx.Queue()
    shares = [clients // processes + (i < clients % processes) for i in range(processes)]
    started = time.perf_counter()
    procs = [ctx.Process(target=_client_process, args=(base, ca, bodies, n, visits, pace, "T-ADMIN",
                                                       TEST_PASSWORD, go, ready, out)) for n in shares if n]
    for p in procs:
        p.start()
    for _ in range(clients):
        ready.get(timeout=1800)
    signed_in = time.perf_counter() - started
    if signed_in_then is not None:
        try:
            signed_in_then()
        except BaseException:               # the clients wait for `go`: not forever
            for p in procs:
                p.terminate()
            raise
    started, cpu = time.perf_counter(), cpu_by_component(roots)
    go.set()
    answers = [out.get(timeout=3600) for _ in procs]
    ran = time.perf_counter() - started
    cpu = {k: v - cpu.get(k, 0.0) for k, v in cpu_by_component(roots).items()}
    cpu["clients"] = sum(seconds for _, seconds in answers)
    for p in procs:
        p.join()
    return [r for results, _ in answers for r in results], signed_in, ran, cpu


def cpu_by_component(roots: dict[str, list[str]]) -> dict[str, float]:
    """CPU seconds so far by component: each is the processes whose command line holds one of its
    markers, and their children (nginx's workers, PostgreSQL's backends). Other work on this
    shared machine is left out."""
    tick, procs = os.sysconf("SC_CLK_TCK"), {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = stat.with_name("cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        procs[int(stat.parent.name)] = (int(fields[1]), cmdline, (int(fields[11]) + int(fields[12])) / tick)
    found = defaultdict(float)
    for name, markers in roots.items():
        top = {pid for pid, (_, cmdline, _) in procs.items() if any(m in cmdline for m in markers)}
        for pid, (parent, _, seconds) in procs.items():
            if pid in top or parent in top:
                found[name] += seconds
    return dict(found)


@contextmanager
def republished(wh: Path):
    """Yields a function that publishes the served generation again under a new id (its small
    file copied, its partitions hard-linked), as a refresh does: every cache key is new. Points
    back to the original and removes the copy afterwards."""
    from etl import storage
    from etl.publish.generations import point_to
    from warehouse import generations
    original, made = generations.current(wh), []
    published_at = json.loads((wh / generations.POINTER).read_text(encoding="utf-8")).get("published_at")

    def publish() -> None:
        new_id = time.strftime("%Y%m%dT%H%M%S.000000-bench")
        folder = wh / generations.GENERATIONS / new_id
        shutil.copytree(original.path.parent, folder, copy_function=os.link)
        (folder / generations.FILE).unlink()               # a link: relocate would write the original's
        shutil.copy2(original.path, folder / generations.FILE)
        storage.relocate(folder / generations.FILE)
        made.append(folder)
        point_to(wh, generations.Generation(new_id, folder / generations.FILE))
    try:
        yield publish
    finally:
        point_to(wh, original, published_at)
        for folder in made:
            shutil.rmtree(folder)


def warming_done(urls: list[str], quiet: float = 5.0, most: float = 600.0) -> float:
    """Seconds until the servers' warming lookups (cockpit_cache_lookups_total{origin="warming"})
    have grown and then stayed still for `quiet` seconds (at most `most`)."""
    def lookups() -> int:
        total = 0
        for url in urls:
            with urllib.request.urlopen(url + "metrics", timeout=60) as r:
                total += sum(int(n) for n in re.findall(r'origin="warming"\} (\d+)', r.read().decode()))
        return total
    started, before = time.perf_counter(), lookups()
    last, changed = before, time.perf_counter()
    while time.perf_counter() - started < most:
        time.sleep(0.5)
        now = lookups()
        if now != last:
            last, changed = now, time.perf_counter()
        elif last > before and time.perf_counter() - changed >= quiet:
            return changed - started
    return float("nan")


def sign_out_elsewhere(one: str, other: str) -> bool:
    """Signed in on `one`, signed out on `other`: is `one` still open to that cookie?"""
    from tests.cockpit_process import TEST_PASSWORD

    class Plain(Browser):
        def __init__(self, base):
            url = urlparse(base)
            self.host, self.port, self.cookies, self.conn = url.hostname, url.port, {}, None

        def request(self, method, path, body=None, content_type="", decode=False):
            conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
            if content_type:
                headers["Content-Type"] = content_type
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            for value in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";")[0]
            conn.close()
            return response.status, data
    first = Plain(one)
    assert first.sign_in("T-ADMIN", TEST_PASSWORD) == 302
    second = Plain(other)
    second.cookies = dict(first.cookies)
    before = first.request("GET", PREFIX + "/_dash-dependencies")[0]
    second.request("GET", PREFIX + "/logout")
    after = first.request("GET", PREFIX + "/_dash-dependencies")[0]
    return before == 200 and after == 401


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="demo")
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--visits", type=int, default=3, help="big-screen openings per client")
    parser.add_argument("--pace", type=float, default=0.0,
                        help="seconds between a client's visits (its first at random within them), as screens "
                             "refreshing on a timer; 0 (default): back to back, every client at once")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--publish", action="store_true",
                        help="once the clients have signed in, publish the generation again (every cache key "
                             "new, as after a refresh) and wait for the servers' warming before the visits")
    parser.add_argument("--state", choices=["shared", "embedded"], default="shared",
                        help="shared: PostgreSQL and Redis; embedded: SQLite and each process's memory "
                             "(one server only: the baseline)")
    args = parser.parse_args()
    if args.state == "embedded" and args.servers != 1:
        parser.error("--state embedded keeps sessions in each server's own files: use --servers 1")
    from tests.cockpit_process import cockpit_process
    from tests.nginx import nginx_in_front
    from tests.servers import fresh_database, postgres_server, redis_server
    wh = warehouse(args.scale)
    with cockpit_process(wh, timeout=600, env={"COCKPIT_URL_PREFIX": PREFIX}) as url:
        bodies = record_pages(url, ["/"])[0]["/"]
    print(f"the big screen makes {len(bodies)} requests: "
          + ", ".join(f"{n}×{c}" for c, n in Counter(callback_name(b) for b in bodies).most_common()), flush=True)
    home = Path(tempfile.mkdtemp(prefix="bench-servers-"))
    with ExitStack() as stack:
        env = {"COCKPIT_URL_PREFIX": PREFIX, "COCKPIT_TRUSTED_PROXIES": "127.0.0.1", "COCKPIT_SECURE_COOKIES": "1",
               "COCKPIT_SECRET_KEY_FILE": str(home / "session.key")}
        roots = {"nginx": [f"-p {home}"]}
        if args.state == "shared":
            database = stack.enter_context(fresh_database(stack.enter_context(postgres_server())))
            cache_url = stack.enter_context(redis_server())
            env.update(COCKPIT_DATABASE_URL=database, COCKPIT_CACHE_URL=cache_url)
            roots.update(postgresql=[f"-p {urlparse(database).port} "], redis=[f"127.0.0.1:{urlparse(cache_url).port}"])
        urls = [stack.enter_context(cockpit_process(
            wh, timeout=600, env={**env, "COCKPIT_ACCESS_LOG": str(home / f"access-{i}.log")}))
            for i in range(args.servers)]
        roots["servers"] = [f"app.py --warehouse {wh} --port {urlparse(u).port}" for u in urls]
        https, _ = stack.enter_context(nginx_in_front([urlparse(u).port for u in urls], home,
                                                      worker_connections=4 * args.clients + 64))
        shared = sign_out_elsewhere(urls[0], urls[-1]) if len(urls) > 1 else None
        load = os.getloadavg()
        then = None
        if args.publish:
            publish = stack.enter_context(republished(wh))

            def then() -> None:
                publish()
                print(f"published again; the servers' warming took {warming_done(urls):,.1f} s", flush=True)
        results, signing_in, ran, cpu = hammer(https, str(home / "cockpit.crt"), bodies, args.clients,
                                               args.visits, args.pace, args.processes, roots, then)
        served = [sum(1 for _ in open(home / f"access-{i}.log", encoding="utf-8")) for i in range(args.servers)]
    report(args, results, signing_in, ran, served, shared, load, cpu)


def report(args, results, signing_in, ran, served, shared, load, cpu) -> None:
    sign_ins = [r for r in results if r[0] == "sign-in"]
    calls = [r for r in results if r[0] != "sign-in"]
    ms = [1000 * r[2] for r in calls]
    errors = sum(not r[3] for r in calls)
    state = "PostgreSQL + Redis" if args.state == "shared" else "SQLite + in-process cache"
    paced = f"one every {args.pace:g} s" if args.pace else "back to back"
    print(f"\n== {args.scale}: {args.servers} server(s) behind nginx, {state}; {args.clients} clients × "
          f"{args.visits} big-screen visits, {paced} (load average before: {load[0]:.1f})")
    print(f"sign-in through nginx: {len(sign_ins)} clients in {signing_in:,.1f} s, "
          f"{sum(not r[3] for r in sign_ins)} refused or failed")
    print(f"requests: {len(calls):,} in {ran:,.1f} s ({len(calls) / ran:,.0f}/s), errors {errors}; "
          f"p50 {statistics.median(ms):,.0f} ms, p95 {pct(ms, .95):,.0f} ms, p99 {pct(ms, .99):,.0f} ms, "
          f"max {max(ms):,.0f} ms   (target: 0 errors, p95 ≤ 1000 ms)")
    by_visit = defaultdict(list)
    for name, visit, seconds, ok in calls:
        by_visit[visit].append(1000 * seconds)
    print("by visit (the first meets cold caches): " + ", ".join(
        f"#{v + 1} p50 {statistics.median(x):,.0f} / p95 {pct(x, .95):,.0f} ms" for v, x in sorted(by_visit.items())))
    by_name = defaultdict(list)
    for name, _, seconds, ok in calls:
        by_name[name].append(1000 * seconds)
    print(f"{'request':<48} {'n':>6} {'p50':>7} {'p95':>7}")
    for name, x in sorted(by_name.items(), key=lambda kv: -pct(kv[1], .95)):
        print(f"{name:<48} {len(x):>6} {statistics.median(x):>7,.0f} {pct(x, .95):>7,.0f}")
    print("requests answered per server (its access log): " + ", ".join(f"#{i + 1} {n:,}" for i, n in enumerate(served)))
    print(f"CPU seconds during the visits ({os.cpu_count()} cores × {ran:,.0f} s = {os.cpu_count() * ran:,.0f}): "
          + ", ".join(f"{k} {v:,.1f}" for k, v in sorted(cpu.items(), key=lambda kv: -kv[1]))
          + f"; the servers' per request {1000 * cpu.get('servers', 0) / len(calls):,.1f} ms")
    if shared is not None:
        print(f"signed in on server 1, signed out on server {args.servers}: server 1 "
              f"{'refuses the session (shared)' if shared else 'STILL ACCEPTS IT'}")


if __name__ == "__main__":
    main()
