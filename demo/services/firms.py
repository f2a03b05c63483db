"""物业企业 with their credit rating (红黑榜)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from demo.credit_codes import make_credit_codes
from demo.services.calibration import COMPOUNDS_PER_FIRM
from demo.services.context import FIRM_REGIONS, Context, seq_ids

FIRM_WORDS = np.array(["江城", "松江", "北山", "雾凇", "恒泰", "鑫源", "华辰", "龙潭", "吉顺", "安居",
                       "宏达", "金辉", "世纪", "锦程", "康宁", "兴业", "万和", "永盛", "福瑞", "嘉禾",
                       "瑞丰", "东升", "泰和", "长青", "天成", "盛华", "新元", "德润", "汇通", "佳美",
                       "联创", "百川", "祥和", "明达", "丰泽", "润恒", "博远", "中吉", "惠民", "昌盛"])
FIRM_KINDS = np.array(["物业服务有限公司", "物业管理有限公司"])


def table(c: Context, credit_code_slot: tuple[int, int]) -> pa.Table:
    rng, t = c.rng, c.targets
    n = t["firms"]
    singles = list(FIRM_WORDS)
    pairs = [a + b for a in FIRM_WORDS for b in FIRM_WORDS if a != b]
    pool = np.array(singles + pairs)
    p = np.concatenate([np.full(len(singles), 30.0), np.ones(len(pairs))])
    words = pool[rng.choice(len(pool), n, replace=False, p=p / p.sum())]
    names = np.char.add(np.char.add("吉林市", words), FIRM_KINDS[(rng.random(n) < 0.3).astype(int)])
    home = c.districts["code"].to_numpy().astype(str)
    region = np.where(rng.random(n) < 0.7, home[rng.integers(0, len(home), n)],
                      FIRM_REGIONS[rng.integers(0, len(FIRM_REGIONS), n)])
    codes = make_credit_codes(region, rng, slot=credit_code_slot)
    score = np.clip(rng.beta(8.0, 2.0, n) * 100 + rng.normal(0, 2, n), 0, 100).round(1)
    listed = np.select([score >= 90, score < 60], ["红榜", "黑榜"], "无")
    # compounds served: mean 6.5 = the city's 1,475 owners' committees over its 228 rated firms
    compounds = np.maximum(1, np.round(rng.lognormal(np.log(COMPOUNDS_PER_FIRM) - 0.7 ** 2 / 2, 0.7, n)))
    compounds = compounds.astype(np.int64)
    pref = np.exp((score - 100) / 8)
    rh_projects = rng.multinomial(t["red_heart_projects"], pref / pref.sum())
    extra = max(0, t["red_heart_compounds"] - t["red_heart_projects"])
    rh_compounds = rh_projects.copy()
    if rh_projects.sum():
        rh_compounds += rng.multinomial(extra, rh_projects / rh_projects.sum())
    compounds = np.maximum(compounds, rh_compounds)
    # rating rounds: ten days after each quarter's end; most firms were rated in the latest one
    rounds = [np.datetime64(f"{y}-{m:02d}-10") for y in range(int(str(c.start)[:4]), int(str(c.end)[:4]) + 1)
              for m in (1, 4, 7, 10)]
    rounds = np.array([r for r in rounds if c.start <= r <= c.end] or [c.end])
    back = np.minimum(rng.choice(3, n, p=[0.85, 0.12, 0.03]), len(rounds) - 1)
    rating = rounds[len(rounds) - 1 - back]
    return pa.table({
        "firm_id": seq_ids("WY", n, 4),
        "name": names,
        "credit_code": codes,
        "registered_region": region,
        "compounds": compounds.astype(np.int32),
        "red_heart_projects": rh_projects.astype(np.int32),
        "red_heart_compounds": rh_compounds.astype(np.int32),
        "credit_score": score,
        "red_black_list": listed,
        "rating_date": pa.array(rating, type=pa.date32()),
    })
