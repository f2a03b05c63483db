"""一标三实 for the generated grids: standard addresses, houses, households and persons.

Every dwelling is a standard address (district / street / community / road / compound / building /
unit / room, or village / group / yard number in the countryside) and a house; households occupy
most dwellings, the rest stand empty; persons live in households. Organisations (the fourth 实)
come from :mod:`demo.organisations`, on the same buildings."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from demo import text
from demo.arrays import rank_within, ymd
from demo.identity import make_mobiles, make_names, shard_slots, unique_id_numbers
from demo.points import sample_points

HOUSEHOLD_SIZES = np.array([1, 2, 3, 4, 5])
HOUSEHOLD_SIZE_P = np.array([0.22, 0.36, 0.27, 0.10, 0.05])    # mean ≈ 2.4 (Northeast, 2020)
# Birth-place region codes of the floating population: other Jilin counties and nearby provinces.
FLOATING_REGIONS = np.array(["220182", "220183", "220381", "220502", "222401", "230102",
                             "230103", "230602", "210102", "210202", "370102", "130102",
                             "152502", "220122", "220106"])
LOCAL_REGIONS = np.array(["220202", "220203", "220204", "220211", "220221", "220201"])
ROADS = np.array(["解放", "北京", "重庆", "天津", "青岛", "上海", "长春", "松江", "越山", "致和",
                  "德胜", "河南", "光华", "大东", "临江", "江湾", "吉林", "北华", "东昌", "西安",
                  "延安", "通江", "遵义", "珲春", "珠江", "黄河", "泰山", "华山", "深圳", "厦门"])
ROAD_KINDS = np.array(["路", "街", "大街", "胡同"])
COMPOUND_WORDS = np.array(["江城", "松江", "世纪", "阳光", "滨江", "锦绣", "和谐", "富苑", "金色",
                           "翰林", "书香", "丽景", "新城", "北山", "龙华", "欧亚", "万科", "恒大",
                           "铁路", "电力", "化工", "石化", "纺织", "建工", "水岸", "御景", "紫光"])
COMPOUND_KINDS = np.array(["小区", "花园", "家园", "佳苑", "新村", "公寓", "宿舍"])
DWELLINGS_PER_BUILDING = 24
BUILDINGS_PER_COMPOUND = 8
UNITS_PER_BUILDING = 3
VACANT_SHARE = {True: 0.10, False: 0.14}     # empty homes: urban, rural (out-migration)
# person tags (sensitive under PIPL): shares tuned to Northeast figures of the 2020s
TAGS = ("独居老人", "低保", "残疾", "退役军人", "党员", "未成年人")


@dataclass
class Buildings:
    """Urban buildings and rural yards, where organisations can also be placed."""
    grid: np.ndarray          # grid index
    lon: np.ndarray
    lat: np.ndarray
    prefix: np.ndarray        # address text up to the building (…号…小区3栋) or the yard (…组12号)
    road: np.ndarray
    number: np.ndarray        # 门牌号 text
    compound: np.ndarray
    building: np.ndarray      # 楼栋 text ("" for yards)


@dataclass
class Population:
    addresses: pa.Table
    houses: pa.Table
    households: pa.Table
    persons: pa.Table
    persons_per_grid: np.ndarray
    buildings: Buildings


def _ages(n: int, rng: np.random.Generator, low: int, high: int, old_bias: float) -> np.ndarray:
    """Head-of-household ages between low and high, leaning old (an ageing Northeast city)."""
    u = rng.beta(1.0 + old_bias, 1.6, n)
    return (low + u * (high - low)).astype(int)


def generate_population(grids, area_names: dict[str, np.ndarray], scale, rng: np.random.Generator,
                        shard: tuple[tuple[int, int], tuple[int, int]] = ((0, 1), (0, 1))) -> Population:
    """Population of `grids` (one shard of the city). `area_names` holds, per grid, the names
    "district", "street", "community". `shard` = ((k, K) within the district, (k, K) within the city) keeps ID numbers unique across
    shards generated apart (identity.shard_slots)."""
    n_grids = len(grids)
    urban = grids["urban"].to_numpy()
    g_code = grids["code"].to_numpy().astype(str)
    mean = np.where(urban, scale.residents_per_urban_grid, scale.residents_per_rural_grid)
    residents = np.maximum(rng.lognormal(np.log(mean), 0.35), 30)
    hh_per_grid = np.maximum((residents / 2.4).round().astype(int), 8)
    vacant_share = np.where(urban, VACANT_SHARE[True], VACANT_SHARE[False])
    dw_per_grid = hh_per_grid + rng.binomial(hh_per_grid, vacant_share / (1 - vacant_share))

    b = _buildings(grids, g_code, urban, dw_per_grid, area_names, rng, shard[0])
    n_b_grid = np.bincount(b.grid, minlength=n_grids)
    b_first = np.r_[0, np.cumsum(n_b_grid)[:-1]]

    # dwellings: rank j in its grid → building j mod n, place j div n in the building
    dw_grid = np.repeat(np.arange(n_grids), dw_per_grid)
    j = rank_within(dw_grid)
    dw_building = b_first[dw_grid] + j % n_b_grid[dw_grid]
    place = j // n_b_grid[dw_grid]
    dw_urban = urban[dw_grid]
    unit = place % UNITS_PER_BUILDING + 1
    floor = place // (UNITS_PER_BUILDING * 2) + 1
    door = (place // UNITS_PER_BUILDING) % 2 + 1
    room = text.where(dw_urban, text.arr(floor * 100 + door), "")
    unit_txt = text.where(dw_urban, text.arr(unit), "")
    prefix = text.take(b.prefix, dw_building)
    dw_text = text.where(dw_urban, text.cat(prefix, unit_txt, "单元", room, "室"), prefix)
    dw_grid_code = text.take(g_code, dw_grid)
    dw_no = text.cat(dw_grid_code, text.zpad(j + 1, 5))
    address_id = text.cat("DZ", dw_no)
    addresses = pa.table({
        "address_id": address_id,
        "grid_code": dw_grid_code,
        "district": text.take(area_names["district"], dw_grid),
        "street": text.take(area_names["street"], dw_grid),
        "community": text.take(area_names["community"], dw_grid),
        "road": text.take(b.road, dw_building), "house_number": text.take(b.number, dw_building),
        "compound": text.take(b.compound, dw_building), "building": text.take(b.building, dw_building),
        "unit": unit_txt, "room": room,
        "address": dw_text,
        "lon": b.lon[dw_building].round(6), "lat": b.lat[dw_building].round(6),
        "address_kind": pa.repeat(pa.scalar("住宅"), len(dw_grid)),
    })

    # households take a random hh_per_grid of their grid's dwellings
    key = rng.random(len(dw_grid))
    order = np.lexsort((key, dw_grid))
    occupied = np.zeros(len(dw_grid), bool)
    occupied[order[rank_within(dw_grid[order]) < hh_per_grid[dw_grid[order]]]] = True
    hh_dw = np.flatnonzero(occupied)
    hh_grid = dw_grid[hh_dw]
    n_hh = len(hh_dw)
    hh_urban = urban[hh_grid]
    size = rng.choice(HOUSEHOLD_SIZES, n_hh, p=HOUSEHOLD_SIZE_P)
    floating_hh = rng.random(n_hh) < np.where(hh_urban, 0.13, 0.05)
    low_income_hh = rng.random(n_hh) < np.where(hh_urban, 0.022, 0.045)     # 低保户
    hh_grid_code = text.take(g_code, hh_grid)
    hh_code = text.cat("H", hh_grid_code, text.zpad(rank_within(hh_grid) + 1, 4))
    hh_address = address_id.take(pa.array(hh_dw))
    households = pa.table({
        "household_id": hh_code,
        "grid_code": hh_grid_code,
        "address_id": hh_address,
        "address": dw_text.take(pa.array(hh_dw)),
        "lon": b.lon[dw_building[hh_dw]].round(6),
        "lat": b.lat[dw_building[hh_dw]].round(6),
        "members": size,
        "household_type": text.take(np.array(["户籍户", "流动人口户"]), floating_hh.astype(int)),
    })

    # persons: member k of each household
    p_hh = np.repeat(np.arange(n_hh), size)
    n_p = len(p_hh)
    k = rank_within(p_hh)
    head_age = _ages(n_hh, rng, 22, 92, 0.1)
    head_age = np.where(floating_hh, rng.integers(20, 55, n_hh), head_age)
    single_old = (size == 1) & (rng.random(n_hh) < 0.4)     # tuned: ~1 in 5 aged 60+ lives alone
    head_age = np.where(single_old, rng.integers(62, 93, n_hh), head_age)
    ha = head_age[p_hh]
    age = np.select(
        [k == 0, k == 1, k >= 2],
        [ha, np.clip(ha + rng.normal(0, 3, n_p).round().astype(int), 18, 99),
         np.clip(ha - rng.integers(22, 36, n_p), 0, 70)])
    # a fifth member is often a grandparent living with the family
    grandparent = (k == 4) & (rng.random(n_p) < 0.6)
    age = np.where(grandparent, np.clip(ha + rng.integers(22, 30, n_p), 60, 99), age)
    head_male = rng.random(n_hh) < 0.62
    male = np.where(k == 0, head_male[p_hh], np.where(k == 1, ~head_male[p_hh], rng.random(n_p) < 0.51))
    relation = np.select([k == 0, k == 1, grandparent], ["户主", "配偶", "父母"], "子女")

    as_of = np.datetime64(scale.end)
    birth = (as_of - (age * 365.25).astype("timedelta64[D]")
             - rng.integers(1, 365, n_p).astype("timedelta64[D]"))
    floating = floating_hh[p_hh]
    p_grid = hh_grid[p_hh]
    home = grids["district_code"].to_numpy().astype(str)[p_grid]
    region = np.where(floating, FLOATING_REGIONS[rng.integers(0, len(FLOATING_REGIONS), n_p)],
                      np.where(rng.random(n_p) < 0.8, home,
                               LOCAL_REGIONS[rng.integers(0, len(LOCAL_REGIONS), n_p)]))
    ids = unique_id_numbers(region.astype("U6"), birth, male, rng,
                            shard_slots(region == home, *shard))
    has_phone = (age >= 14) & (rng.random(n_p) < 0.93)
    tags = _tags(_age_on(birth, as_of), male, size[p_hh], low_income_hh[p_hh], urban[p_grid], rng)
    p_grid_code = text.take(g_code, p_grid)
    person_id = text.cat("P", p_grid_code, text.zpad(rank_within(p_grid) + 1, 4))
    at = pa.array(p_hh)
    persons = pa.table({
        "person_id": person_id,
        "name": make_names(male, rng),
        "id_number": ids,
        "sex": text.take(np.array(["女", "男"]), male.astype(int)),
        "birth_date": pa.array(birth.astype("datetime64[D]"), type=pa.date32()),
        "phone": text.where(has_phone, make_mobiles(n_p, rng), ""),
        "household_id": hh_code.take(at),
        "relation": relation,
        "residence_type": text.take(np.array(["户籍人口", "流动人口"]), floating.astype(int)),
        "grid_code": p_grid_code,
        "address_id": hh_address.take(at),
        "tags": tags,
    })
    houses = _houses(dw_no, address_id, dw_grid_code, dw_urban, occupied, hh_dw, floating_hh,
                     person_id, p_hh, k, rng)
    return Population(addresses, houses, households, persons,
                      np.bincount(p_grid, minlength=n_grids), b)


def _age_on(birth: np.ndarray, day: np.datetime64) -> np.ndarray:
    """Whole years of age on `day` (the calendar way: a birthday not yet reached this year)."""
    year, month, dom = ymd(birth)
    d_year, d_month, d_dom = (x[0] for x in ymd(np.array([day])))
    return d_year - year - (month * 100 + dom > d_month * 100 + d_dom)


def _tags(age, male, hh_size, low_income, urban, rng) -> pa.Array:
    """Tags joined by 、: elderly living alone and minors follow from age and household; the
    rest are drawn (disability rises with age; veterans mostly men; party members adults)."""
    n = len(age)
    flags = [
        (hh_size == 1) & (age >= 60),
        low_income,
        rng.random(n) < 0.018 + 0.10 * (age >= 65),
        (age >= 23) & (rng.random(n) < np.where(male, 0.055, 0.003)),
        (age >= 18) & (rng.random(n) < np.where(urban, 0.085, 0.06) * (1 + 0.5 * (age >= 60))),
        age < 18,
    ]
    bits = sum(f.astype(np.int64) << i for i, f in enumerate(flags))
    # every combination of the six tags, spelt once, then looked up by its bit pattern
    spelt = np.array(["、".join(t for i, t in enumerate(TAGS) if c >> i & 1) for c in range(1 << len(TAGS))])
    return text.take(spelt, bits)


def _houses(dw_no, address_id, grid_code, urban, occupied, hh_dw, floating_hh, person_id, p_hh, k, rng):
    """One house per dwelling: floor area, use and occupancy; the owner when it is self-occupied."""
    n = len(address_id)
    area = np.where(urban, rng.lognormal(np.log(68), 0.3, n), rng.lognormal(np.log(85), 0.25, n))
    hh_of_dw = np.full(n, -1)
    hh_of_dw[hh_dw] = np.arange(len(hh_dw))
    floating = np.zeros(n, bool)
    floating[hh_dw] = floating_hh
    u = rng.random(n)
    occupancy = np.where(~occupied, 3, np.where(floating, np.where(u < 0.9, 1, 2),
                                                np.where(u < 0.88, 0, np.where(u < 0.97, 1, 2))))
    occupancy_names = np.array(["自住", "出租", "借住", "空置"])
    head_of_hh = np.zeros(len(hh_dw), np.int64)
    head_of_hh[p_hh[k == 0]] = np.flatnonzero(k == 0)
    owner = person_id.take(pa.array(head_of_hh[np.maximum(hh_of_dw, 0)]))
    return pa.table({
        "house_id": text.cat("FW", dw_no),
        "address_id": address_id,
        "grid_code": grid_code,
        "house_use": pa.repeat(pa.scalar("住宅"), n),
        "floor_area": area.round(1),
        "occupancy": text.take(occupancy_names, occupancy),
        "owner_person_id": text.where(occupancy == 0, owner, ""),
    })


def _buildings(grids, g_code, urban, dw_per_grid, area_names, rng,
               district_shard: tuple[int, int] = (0, 1)) -> Buildings:
    """Urban: blocks of 24 dwellings grouped 8 to a compound on a road, numbered odd along the
    road; rural: one yard per dwelling, in village groups (组) by grid. Texts are unique in the
    district: shard k of the district's K numbers its compounds k, k + K, k + 2K, … along a road."""
    n_grids = len(grids)
    n_b = np.where(urban, np.maximum(dw_per_grid // DWELLINGS_PER_BUILDING, 1), dw_per_grid)
    lon, lat = sample_points(grids.geometry.to_numpy(), n_b, rng)
    grid = np.repeat(np.arange(n_grids), n_b)
    rank = rank_within(grid)
    g_seq = np.array([int(c[-3:]) for c in g_code])
    is_urban = urban[grid]
    community = area_names["community"][grid]

    # urban compounds: each on one road of its grid's community; house numbers unique per road
    compound_idx = rank // BUILDINGS_PER_COMPOUND
    community_no = np.array([int(c[:12]) % 997 for c in g_code])[grid]
    h = g_seq[grid] * 131 + compound_idx * 17 + community_no
    road = np.where(is_urban, ROADS[h % len(ROADS)] + ROAD_KINDS[(h // 7) % len(ROAD_KINDS)], "")
    compound_key = grid * 1000 + compound_idx
    # number the distinct compounds along each road of a district: 1, 3, 5, …
    district = area_names["district"][grid]
    road_key = np.char.add(district, road)
    first = np.r_[True, compound_key[1:] != compound_key[:-1]]
    c_rows = np.flatnonzero(first)
    c_order = np.lexsort((c_rows, road_key[c_rows]))
    c_rank = np.empty(len(c_rows), int)
    c_rank[c_order] = rank_within(road_key[c_rows][c_order])
    per_compound = np.repeat(c_rank, np.diff(np.r_[c_rows, len(grid)]))
    k_d, n_d = district_shard
    number = np.where(is_urban, ((per_compound * n_d + k_d) * 2 + 1).astype(str), (rank + 1).astype(str))
    compound_name = COMPOUND_WORDS[(h // 3) % len(COMPOUND_WORDS)] + COMPOUND_KINDS[(h // 5) % len(COMPOUND_KINDS)]
    group = g_seq[grid].astype(str) + "组"
    compound = np.where(is_urban, compound_name, group)
    building = np.where(is_urban, (rank % BUILDINGS_PER_COMPOUND + 1).astype(str), "")
    prefix = np.where(is_urban, road + number + "号" + compound + building + "栋",
                      community + group + number + "号")
    return Buildings(grid, lon, lat, prefix, road, number, compound, building)
