"""The marts the cockpit reads, recomputed another way (pandas on the core tables) on the tiny
warehouse."""
import duckdb
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def con(tiny_db):
    with duckdb.connect(str(tiny_db), read_only=True) as c:
        yield c


@pytest.fixture(scope="module")
def events(con):
    return con.execute("SELECT * FROM core.events").df()


@pytest.fixture(scope="module")
def as_of(con):
    return con.execute("SELECT as_of FROM ops.meta").fetchall()[0][0]


def test_events_daily(con, events):
    daily = con.execute("SELECT * FROM mart.events_daily").df()
    assert daily["reported"].sum() == len(events)
    want = events.assign(day=events["reported_at"].dt.floor("D")).groupby(
        ["grid_code", "subclass_code", "day"]).agg(reported=("event_id", "size"), closed=("is_closed", "sum"),
                                                   on_time=("closed_on_time", "sum"))
    got = daily.assign(day=pd.to_datetime(daily["day"])).set_index(
        ["grid_code", "subclass_code", "day"])[["reported", "closed", "closed_on_time"]].sort_index()
    assert (got.to_numpy() == want.sort_index().to_numpy()).all()


def test_area_kpis_monthly(con, events, as_of):
    kpis = con.execute("SELECT * FROM mart.area_kpis_monthly").df()
    cases = events[events["accepted_at"].notna() & (events["deadline"] <= as_of)]
    district = events["grid_code"].str[:6].iloc[0]
    for month, group in cases[cases["grid_code"].str.startswith(district)].groupby(
            cases["deadline"].dt.to_period("M")):
        row = kpis[(kpis["code"] == district) & (pd.to_datetime(kpis["month"]).dt.to_period("M") == month)].iloc[0]
        assert (row["due"], row["closed"], row["closed_on_time"]) == \
            (len(group), group["is_closed"].sum(), group["closed_on_time"].sum())
        assert row["closure_rate"] == pytest.approx(group["is_closed"].mean())
    # every level adds up to the same totals
    totals = kpis.groupby("level")[["due", "closed", "closed_on_time", "accepted"]].sum()
    assert (totals.nunique() == 1).all() and totals.loc["grid", "due"] == len(cases)
    assert totals.loc["grid", "accepted"] == events["accepted_at"].notna().sum()


def test_event_sla(con, events, as_of):
    sla = con.execute("SELECT * FROM mart.event_sla").df().set_index("event_id")
    assert len(sla) == (events["reported_at"] <= as_of).sum()
    e = events.set_index("event_id").loc[sla.index]
    overdue = e["handled_at"].isna() & (e["deadline"] < as_of) & (e["status"] != "不予立案")
    assert (sla["overdue_open"].fillna(False) == overdue).all() and overdue.sum() > 0
    assert (sla.loc[sla["sla_state"] == "在办超期"].index.isin(e.index[overdue])).all()
    assert set(sla["sla_state"]) >= {"按期办结", "超期办结", "在办超期", "不予立案"}
    assert (sla["dispatch_minutes"].dropna() >= 0).all()
    # a refused case is in no backlog: no age, no time to a deadline (its row never moves with
    # the as-of); an open case's age runs to the as-of
    refused = sla["sla_state"] == "不予立案"
    assert refused.any() and sla.loc[refused, ["age_minutes", "minutes_to_deadline"]].isna().all().all()
    open_ = sla["is_open"]
    age = (pd.Timestamp(as_of).floor("min") - e.loc[open_, "reported_at"].dt.floor("min")) // pd.Timedelta(minutes=1)
    assert open_.any() and (sla.loc[open_, "age_minutes"] == age).all()


def test_services_monthly(con):
    mart = con.execute("SELECT * FROM mart.services_monthly").df()
    n_activities, participants = con.execute(
        "SELECT count(*), sum(participants) FROM core.service_activities").fetchall()[0]
    assert mart["activities"].sum() == n_activities and mart["participants"].sum() == participants
    n_needs, resolved = con.execute(
        "SELECT count(*), count(resolved_date) FROM core.needs").fetchall()[0]
    assert mart["needs_raised"].sum() == n_needs and mart["needs_resolved"].sum() == resolved


def test_need_deadlines_count_working_days(con, as_of):
    """needs.deadline_date is the limit-th working day after registration, counted here one day at
    a time on the holiday calendar; the mart's overdue needs follow it."""
    import datetime as dt

    from etl.workcalendar import is_workday

    def deadline(day, n):
        while n > 0:
            day += dt.timedelta(days=1)
            n -= is_workday(day)
        return day

    needs = con.execute("SELECT community_code, reported_date, time_limit_days, resolved_date, "
                        "deadline_date FROM core.needs").df()
    want = [deadline(r.date(), int(k)) for r, k in zip(pd.to_datetime(needs["reported_date"]),
                                                        needs["time_limit_days"])]
    assert list(pd.to_datetime(needs["deadline_date"]).dt.date) == want
    # a weekend or holiday makes the deadline later than the calendar-day reading somewhere
    assert any(w > r.date() + dt.timedelta(days=int(k)) for w, r, k in
               zip(want, pd.to_datetime(needs["reported_date"]), needs["time_limit_days"]))
    overdue = sum(pd.isna(res) and w < as_of.date() for w, res in zip(want, needs["resolved_date"]))
    mart = con.execute("SELECT sum(needs_overdue) FROM mart.services_monthly").fetchall()[0][0]
    assert mart == overdue


def test_a_stage_in_memory_is_read_by_the_models_that_name_it():
    """What a full build may empty once a source's core table is made (etl/refresh.py): the
    persons' staging rows feed a mart too, so they are kept."""
    from etl.transform import models
    assert models.readers("checked_events") == {"stg_events"}
    assert models.readers("stg_events") == {"events"}
    assert models.readers("stg_persons") == {"persons", "person_groups_per_grid"}
    assert models.readers("stg_person") == set()                  # a name, not a prefix


def test_a_model_reads_what_an_update_changes_through_views_and_marts():
    """What an incremental run writes, named in a model or reached through a view (core.area_names
    reads core.areas_in_force), and the areas only when one started or ended."""
    from etl.transform import models
    assert models._reads_updated("SELECT * FROM wh.core.event_history", False)
    assert models._reads_updated("SELECT * FROM wh.mart.events_daily", False)
    assert not models._reads_updated("SELECT * FROM wh.mart.person_groups_per_grid JOIN wh.core.persons", False)
    for view in ("core.areas_in_force", "core.area_names", "core.map_shapes"):
        assert not models._reads_updated(f"SELECT * FROM wh.{view}", False)
        assert models._reads_updated(f"SELECT * FROM wh.{view}", True)
    assert not models._reads_updated("SELECT * FROM wh.core.events_extra", False)      # names, not prefixes
