"""What a page shows, inspected generically in the browser: every plotly graph's figure data, every
table and every note that stands for an empty panel. A panel added later is checked too.

A graph is *empty* when no visible trace carries a value (x, y, z, locations, lat/lon, values);
an empty graph passes only when a text annotation says what it lacks
(not a bare 无数据); its colour scale is *degenerate* when a colour bar is shown over fewer than two distinct values
(one area, or all areas alike: the 50–51 scale of a one-grid map). A table is empty without a body
row (unless hidden, or a note in its panel says why). A note standing for an empty panel (`.empty-note`) must say what is missing: a bare 无数据 is
reported (`bare`); all notes are returned for a test to judge against the data."""
from __future__ import annotations

INSPECT = """() => {
  const filled = (v) => Array.isArray(v) ? v.length > 0 && v.some(x => x !== null && x !== undefined
                        && !(Array.isArray(x) && x.length === 0)) : (ArrayBuffer.isView(v) && v.length > 0);
  const numbers = (v) => (Array.isArray(v) || ArrayBuffer.isView(v))
                          ? Array.from(v).flatMap(x => (Array.isArray(x) || ArrayBuffer.isView(x)) ? numbers(x)
                                                       : (typeof x === 'number' && isFinite(x) ? [x] : [])) : [];
  // an empty graph must say what it lacks: a text annotation other than a bare placeholder
  const BARE = new Set(['', '无数据', '暂无数据', 'No data']);
  const explained = (gd) => ((gd._fullLayout || {}).annotations || []).some(a => a.visible !== false
                            && !BARE.has(String(a.text || '').replace(/<[^>]*>/g, '').trim()));
  const name = (el) => el.closest('[id]') ? el.closest('[id]').id : '?';
  const out = {graphs: [], empty: [], degenerate: [], tables: [], emptyTables: [], notes: [], bare: []};
  document.querySelectorAll('.js-plotly-plot').forEach(gd => {
    const id = name(gd);
    out.graphs.push(id);
    const traces = (gd._fullData || []).filter(t => t.visible !== false);
    const hasData = traces.some(t => ['x', 'y', 'z', 'locations', 'lat', 'lon', 'values'].some(k => filled(t[k])));
    if (!hasData && !explained(gd)) out.empty.push(id);
    const layout = gd._fullLayout || {};
    const scales = [];     // [values, shown]
    traces.forEach(t => {
      const color = t.marker && t.marker.color;
      const values = t.z !== undefined ? t.z : color;
      if (t.coloraxis) {
        scales.push([t.coloraxis, numbers(values)]);
      } else if (t.showscale || (t.marker && t.marker.showscale)) {
        scales.push([null, numbers(values)]);
      }
    });
    const byAxis = {};
    scales.forEach(([axis, values]) => {
      const key = axis || ('trace' + Object.keys(byAxis).length);
      byAxis[key] = (byAxis[key] || []).concat(values);
      if (axis && !(layout[axis] && layout[axis].showscale)) byAxis[key].hidden = true;
    });
    Object.entries(byAxis).forEach(([key, values]) => {
      if (!values.hidden && new Set(values).size < 2) out.degenerate.push(id + ':' + key + '=' + JSON.stringify([...new Set(values)]));
    });
  });
  document.querySelectorAll('.cockpit-grid, table').forEach(t => {
    if (t.closest('.js-plotly-plot') || (t.tagName === 'TABLE' && t.closest('.cockpit-grid'))) return;
    const id = name(t);
    out.tables.push(id);
    const rows = t.tagName === 'TABLE' ? Array.from(t.querySelectorAll('tr')).filter(r => r.querySelector('td')).length
                                       : t.querySelectorAll('.ag-center-cols-container .ag-row').length;
    // a table with no row passes only when hidden, or when a note in its panel says why
    const panel = t.closest('.panel') || t.parentElement;
    const said = Array.from(panel.querySelectorAll('.empty-note')).some(n => n.offsetParent !== null
                  && !BARE.has(n.innerText.trim()));
    if (rows === 0 && t.offsetParent !== null && !said) out.emptyTables.push(id);
  });
  document.querySelectorAll('.empty-note').forEach(n => {
    if (n.offsetParent === null) return;          // not displayed
    const text = n.innerText.trim();
    out.notes.push(name(n) + ': ' + text);
    if (BARE.has(text)) out.bare.push(name(n));
  });
  return out;
}"""


def inspect(page) -> dict:
    return page.evaluate(INSPECT)


def wait_drawn(page, timeout_ms: int = 60_000) -> dict:
    """Inspect until every graph holds data and every table a row (a page draws in steps), or the
    time is up; returns the last inspection. A page with no graph at all (the briefings list, the
    phone view) is drawn when nothing is empty and four inspections over two seconds agree."""
    import time
    deadline = time.monotonic() + timeout_ms / 1000
    same, before = 0, None
    while True:
        found = inspect(page)
        same = same + 1 if found == before else 0
        settled = not found["empty"] and not found["emptyTables"] and (found["graphs"] or same >= 3)
        if settled or time.monotonic() > deadline:
            return found
        before = found
        page.wait_for_timeout(500)
