"""网格地图 in headless Chromium: loads offline, drills down by clicking polygons, back up by the
breadcrumb, recolours on a metric change; the numbers on screen equal SQL."""
import datetime as dt

import duckdb
import pytest

from tests.browser.helpers import screenshot

pytestmark = pytest.mark.browser

# A point inside the i-th polygon, in page coordinates. The bounding-box centre of a concave
# polygon can fall outside it (or on a neighbour), and plotly's geo picks the polygon under the
# pointer itself, so scan the box for points that are in this path's fill, nearest the centre.
POINT_INSIDE = """([i]) => {
  const path = document.querySelectorAll('path.choroplethlocation')[i];
  const box = path.getBoundingClientRect(), inv = path.getScreenCTM().inverse();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  let best = null;
  for (let gx = 1; gx < 24; gx++) for (let gy = 1; gy < 24; gy++) {
    const x = box.x + box.width * gx / 24, y = box.y + box.height * gy / 24;
    const p = new DOMPoint(x, y).matrixTransform(inv);
    if (!path.isPointInFill(p)) continue;
    const d = (x - cx) ** 2 + (y - cy) ** 2;
    if (!best || d < best.d) best = {x, y, d};
  }
  return best;
}"""


def _sql(db, prefix, days=30):
    con = duckdb.connect(str(db), read_only=True)
    as_of = con.execute("SELECT as_of FROM ops.meta").fetchall()[0][0]
    start = dt.datetime.combine(as_of.date() - dt.timedelta(days=days - 1), dt.time())
    events = con.execute("SELECT count(*) FROM core.events WHERE starts_with(grid_code, ?) "
                         "AND reported_at >= ? AND reported_at <= ?", [prefix, start, as_of]).fetchall()[0][0]
    children = con.execute("SELECT code, name FROM core.areas WHERE parent_code = ? AND valid_to IS NULL "
                           "ORDER BY code", [prefix]).fetchall()
    con.close()
    return events, dict(children)


def _crumbs(page):
    return page.locator(".grid-map-crumb").all_inner_texts()


def _drill(page, index: int, depth: int):
    """Click inside the index-th polygon (a real mouse move + click, as a person would)."""
    point = page.evaluate(POINT_INSIDE, [index])
    assert point, "no point inside the polygon"
    page.mouse.move(point["x"], point["y"])
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function(f"document.querySelectorAll('.grid-map-crumb').length === {depth}",
                           timeout=30000)
    page.wait_for_timeout(800)       # the map redraws after the breadcrumb


def _total(page):
    return page.inner_text("#grid-map-total")


def test_grid_map_drills_down_and_back(page, cockpit_url, tiny_db):
    district = "220204"
    events, streets = _sql(tiny_db, district)
    page.goto(cockpit_url + "map", timeout=120000)
    page.wait_for_selector("path.choroplethlocation", state="attached", timeout=120000)
    page.wait_for_timeout(800)
    # a city scope over one district opens on its streets
    assert _crumbs(page) == ["吉林市", "船营区"]
    assert page.locator("path.choroplethlocation").count() == len(streets)
    assert _total(page) == f"{events:,}"
    page.locator("path.choroplethlocation").nth(0).hover(force=True)
    page.wait_for_selector("g.hovertext", timeout=5000)
    hover = page.locator("g.hovertext").text_content()
    assert "所属：船营区" in hover and "实有人口" in hover and "满意度" in hover
    screenshot(page, "grid_map")

    # street → its communities, then community → its grids
    _drill(page, 0, 3)
    street_name = _crumbs(page)[-1]
    street = next(c for c, n in streets.items() if n == street_name)
    street_events, communities = _sql(tiny_db, street)
    assert page.locator("path.choroplethlocation").count() == len(communities)
    assert _total(page) == f"{street_events:,}"
    _drill(page, 0, 4)
    community = next(c for c, n in communities.items() if n == _crumbs(page)[-1])
    community_events, grids = _sql(tiny_db, community)
    page.wait_for_function(f"document.querySelectorAll('path.choroplethlocation').length === {len(grids)}")
    assert _total(page) == f"{community_events:,}"    # the grid rows sum to the community
    assert "各网格" in page.inner_text("#grid-map-title")

    # a metric change recolours the same polygons (a Patch: no new geometry)
    page.locator("#grid-map-metric label", has_text="满意度").click()
    page.wait_for_function("document.querySelector('#grid-map-title').innerText.includes('满意度')")
    page.wait_for_timeout(800)
    assert page.locator("path.choroplethlocation").count() == len(grids)
    assert "满意度" in page.locator(".colorbar").first.text_content()
    screenshot(page, "grid_map_drilled")

    # the breadcrumb goes back up to the district's streets
    page.locator(".grid-map-crumb", has_text="船营区").click()
    page.wait_for_function("document.querySelectorAll('.grid-map-crumb').length === 2")
    page.wait_for_function(f"document.querySelectorAll('path.choroplethlocation').length === {len(streets)}")
    page.log.assert_clean()
