"""平台账号: platform accounts at district, street, community, grid and department level."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from demo.identity import make_mobiles, make_names
from demo.services.calibration import PUBLISHED
from demo.services.context import Context, dates, seq_ids

# platform accounts: per unit (mean; drawn as mean-3 … mean+3), roles with shares, first role once
ACCOUNTS_PER_UNIT = {"区": 20, "街道": 26, "镇": 21, "乡": 21, "社区": 12, "村": 8, "部门": 4}
GRID_EXTRA_WORKER_P = PUBLISHED["grid_workers"] / PUBLISHED["grids_changyi"] - 1   # 0.276
ROLES = {
    "区": (["区级管理员", "指挥长", "值班调度员", "分析研判员", "督办员"], [0.15, 0.10, 0.40, 0.20, 0.15]),
    "街道": (["街道管理员", "街道调度员", "街道审核员", "综治专干", "业务科室"],
           [0.08, 0.20, 0.20, 0.22, 0.30]),
    "社区": (["社区书记", "社区主任", "社区管理员", "社区专干"], [0.0, 0.0, 0.15, 0.85]),
    "网格": (["专职网格员", "兼职网格员"], [1.0, 0.0]),
    "部门": (["部门管理员", "部门处置员"], [0.0, 1.0]),
}
ACCOUNT_STATUS = np.array(["正常", "停用", "锁定"])
ACCOUNT_STATUS_P = np.array([0.95, 0.04, 0.01])
# departments with accounts: those the event taxonomy and the needs ledger route work to
DEPARTMENTS = ("城市管理执法局", "环境卫生管理处", "园林绿化管理处", "住房和城乡建设局", "公安分局",
               "公安分局交警大队", "市场监督管理局", "民政局", "人力资源和社会保障局", "消防救援大队",
               "热力集团", "燃气公司", "自来水公司", "路灯管理处", "营商环境建设局", "残疾人联合会",
               "司法局", "教育局", "卫生健康局", "文化广播电视和旅游局", "退役军人事务局")


def table(c: Context) -> pa.Table:
    rng = c.rng
    area = []
    # one block of accounts per unit: district, street, community, grid, department
    units = ([("区", code, "区") for code in c.districts["code"].astype(str)]
             + [("街道", code, kind) for code, kind in zip(c.streets["code"].astype(str), c.streets["kind"])]
             + [("社区", code, kind) for code, kind in zip(c.comm_code, c.comm_kind)]
             + [("部门", d, "部门") for d in DEPARTMENTS])
    means = np.array([ACCOUNTS_PER_UNIT[k] for _, _, k in units])
    counts = np.maximum(1, means + rng.integers(-3, 4, len(units)))
    counts = np.where(means <= 4, np.maximum(2, means + rng.integers(-2, 3, len(units))), counts)
    # streets and communities together keep their expected total (the calibrated figure)
    mid = np.flatnonzero(np.isin([u[0] for u in units], ["街道", "社区"]))
    diff = int(means[mid].sum() - counts[mid].sum())
    if mid.size and diff:
        fix = rng.choice(mid, min(abs(diff), mid.size), replace=False)
        counts[fix] = np.maximum(1, counts[fix] + np.sign(diff))
    grid_counts = 1 + (rng.random(len(c.grid_code)) < GRID_EXTRA_WORKER_P)
    level = np.concatenate([np.repeat([u[0] for u in units], counts), np.repeat("网格", grid_counts.sum())])
    area = np.concatenate([np.repeat([u[1] for u in units], counts), np.repeat(c.grid_code, grid_counts)])
    all_counts = np.concatenate([counts, grid_counts])
    k = np.arange(len(level)) - np.repeat(np.cumsum(all_counts) - all_counts, all_counts)
    n = len(level)
    role = np.empty(n, dtype=object)
    for lv, (names, p) in ROLES.items():
        sel = level == lv
        r = np.array(names)[rng.choice(len(names), sel.sum(), p=np.array(p) / sum(p))]
        role[sel] = r
    # fixed first posts of each unit
    role[(level == "区") & (k == 0)] = "区级管理员"
    role[(level == "区") & (k == 1)] = "指挥长"
    role[(level == "街道") & (k == 0)] = "街道管理员"
    role[(level == "社区") & (k == 0)] = "社区书记"
    role[(level == "社区") & (k == 1)] = "社区主任"
    role[(level == "网格") & (k == 0)] = "专职网格员"
    role[(level == "网格") & (k == 1)] = "兼职网格员"
    role[(level == "部门") & (k == 0)] = "部门管理员"
    male = rng.random(n) < np.where(level == "网格", 0.35, 0.5)
    names = make_names(male, rng)
    phones = make_mobiles(n, rng)
    status = ACCOUNT_STATUS[rng.choice(3, n, p=ACCOUNT_STATUS_P)]
    # most accounts were opened when the platform went live, the rest over time (staff changes)
    created = np.where(rng.random(n) < 0.6, rng.integers(0, min(60, c.n_days), n),
                       rng.integers(0, c.n_days, n))
    return pa.table({
        "account_id": seq_ids("ZH", n, 6),
        "level": level,
        "area_code": area.astype(str),
        "role": role.astype(str),
        "holder_name": names,
        "phone": phones,
        "status": status,
        "created_date": dates(c.start, created),
    })
