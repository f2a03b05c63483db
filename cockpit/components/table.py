"""The cockpit's tables: AG Grid (dash-ag-grid) fed records, on the dark theme (assets/cockpit.css
sets the theme's colours as CSS variables), with the grid's own texts in Chinese. Only what the
server sends is shown: no client-side export, no editing. Numbers stay numbers and are formatted in
the browser by `cockpitNumber` (assets/dashAgGridFunctions.js), so they sort as numbers."""
from __future__ import annotations

import dash_ag_grid as dag
import pandas as pd
from dash import html

# the grid's own words (AG Grid's localeText keys), read as "1 至 12 / 40　页 1 / 4"
LOCALE_TEXT = {
    "noRowsToShow": "暂无数据", "loadingOoo": "加载中…", "loadingError": "加载出错",
    "page": "页", "of": "/", "to": "至", "more": "更多",
    "firstPage": "首页", "previousPage": "上一页", "nextPage": "下一页", "lastPage": "末页",
    "pageSizeSelectorLabel": "每页", "ariaPageSizeSelectorLabel": "每页",
    "ariaChecked": "已选", "ariaUnchecked": "未选", "ariaRowSelect": "按空格选择此行",
    "ariaRowDeselect": "按空格取消选择", "sortAscending": "升序", "sortDescending": "降序",
    "sortUnSort": "取消排序",
}
THEME = "themeBalham"     # compact, spreadsheet-like; coloured by CSS variables in assets/cockpit.css
# Columns are as wide as their contents: measured when the grid is drawn and again whenever a
# callback sends this as the grid's columnSize with new rows (dash-ag-grid clears it once applied).
AUTO_SIZE = "autoSize"


def column(field: str, header: str, digits: int | None = None, percent: bool = False,
           fill: int | None = None, **options) -> dict:
    """One column: its field in the records, its Chinese header; with `digits` a number right-aligned
    and shown with that many decimals (grouped by thousands; `percent`: × 100 with %). Columns are
    as wide as their contents (AUTO_SIZE), but a `fill` column (at least that many pixels) shares
    the width left in the panel: the long texts of a table."""
    col = {"field": field, "headerName": header,
           **({"flex": 1, "minWidth": fill, "suppressAutoSize": True} if fill else {}), **options}
    if digits is not None:
        col.update(type="rightAligned", valueFormatter={
            "function": f"cockpitNumber(params.value, {digits}, {'true' if percent else 'false'})"})
    return col


def grid(component_id: str | None, column_defs: list[dict], row_data: list[dict] | None = None, *,
         sortable: bool = False, page_size: int | None = None, auto_height: bool = True,
         class_name: str = "", wrap: bool = False, noted: bool = False, grid_options: dict | None = None,
         column_options: dict | None = None, **props) -> dag.AgGrid:
    """An AG Grid as the cockpit draws it: `sortable` sorts in the browser, `page_size` pages in the
    browser, `auto_height` grows the grid with its rows (else the page's CSS gives it a height),
    `wrap` wraps long texts onto more lines; `noted`: a note beside the grid says why it has no rows
    (the grid's own 暂无数据 would say it twice); `column_options` apply to every column."""
    options = {"theme": THEME, "localeText": LOCALE_TEXT, "suppressCellFocus": True,
               "suppressColumnVirtualisation": True,    # every column drawn, so every one is measured
               "enableCellTextSelection": True, "ensureDomOrder": True, "suppressDragLeaveHidesColumns": True,
               **({"domLayout": "autoHeight"} if auto_height else {}),
               **({"suppressNoRowsOverlay": True} if noted else {}),
               **({"pagination": True, "paginationPageSize": page_size, "paginationPageSizeSelector": False}
                  if page_size else {}),
               **(grid_options or {})}
    default = {"sortable": sortable, "resizable": True, "suppressMovable": True, "minWidth": 72,
               **({"wrapText": True, "autoHeight": True} if wrap else {}), **(column_options or {})}
    return dag.AgGrid(**({"id": component_id} if component_id else {}), columnDefs=column_defs,
                      rowData=row_data or [], defaultColDef=default, dashGridOptions=options,
                      columnSize=AUTO_SIZE, className=f"cockpit-grid {class_name}".strip(), **props)


def records(frame: pd.DataFrame) -> list[dict]:
    """JSON-safe rows: missing values as None (shown blank), numpy numbers as Python's."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def pager(prev_id: str, next_id: str, label_id: str) -> html.Div:
    """Previous / next page for a table the server pages (its rows are one page of the answer)."""
    return html.Div([html.Button("上一页", id=prev_id, n_clicks=0, className="pager-button"),
                     html.Span("第 1 / 1 页", id=label_id, className="pager-label"),
                     html.Button("下一页", id=next_id, n_clicks=0, className="pager-button")],
                    className="pager")


def page_asked(triggered, prev_id: str, next_id: str, current) -> int:
    """The page a pager asks for: one before or after the current one (0-based), which the server
    still clamps to the pages it has; a browser's number that is not a page counts as the first.
    `triggered`: what fired the callback, an id or ids ("id.prop" too: Dash may send a click
    together with another input that changed meanwhile)."""
    page = current if isinstance(current, int) and not isinstance(current, bool) and current >= 0 else 0
    fired = {str(t).split(".")[0] for t in ([triggered] if isinstance(triggered, str) else triggered or [])}
    return max(page - 1, 0) if prev_id in fired else page + 1 if next_id in fired else page


def sort_of(column_state) -> tuple[str, bool] | None:
    """(column, descending) of the first sorted column in a grid's columnState, as the browser sent
    it (to be checked against a whitelist by the caller); None when nothing is sorted or it is not
    a column state."""
    try:
        hits = sorted((c for c in column_state if c.get("sort") in ("asc", "desc")),
                      key=lambda c: c.get("sortIndex") if isinstance(c.get("sortIndex"), int) else 0)
        return (str(hits[0]["colId"]), hits[0]["sort"] == "desc") if hits else None
    except (TypeError, KeyError, AttributeError):
        return None
