"""Notebooks 01–03 read like a report: what they show (the text, tables and charts of their
executed outputs, not the machine-readable numbers) holds no pandas row numbers, no English
True/False, no raw NaN, no long float reprs, no "超期 0 个工作日", no table cut without a count; a
chart of many categories gives each its own colour and lists them all; notebook 02 prints the codes
an analyst passes as `area_code`."""
import re

import duckdb
import pytest

from notebooks import present

SHOWN = ("text/plain", "text/html")
NOTEBOOKS = ["01_event_trends.ipynb", "02_grid_workload.ipynb", "03_needs_services.ipynb"]


def shown_texts(nb) -> list[str]:
    """Every text a person sees in the executed notebook: streams, plain text and HTML."""
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                out.append(o["text"])
            out += [o["data"][m] for m in SHOWN if m in o.get("data", {})]
    return out


def figures(nb) -> list[dict]:
    return [o["data"]["application/vnd.plotly.v1+json"] for cell in nb.cells for o in cell.get("outputs", [])
            if "application/vnd.plotly.v1+json" in o.get("data", {})]


def report_defects(texts: list[str]) -> list[str]:
    found = []
    for text in texts:
        for pattern, what in ((r"\bNaN\b|\bnan\b|\bNone\b|\bNaT\b|<NA>", "raw missing value"),
                              (r"\bTrue\b|\bFalse\b", "English True/False"),
                              (r"(?<![\w.])\d+\.\d{4,}", "long float repr"),
                              (r"(?<![\d,])0 个工作日", "超期 0 个工作日"),
                              (r"<th>\s*</th>|<th>\d+</th>", "pandas row numbers"),
                              (r"rows × \d+ columns|<td>\.\.\.</td>|…", "table cut without a count")):
            hit = re.search(pattern, text)
            if hit:
                found.append(f"{what}: …{text[max(0, hit.start() - 60):hit.end() + 40]}…")
    return found


def colour_defects(fig: dict) -> list[str]:
    """Traces of one figure told apart by colour must each have their own, and a legend must
    have room for them all (plot height against the entries)."""
    traces = [t for t in fig["data"] if t.get("showlegend", True) and t.get("name")]
    colours = [(t.get("marker") or {}).get("color") or (t.get("line") or {}).get("color") for t in traces]
    colours = [c for c in colours if isinstance(c, str)]
    out = []
    if len(set(colours)) < len(colours):
        out.append(f"{fig['layout'].get('title', {}).get('text')}: {len(colours)} series, {len(set(colours))} colours")
    height = fig["layout"].get("height") or (fig["layout"].get("template", {}).get("layout", {}).get("height")) or 450
    if len(traces) * 22 > height - 60:
        out.append(f"{fig['layout'].get('title', {}).get('text')}: {len(traces)} legend entries in {height} px")
    return out


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_outputs_read_like_a_report(execute, tiny_warehouse, name):
    execute(name, warehouse=str(tiny_warehouse))
    nb = execute.last
    assert report_defects(shown_texts(nb)) == []
    charts = figures(nb)
    assert charts and [d for fig in charts for d in colour_defects(fig)] == []


def test_the_checks_can_fail():
    assert len(report_defects(["<th></th><td>NaN</td>", "True", "93.22185727082712", "超期 0 个工作日",
                               "<p>286 rows × 9 columns</p>"])) == 6
    assert report_defects(["超期 10 个工作日", "1,230 个工作日", "93.2%"]) == []
    twelve = {"layout": {"title": {"text": "x"}, "height": 250},
              "data": [{"name": str(i), "marker": {"color": f"#{i % 10:06d}"}} for i in range(12)]}
    assert len(colour_defects(twelve)) == 2


def test_the_palette_tells_twelve_categories_apart():
    assert len(set(present.PALETTE)) >= 12


def test_grid_workload_prints_the_codes_of_its_streets(execute, tiny_warehouse, tiny_db):
    execute("02_grid_workload.ipynb", warehouse=str(tiny_warehouse))
    text = "\n".join(shown_texts(execute.last))
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        streets = [c for (c,) in con.execute("SELECT code FROM core.areas WHERE level = 'street' AND valid_to IS NULL")
                   .fetchall()]
    # as a code of its own, not the start of a grid's code
    assert streets and all(re.search(rf"(?<!\d){code}(?!\d)", text) for code in streets)


def test_a_report_table_says_how_many_rows_it_cut():
    import pandas as pd
    frame = pd.DataFrame({"n": range(50), "ok": [True] * 50, "rate": [12.345] * 50})
    shown = present.table(frame, {"n": "序号", "ok": "达标", "rate": "比率"}, rates=("rate",), max_rows=10,
                          name="frame")
    html = shown._repr_html_()
    assert html.count("<tr>") == 11 and "共 50 行" in html and "是" in html and "12.3%" in html
    assert report_defects([html, repr(shown)]) == []
