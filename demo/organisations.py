"""实有单位: shops, firms, schools, clinics, offices and social organisations, each on a standard
address of its own (a shop front in a residential building, or a yard) with its premises as a
house. Property firms, rated in the 红黑榜, are organisations too (see `property_firm_organisations`)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from demo.arrays import rank_within
from demo.credit_codes import make_credit_codes
from demo.identity import make_mobiles, make_names
from demo.points import sample_points
from demo.population import Buildings

RESIDENTS_PER_ORGANISATION = 25
# type, share, credit-code prefix (登记管理部门 + 机构类别, GB 32100-2015), premises use
TYPES = [
    ("个体工商户", 0.56, "92", "商业"),
    ("企业", 0.30, "91", "商业"),
    ("机关事业单位", 0.05, "12", "办公"),
    ("社会组织", 0.03, "52", "办公"),
    ("学校", 0.02, "12", "教育"),
    ("医疗机构", 0.04, "12", "医疗"),
]
INDUSTRIES = np.array(["餐饮", "零售", "美容美发", "维修", "住宿", "教育培训", "物流快递",
                       "建筑装修", "汽车服务", "文化娱乐", "批发", "制造"])
INDUSTRY_P = np.array([0.22, 0.24, 0.08, 0.07, 0.04, 0.05, 0.05, 0.06, 0.06, 0.04, 0.05, 0.04])
TRADE_NAMES = np.array(["兴隆", "鑫源", "福满", "宏达", "顺发", "金鼎", "永盛", "华联", "江城",
                        "吉祥", "百信", "瑞丰", "天润", "松花", "雾凇", "北方", "东升", "恒通",
                        "佳美", "康健", "龙潭", "长白", "新世纪", "老街", "好运来", "家乐"])
SHOP_WORDS = {"餐饮": "饭店", "零售": "超市", "美容美发": "美发店", "维修": "维修部",
              "住宿": "旅店", "教育培训": "培训学校", "物流快递": "快递驿站", "建筑装修": "装饰部",
              "汽车服务": "汽车修理部", "文化娱乐": "网吧", "批发": "批发部", "制造": "加工厂"}
FIRM_WORDS = {"餐饮": "餐饮管理", "零售": "商贸", "美容美发": "美容服务", "维修": "维修服务",
              "住宿": "酒店管理", "教育培训": "教育咨询", "物流快递": "物流", "建筑装修": "建筑工程",
              "汽车服务": "汽车销售服务", "文化娱乐": "文化传媒", "批发": "商贸", "制造": "机械制造"}
OTHER_NAMES = {"机关事业单位": ("社区居民委员会", "街道综合服务中心", "供热服务站", "水务管理所"),
               "社会组织": ("志愿服务协会", "老年协会", "调解委员会", "文体协会"),
               "学校": ("小学", "中学", "幼儿园"),
               "医疗机构": ("社区卫生服务站", "诊所", "药房")}


def generate_organisations(grids, b: Buildings, persons_per_grid: np.ndarray,
                           area_names: dict[str, np.ndarray], register_date_end, rng: np.random.Generator,
                           code_slot: tuple[int, int] = (0, 1)):
    """(organisations, their addresses, their houses) as Arrow tables, for one shard.
    `area_names` as for generate_population; `code_slot` = (k, K) keeps credit codes unique
    across K generators (services.make_credit_codes)."""
    community = area_names["community"]
    g_code = grids["code"].to_numpy().astype(str)
    urban = grids["urban"].to_numpy()
    lam = persons_per_grid / RESIDENTS_PER_ORGANISATION * np.where(urban, 1.0, 0.45)
    per_grid = rng.poisson(lam)
    grid = np.repeat(np.arange(len(grids)), per_grid)
    n = len(grid)
    rank = rank_within(grid)

    # a building of the grid: urban shops on the ground floor, numbered per building
    n_b_grid = np.bincount(b.grid, minlength=len(grids))
    b_first = np.r_[0, np.cumsum(n_b_grid)[:-1]]
    building = b_first[grid] + rng.integers(0, np.maximum(n_b_grid[grid], 1))
    order = np.lexsort((rank, building))
    shop_no = np.empty(n, int)
    shop_no[order] = rank_within(building[order])
    is_urban = urban[grid]
    yard_no = n_b_grid[grid] + rank + 1          # rural: yards numbered after the dwellings
    text = np.where(is_urban, b.prefix[building] + (shop_no + 1).astype(str) + "号门市",
                    community[grid] + b.compound[building] + yard_no.astype(str) + "号")
    suffix = g_code[grid] + np.char.zfill((90001 + rank).astype(str), 5)   # after the dwellings

    shares = np.array([t[1] for t in TYPES])
    kind = rng.choice(len(TYPES), n, p=shares / shares.sum())
    type_name = np.array([t[0] for t in TYPES])[kind]
    industry = np.where(kind < 2, INDUSTRIES[rng.choice(len(INDUSTRIES), n, p=INDUSTRY_P)], "")
    trade = TRADE_NAMES[rng.integers(0, len(TRADE_NAMES), n)]
    other = np.array([OTHER_NAMES.get(t[0], ("",))[0] for t in TYPES])[kind]
    for t, words in OTHER_NAMES.items():       # vary the kind of school, clinic, office
        m = type_name == t
        other[m] = np.array(words)[rng.integers(0, len(words), int(m.sum()))]
    shop = np.vectorize(SHOP_WORDS.get, otypes=[str])(np.where(industry == "", "零售", industry))
    firm = np.vectorize(FIRM_WORDS.get, otypes=[str])(np.where(industry == "", "零售", industry))
    name = np.select(
        [kind == 0, kind == 1, np.isin(other, ["小学", "中学", "幼儿园"])],
        [trade + shop, "吉林市" + trade + firm + "有限公司", community[grid] + other],
        community[grid] + other)
    region = grids["district_code"].to_numpy().astype(str)[grid]
    prefix = np.array([t[2] for t in TYPES])[kind]
    credit = make_credit_codes(region, rng, prefix, code_slot)
    employees = np.maximum(np.where(kind == 0, rng.poisson(2.5, n), rng.lognormal(np.log(12), 1.0, n)), 1)
    registered = (np.datetime64(register_date_end)
                  - rng.exponential(365 * 7, n).astype("timedelta64[D]"))
    organisations = pa.table({
        "org_id": "DW" + suffix,
        "name": name,
        "credit_code": credit,
        "org_type": type_name,
        "industry": industry,
        "address_id": "DZ" + suffix,
        "grid_code": g_code[grid],
        "lon": b.lon[building].round(6), "lat": b.lat[building].round(6),
        "employees": employees.astype(int),
        "contact_name": make_names(rng.random(n) < 0.55, rng),
        "contact_phone": make_mobiles(n, rng),
        "registered_date": registered.astype("datetime64[D]").astype(str),
    })
    addresses = pa.table({
        "address_id": "DZ" + suffix, "grid_code": g_code[grid],
        "district": area_names["district"][grid], "street": area_names["street"][grid],
        "community": community[grid],
        "road": b.road[building], "house_number": b.number[building],
        "compound": b.compound[building], "building": b.building[building],
        "unit": np.full(n, ""), "room": np.where(is_urban, (shop_no + 1).astype(str) + "号门市", ""),
        "address": text,
        "lon": b.lon[building].round(6), "lat": b.lat[building].round(6),
        "address_kind": np.full(n, "单位"),
    })
    use = np.array([t[3] for t in TYPES])[kind]
    use = np.where(industry == "制造", "厂房", np.where(np.isin(industry, ["教育培训"]), "办公", use))
    houses = pa.table({
        "house_id": "FW" + suffix, "address_id": "DZ" + suffix, "grid_code": g_code[grid],
        "house_use": use,
        "floor_area": np.round(rng.lognormal(np.log(np.where(kind == 0, 45, 160)), 0.5), 1),
        "occupancy": np.where(rng.random(n) < 0.4, "自用", "出租"),
        "owner_person_id": np.full(n, ""),
    })
    return organisations, addresses, houses


def property_firm_organisations(firms: pa.Table, grids, area_names: dict[str, np.ndarray],
                                rng: np.random.Generator):
    """The rated property firms as organisations: each keeps an office (物业服务中心) in an urban
    grid of its registering district, or of the city when it is registered elsewhere. Returns
    (organisations, addresses, houses) in the same columns as generate_organisations."""
    n = firms.num_rows
    region = firms["registered_region"].to_numpy(zero_copy_only=False).astype(str)
    urban = np.flatnonzero(grids["urban"].to_numpy())
    district = grids["district_code"].to_numpy().astype(str)[urban]
    grid = np.array([rng.choice(urban[district == r]) if (district == r).any() else rng.choice(urban)
                     for r in region])
    lon, lat = sample_points(grids.geometry.to_numpy()[grid], np.ones(n, int), rng)
    g_code = grids["code"].to_numpy().astype(str)[grid]
    suffix = g_code + np.char.zfill((98001 + np.arange(n)).astype(str), 5)
    community = area_names["community"][grid]
    number = (np.arange(n) + 1).astype(str)
    organisations = pa.table({
        "org_id": "DW" + suffix, "name": firms["name"], "credit_code": firms["credit_code"],
        "org_type": np.full(n, "物业服务企业"), "industry": np.full(n, "物业服务"),
        "address_id": "DZ" + suffix, "grid_code": g_code,
        "lon": lon.round(6), "lat": lat.round(6),
        "employees": np.maximum(firms["compounds"].to_numpy() * rng.integers(6, 15, n), 3),
        "contact_name": make_names(rng.random(n) < 0.6, rng), "contact_phone": make_mobiles(n, rng),
        "registered_date": (np.datetime64("2024-01-01")
                            - rng.exponential(365 * 8, n).astype("timedelta64[D]")).astype(str),
    })
    addresses = pa.table({
        "address_id": "DZ" + suffix, "grid_code": g_code,
        "district": area_names["district"][grid], "street": area_names["street"][grid],
        "community": community, "road": np.full(n, ""), "house_number": number,
        "compound": np.full(n, "物业服务中心"), "building": np.full(n, ""), "unit": np.full(n, ""),
        "room": np.full(n, ""), "address": community + "物业服务中心" + number + "号",
        "lon": lon.round(6), "lat": lat.round(6), "address_kind": np.full(n, "单位"),
    })
    houses = pa.table({
        "house_id": "FW" + suffix, "address_id": "DZ" + suffix, "grid_code": g_code,
        "house_use": np.full(n, "办公"), "floor_area": np.round(rng.lognormal(np.log(120), 0.4, n), 1),
        "occupancy": np.where(rng.random(n) < 0.3, "自用", "出租"), "owner_person_id": np.full(n, ""),
    })
    return organisations, addresses, houses
