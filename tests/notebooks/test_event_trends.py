"""notebooks/01_event_trends.ipynb: its numbers against counts of the events table itself (the
notebook reads mart_events_daily)."""
import datetime as dt


def expected(con, area: str, start: dt.date, end: dt.date) -> dict:
    events = con.execute("""
        SELECT class_name, left(grid_code, $child) AS child, strftime(reported_at, '%Y-%m') AS month,
               count(*) AS n
        FROM core.events
        WHERE starts_with(grid_code, $area) AND reported_at::DATE BETWEEN $start AND $end
        GROUP BY ALL
    """, {"area": area, "child": len(area) + 3, "start": start, "end": end}).df()
    months = events.groupby("month")["n"].sum().reset_index().sort_values(["n", "month"], ascending=[False, True])
    # calendar month with the most events per day of data, over all data up to the end date
    seasonal_peak = con.execute("""
        WITH first AS (SELECT min(reported_at)::DATE AS day FROM core.events),
        per_month AS (
            SELECT month(reported_at) AS m, count(*) AS n FROM core.events
            WHERE starts_with(grid_code, $area) AND reported_at::DATE <= $end GROUP BY 1
        ), days AS (
            SELECT month(d) AS m, count(*) AS days
            FROM first, unnest(generate_series(first.day::TIMESTAMP, $end::TIMESTAMP, INTERVAL 1 DAY)) AS t(d)
            GROUP BY 1
        )
        SELECT m FROM per_month JOIN days USING (m) ORDER BY n / days DESC LIMIT 1
    """, {"area": area, "end": end}).fetchone()[0]
    return {
        "events": int(events["n"].sum()),
        "by_class": {k: int(v) for k, v in events.groupby("class_name")["n"].sum().items()},
        "by_area": {k: int(v) for k, v in events.groupby("child")["n"].sum().items()},
        "peak_month": months["month"].iloc[0],
        "seasonal_peak_month": seasonal_peak,
    }


def check(got: dict, want: dict) -> None:
    assert {k: got[k] for k in want} == want
    # the tiny data covers one year: the year before has no data, which is not zero
    assert got["events_prev"] is None and got["yoy_pct"] is None


def test_defaults_the_whole_district_over_the_last_year(execute, tiny_warehouse, base):
    district, as_of = base.execute(
        "SELECT (SELECT code FROM core.areas WHERE level = 'district'), as_of::DATE FROM ops.meta").fetchone()
    got = execute("01_event_trends.ipynb", warehouse=str(tiny_warehouse))
    start = as_of - dt.timedelta(days=364)
    assert (got["area_code"], got["start"], got["end"]) == (district, start.isoformat(), as_of.isoformat())
    check(got, expected(base, district, start, as_of))


def test_one_street_over_a_quarter_from_the_generation_file(execute, tiny_db, base):
    street, as_of = base.execute(
        "SELECT (SELECT min(code) FROM core.areas WHERE level = 'street'), as_of::DATE FROM ops.meta").fetchone()
    end = as_of - dt.timedelta(days=31)
    start = end - dt.timedelta(days=91)
    got = execute("01_event_trends.ipynb", warehouse=str(tiny_db), area_code=street,
                  start_date=start.isoformat(), end_date=end.isoformat())
    assert (got["area_code"], got["start"], got["end"]) == (street, start.isoformat(), end.isoformat())
    want = expected(base, street, start, end)
    assert all(len(code) == 12 for code in want["by_area"])      # a street's communities
    check(got, want)
