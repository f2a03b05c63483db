"""志愿服务队 and 志愿者: volunteer teams per community and their members."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from demo.identity import make_mobiles, make_names, unique_id_numbers
from demo.services.context import FIRM_REGIONS, Context, dates, seq_ids

TEAM_TYPES = np.array(["党员志愿服务队", "巾帼志愿服务队", "青年志愿服务队", "银龄志愿服务队",
                       "退役军人志愿服务队", "法律志愿服务队", "医疗志愿服务队", "平安志愿服务队",
                       "环保志愿服务队", "文艺志愿服务队"])
TEAM_TYPE_P = np.array([0.20, 0.12, 0.12, 0.12, 0.07, 0.05, 0.06, 0.12, 0.07, 0.07])
SKILLS = np.array(["组织协调", "助老陪护", "课业辅导", "医疗护理", "法律咨询", "心理疏导", "文艺表演",
                   "家电维修", "理发", "驾驶", "信息技术", "治安巡逻", "环境保洁", "政策宣讲"])
# primary skill by team type (index into SKILLS)
TEAM_SKILL = np.array([0, 1, 2, 1, 11, 4, 3, 11, 12, 6])


def teams(c: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Teams as (community index, type index, founded day), about 18 volunteers each, sorted by
    community; a community has at most one team of each type."""
    rng, t = c.rng, c.targets
    n_teams = max(1, round(t["volunteers"] / 18))
    per_comm = rng.multinomial(n_teams, c.comm_pop / c.comm_pop.sum())
    per_comm = np.minimum(per_comm, len(TEAM_TYPES))
    # each community's teams are of different types, drawn by type popularity
    keys = rng.random((len(c.comm_code), len(TEAM_TYPES))) ** (1 / TEAM_TYPE_P)
    ranked = np.argsort(-keys, axis=1)
    comm = np.repeat(np.arange(len(c.comm_code)), per_comm)
    k = np.arange(len(comm)) - np.repeat(np.cumsum(per_comm) - per_comm, per_comm)
    ttype = ranked[comm, k]
    founded = (rng.beta(1.0, 3.0, len(comm)) * (c.n_days - 1)).astype(np.int64)
    return comm, ttype, founded


def table(c: Context, team_comm: np.ndarray, team_type: np.ndarray, founded: np.ndarray):
    rng, t = c.rng, c.targets
    n_teams = len(team_comm)
    n = max(n_teams, t["volunteers"])
    size_w = rng.lognormal(0.0, 0.5, n_teams)
    members = 1 + rng.multinomial(n - n_teams, size_w / size_w.sum())
    team = np.repeat(np.arange(n_teams), members)
    tt = TEAM_TYPES[team_type[team]]
    male = np.select([tt == "巾帼志愿服务队", tt == "退役军人志愿服务队"],
                     [np.zeros(n, bool), rng.random(n) < 0.9], rng.random(n) < 0.42)
    age = np.select(
        [tt == "银龄志愿服务队", tt == "青年志愿服务队"],
        [rng.integers(58, 80, n), rng.integers(18, 36, n)],
        np.where(rng.random(n) < 0.45, rng.integers(55, 76, n), rng.integers(18, 60, n)))
    as_of = c.end
    birth = (as_of - (age * 365.25).astype("timedelta64[D]")
             - rng.integers(1, 365, n).astype("timedelta64[D]"))
    region = np.where(rng.random(n) < 0.8, c.comm_district[team_comm[team]],
                      FIRM_REGIONS[rng.integers(0, len(FIRM_REGIONS), n)])
    ids = unique_id_numbers(region.astype("U6"), birth, male, rng)
    names = make_names(male, rng)
    phones = make_mobiles(n, rng)
    primary = np.where(rng.random(n) < 0.6, TEAM_SKILL[team_type[team]], rng.integers(0, len(SKILLS), n))
    second = rng.integers(0, len(SKILLS), n)
    two = (rng.random(n) < 0.35) & (second != primary)
    skills = np.where(two, np.char.add(np.char.add(SKILLS[primary], "、"), SKILLS[second]), SKILLS[primary])
    f = founded[team]
    registered = f + (rng.beta(1.0, 1.5, n) * (c.n_days - 1 - f)).astype(np.int64)
    years = (c.n_days - 1 - registered) / 365.25
    hours = years * rng.lognormal(np.log(30), 0.8, n) + rng.exponential(4, n)
    hours = np.where(rng.random(n) < 0.08, 0.0, np.minimum(hours, 2000)).round(1)
    vol = pa.table({
        "volunteer_id": seq_ids("ZYZ", n, 7),
        "name": names,
        "id_number": ids,
        "phone": phones,
        "team_id": seq_ids("ZYD", n_teams, 5)[team],
        "community_code": c.comm_code[team_comm[team]],
        "skills": skills,
        "registered_date": dates(c.start, registered),
        "service_hours": hours,
    })
    teams = pa.table({
        "team_id": seq_ids("ZYD", n_teams, 5),
        "name": np.char.add(c.comm_name[team_comm], TEAM_TYPES[team_type]),
        "team_type": TEAM_TYPES[team_type],
        "community_code": c.comm_code[team_comm],
        "founded_date": dates(c.start, founded),
        "members": members.astype(np.int32),
        "service_hours": np.bincount(team, weights=hours, minlength=n_teams).round(1),
    })
    return teams, vol
