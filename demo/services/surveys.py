"""满意度调查: satisfaction surveys by topic and method."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from demo.services.context import Context, dates, days_weighted, seq_ids

SURVEY_TOPICS = np.array(["社区服务满意度", "网格员服务满意度", "物业服务满意度", "环境卫生满意度",
                          "社会治安满意度", "供暖服务满意度", "养老服务满意度", "便民服务满意度"])
SURVEY_TOPIC_P = np.array([0.22, 0.16, 0.14, 0.12, 0.12, 0.08, 0.08, 0.08])
SURVEY_BASE = np.array([0.92, 0.94, 0.76, 0.84, 0.90, 0.80, 0.88, 0.89])
SURVEY_METHODS = np.array(["入户走访", "线上问卷", "电话回访"])
SURVEY_METHOD_P = np.array([0.45, 0.40, 0.15])


def table(c: Context) -> pa.Table:
    rng, t = c.rng, c.targets
    # one survey per community and half-year, sometimes a second on another topic
    years = range(int(str(c.start)[:4]), int(str(c.end)[:4]) + 1)
    windows = []
    for y in years:
        for a, b in ((f"{y}-01-01", f"{y}-06-30"), (f"{y}-07-01", f"{y}-12-31")):
            lo = max(0, int((np.datetime64(a) - c.start).astype(int)))
            hi = min(c.n_days - 1, int((np.datetime64(b) - c.start).astype(int)))
            if lo <= hi:
                windows.append((lo, hi))
    nc = len(c.comm_code)
    comm = np.tile(np.arange(nc), len(windows))
    win = np.repeat(np.arange(len(windows)), nc)
    second = rng.random(len(comm)) < 0.3
    comm = np.concatenate([comm, comm[second]])
    win = np.concatenate([win, win[second]])
    n = len(comm)
    lo = np.array([w[0] for w in windows])[win]
    hi = np.array([w[1] for w in windows])[win]
    day = days_weighted(rng, np.where(c.workday, 1.0, 0.4), lo, hi)
    topic = rng.choice(len(SURVEY_TOPICS), n, p=SURVEY_TOPIC_P)
    base_n = nc * len(windows)
    topic[base_n:] = np.where(topic[base_n:] == topic[:base_n][second],
                              (topic[base_n:] + 1) % len(SURVEY_TOPICS), topic[base_n:])
    heating = np.isin(c.month[day], [11, 12, 1, 2, 3])
    topic = np.where((SURVEY_TOPICS[topic] == "供暖服务满意度") & ~heating, 0, topic)
    # respondents: 10 plus a number ∝ the community's residents, summing to the questionnaire target
    rate = max(0, t["questionnaires"] - 10 * n) / c.comm_pop[comm].sum()
    respondents = 10 + rng.poisson(rate * c.comm_pop[comm])
    effect = rng.normal(0, 0.3, nc)
    logit = np.log(SURVEY_BASE[topic] / (1 - SURVEY_BASE[topic])) + effect[comm] + rng.normal(0, 0.15, n)
    satisfied = rng.binomial(respondents, 1 / (1 + np.exp(-logit)))
    method = rng.choice(len(SURVEY_METHODS), n, p=SURVEY_METHOD_P)
    order = np.lexsort((comm, day))
    return pa.table({
        "survey_id": seq_ids("MYD", n, 6),
        "community_code": c.comm_code[comm][order],
        "survey_date": dates(c.start, day[order]),
        "topic": SURVEY_TOPICS[topic][order],
        "method": SURVEY_METHODS[method][order],
        "respondents": respondents[order].astype(np.int32),
        "satisfied_share": (satisfied / respondents).round(4)[order],
    })
