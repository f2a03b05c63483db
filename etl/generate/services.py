"""The needs ledger and the services side of a governance centre: 需求清单 (needs), 服务项目 and
活动 (service projects and activities), 志愿服务队 and 志愿者 (volunteer teams and volunteers),
满意度调查 (satisfaction surveys), 物业企业 with their credit rating (红黑榜) and 平台账号
(platform accounts at district, street, community, grid and department level).

Calibration (published figures: ../shared/domain.md §1; the table is docs/calibration.md):
city-wide figures are scaled by population, residents / 3.62 million (Jilin City, 2020 census);
船营区 figures by residents / 436,000 (船营区 as the demo generates it: 435,607 with seed 42), so
the demo reproduces them. Platform accounts follow the organisation (per street, community and
grid), not the population. The published figures are treated as totals over the generated period.

Everything is drawn from the caller's numpy Generator in a fixed order: same seed, same tables.
Only codes, names, kinds and the urban flag of the layers are used, never their geometry."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from etl import contract
from etl.generate.identity import make_mobiles, make_names, unique_id_numbers
from etl.values import CREDIT_CHARS, CREDIT_WEIGHTS as _CREDIT_WEIGHTS, credit_check_char, is_valid_credit_code  # noqa: F401
from etl.workcalendar import WorkCalendar

CITY_RESIDENTS = 3_620_000        # 吉林市, 2020 census (domain brief)
CHUANYING_RESIDENTS = 436_000     # 船营区 as generated at demo scale (seed 42: 435,607)

# Published figures (domain brief §1): city programme / city / 船营区 / 昌邑区.
PUBLISHED = {
    "questionnaires": 340_000, "needs_resolved": 81_000,                      # city programme
    "projects": 4_405, "activities": 26_000, "people_reached": 1_000_000,    # city programme
    "firms_rated": 228, "red_heart_compounds": 194, "red_heart_projects": 111,  # city
    "owners_committees": 1_475,                                               # city
    "volunteers": 3_021, "accounts_street_to_grid": 2_820,                   # 船营区
    "grid_workers": 1_270, "grids_changyi": 995,                             # 昌邑区
}
MIN_FIRMS = 20
COMPOUNDS_PER_FIRM = PUBLISHED["owners_committees"] / PUBLISHED["firms_rated"]   # 6.5, a loose proxy

TABLES = ("needs", "service_projects", "service_activities", "volunteer_teams", "volunteers",
          "surveys", "property_firms", "accounts")


def service_targets(residents: int) -> dict[str, int]:
    """The population-scaled targets the generator aims at (documented in docs/calibration.md)."""
    city = residents / CITY_RESIDENTS
    district = residents / CHUANYING_RESIDENTS
    projects = max(1, round(PUBLISHED["projects"] * city))
    return {
        "questionnaires": round(PUBLISHED["questionnaires"] * city),
        "needs_resolved": round(PUBLISHED["needs_resolved"] * city),
        "projects": projects,
        "activities": max(projects, round(PUBLISHED["activities"] * city)),
        "people_reached": round(PUBLISHED["people_reached"] * city),
        "volunteers": max(1, round(PUBLISHED["volunteers"] * district)),
        "firms": max(MIN_FIRMS, round(PUBLISHED["firms_rated"] * city)),
        "red_heart_projects": round(PUBLISHED["red_heart_projects"] * city),
        "red_heart_compounds": round(PUBLISHED["red_heart_compounds"] * city),
    }


# --- unified social credit code (GB 32100-2015) and organisation code (GB 11714-1997) ---------

# the code's definition is the ETL's check (etl/values.py); here vectorised for drawing codes
CREDIT_WEIGHTS = np.array(_CREDIT_WEIGHTS)
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])


def org_check_char(body8: str) -> str:
    """Check character (9th) of an organisation code (GB 11714-1997): digits and A=10 … Z=35."""
    if len(body8) != 8 or not body8.isalnum() or not body8.isascii():
        raise ValueError(f"need 8 digits or capital letters, got {body8!r}")
    s = sum((int(c) if c.isdigit() else ord(c.upper()) - 55) * int(w) for c, w in zip(body8, ORG_WEIGHTS))
    r = 11 - s % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)


def make_credit_codes(region: np.ndarray, rng: np.random.Generator,
                      kind: np.ndarray | None = None, slot: tuple[int, int] = (0, 1)) -> np.ndarray:
    """Unique unified social credit codes registered in the given 6-digit regions; `kind` is the
    登记管理部门 + 机构类别 pair per code (default "91": 市场监管, 企业); the organisation-code
    part (characters 9–17) carries its own GB 11714 check character; newer firms have bodies
    starting MA. Vectorised: the city has some 100,000 organisations. With slot (k, K) the
    organisation-code body is k modulo K, so K generators never draw the same code."""
    n = len(region)
    kind = np.full(n, "91") if kind is None else np.asarray(kind).astype("U2")
    head = np.char.add(kind, np.asarray(region).astype("U6"))
    codes = _credit_codes(head, rng, slot)
    for _ in range(20):
        _, first = np.unique(codes, return_index=True)
        dup = np.ones(n, bool)
        dup[first] = False
        if not dup.any():
            return codes
        codes[dup] = _credit_codes(head[dup], rng, slot)
    raise RuntimeError("could not draw unique credit codes")


_CREDIT_VALUE = np.full(128, -1)
_CREDIT_VALUE[[ord(c) for c in CREDIT_CHARS]] = np.arange(len(CREDIT_CHARS))


def _credit_codes(head: np.ndarray, rng: np.random.Generator, slot: tuple[int, int]) -> np.ndarray:
    """head (kind + region, 8 characters) + a random organisation code + check characters."""
    n = len(head)
    k, n_slots = slot
    letters = np.array(list(CREDIT_CHARS))
    is_new = rng.random(n) < 0.45
    # old bodies: 8 digits, the first not 0; new: MA + 6 characters (base 31); both ≡ k mod K
    old = k + n_slots * rng.integers(-(-(10**7 - k) // n_slots), (10**8 - 1 - k) // n_slots + 1, n)
    old_body = np.column_stack([(old // 10**i % 10).astype("U1") for i in range(7, -1, -1)])
    fresh = k + n_slots * rng.integers(0, (31**6 - 1 - k) // n_slots + 1, n)
    new_body = np.column_stack([np.full(n, "M"), np.full(n, "A")]
                               + [letters[fresh // 31**i % 31] for i in range(5, -1, -1)])
    body = np.where(is_new[:, None], new_body, old_body)               # n × 8 characters
    o = body.view(np.uint32).astype(np.int64)                          # code points
    org_value = np.where(o <= ord("9"), o - ord("0"), o - 55)
    r = 11 - (org_value @ ORG_WEIGHTS) % 11
    org_check = np.where(r == 10, "X", np.where(r == 11, "0", (r % 10).astype("U1"))).astype("U1")
    first17 = np.ascontiguousarray(np.column_stack(
        [np.ascontiguousarray(head.astype("U8")).view("U1").reshape(n, 8), body, org_check]).astype("U1"))
    value = _CREDIT_VALUE[first17.view(np.uint32).astype(np.int64)]
    check = letters[(31 - (value @ CREDIT_WEIGHTS) % 31) % 31]
    full = np.ascontiguousarray(np.column_stack([first17, check]).astype("U1"))
    return full.view("U18").ravel()


# --- vocabularies ---------------------------------------------------------------------------

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

TEAM_TYPES = np.array(["党员志愿服务队", "巾帼志愿服务队", "青年志愿服务队", "银龄志愿服务队",
                       "退役军人志愿服务队", "法律志愿服务队", "医疗志愿服务队", "平安志愿服务队",
                       "环保志愿服务队", "文艺志愿服务队"])
TEAM_TYPE_P = np.array([0.20, 0.12, 0.12, 0.12, 0.07, 0.05, 0.06, 0.12, 0.07, 0.07])
SKILLS = np.array(["组织协调", "助老陪护", "课业辅导", "医疗护理", "法律咨询", "心理疏导", "文艺表演",
                   "家电维修", "理发", "驾驶", "信息技术", "治安巡逻", "环境保洁", "政策宣讲"])
# primary skill by team type (index into SKILLS)
TEAM_SKILL = np.array([0, 1, 2, 1, 11, 4, 3, 11, 12, 6])

SURVEY_TOPICS = np.array(["社区服务满意度", "网格员服务满意度", "物业服务满意度", "环境卫生满意度",
                          "社会治安满意度", "供暖服务满意度", "养老服务满意度", "便民服务满意度"])
SURVEY_TOPIC_P = np.array([0.22, 0.16, 0.14, 0.12, 0.12, 0.08, 0.08, 0.08])
SURVEY_BASE = np.array([0.92, 0.94, 0.76, 0.84, 0.90, 0.80, 0.88, 0.89])
SURVEY_METHODS = np.array(["入户走访", "线上问卷", "电话回访"])
SURVEY_METHOD_P = np.array([0.45, 0.40, 0.15])

FIRM_WORDS = np.array(["江城", "松江", "北山", "雾凇", "恒泰", "鑫源", "华辰", "龙潭", "吉顺", "安居",
                       "宏达", "金辉", "世纪", "锦程", "康宁", "兴业", "万和", "永盛", "福瑞", "嘉禾",
                       "瑞丰", "东升", "泰和", "长青", "天成", "盛华", "新元", "德润", "汇通", "佳美",
                       "联创", "百川", "祥和", "明达", "丰泽", "润恒", "博远", "中吉", "惠民", "昌盛"])
FIRM_KINDS = np.array(["物业服务有限公司", "物业管理有限公司"])
FIRM_REGIONS = np.array(["220202", "220203", "220204", "220211", "220201"])

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


# --- helpers --------------------------------------------------------------------------------

def _pick(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One category per element; probs is (k rows × m), rows picks each element's row."""
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(rows))
    return np.minimum((u[:, None] > cum[rows]).sum(axis=1), probs.shape[1] - 1)


def _days_weighted(rng, weights: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A day index in [lo, hi] (inclusive) per element, with probability ∝ weights[day];
    uniform where the window has no weight."""
    cum = np.concatenate([[0.0], np.cumsum(weights)])
    a, b = cum[lo], cum[hi + 1]
    u = a + rng.random(len(lo)) * (b - a)
    idx = np.searchsorted(cum, u, side="right") - 1
    uniform = lo + (rng.random(len(lo)) * (hi - lo + 1)).astype(np.int64)
    return np.where(b > a, np.clip(idx, lo, hi), uniform)


def _seq_ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill((np.arange(n) + 1).astype(f"U{width}"), width))


def _dates(start: np.datetime64, offsets: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    days = start + offsets.astype("timedelta64[D]")
    return pa.array(days, type=pa.date32(), mask=None if valid is None else ~valid)


def _nullable(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    return pa.array(values.astype(object), type=pa.string(), mask=~valid)


def _office(name: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """居委会 / 村委会 of a community, 办事处 / 人民政府 of a street or township."""
    suffix = np.select([kind == "社区", kind == "村", kind == "街道"], ["居委会", "村委会", "办事处"],
                       "人民政府")
    return np.char.add(name.astype(str), suffix)


class _Context:
    def __init__(self, layers, persons_per_grid: np.ndarray, scale, rng: np.random.Generator):
        grids = layers.grids.reset_index(drop=True)
        if len(grids) != len(persons_per_grid):
            raise ValueError("persons_per_grid must have one count per grid, in layers.grids order")
        comm = pd.DataFrame(layers.communities.drop(columns="geometry", errors="ignore")).reset_index(drop=True)
        streets = pd.DataFrame(layers.streets.drop(columns="geometry", errors="ignore")).set_index("code")
        self.rng = rng
        self.start = np.datetime64(scale.start, "D")
        self.end = np.datetime64(scale.end, "D")
        self.n_days = int((self.end - self.start).astype(int)) + 1
        cal = WorkCalendar(scale.start, scale.end)
        self.workday = cal.work_min_per_day > 0
        self.days = cal.days
        self.cum_work = np.cumsum(self.workday)
        self.month = self.days.astype("datetime64[M]").astype(np.int64) % 12 + 1
        self.dom = (self.days - self.days.astype("datetime64[M]")).astype(np.int64) + 1
        self.residents = int(np.asarray(persons_per_grid).sum())

        self.grid_code = grids["code"].to_numpy().astype(str)
        comm_index = pd.Index(comm["code"])
        self.grid_comm = comm_index.get_indexer(grids["community_code"])
        if (self.grid_comm < 0).any():
            raise ValueError("a grid's community_code is not in layers.communities")
        self.grid_pop = np.asarray(persons_per_grid, dtype=float)
        self.comm_code = comm["code"].to_numpy().astype(str)
        self.comm_name = comm["name"].to_numpy().astype(str)
        self.comm_kind = comm["kind"].to_numpy().astype(str)
        self.comm_urban = comm["urban"].to_numpy().astype(bool)
        self.comm_pop = np.bincount(self.grid_comm, weights=self.grid_pop, minlength=len(comm))
        self.comm_office = _office(self.comm_name, self.comm_kind)
        st = streets.loc[comm["street_code"]]
        self.comm_street_code = comm["street_code"].to_numpy().astype(str)
        self.comm_street_office = _office(st["name"].to_numpy().astype(str), st["kind"].to_numpy().astype(str))
        self.comm_district = comm["district_code"].to_numpy().astype(str)
        self.streets = streets.reset_index()
        self.districts = pd.DataFrame(layers.districts.drop(columns="geometry", errors="ignore"))
        self.targets = service_targets(self.residents)


# --- the tables -----------------------------------------------------------------------------

def _needs(c: _Context) -> pa.Table:
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
    reported = _days_weighted(rng, day_w, np.zeros(n, np.int64), np.full(n, L - 1))
    domain = _pick(rng, NEED_DOMAIN_P, (~c.comm_urban[comm]).astype(int))
    group = _pick(rng, GROUP_GIVEN_DOMAIN, domain)
    difficulty = _pick(rng, DIFFICULTY_GIVEN_DOMAIN, domain)
    urgency = _pick(rng, URGENCY_GIVEN_DOMAIN, domain)
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
    sat = SATISFACTION[_pick(rng, sat_p, np.arange(n))]
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
        "reported_date": _dates(c.start, reported),
        "source": NEED_SOURCES[source[order]],
        "content": content[order],
        "domain": NEED_DOMAINS[domain[order]],
        "target_group": GROUPS[group[order]],
        "difficulty": DIFFICULTY[difficulty[order]],
        "urgency": URGENCY[urgency[order]],
        "responsible_unit": unit[order],
        "time_limit_days": limit[order].astype(np.int32),
        "status": status[order],
        "resolved_date": _dates(c.start, closed_day[order], closed[order]),
        "satisfaction": _nullable(sat[order], rated[order]),
    })


def _volunteer_teams(c: _Context) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def _volunteers(c: _Context, team_comm: np.ndarray, team_type: np.ndarray, founded: np.ndarray):
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
        "volunteer_id": _seq_ids("ZYZ", n, 7),
        "name": names,
        "id_number": ids,
        "phone": phones,
        "team_id": _seq_ids("ZYD", n_teams, 5)[team],
        "community_code": c.comm_code[team_comm[team]],
        "skills": skills,
        "registered_date": _dates(c.start, registered),
        "service_hours": hours,
    })
    teams = pa.table({
        "team_id": _seq_ids("ZYD", n_teams, 5),
        "name": np.char.add(c.comm_name[team_comm], TEAM_TYPES[team_type]),
        "team_type": TEAM_TYPES[team_type],
        "community_code": c.comm_code[team_comm],
        "founded_date": _dates(c.start, founded),
        "members": members.astype(np.int32),
        "service_hours": np.bincount(team, weights=hours, minlength=n_teams).round(1),
    })
    return teams, vol


def _projects_and_activities(c: _Context, team_comm: np.ndarray) -> tuple[pa.Table, pa.Table]:
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
        adays[sel] = _days_weighted(rng, w, start[ap[sel]], end[ap[sel]])
    # participants: lognormal around each type's mean, scaled so the total meets the target
    pmean = np.array([x[6] for x in types], float)[ptype[ap]]
    factor = t["people_reached"] / pmean.sum()
    sigma = 0.5
    participants = np.maximum(1, np.round(rng.lognormal(np.log(pmean * factor) - sigma ** 2 / 2, sigma)))
    volunteers = rng.poisson(np.array([x[7] for x in types], float)[ptype[ap]])
    # the volunteer team of the project's community, when it has one
    team_ids = _seq_ids("ZYD", len(team_comm), 5)
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
    project_ids = _seq_ids("XM", n, 6)
    projects = pa.table({
        "project_id": project_ids,
        "name": pname[porder],
        "project_type": tname[porder],
        "target_group": group[porder],
        "community_code": c.comm_code[comm[porder]],
        "organiser": org[porder],
        "start_date": _dates(c.start, start[porder]),
        "end_date": _dates(c.start, end[porder]),
    })
    aorder = np.lexsort((prank[ap], adays))
    # the n-th activity of its project, in date order
    by_project = np.lexsort((adays, prank[ap]))
    nth = np.empty(m, np.int64)
    nth[by_project] = np.arange(m) - np.repeat(np.cumsum(per[porder]) - per[porder], per[porder])
    title = np.char.add(np.char.add(np.char.add(tname[ap], "第"), (nth + 1).astype(str)), "期")
    activities = pa.table({
        "activity_id": _seq_ids("HD", m, 7),
        "project_id": project_ids[prank[ap]][aorder],
        "community_code": c.comm_code[acomm][aorder],
        "activity_date": _dates(c.start, adays[aorder]),
        "title": title[aorder],
        "participants": participants[aorder].astype(np.int32),
        "volunteers": volunteers[aorder].astype(np.int32),
        "team_id": _nullable(team[aorder], has[aorder]),
    })
    return projects, activities


def _surveys(c: _Context) -> pa.Table:
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
    day = _days_weighted(rng, np.where(c.workday, 1.0, 0.4), lo, hi)
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
        "survey_id": _seq_ids("MYD", n, 6),
        "community_code": c.comm_code[comm][order],
        "survey_date": _dates(c.start, day[order]),
        "topic": SURVEY_TOPICS[topic][order],
        "method": SURVEY_METHODS[method][order],
        "respondents": respondents[order].astype(np.int32),
        "satisfied_share": (satisfied / respondents).round(4)[order],
    })


def _property_firms(c: _Context, credit_code_slot: tuple[int, int]) -> pa.Table:
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
        "firm_id": _seq_ids("WY", n, 4),
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


def _accounts(c: _Context) -> pa.Table:
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
        "account_id": _seq_ids("ZH", n, 6),
        "level": level,
        "area_code": area.astype(str),
        "role": role.astype(str),
        "holder_name": names,
        "phone": phones,
        "status": status,
        "created_date": _dates(c.start, created),
    })


def generate_services(layers, persons_per_grid: np.ndarray, scale, rng: np.random.Generator,
                      credit_code_slot: tuple[int, int] = (0, 1)) -> dict[str, pa.Table]:
    """The needs ledger and service tables for the given area layers and residents per grid
    (aligned with layers.grids), dates within [scale.start, scale.end]. Keys are contract tables.
    `credit_code_slot`: the property firms' share of credit codes (make_credit_codes)."""
    c = _Context(layers, persons_per_grid, scale, rng)
    out = {"needs": _needs(c)}
    team_comm, team_type, founded = _volunteer_teams(c)
    out["volunteer_teams"], out["volunteers"] = _volunteers(c, team_comm, team_type, founded)
    out["service_projects"], out["service_activities"] = _projects_and_activities(c, team_comm)
    out["surveys"] = _surveys(c)
    out["property_firms"] = _property_firms(c, credit_code_slot)
    out["accounts"] = _accounts(c)
    return {name: out[name] for name in TABLES}


# --- writing --------------------------------------------------------------------------------

def service_specs() -> dict[str, contract.SourceFile]:
    """The contract entries of the service tables (loaded or not)."""
    specs = {s.table: s for s in contract.load_contract(loaded_only=False)}
    return {name: specs[name] for name in TABLES}


def write_xlsx(table: pa.Table, spec: contract.SourceFile, path: Path) -> int:
    """One sheet, a header row of the source system's Chinese headers, dates as Excel dates; same
    rows, same bytes (warehouse/excel.py)."""
    from warehouse.excel import write_sheet

    columns = [table.column(c.name).to_pylist() for c in spec.columns]
    write_sheet(str(path), spec.title.split(" (")[0][:31] or spec.table, [c.header for c in spec.columns],
                zip(*columns))
    return table.num_rows


def write_services(tables: dict[str, pa.Table], out_dir: Path) -> dict[str, int]:
    """Write each table under its contract file name with its contract headers; row counts."""
    from etl.generate.run import write_csv  # here, not at the top: run may import this module

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = service_specs()
    counts = {}
    for name, table in tables.items():
        spec = specs[name]
        if spec.format == "xlsx":
            counts[spec.file] = write_xlsx(table, spec, out_dir / spec.file)
        else:
            counts[spec.file] = write_csv(table, spec, out_dir / spec.file)
    return counts
