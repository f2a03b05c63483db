"""The needs ledger (需求清单): domain, group, urgency and time limit, status, satisfaction."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from demo.services.context import Context, dates, days_weighted, nullable, pick

NEED_DOMAINS = np.array(["养老服务", "助残", "就业", "法律援助", "教育/四点半课堂", "医疗健康",
                         "环境整治", "物业服务", "矛盾调解", "其他"])
# share of needs by domain: urban communities, villages
NEED_DOMAIN_P = np.array([
    [0.20, 0.06, 0.09, 0.05, 0.08, 0.11, 0.14, 0.13, 0.07, 0.07],
    [0.24, 0.07, 0.11, 0.05, 0.06, 0.13, 0.20, 0.01, 0.07, 0.06],
])
GROUPS = np.array(["独居老人", "低保户", "残疾人", "退役军人", "未成年人", "普通居民", "企业"])
GROUP_GIVEN_DOMAIN = np.array([
    [0.55, 0.10, 0.05, 0.03, 0.00, 0.27, 0.00],   # 养老服务
    [0.05, 0.15, 0.80, 0.00, 0.00, 0.00, 0.00],   # 助残
    [0.00, 0.25, 0.10, 0.15, 0.00, 0.45, 0.05],   # 就业
    [0.05, 0.10, 0.05, 0.05, 0.05, 0.65, 0.05],   # 法律援助
    [0.00, 0.05, 0.02, 0.00, 0.80, 0.13, 0.00],   # 教育/四点半课堂
    [0.30, 0.15, 0.10, 0.05, 0.05, 0.35, 0.00],   # 医疗健康
    [0.02, 0.00, 0.00, 0.00, 0.00, 0.88, 0.10],   # 环境整治
    [0.03, 0.00, 0.00, 0.00, 0.00, 0.95, 0.02],   # 物业服务
    [0.03, 0.02, 0.00, 0.02, 0.00, 0.85, 0.08],   # 矛盾调解
    [0.05, 0.05, 0.02, 0.03, 0.03, 0.62, 0.20],   # 其他
])
DIFFICULTY = np.array(["易", "中", "难"])
DIFFICULTY_GIVEN_DOMAIN = np.array([
    [0.45, 0.40, 0.15], [0.35, 0.45, 0.20], [0.25, 0.50, 0.25], [0.20, 0.50, 0.30],
    [0.50, 0.40, 0.10], [0.40, 0.45, 0.15], [0.45, 0.40, 0.15], [0.30, 0.45, 0.25],
    [0.30, 0.45, 0.25], [0.50, 0.35, 0.15],
])
URGENCY = np.array(["一般", "较急", "紧急"])
# (一般, 较急, 紧急) by domain; 独居老人 needs move one step up more often (below)
URGENCY_GIVEN_DOMAIN = np.array([
    [0.66, 0.24, 0.10], [0.70, 0.22, 0.08], [0.75, 0.20, 0.05], [0.70, 0.24, 0.06],
    [0.78, 0.18, 0.04], [0.55, 0.30, 0.15], [0.72, 0.22, 0.06], [0.62, 0.28, 0.10],
    [0.55, 0.30, 0.15], [0.80, 0.17, 0.03],
])
# time limit in working days by urgency (rows) and difficulty (columns)
TIME_LIMIT = np.array([[5, 10, 20], [3, 5, 10], [1, 2, 3]])
# district department in charge of a hard (难) need, by domain
NEED_DEPARTMENT = np.array(["民政局", "残疾人联合会", "人力资源和社会保障局", "司法局", "教育局",
                            "卫生健康局", "城市管理执法局", "住房和城乡建设局", "司法局", "民政局"])
NEED_SOURCES = np.array(["问卷调查", "入户走访", "网格员巡查", "居民来访", "热线转办"])
NEED_SOURCE_P = np.array([0.45, 0.25, 0.12, 0.10, 0.08])
UNABLE_P = np.array([0.01, 0.04, 0.12])       # 无法解决 by difficulty
NEED_STATUS = ("待办理", "办理中", "已解决", "无法解决")
SATISFACTION = np.array(["满意", "基本满意", "不满意"])
# for sizing the ledger so that 已解决 meets its target: the share of needs closed as 无法解决 (by
# the difficulty mix) and the mean calendar days from report to closure (both measured on demo)
NEED_UNABLE_SHARE = 0.042
NEED_MEAN_OPEN_DAYS = 12
NEED_CONTENT = {
    "养老服务": ["需要老年助餐服务", "申请居家养老上门服务", "希望安装紧急呼叫设备", "需要定期探访陪护",
             "咨询高龄补贴办理"],
    "助残": ["申请残疾人辅助器具", "咨询残疾人两项补贴", "需要无障碍设施改造", "希望参加康复训练"],
    "就业": ["希望推荐就业岗位", "申请参加职业技能培训", "咨询灵活就业社保补贴", "咨询创业担保贷款"],
    "法律援助": ["咨询劳动合同纠纷", "申请法律援助代理", "咨询婚姻家庭法律问题", "咨询房屋买卖合同问题"],
    "教育/四点半课堂": ["希望放学后托管辅导", "需要课业辅导志愿者", "希望开设假期托管班", "咨询入学政策"],
    "医疗健康": ["希望开展健康义诊", "申请家庭医生签约", "咨询慢性病用药", "希望上门测量血压血糖"],
    "环境整治": ["楼道堆放杂物需清理", "绿地需修剪补植", "路面破损需修补", "垃圾清运不及时"],
    "物业服务": ["楼道灯损坏需维修", "单元门禁故障", "电梯维保不及时", "屋面漏雨需维修",
             "冬季室温不达标"],
    "矛盾调解": ["邻里噪音纠纷调解", "楼上漏水邻里纠纷", "家庭矛盾调解", "停车位纠纷调解"],
    "其他": ["咨询医保缴费", "希望增设便民服务点", "咨询户籍业务办理", "企业用工政策咨询"],
}


def table(c: Context) -> pa.Table:
    rng, t = c.rng, c.targets
    L = c.n_days
    share = (1 - NEED_UNABLE_SHARE) * (1 - NEED_MEAN_OPEN_DAYS / L)
    n = max(1, round(t["needs_resolved"] / share))
    # where: grids by population, with community-level differences in how active they are
    activity = rng.lognormal(0.0, 0.35, len(c.comm_code))
    w = c.grid_pop * activity[c.grid_comm]
    grid = rng.choice(len(w), n, p=w / w.sum())
    comm = c.grid_comm[grid]
    # when: working days, door-to-door campaigns in spring and autumn
    day_w = np.where(c.workday, 1.0, 0.3) * np.where(np.isin(c.month, [3, 4, 5, 9, 10, 11]), 1.4, 1.0)
    reported = days_weighted(rng, day_w, np.zeros(n, np.int64), np.full(n, L - 1))
    domain = pick(rng, NEED_DOMAIN_P, (~c.comm_urban[comm]).astype(int))
    group = pick(rng, GROUP_GIVEN_DOMAIN, domain)
    difficulty = pick(rng, DIFFICULTY_GIVEN_DOMAIN, domain)
    urgency = pick(rng, URGENCY_GIVEN_DOMAIN, domain)
    urgency = np.where((GROUPS[group] == "独居老人") & (urgency < 2) & (rng.random(n) < 0.25),
                       urgency + 1, urgency)
    limit = TIME_LIMIT[urgency, difficulty]
    limit = np.where((difficulty == 2) & (urgency == 0) & (rng.random(n) < 0.4), 30, limit)
    # who: the community does the easy ones, the street the middle, a district department the hard
    dept = np.where((difficulty == 2) & (GROUPS[group] == "退役军人"), "退役军人事务局",
                    NEED_DEPARTMENT[domain])
    unit = np.select([difficulty == 0, difficulty == 1],
                     [c.comm_office[comm], c.comm_street_office[comm]], dept)
    # how long: working days as a share of the limit, long-tailed; about 11 % closed late
    ratio = rng.lognormal(np.log(0.55), np.where(difficulty == 2, 0.75, 0.6))
    work_days = np.floor(limit * ratio).astype(np.int64)
    due_count = c.cum_work[reported] + work_days
    closed_day = np.maximum(np.searchsorted(c.cum_work, due_count, side="left"), reported)
    late = work_days > limit
    unable = rng.random(n) < UNABLE_P[difficulty]
    closed = closed_day <= L - 1
    accept_lag = rng.integers(0, 4, n)
    status = np.select([closed & ~unable, closed & unable, L - 1 - reported < accept_lag],
                       ["已解决", "无法解决", "待办理"], "办理中")
    closed_day = np.where(closed, closed_day, 0)
    sat_p = np.where(unable[:, None], [0.15, 0.45, 0.40],
                     np.where(late[:, None], [0.62, 0.27, 0.11], [0.86, 0.11, 0.03]))
    sat = SATISFACTION[pick(rng, sat_p, np.arange(n))]
    rated = closed & (rng.random(n) < 0.92)          # some return visits reach nobody
    source = rng.choice(len(NEED_SOURCES), n, p=NEED_SOURCE_P)
    contents = [NEED_CONTENT[d] for d in NEED_DOMAINS]
    offset = np.concatenate([[0], np.cumsum([len(x) for x in contents])[:-1]])
    flat = np.array([s for x in contents for s in x])
    counts = np.array([len(x) for x in contents])
    content = flat[offset[domain] + (rng.random(n) * counts[domain]).astype(int)]

    order = np.lexsort((grid, reported))
    reported, grid, comm = reported[order], grid[order], comm[order]
    first = np.searchsorted(reported, reported, side="left")
    seq = np.arange(n) - first + 1
    ymd = np.char.replace((c.start + reported.astype("timedelta64[D]")).astype(str), "-", "")
    need_id = np.char.add(np.char.add("XQ", ymd), np.char.zfill(seq.astype("U5"), 4))
    return pa.table({
        "need_id": need_id,
        "community_code": c.comm_code[comm],
        "grid_code": c.grid_code[grid],
        "reported_date": dates(c.start, reported),
        "source": NEED_SOURCES[source[order]],
        "content": content[order],
        "domain": NEED_DOMAINS[domain[order]],
        "target_group": GROUPS[group[order]],
        "difficulty": DIFFICULTY[difficulty[order]],
        "urgency": URGENCY[urgency[order]],
        "responsible_unit": unit[order],
        "time_limit_days": limit[order].astype(np.int32),
        "status": status[order],
        "resolved_date": dates(c.start, closed_day[order], closed[order]),
        "satisfaction": nullable(sat[order], rated[order]),
    })
