"""The tables' helper (cockpit/components/table.py): what a browser sends about a grid (the page a
pager asks for, a grid's column state) becomes a page number or a sort the server can check,
whatever it is; the grids draw the rows they are given and nothing the browser could export."""
from hypothesis import given, strategies as st

from cockpit.components.table import AUTO_SIZE, LOCALE_TEXT, column, grid, page_asked, sort_of

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12)


def test_a_pager_steps_from_the_page_shown():
    assert page_asked("p-next", "p-prev", "p-next", 3) == 4
    assert page_asked("p-prev", "p-prev", "p-next", 3) == 2
    assert page_asked("p-prev", "p-prev", "p-next", 0) == 0          # never before the first
    assert page_asked("area", "p-prev", "p-next", 3) == 3            # not a pager: the page shown
    assert page_asked(None, "p-prev", "p-next", 5) == 5
    assert page_asked({"p-next.n_clicks", "t.columnState"}, "p-prev", "p-next", 5) == 6


@given(JSON, st.sampled_from(["p-prev", "p-next", None]))
def test_any_page_a_browser_sends_becomes_a_page_number(shown, trigger):
    page = page_asked(trigger, "p-prev", "p-next", shown)
    assert type(page) is int and page >= 0
    if not (type(shown) is int and shown >= 0):                        # not a page: from the first
        assert page == (1 if trigger == "p-next" else 0)


def test_the_sort_of_a_column_state():
    state = [{"colId": "reported_at", "sort": None, "width": 120},
             {"colId": "grid_name", "sort": "desc", "sortIndex": 1},
             {"colId": "department", "sort": "asc", "sortIndex": 0}]
    assert sort_of(state) == ("department", False)
    assert sort_of(state[:2]) == ("grid_name", True)
    assert sort_of(state[:1]) is None and sort_of([]) is None and sort_of(None) is None


@given(JSON)
def test_any_column_state_becomes_a_sort_or_none(state):
    sort = sort_of(state)
    assert sort is None or (type(sort[0]) is str and type(sort[1]) is bool)


def test_a_grid_shows_what_it_is_given_in_chinese_and_exports_nothing():
    rows = [{"name": "张*", "score": 87.25}]
    table = grid("t", [column("name", "姓名"), column("score", "信用评分", 1)], rows, sortable=True, page_size=12)
    assert table.rowData == rows and [c["field"] for c in table.columnDefs] == ["name", "score"]
    assert [c["headerName"] for c in table.columnDefs] == ["姓名", "信用评分"]
    options = table.dashGridOptions
    assert options["localeText"] is LOCALE_TEXT and LOCALE_TEXT["noRowsToShow"] == "暂无数据"
    assert options["pagination"] and options["paginationPageSize"] == 12 and table.defaultColDef["sortable"]
    assert table.columnSize == AUTO_SIZE
    # nothing client-side would export or edit: no CSV export, no editable cells, no enterprise
    assert getattr(table, "exportDataAsCsv", None) in (None, False)
    assert not table.defaultColDef.get("editable") and not getattr(table, "enableEnterpriseModules", None)
    assert not any(k.lower().startswith(("csv", "excel", "clipboard", "enablecharts")) for k in options)
    # a number is formatted by the one named function, never by code in a string
    assert table.columnDefs[1]["valueFormatter"] == {"function": "cockpitNumber(params.value, 1, false)"}
