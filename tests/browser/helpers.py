"""What the browser tests share besides their fixtures (tests/browser/conftest.py): screenshots,
waiting for a page's text, and running a page under the cockpit's Content-Security-Policy."""
from __future__ import annotations

from pathlib import Path

from warehouse.paths import ROOT

SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def under_csp(pg):
    """A page that runs under the cockpit's Content-Security-Policy as a person's browser does
    (no bypass): anything the policy blocks becomes a console error, which assert_clean refuses.
    Playwright's own wait_for_function compiles its predicate with eval, which the policy (no
    'unsafe-eval') refuses; on this page it polls with evaluate instead (DevTools evaluation is
    not the page's script), same arguments, same timeout error."""
    import time as _time

    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    pg.set_default_timeout(120_000)    # a loaded 2-core machine can take this long; a hang still fails
    pg.add_init_script("document.addEventListener('securitypolicyviolation', e => console.error("
                       "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile))")

    def wait_for_function(expression, arg=None, timeout=None, polling=None):
        deadline = _time.monotonic() + (120_000 if timeout is None else timeout) / 1000
        pause = polling / 1000 if isinstance(polling, (int, float)) else 0.1
        while True:
            result = pg.evaluate(expression, arg)
            if result:
                return result
            if _time.monotonic() > deadline:
                raise PlaywrightTimeout(f"wait_for_function timed out: {expression[:120]}")
            _time.sleep(pause)

    pg.wait_for_function = wait_for_function
    return pg


def screenshot(pg, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


def wait_text(pg, selector: str, expected: str, timeout: float | None = None) -> None:
    """Wait until `selector` shows exactly `expected` and is not rolling. Counters roll towards a
    new value (the server's text is set first, then animated to), so a read taken as soon as
    the text changes can catch a number on its way."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    try:
        pg.wait_for_function("([s, t]) => { const e = document.querySelector(s); "
                             "return e !== null && e.innerText === t && !e.dataset.rolling; }",
                             arg=[selector, expected], polling=200,   # not per frame: a busy
                             **({"timeout": timeout} if timeout else {}))  # page may starve frames
    except PlaywrightTimeout:
        shown = pg.locator(selector).inner_text(timeout=5000) if pg.locator(selector).count() else None
        raise AssertionError(f"{selector} shows {shown!r}, expected {expected!r}") from None


def wait_count(pg, selector: str, expected: int) -> None:
    """Wait until exactly `expected` elements match `selector` (a table is drawn whole, but a
    read taken between two renders could count nothing)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    try:
        pg.wait_for_function("([s, n]) => document.querySelectorAll(s).length === n",
                             arg=[selector, expected], polling=200)
    except PlaywrightTimeout:
        raise AssertionError(f"{selector}: {pg.locator(selector).count()} shown, "
                             f"expected {expected}") from None


GRID_ROWS = "{sel} .ag-center-cols-container .ag-row"
_COLUMN = """([sel, col]) => [...document.querySelectorAll(sel)]
  .sort((a, b) => Number(a.getAttribute('row-index')) - Number(b.getAttribute('row-index')))
  .map(r => { const c = r.querySelector(`[role=gridcell][col-id="${col}"]`); return c ? c.innerText : null; })"""


def grid_column(pg, grid: str, col: str) -> list[str | None]:
    """The texts of one column of an AG Grid (cockpit/components/table.py) in the order shown: the
    rows the grid has drawn (all of them unless it scrolls), by their row index."""
    return pg.evaluate(_COLUMN, [GRID_ROWS.format(sel=grid), col])


def wait_grid_rows(pg, grid: str, expected: int) -> None:
    """Wait until the grid `grid` (a selector) shows exactly `expected` rows."""
    wait_count(pg, GRID_ROWS.format(sel=grid), expected)
