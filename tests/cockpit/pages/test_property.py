"""物业红黑榜 callbacks without a browser, against SQL of their own on the same warehouse."""
import duckdb
import pytest

from tests.cockpit import as_figures, signed_in


@pytest.fixture(scope="module")
def firms(tiny_db):
    con = duckdb.connect(str(tiny_db), read_only=True)
    frame = con.execute("SELECT * FROM core.property_firms ORDER BY credit_score DESC, firm_id").df()
    con.close()
    return frame


def test_counters_and_lists_equal_sql(app, firms):
    from cockpit.pages.property import refresh_lists
    with signed_in(app):
        out = as_figures(refresh_lists(0))
    n, detail, red, black, avg, compounds, cdetail, red_list, black_list = (
        out[k] for k in ("firms", "firms_detail", "red", "black", "avg", "compounds", "compounds_detail",
                         "red_list", "black_list"))
    reds = firms[firms["red_black_list"] == "红榜"]
    blacks = firms[firms["red_black_list"] == "黑榜"]
    assert n == f"{len(firms):,}" and len(firms) > 0
    assert (red, black) == (f"{len(reds):,}", f"{len(blacks):,}")
    assert avg == f"{firms['credit_score'].mean():.1f}"
    assert compounds == f"{int(firms['compounds'].sum()):,}"
    assert f"红心物业项目 {int(firms['red_heart_projects'].sum()):,} 个" in cdetail
    assert f"最近评价 {firms['rating_date'].max():%Y-%m-%d}" in detail
    # each list: its firms, best first; an empty list says so
    text = repr(red_list)
    assert [text.find(name) for name in reds["name"]] == sorted(text.find(name) for name in reds["name"])
    assert all(name not in text for name in firms.loc[firms["red_black_list"] != "红榜", "name"])
    if blacks.empty:
        assert "本期无黑榜企业" in repr(black_list)
    else:
        assert all(name in repr(black_list) for name in blacks["name"])
    # the contract ties the lists to the score
    assert (reds["credit_score"] >= 90).all() and (blacks["credit_score"] < 60).all()


def test_list_filter_and_forged_values(app, firms):
    from cockpit.pages.property import refresh_ranking
    with signed_in(app):
        red = as_figures(refresh_ranking("red", 0))
        none = as_figures(refresh_ranking("none", 0))
        black = as_figures(refresh_ranking("black", 0))
        forged = [as_figures(refresh_ranking(v, 0)) for v in ("红榜' OR 1=1 --", None, 7, "all")]
    reds = firms[firms["red_black_list"] == "红榜"]
    chart = red[0]
    assert sum(len(tr.x) for tr in chart.data) == len(reds) == int(red[4].split("：")[1].split(" ")[0])
    assert list(chart.data[0].x) == list(reds["credit_score"])
    # the table's rows: the same firms, in rank order, every column shown and nothing else
    assert [r["name"] for r in red[2]] == list(reds["name"])
    assert [r["score"] for r in red[2]] == list(reds["credit_score"].round(1))     # numbers: sorted as such
    from cockpit.pages.property import FULL_COLUMNS
    assert all(list(r) == list(FULL_COLUMNS) for r in red[2])
    assert red[3] == "autoSize"            # the columns measured again for the new rows
    assert none[4] == f"未上榜：{(firms['red_black_list'] == '无').sum():,} 家"
    n_black = (firms["red_black_list"] == "黑榜").sum()
    assert black[4] == f"黑榜：{n_black:,} 家"
    if n_black == 0:
        assert black[2] == [] and black[0].layout.annotations[0].text == "无数据"
    for out in forged:                     # anything unknown shows every firm
        assert out[4] == f"全部：{len(firms):,} 家"
        assert sum(len(tr.x) for tr in out[0].data) == len(firms) == len(out[2])


def test_ranking_is_by_score(app, firms):
    from cockpit.context import warehouse
    from cockpit.queries import property as q
    from cockpit.scope import CITY
    with signed_in(app):
        frame = q.firms(warehouse(), CITY)
    assert list(frame["firm_id"]) == list(firms["firm_id"])
    expected_rank = firms["credit_score"].rank(method="min", ascending=False).astype(int)
    assert list(frame["score_rank"]) == list(expected_rank)


def test_scope_marks_but_never_hides_firms(app, firms):
    """Firms have no area of the grid layer: a narrower viewer sees the same list, with the
    firms registered in its own county marked."""
    from cockpit.context import warehouse
    from cockpit.queries import property as q
    from cockpit.scope import CITY, Scope
    with signed_in(app):
        city = q.firms(warehouse(), CITY)
        street = q.firms(warehouse(), Scope("220204001", "街道"))
        other = q.firms(warehouse(), Scope("220202", "昌邑区"))
        s = q.summary(warehouse(), Scope("220202", "昌邑区"))
    assert len(city) == len(street) == len(other) == len(firms)
    assert city["registered_here"].all()
    assert list(street["registered_here"]) == list(firms["registered_region"] == "220204")
    assert int(s["registered_here"]) == int((firms["registered_region"] == "220202").sum())
    assert {"name", "credit_code"} <= set(city.columns)   # organisations, not people
