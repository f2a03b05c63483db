"""手机版 (/m) on a phone-sized screen (390×844, touch, device pixels ×3) in Chromium: no horizontal
scrolling, every link and button at least 44 px each way, no text under 14 px (SVG text of the
chart included), the numbers equal SQL, and one tap from an incident to its course."""
import duckdb
import pytest

from tests.browser.helpers import screenshot, under_csp
from tests.browser.panels import wait_drawn

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 3}

MEASURE = """() => {
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const small = [], targets = [];
  document.querySelectorAll('body *').forEach(el => {
    const text = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (text && visible(el)) {
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size < 14) small.push(el.tagName + ' ' + size + ' ' + el.textContent.trim().slice(0, 20));
    }
  });
  document.querySelectorAll('a, button, input, select, [role=button]').forEach(el => {
    if (!visible(el) || el.closest('.modebar')) return;   // the chart's own buttons: see below
    const r = el.getBoundingClientRect();
    targets.push({what: (el.textContent || el.tagName).trim().slice(0, 20), w: r.width, h: r.height});
  });
  document.querySelectorAll('.modebar-btn').forEach(el => {
    if (!visible(el)) return;
    const r = el.getBoundingClientRect();
    targets.push({what: 'modebar', w: r.width, h: r.height});
  });
  return {scrollWidth: document.documentElement.scrollWidth, bodyWidth: document.body.scrollWidth,
          innerWidth: window.innerWidth, small, targets};
}"""


def _phone(browser, cockpit_url, account):
    from tests.cockpit_process import sign_in
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = under_csp(context.new_page())
    page.set_default_timeout(120_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, cockpit_url, account)
    return context, page, errors


def _check_phone_layout(page):
    m = page.evaluate(MEASURE)
    assert m["innerWidth"] == 390, f"the page widened the phone's viewport (scrollWidth): {m}"
    assert m["scrollWidth"] <= m["innerWidth"] and m["bodyWidth"] <= m["innerWidth"], m
    assert m["small"] == [], f"text under 14 px: {m['small']}"
    tiny = [t for t in m["targets"] if t["w"] < 44 or t["h"] < 44]
    assert m["targets"] and tiny == [], f"touch targets under 44 px: {tiny}"


def _sql(db, query, params=()):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query, list(params)).fetchall()


def test_a_leader_on_a_phone_taps_to_an_incident(browser, cockpit_url, role_accounts, tiny_db):
    district = role_accounts["T-DISTRICT"][1]
    ongoing = _sql(tiny_db, "SELECT incident_id, split_part(subject, '、', 1) FROM warning.incidents i "
                            "WHERE status = '进行中' AND EXISTS (SELECT 1 FROM warning.incident_areas a "
                            "WHERE a.incident_id = i.incident_id AND starts_with(a.area_code, ?)) "
                            "ORDER BY on_screen DESC, kind = 'drop', new DESC, rank NULLS LAST, last_day DESC, "
                            "peak_score DESC, incident_id", [district])
    overdue = _sql(tiny_db, "SELECT count(*) FROM mart.event_sla WHERE overdue_open AND starts_with(grid_code, ?)",
                   [district])[0][0]
    assert ongoing, "the tiny data has ongoing incidents in the district"
    context, page, errors = _phone(browser, cockpit_url, "T-DISTRICT")
    try:
        page.goto(cockpit_url + "m")
        page.wait_for_selector(".m-card")
        assert page.locator(".m-card").count() == len(ongoing)
        counters = dict(zip(page.locator(".m-counter-label").all_inner_texts(),
                            page.locator(".m-counter-value").all_inner_texts()))
        assert counters["超期在办"] == f"{overdue:,}" and counters["进行中预警"] == str(len(ongoing))
        assert page.locator(".m-item").count() == min(20, overdue)
        page.wait_for_timeout(300)
        _check_phone_layout(page)
        screenshot(page, "mobile_district")

        page.locator(".m-card").first.tap()                # one tap to the incident's course
        page.wait_for_function("!document.querySelector('#m-course-box').hidden")
        page.wait_for_selector("#m-course .js-plotly-plot")
        found = wait_drawn(page)
        assert found["empty"] == [] and found["degenerate"] == []
        assert ongoing[0][1] in page.inner_text("#m-course-title")
        assert "incident=" in page.url
        page.wait_for_timeout(500)
        _check_phone_layout(page)
        screenshot(page, "mobile_incident")
        assert errors == []
    finally:
        context.close()


def test_a_grid_worker_on_a_phone(browser, cockpit_url, role_accounts, tiny_db):
    grid = role_accounts["T-GRID"][1]
    overdue = _sql(tiny_db, "SELECT count(*) FROM mart.event_sla WHERE overdue_open AND grid_code = ?", [grid])[0][0]
    context, page, errors = _phone(browser, cockpit_url, "T-GRID")
    try:
        page.goto(cockpit_url + "m")
        page.wait_for_selector(".m-item")
        assert page.locator(".m-item").count() == overdue > 0
        page.wait_for_timeout(300)
        _check_phone_layout(page)
        screenshot(page, "mobile_grid")
        # an incident of another jurisdiction named in the URL draws nothing of it
        other = _sql(tiny_db, "SELECT incident_id FROM warning.incidents i WHERE NOT EXISTS (SELECT 1 FROM "
                              "warning.incident_areas a WHERE a.incident_id = i.incident_id AND "
                              "starts_with(a.area_code, ?)) ORDER BY incident_id LIMIT 1", [grid])[0][0]
        page.goto(cockpit_url + f"m?incident={other}")
        page.wait_for_function("(document.querySelector('#m-course-title') || {innerText: ''}).innerText"
                               ".includes('不在本辖区')")
        assert errors == []
    finally:
        context.close()


def test_the_phone_check_can_fail(browser, cockpit_url):
    """A wide element, small text and a small link planted in the page are each caught."""
    context, page, _ = _phone(browser, cockpit_url, "T-DISTRICT")
    try:
        page.goto(cockpit_url + "m")
        page.wait_for_selector(".m-counter")
        page.evaluate("""() => { const d = document.createElement('div'); d.style.width = '600px';
            d.innerText = '宽'; document.querySelector('.mobile').appendChild(d); }""")
        with pytest.raises(AssertionError, match="scrollWidth"):
            _check_phone_layout(page)
        page.evaluate("() => { const d = document.querySelector('.mobile').lastChild; d.style.width = '10px';"
                      " d.style.fontSize = '12px'; }")
        with pytest.raises(AssertionError, match="under 14 px"):
            _check_phone_layout(page)
        page.evaluate("() => { const d = document.querySelector('.mobile').lastChild; d.remove();"
                      " const a = document.createElement('a'); a.href = '#'; a.innerText = '小';"
                      " a.style.fontSize = '14px'; document.querySelector('.mobile').appendChild(a); }")
        with pytest.raises(AssertionError, match="touch targets"):
            _check_phone_layout(page)
    finally:
        context.close()
