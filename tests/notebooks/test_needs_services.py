"""notebooks/03_needs_services.ipynb: over the cockpit's own period (近一年 up to the as-of date)
its numbers are the 服务与需求 page's, from the cockpit's SQL; over a past period, against SQL
here that counts each state on the end date."""
import datetime as dt

from cockpit.db import Warehouse
from cockpit.queries import services
from cockpit.scope import Scope

STATES = ("按期办结", "超期办结", "在办", "在办超期")


def open_by_community(con, area: str, end: dt.date) -> dict:
    """[open, of which past their deadline] per community on the end date, whenever registered."""
    rows = con.execute("""
        SELECT community_code, count(*), count(*) FILTER (deadline_date < $end)
        FROM core.needs
        WHERE starts_with(grid_code, $area) AND reported_date <= $end
          AND (resolved_date IS NULL OR resolved_date > $end)
        GROUP BY 1
    """, {"area": area, "end": end}).fetchall()
    return {code: [n, late] for code, n, late in rows}


def by_group(con, area: str, start: dt.date, end: dt.date) -> dict:
    """[needs registered, projects running, activities held] per group (for activities, their
    project's target group)."""
    bound = {"area": area, "start": start, "end": end}
    needs = dict(con.execute("""
        SELECT target_group, count(*) FROM core.needs
        WHERE starts_with(grid_code, $area) AND reported_date BETWEEN $start AND $end GROUP BY 1
    """, bound).fetchall())
    projects = dict(con.execute("""
        SELECT target_group, count(*) FROM core.service_projects
        WHERE starts_with(community_code, $area) AND start_date <= $end AND end_date >= $start GROUP BY 1
    """, bound).fetchall())
    activities = dict(con.execute("""
        SELECT coalesce(p.target_group, '未登记项目'), count(*)
        FROM core.service_activities a LEFT JOIN core.service_projects p USING (project_id)
        WHERE starts_with(a.community_code, $area) AND a.activity_date BETWEEN $start AND $end GROUP BY 1
    """, bound).fetchall())
    return {g: [needs.get(g, 0), projects.get(g, 0), activities.get(g, 0)]
            for g in needs.keys() | projects.keys() | activities.keys()}


def test_defaults_match_the_cockpits_services_page(execute, tiny_warehouse, base):
    district, as_of = base.execute(
        "SELECT (SELECT code FROM core.areas WHERE level = 'district'), as_of::DATE FROM ops.meta").fetchone()
    got = execute("03_needs_services.ipynb", warehouse=str(tiny_warehouse))
    wh = Warehouse(tiny_warehouse)
    try:
        scope = Scope(district, "")
        page = services.needs_summary(services.needs_breakdown(wh, scope, 365))
        counters = services.counters(wh, scope, 365)
    finally:
        wh.close()
    assert got["area_code"] == district
    assert {k: got[k] for k in ("needs", "resolved", "unable")} == {k: page[k] for k in ("needs", "resolved", "unable")}
    assert got["states"] == {s: page[s] for s in STATES}
    assert (got["resolution_rate"], got["closure_rate"]) == (page["resolution_rate"], page["closure_rate"])
    assert {k: got[k] for k in ("projects", "activities", "participants")} == \
        {k: counters[k] for k in ("projects", "activities", "participants")}
    want_open = open_by_community(base, district, as_of)
    assert got["by_community"] == want_open
    assert (got["open"], got["overdue_open"]) == (sum(v[0] for v in want_open.values()),
                                                 sum(v[1] for v in want_open.values()))
    assert got["by_group"] == by_group(base, district, as_of - dt.timedelta(days=364), as_of)


def test_one_community_over_a_past_half_year(execute, tiny_db, base):
    # the community with the most needs registered, over six months ending two months before as-of
    community, as_of = base.execute("""
        SELECT (SELECT community_code FROM core.needs GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1), as_of::DATE
        FROM ops.meta""").fetchone()
    end = as_of - dt.timedelta(days=60)
    start = end - dt.timedelta(days=182)
    got = execute("03_needs_services.ipynb", warehouse=str(tiny_db), area_code=community,
                  start_date=start.isoformat(), end_date=end.isoformat(), top_n=5)
    row = base.execute("""
        WITH n AS (
            SELECT *, resolved_date IS NOT NULL AND resolved_date <= $end AS closed
            FROM core.needs
            WHERE starts_with(grid_code, $area) AND reported_date BETWEEN $start AND $end
        )
        SELECT count(*),
               count(*) FILTER (closed AND status = '已解决'),
               count(*) FILTER (closed AND status = '无法解决'),
               count(*) FILTER (closed AND (deadline_date IS NULL OR resolved_date <= deadline_date)),
               count(*) FILTER (closed AND resolved_date > deadline_date),
               count(*) FILTER (NOT closed AND deadline_date >= $end),
               count(*) FILTER (NOT closed AND deadline_date < $end)
        FROM n
    """, {"area": community, "start": start, "end": end}).fetchone()
    supply = base.execute("""
        SELECT (SELECT count(*) FROM core.service_projects
                WHERE starts_with(community_code, $area) AND start_date <= $end AND end_date >= $start),
               count(*), coalesce(sum(participants), 0)
        FROM core.service_activities
        WHERE starts_with(community_code, $area) AND activity_date BETWEEN $start AND $end
    """, {"area": community, "start": start, "end": end}).fetchone()
    needs, resolved, unable, *states = row
    assert (got["area_code"], got["start"], got["end"]) == (community, start.isoformat(), end.isoformat())
    assert (got["needs"], got["resolved"], got["unable"]) == (needs, resolved, unable)
    assert got["states"] == dict(zip(STATES, states))
    assert got["resolution_rate"] == (100.0 * resolved / needs if needs else None)
    assert (got["projects"], got["activities"], got["participants"]) == supply
    assert got["by_community"] == open_by_community(base, community, end)
    assert got["by_group"] == by_group(base, community, start, end)
    assert needs > 0 and any(states[2:])         # a period with needs still open on its end date
