"""Warming: a newly published generation's screens computed before the screens ask for them.

Every cache key names its generation, so just after a publish (or a start) every screen's next
poll misses, and all of them wait on the same queries at once: at city scale the first visit's
p95 was 2.1 s, the later ones under 160 ms (bench/servers.py). So a thread of each web process
looks at the served generation every `warm_seconds`, and when it is new computes, for each
jurisdiction with a live session, the views its pages name in `WARMED` (views of the snapshot and
the scope alone), widest jurisdiction first (it costs most and is the one on the walls).

It computes them as a request of that account would: in a request context under the cockpit's
path, with the account set, so `viewer_scope()` and every URL in a view are a request's, and the
snapshot is pinned and released the same way. With the shared cache (Redis) each jurisdiction is
claimed in the cache by the first process to reach it (an atomic add), and its views serve every
process. In a process's own cache only as many jurisdictions are warmed as fill a quarter of it (the
widest), so that warming does not push out what it warmed. A failure costs only the warming: the
screens then compute their views as before; so does a process killed while it warms (its claim
holds for CLAIM_SECONDS: the other processes leave that jurisdiction to the screens)."""
from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable

import dash
from flask import g

from cockpit.accounts import Account
from cockpit.cache import cache
from cockpit.context import viewer_scope, warehouse

log = logging.getLogger(__name__)
CLAIM_SECONDS = 600     # a jurisdiction claimed by one process of a shared cache, for one generation


def page_views(account: Account) -> list[Callable]:
    """The views the pages this account may open name in their `WARMED`."""
    views = []
    for page in dash.page_registry.values():
        module = sys.modules.get(page["module"])
        if account.may_open(page["path"]):
            views.extend(v for v in getattr(module, "WARMED", ()) if v not in views)
    return views


def jurisdictions(app: dash.Dash) -> list[tuple[Account, list[Callable]]]:
    """One account per jurisdiction with a live session, with the views of every page any of
    that jurisdiction's signed-in accounts may open; widest first."""
    from cockpit.auth import accounts, as_set_up
    found: dict[tuple, tuple[Account, list[Callable]]] = {}
    with app.server.app_context():
        store = accounts()
        for session in store.sessions.live(app.server.config["COCKPIT_LIFETIME"]):
            account = as_set_up(store.get(session.account_id))
            if account is None or account.status != "正常":
                continue
            key = (account.area_code, account.department)
            _, views = found.setdefault(key, (account, []))
            views.extend(v for v in page_views(account) if v not in views)
    return sorted((pair for pair in found.values() if pair[1]),
                  key=lambda pair: (len(pair[0].area_code or ""), pair[0].area_code or "", pair[0].department))


def served(app: dash.Dash) -> str | None:
    """The id of the generation being served now (None: nothing published)."""
    try:
        with app.server.config["COCKPIT_WAREHOUSE"].snapshot() as snapshot:
            return snapshot.generation
    except FileNotFoundError:
        return None


def warm(app: dash.Dash, generation: str, stopping: Callable[[], bool] = lambda: False) -> int:
    """Compute the live jurisdictions' views on `generation`; stops when another is served, or
    after the view it is computing once `stopping()` (Warmer.stop). Returns how
    many views it computed or found computed. A jurisdiction another process of a shared cache
    claimed first is left to it; one that fails is logged and the next warmed."""
    settings = app.server.config["COCKPIT_SETTINGS"]
    targets = jurisdictions(app)
    if not settings.cache_url:          # this process's cache: warm no more than a quarter of it
        targets = targets[:max(1, settings.cache_entries // (4 * max(len(v) for _, v in targets)))] \
            if targets else []
    done = 0
    for account, views in targets:
        if stopping():
            break
        with app.server.test_request_context("/", base_url="http://127.0.0.1" + settings.url_prefix):
            g.account, g.warming = account, True          # its cache lookups counted apart
            wh = warehouse()
            if wh.generation != generation:
                break
            claim = f"warm:{generation}:{account.area_code}:{account.department}"
            if not cache.add(claim, os.getpid(), timeout=CLAIM_SECONDS):
                continue
            try:
                for view in views:
                    if stopping():              # left unfinished: another process may take it
                        cache.delete(claim)
                        break
                    view(wh, viewer_scope())
                    done += 1
            except Exception:
                log.exception("预热失败 %s (warming failed)", account.area_code or account.department)
    return done


class Warmer(threading.Thread):
    """The warming thread of a web process: every `every` seconds, a new generation warmed once."""

    def __init__(self, app: dash.Dash, every: float):
        super().__init__(name="cockpit-warm", daemon=True)
        self.app, self.every, self.warmed = app, every, None
        self._stop_asked = threading.Event()

    def run(self) -> None:
        while True:
            self.turn()
            if self._stop_asked.wait(self.every):
                return

    def turn(self) -> None:
        now = self.warmed
        try:
            now = served(self.app)
            if now is None or now == self.warmed:
                return
            n = warm(self.app, now, self._stop_asked.is_set)
            if self._stop_asked.is_set():
                return
            if served(self.app) == now:
                log.info("预热 %s：%d 个视图 (views warmed)", now, n)
        except Exception:           # never a request's concern: logged, and tried again on the next generation
            log.exception("预热失败 (warming failed)")
        self.warmed = now

    def stop(self) -> None:
        """Ends the thread once the view it may be computing is done (not the whole warm)."""
        self._stop_asked.set()
        self.join()


def start(app: dash.Dash, every: float) -> Warmer | None:
    """Start this process's warming thread (none when `every` is 0)."""
    if every <= 0:
        return None
    warmer = Warmer(app, every)
    warmer.start()
    return warmer
