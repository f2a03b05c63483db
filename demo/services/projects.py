"""服务项目 and 活动: service projects and their activities."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from demo.services.context import Context, dates, days_weighted, nullable, seq_ids

# type, share, target group, duration min/max days, activities per 30 days (0: a one-off event),
# participants per activity, volunteers per activity, department organiser
PROJECT_TYPES = [
    ("关爱独居老人", 0.16, "独居老人", 90, 365, 2.0, 12, 3, "民政局"),
    ("四点半课堂", 0.12, "未成年人", 60, 300, 4.0, 22, 3, "教育局"),
    ("招聘会", 0.07, "普通居民", 1, 3, 0.0, 160, 4, "人力资源和社会保障局"),
    ("法律援助", 0.09, "普通居民", 30, 365, 1.0, 15, 2, "司法局"),
    ("健康义诊", 0.12, "普通居民", 1, 180, 1.0, 60, 4, "卫生健康局"),
    ("文化活动", 0.16, "普通居民", 1, 120, 2.0, 80, 5, "文化广播电视和旅游局"),
    ("助残服务", 0.06, "残疾人", 30, 365, 1.0, 10, 3, "残疾人联合会"),
    ("政策宣讲", 0.08, "普通居民", 1, 60, 2.0, 50, 2, "民政局"),
    ("环境美化", 0.07, "普通居民", 7, 90, 2.0, 30, 8, "城市管理执法局"),
    ("退役军人服务", 0.03, "退役军人", 30, 365, 0.5, 20, 2, "退役军人事务局"),
    ("邻里互助", 0.04, "普通居民", 30, 365, 1.5, 40, 4, "民政局"),
]
SOCIAL_ORGS = np.array(["吉林市江城社会工作服务中心", "吉林市阳光社会工作服务中心",
                        "吉林市松花江公益服务中心", "吉林市雾凇志愿者协会", "吉林市北山社会工作服务社",
                        "吉林市春晖养老服务中心", "吉林市启航青少年服务中心", "吉林市和谐家园社会工作服务中心"])


def tables(c: Context, team_comm: np.ndarray) -> tuple[pa.Table, pa.Table]:
    rng, t = c.rng, c.targets
    L = c.n_days
    n = t["projects"]
    types = PROJECT_TYPES
    share = np.array([x[1] for x in types])
    ptype = rng.choice(len(types), n, p=share / share.sum())
    dmin = np.array([x[3] for x in types])[ptype]
    dmax = np.array([x[4] for x in types])[ptype]
    dur = np.minimum(rng.integers(dmin, dmax + 1), L)
    start = (rng.random(n) * (L - dur + 1)).astype(np.int64)
    end = start + dur - 1
    comm = rng.choice(len(c.comm_code), n, p=c.comm_pop / c.comm_pop.sum())
    who = rng.choice(4, n, p=[0.55, 0.15, 0.15, 0.15])
    dept = np.array([x[8] for x in types])[ptype]
    org = np.select([who == 0, who == 1, who == 2],
                    [c.comm_office[comm], c.comm_street_office[comm], dept],
                    SOCIAL_ORGS[rng.integers(0, len(SOCIAL_ORGS), n)])
    tname = np.array([x[0] for x in types])[ptype]
    year = (c.start + start.astype("timedelta64[D]")).astype("datetime64[Y]").astype(str)
    pname = np.char.add(np.char.add(np.char.add(year, "年"), c.comm_name[comm]), tname)
    pname = np.where(tname == "招聘会", pname, np.char.add(pname, "项目"))
    group = np.array([x[2] for x in types])[ptype]

    # activities: one each, the rest shared in proportion to duration × rate
    rate = np.array([x[5] for x in types])[ptype]
    expected = dur / 30.0 * rate
    extra = t["activities"] - n
    per = 1 + (rng.multinomial(extra, expected / expected.sum()) if expected.sum() > 0 and extra > 0
               else np.zeros(n, np.int64))
    ap = np.repeat(np.arange(n), per)
    m = len(ap)
    day_w = {
        # school days: no summer (10 Jul – 31 Aug) or winter (15 Jan – end Feb) holidays
        "四点半课堂": c.workday & ~(((c.month == 7) & (c.dom >= 10)) | (c.month == 8)
                                  | ((c.month == 1) & (c.dom >= 15)) | (c.month == 2)),
        "文化活动": np.where(c.workday, 1.0, 1.6),
    }
    adays = np.empty(m, np.int64)
    for k, spec in enumerate(types):
        sel = ptype[ap] == k
        w = day_w.get(spec[0], np.where(c.workday, 1.0, 0.6)).astype(float)
        adays[sel] = days_weighted(rng, w, start[ap[sel]], end[ap[sel]])
    # participants: lognormal around each type's mean, scaled so the total meets the target
    pmean = np.array([x[6] for x in types], float)[ptype[ap]]
    factor = t["people_reached"] / pmean.sum()
    sigma = 0.5
    participants = np.maximum(1, np.round(rng.lognormal(np.log(pmean * factor) - sigma ** 2 / 2, sigma)))
    volunteers = rng.poisson(np.array([x[7] for x in types], float)[ptype[ap]])
    # the volunteer team of the project's community, when it has one
    team_ids = seq_ids("ZYD", len(team_comm), 5)
    first_team = np.full(len(c.comm_code), -1)
    counts = np.bincount(team_comm, minlength=len(c.comm_code))
    first_team[counts > 0] = np.searchsorted(team_comm, np.flatnonzero(counts > 0))
    acomm = comm[ap]
    has = (counts[acomm] > 0) & (volunteers > 0) & (rng.random(m) < 0.7)
    pick = first_team[acomm] + (rng.random(m) * np.maximum(counts[acomm], 1)).astype(int)
    team = np.where(has, team_ids[np.where(has, pick, 0)] if len(team_ids) else "", "")

    # ids in date order
    porder = np.lexsort((comm, start))
    prank = np.empty(n, np.int64)
    prank[porder] = np.arange(n)
    project_ids = seq_ids("XM", n, 6)
    projects = pa.table({
        "project_id": project_ids,
        "name": pname[porder],
        "project_type": tname[porder],
        "target_group": group[porder],
        "community_code": c.comm_code[comm[porder]],
        "organiser": org[porder],
        "start_date": dates(c.start, start[porder]),
        "end_date": dates(c.start, end[porder]),
    })
    aorder = np.lexsort((prank[ap], adays))
    # the n-th activity of its project, in date order
    by_project = np.lexsort((adays, prank[ap]))
    nth = np.empty(m, np.int64)
    nth[by_project] = np.arange(m) - np.repeat(np.cumsum(per[porder]) - per[porder], per[porder])
    title = np.char.add(np.char.add(np.char.add(tname[ap], "第"), (nth + 1).astype(str)), "期")
    activities = pa.table({
        "activity_id": seq_ids("HD", m, 7),
        "project_id": project_ids[prank[ap]][aorder],
        "community_code": c.comm_code[acomm][aorder],
        "activity_date": dates(c.start, adays[aorder]),
        "title": title[aorder],
        "participants": participants[aorder].astype(np.int32),
        "volunteers": volunteers[aorder].astype(np.int32),
        "team_id": nullable(team[aorder], has[aorder]),
    })
    return projects, activities
