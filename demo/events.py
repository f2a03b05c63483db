"""The event stream: reports with their full workflow (立案 → 派遣 → 处置 → 核查 → 结案).

Rhythm: seasons (snow and ice Dec–Feb, heating 25 Oct–5 Apr, summer stalls and noise), weekday
and holidays (grid workers patrol less on rest days), hours by source. Space: per-grid hot spots
on top of population. Handling: per-department speed, long tails, rework and extensions, so
结案率 and 按期结案率 land near a real centre's (domain brief: 93.72 % and 75.82 %)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from demo import text
from demo.arrays import rank_within, ymd
from demo.incidents import incident_reports, plan_incidents, truth_table
from demo.points import sample_points
from etl.workcalendar import DAY_WORK_MIN, WorkCalendar, is_workday

SOURCES = np.array(["网格员巡查", "随手拍", "12345热线", "视频监控", "部门移交"])
SOURCE_P = np.array([0.52, 0.16, 0.22, 0.06, 0.04])
# relative daily volume on rest days, by source: patrols drop, residents report more
SOURCE_REST_DAY = np.array([0.45, 1.15, 1.05, 1.0, 0.3])

# subclass code → (relative volume, season, urban weight, rural weight, evening-heavy)
PROFILE = {
    "0101": (9, "summer_mild", 1.0, 0.8, False), "0102": (6, "flat", 1.0, 0.4, False),
    "0103": (4, "flat", 0.9, 1.0, False), "0104": (5, "flat", 1.0, 0.7, False),
    "0105": (6, "snow", 1.0, 0.5, False), "0201": (7, "flat", 1.0, 0.3, False),
    "0202": (1.5, "flat", 1.0, 0.2, False), "0301": (1.5, "construction", 0.7, 1.2, False),
    "0302": (2, "construction", 1.0, 0.3, True), "0303": (1.5, "construction", 1.0, 0.5, False),
    "0401": (6, "summer", 1.0, 0.3, True), "0402": (5, "summer_mild", 1.0, 0.3, False),
    "0403": (6, "flat", 1.0, 0.2, False), "0404": (2.5, "summer", 1.0, 0.3, True),
    "0501": (0.6, "thaw", 1.0, 0.4, False), "0502": (1.2, "snow", 1.0, 0.5, False),
    "0503": (0.8, "summer", 1.0, 0.9, False), "0601": (3, "thaw", 1.0, 0.4, False),
    "0602": (3, "winter_dark", 1.0, 0.5, True), "0603": (4, "heating", 1.0, 0.3, False),
    "0701": (2.5, "summer", 1.0, 0.5, False), "0702": (1.2, "summer", 1.0, 0.4, False),
    "1101": (3.5, "flat", 1.0, 1.2, True), "1102": (1.5, "holiday", 0.9, 1.2, True),
    "1103": (3, "heating", 1.0, 0.2, False), "1104": (1, "new_year", 0.8, 1.0, False),
    "1201": (2, "flat", 1.0, 0.8, True), "1202": (3, "summer", 1.0, 0.4, True),
    "1203": (0.8, "flat", 1.0, 0.6, True), "1301": (2.5, "cold", 0.9, 1.3, False),
    "1302": (1.2, "flat", 0.8, 1.3, False), "1303": (1, "spring", 1.0, 0.8, False),
    "1304": (0.6, "flat", 1.0, 1.0, False), "1401": (1.2, "flat", 1.0, 0.5, False),
    "1402": (0.8, "flat", 1.0, 0.4, False), "1501": (2.5, "flat", 1.0, 0.5, False),
    "1502": (1.2, "heating", 1.0, 0.8, False), "1503": (2, "summer_mild", 1.0, 0.3, True),
    "1504": (0.7, "thaw", 0.8, 1.2, False),
}


def _season(name: str, days: np.ndarray) -> np.ndarray:
    """Relative volume by day of year for a seasonal profile (1 = average)."""
    doy = (days - days.astype("datetime64[Y]")).astype(int)
    month = days.astype("datetime64[M]").astype(int) % 12 + 1
    cos = np.cos(2 * np.pi * (doy - 196) / 365.25)          # peaks mid-July
    heating = (doy >= 298) | (doy <= 95)                      # 25 Oct – 5 Apr
    if name == "flat":
        return np.ones(len(days))
    if name == "summer":
        return np.clip(1 + 0.9 * cos, 0.15, None)
    if name == "summer_mild":
        return 1 + 0.35 * cos
    if name == "snow":
        return np.where(np.isin(month, [12, 1, 2]), 3.5, np.where(np.isin(month, [11, 3]), 1.2, 0.05))
    if name == "cold":
        return 1 - 0.4 * cos
    if name == "heating":
        # complaints surge when heating starts, stay high, fade by spring
        start_surge = np.exp(-((doy - 300) % 365) / 20.0) * 3
        return np.where(heating, 1.2 + start_surge, 0.1)
    if name == "thaw":
        return np.where(np.isin(month, [3, 4]), 2.5, np.where(np.isin(month, [5, 11]), 1.0, 0.6))
    if name == "construction":
        return np.where(np.isin(month, [4, 5, 6, 7, 8, 9, 10]), 1.5, 0.25)
    if name == "winter_dark":
        return 1 - 0.35 * cos
    if name == "holiday":
        return np.where(np.isin(month, [1, 2, 10]), 1.5, 0.9)
    if name == "new_year":
        return np.where(np.isin(month, [12, 1, 2]), 2.5, 0.7)      # wage arrears before Spring Festival
    if name == "spring":
        return np.where(np.isin(month, [2, 3, 4]), 2.0, 0.8)
    raise ValueError(name)


HOURS = np.arange(24)
_WORK_HOURS = np.array([0, 0, 0, 0, 0, 0, 0, 0.3, 1.2, 2, 2, 1.6, 0.4, 0.8, 1.8, 2, 1.6, 0.6,
                        0.1, 0, 0, 0, 0, 0])
_AWAKE = np.array([0.1, 0.05, 0.02, 0.02, 0.05, 0.2, 0.6, 1.2, 1.6, 1.7, 1.6, 1.4, 1.0, 1.2,
                   1.4, 1.5, 1.5, 1.4, 1.4, 1.3, 1.1, 0.8, 0.5, 0.25])
_EVENING = np.array([0.6, 0.4, 0.2, 0.05, 0.02, 0.05, 0.2, 0.5, 0.7, 0.8, 0.8, 0.8, 0.8, 0.8,
                     0.8, 0.9, 1.0, 1.2, 1.6, 2.2, 2.6, 2.6, 2.0, 1.2])
_ALL_DAY = np.ones(24)
SOURCE_HOURS = [_WORK_HOURS, _AWAKE, _AWAKE, _ALL_DAY, _WORK_HOURS]


def _lognormal(rng, median, sigma, n):
    return rng.lognormal(np.log(median), sigma, n)


def generate_events(grids, persons_per_grid: np.ndarray, categories: pd.DataFrame, scale,
                    rng: np.random.Generator, n_incidents: int, department_speed: np.ndarray,
                    incident_grids: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(events, truth of the injected incidents). Events carry the index of the grid (of
    `grids`) they happened in; incidents only touch grids where `incident_grids` is True.
    `department_speed` (see department_speeds) is the same for every shard of a city."""
    days = np.arange(np.datetime64(scale.start), np.datetime64(scale.end) + 1)
    n_days = len(days)
    rest_day = np.array([not is_workday(d.astype(object)) for d in days])
    years = n_days / 365.25
    total = int(persons_per_grid.sum() * scale.events_per_resident_year * years)
    # the platform grows: ~10 % more reports a year
    trend = 1 + 0.10 * (np.arange(n_days) / 365.25)

    sub_codes = categories["subclass_code"].to_numpy()
    weights = np.array([PROFILE[c][0] for c in sub_codes], float)
    per_sub = rng.multinomial(total, weights / weights.sum())

    urban = grids["urban"].to_numpy()
    hot_grid = rng.lognormal(0, 0.6, len(grids))              # markets, schools, old compounds
    chunks = []
    for s, (code, n_sub) in enumerate(zip(sub_codes, per_sub)):
        if n_sub == 0:
            continue
        _, season, w_urban, w_rural, evening = PROFILE[code]
        season_w = _season(season, days) * trend
        src = rng.choice(len(SOURCES), n_sub, p=SOURCE_P)
        day_idx = np.empty(n_sub, int)
        for k in range(len(SOURCES)):
            mask = src == k
            if mask.any():
                w = season_w * np.where(rest_day, SOURCE_REST_DAY[k], 1.0)
                day_idx[mask] = rng.choice(n_days, int(mask.sum()), p=w / w.sum())
        hour = np.empty(n_sub, int)
        for k in range(len(SOURCES)):
            mask = src == k
            prof = SOURCE_HOURS[k] if not evening or k == 0 else _EVENING
            hour[mask] = rng.choice(HOURS, int(mask.sum()), p=prof / prof.sum())
        gw = persons_per_grid * hot_grid * rng.lognormal(0, 0.4, len(grids)) \
            * np.where(urban, w_urban, w_rural)
        grid_idx = rng.choice(len(grids), n_sub, p=gw / gw.sum())
        chunks.append(pd.DataFrame({"sub": s, "source": src, "day": day_idx, "hour": hour,
                                    "grid": grid_idx}))
    ev = pd.concat(chunks, ignore_index=True)
    incidents = plan_incidents(ev, grids, n_days, n_incidents, rng, incident_grids)
    extra = incident_reports(incidents, ev, rng)
    truth = truth_table(incidents, days, grids, categories)
    # plain arrays from here: the incident labels stay in the truth file
    col = {c: np.concatenate([ev[c].to_numpy(np.int64), extra[c].to_numpy(np.int64)])
           for c in ("sub", "source", "day", "hour", "grid")}
    n = len(col["sub"])
    reported = (days[col["day"]].astype("datetime64[m]")
                + (col["hour"] * 60 + rng.integers(0, 60, n)).astype("timedelta64[m]"))
    order = np.argsort(reported, kind="stable")
    col = {c: v[order] for c, v in col.items()}
    reported = reported[order]

    lon, lat = _event_points(grids, col["grid"], rng)
    out = pd.DataFrame({"sub": col["sub"].astype(np.int16), "source": col["source"].astype(np.int8),
                        "grid": col["grid"].astype(np.int32), "reported_at": reported,
                        "lon": lon.round(6), "lat": lat.round(6)})
    events = pd.concat([out, _workflow(reported, col["source"], col["sub"], categories, scale, rng,
                                           department_speed)],
                       axis=1)
    return events, truth


STATUSES = ["待立案", "待派遣", "处置中", "待核查", "待结案", "已结案", "不予立案"]
SATISFACTION = ["", "满意", "基本满意", "不满意"]
REPORT_LEADS = ["网格员巡查发现", "居民随手拍上报：", "市民来电反映", "视频监控发现", "部门移交："]


def event_table(events: pd.DataFrame, grid_code: np.ndarray, grid_names: pd.DataFrame,
                categories: pd.DataFrame) -> pa.Table:
    """The events as their source system exports them (canonical column names). `grid_code` is
    each event's grid (the version valid on its date); `grid_names` maps code → name. Event
    numbers: SJ, the street code, the date and the event's sequence that day in its street, in
    report order (events come sorted by report time)."""
    n = len(events)
    reported = events["reported_at"].to_numpy().astype("datetime64[s]")
    day = reported.astype("datetime64[D]")
    street = np.asarray(grid_code).astype("U9")            # the first 9 digits
    street_no = np.unique(street, return_inverse=True)[1]
    order = np.lexsort((np.arange(n), day, street_no))
    seq = np.empty(n, np.int64)
    seq[order] = rank_within(np.rec.fromarrays([street_no[order], day[order]]))
    year, month, dom = ymd(day)
    sub = events["sub"].to_numpy()
    src = events["source"].to_numpy()
    code = text.arr(grid_code)
    name_at = pc.index_in(code, value_set=text.arr(grid_names["code"].to_numpy()))
    gname = text.take(grid_names["name"].to_numpy(), name_at)
    subclass_name = text.take(categories["subclass_name"].to_numpy(), sub)
    near = text.cat(gname, "附近")
    department = text.take(categories["department"].to_numpy(), sub)

    def ts(col):
        return pa.array(events[col].to_numpy().astype("datetime64[s]"), type=pa.timestamp("s"))

    rating = text.take(np.array(SATISFACTION), events["satisfaction"].to_numpy())
    return pa.table({
        "event_id": text.cat("SJ", street, text.arr(year * 10000 + month * 100 + dom),
                             text.zpad(seq + 1, 4)),
        "source": text.take(SOURCES, src),
        "class_code": text.take(categories["class_code"].to_numpy(), sub),
        "class_name": text.take(categories["class_name"].to_numpy(), sub),
        "subclass_code": text.take(categories["subclass_code"].to_numpy(), sub),
        "subclass_name": subclass_name,
        "reported_at": pa.array(reported, type=pa.timestamp("s")),
        "lon": events["lon"].to_numpy(), "lat": events["lat"].to_numpy(),
        "grid_code": code,
        "address": near,
        "description": text.cat(text.take(np.array(REPORT_LEADS), src), near, subclass_name,
                                "问题，请尽快处置。"),
        "accepted_at": ts("accepted_at"), "dispatched_at": ts("dispatched_at"),
        "handled_at": ts("handled_at"), "verified_at": ts("verified_at"), "closed_at": ts("closed_at"),
        "department": pc.if_else(pa.array(events["has_department"].to_numpy()), department,
                                 pa.scalar(None, pa.string())),
        "deadline": ts("deadline"),
        "rework_count": events["rework_count"].to_numpy(),
        "extension_count": events["extension_count"].to_numpy(),
        "satisfaction": pc.if_else(pc.equal(rating, ""), pa.scalar(None, pa.string()), rating),
        "status": text.take(np.array(STATUSES), events["status"].to_numpy()),
    })


def _event_points(grids, grid_idx: np.ndarray, rng):
    """Events cluster on a few spots per grid (a market gate, a school, a building entrance)."""
    pool = 48
    counts = np.full(len(grids), pool)
    lon, lat = sample_points(grids.geometry.to_numpy(), counts, rng)
    zipf = 1.0 / np.arange(1, pool + 1) ** 0.9
    spot = rng.choice(pool, len(grid_idx), p=zipf / zipf.sum())
    return lon[grid_idx * pool + spot], lat[grid_idx * pool + spot]


def department_speeds(categories: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """How fast each department (in np.unique order of the taxonomy's departments) handles
    cases, relative to the median: one draw per city, shared by all shards."""
    return rng.lognormal(0, 0.3, len(np.unique(categories["department"].to_numpy())))


def _workflow(reported, src, sub, categories: pd.DataFrame, scale, rng,
              dept_speed: np.ndarray) -> pd.DataFrame:
    n = len(reported)
    as_of = np.datetime64(scale.end) + np.timedelta64(1, "D") - np.timedelta64(1, "m")
    cal = WorkCalendar(scale.start, scale.end + dt.timedelta(days=400))
    minutes = lambda x: np.round(x).astype("timedelta64[m]")  # noqa: E731

    rejected = rng.random(n) < np.where(src == 2, 0.06, 0.015)          # 不予立案 (duplicates, out of scope)
    accept_delay = np.select([src == 0, src == 2], [rng.uniform(2, 30, n), _lognormal(rng, 90, 0.8, n)],
                             _lognormal(rng, 40, 0.9, n))
    accepted = reported + minutes(accept_delay)
    dispatched = accepted + minutes(_lognormal(rng, 25, 1.0, n))

    limit = categories["limit_value"].to_numpy().astype(int)[sub]
    in_days = (categories["limit_unit"] == "工作日").to_numpy()[sub]
    limit_min = np.where(in_days, limit * DAY_WORK_MIN, limit * 60)
    extensions = np.where(rng.random(n) < 0.03, np.where(rng.random(n) < 0.2, 2, 1), 0)
    deadline_h = cal.add_work_minutes(dispatched, limit_min * (1 + extensions))
    deadline_d = cal.add_work_days(dispatched, limit * (1 + extensions))
    deadline = np.where(in_days, deadline_d, deadline_h)

    # departments differ in speed; hard cases linger for weeks whatever their limit
    dept_codes, dept_of_sub = np.unique(categories["department"].to_numpy(), return_inverse=True)
    dept = dept_of_sub[sub]
    ratio = _lognormal(rng, 0.438, 0.75, n) * dept_speed[dept]   # tuned: 按期结案率 ≈ 76 %
    handle_wm = ratio * limit_min * (1 + extensions)
    hard = rng.random(n) < 0.07
    handle_wm = np.where(hard, _lognormal(rng, 12 * DAY_WORK_MIN, 0.8, n), handle_wm)
    handle_wm = np.minimum(handle_wm, 150 * DAY_WORK_MIN)
    handled = cal.add_work_minutes(dispatched, np.maximum(handle_wm, 5).astype(np.int64))
    rework = np.where(rng.random(n) < 0.05, 1, 0)
    verified = handled + minutes(_lognormal(rng, 120, 0.9, n))
    redo = cal.add_work_minutes(verified, (_lognormal(rng, 0.4, 0.6, n) * limit_min).astype(np.int64))
    verified = np.where(rework > 0, redo + minutes(_lognormal(rng, 120, 0.9, n)), verified)
    handled = np.where(rework > 0, redo, handled)
    closed = verified + minutes(_lognormal(rng, 30, 1.0, n))

    late = handled > deadline
    rated = np.isin(src, [1, 2]) & (rng.random(n) < 0.7)
    p_unhappy = np.where(late, 0.18, 0.04)
    u = rng.random(n)
    satisfaction = np.where(u < p_unhappy, 3, np.where(u < p_unhappy + 0.15, 2, 1))   # SATISFACTION

    def upto(ts, ok):
        """Timestamps after the as-of instant have not happened yet."""
        return np.where(ok & (ts <= as_of), ts, np.datetime64("NaT"))

    ok = ~rejected
    acc = upto(accepted, ok)
    dis = upto(dispatched, ok & ~np.isnat(acc))
    han = upto(handled, ok & ~np.isnat(dis))
    ver = upto(verified, ok & ~np.isnat(han))
    clo = upto(closed, ok & ~np.isnat(ver))
    status = np.select(   # indexes into STATUSES
        [rejected & (accepted <= as_of), ~np.isnat(clo), ~np.isnat(ver), ~np.isnat(han),
         ~np.isnat(dis), ~np.isnat(acc)], [6, 5, 4, 3, 2, 1], 0).astype(np.int8)
    is_closed = ~np.isnat(clo)
    return pd.DataFrame({
        "accepted_at": acc, "dispatched_at": dis, "handled_at": han, "verified_at": ver,
        "closed_at": clo,
        "has_department": ok,
        "deadline": np.where(np.isnat(dis), np.datetime64("NaT"), deadline),
        "rework_count": np.where(ok & ~np.isnat(ver), rework, 0),
        "extension_count": np.where(ok & ~np.isnat(dis), extensions, 0),
        "satisfaction": np.where(is_closed & rated, satisfaction, 0).astype(np.int8),
        "status": status,
    })
