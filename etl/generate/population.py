"""Households and persons (实有人口) living in the generated grids."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from etl.generate.identity import make_mobiles, make_names, unique_id_numbers
from etl.generate.points import sample_points

HOUSEHOLD_SIZES = np.array([1, 2, 3, 4, 5])
HOUSEHOLD_SIZE_P = np.array([0.22, 0.36, 0.27, 0.10, 0.05])    # mean ≈ 2.4 (Northeast, 2020)
# Birth-place region codes of the floating population: other Jilin counties and nearby provinces.
FLOATING_REGIONS = np.array(["220182", "220183", "220381", "220502", "222401", "230102",
                             "230103", "230602", "210102", "210202", "370102", "130102",
                             "152502", "220122", "220106"])
LOCAL_REGIONS = np.array(["220202", "220203", "220204", "220211", "220221", "220201"])
ROADS = np.array(["解放", "北京", "重庆", "天津", "青岛", "上海", "长春", "松江", "越山", "致和",
                  "德胜", "河南", "光华", "大东", "临江", "江湾", "吉林", "北华", "东昌", "西安"])
ROAD_KINDS = np.array(["路", "街", "大街"])
COMPOUND_WORDS = np.array(["江城", "松江", "世纪", "阳光", "滨江", "锦绣", "和谐", "富苑", "金色",
                           "翰林", "书香", "丽景", "新城", "北山", "龙华", "欧亚", "万科", "恒大"])
COMPOUND_KINDS = np.array(["小区", "花园", "家园", "佳苑", "新村", "公寓"])


def _ages(n: int, rng: np.random.Generator, low: int, high: int, old_bias: float) -> np.ndarray:
    """Head-of-household ages between low and high, leaning old (an ageing Northeast city)."""
    u = rng.beta(1.0 + old_bias, 1.6, n)
    return (low + u * (high - low)).astype(int)


def generate_population(grids, scale, rng: np.random.Generator):
    """Returns (households, persons, persons per grid): Arrow tables with canonical column
    names (Arrow, not pandas: millions of strings convert many times faster) and a count array."""
    n_grids = len(grids)
    urban = grids["urban"].to_numpy()
    mean = np.where(urban, scale.residents_per_urban_grid, scale.residents_per_rural_grid)
    residents = np.maximum(rng.lognormal(np.log(mean), 0.35), 30)
    hh_per_grid = np.maximum((residents / 2.4).round().astype(int), 8)

    # buildings (urban) or yards (rural) per grid; households share their building's point
    per_building = np.where(urban, 24, 1)
    n_buildings = np.maximum(hh_per_grid // per_building, 1)
    b_lon, b_lat = sample_points(grids.geometry.to_numpy(), n_buildings, rng)
    b_grid = np.repeat(np.arange(n_grids), n_buildings)
    b_first = np.concatenate([[0], np.cumsum(n_buildings)[:-1]])

    hh_grid = np.repeat(np.arange(n_grids), hh_per_grid)
    n_hh = len(hh_grid)
    hh_building = b_first[hh_grid] + (rng.random(n_hh) * n_buildings[hh_grid]).astype(int)
    assert (b_grid[hh_building] == hh_grid).all()
    hh_urban = urban[hh_grid]
    size = rng.choice(HOUSEHOLD_SIZES, n_hh, p=HOUSEHOLD_SIZE_P)
    floating_hh = rng.random(n_hh) < np.where(hh_urban, 0.13, 0.05)

    g_code = grids["code"].to_numpy()
    g_name = grids["name"].to_numpy()
    hh_code = np.char.add(np.char.add("H", g_code[hh_grid].astype("U15")),
                          np.char.zfill((np.arange(n_hh) - np.repeat(np.cumsum(hh_per_grid) - hh_per_grid, hh_per_grid)
                                         + 1).astype("U4"), 4))
    households = pa.table({
        "household_id": hh_code,
        "grid_code": g_code[hh_grid],
        "address": _addresses(hh_building, hh_urban, g_name[hh_grid], rng),
        "lon": b_lon[hh_building].round(6),
        "lat": b_lat[hh_building].round(6),
        "members": size,
        "household_type": np.where(floating_hh, "流动人口户", "户籍户"),
    })

    # persons: member k of each household
    p_hh = np.repeat(np.arange(n_hh), size)
    k = np.arange(len(p_hh)) - np.repeat(np.cumsum(size) - size, size)
    head_age = _ages(n_hh, rng, 22, 92, 0.1)
    head_age = np.where(floating_hh, rng.integers(20, 55, n_hh), head_age)
    single_old = (size == 1) & (rng.random(n_hh) < 0.6)
    head_age = np.where(single_old, rng.integers(62, 93, n_hh), head_age)
    ha = head_age[p_hh]
    age = np.select(
        [k == 0, k == 1, k >= 2],
        [ha, np.clip(ha + rng.normal(0, 3, len(p_hh)).round().astype(int), 18, 99),
         np.clip(ha - rng.integers(22, 36, len(p_hh)), 0, 70)])
    # a fifth member is often a grandparent living with the family
    grandparent = (k == 4) & (rng.random(len(p_hh)) < 0.6)
    age = np.where(grandparent, np.clip(ha + rng.integers(22, 30, len(p_hh)), 60, 99), age)
    head_male = rng.random(n_hh) < 0.62
    male = np.where(k == 0, head_male[p_hh], np.where(k == 1, ~head_male[p_hh],
                                                      rng.random(len(p_hh)) < 0.51))
    relation = np.select([k == 0, k == 1, grandparent], ["户主", "配偶", "父母"], "子女")

    as_of = np.datetime64(scale.end)
    birth = (as_of - (age * 365.25).astype("timedelta64[D]")
             - rng.integers(1, 365, len(p_hh)).astype("timedelta64[D]"))
    floating = floating_hh[p_hh]
    region = np.where(floating, FLOATING_REGIONS[rng.integers(0, len(FLOATING_REGIONS), len(p_hh))],
                      np.where(rng.random(len(p_hh)) < 0.8, grids["district_code"].to_numpy()[hh_grid][p_hh],
                               LOCAL_REGIONS[rng.integers(0, len(LOCAL_REGIONS), len(p_hh))]))
    ids = unique_id_numbers(region.astype("U6"), birth, male, rng)
    has_phone = (age >= 14) & (rng.random(len(p_hh)) < 0.93)
    phones = np.where(has_phone, make_mobiles(len(p_hh), rng), "")
    persons = pa.table({
        "person_id": np.char.add("P", np.char.zfill((np.arange(len(p_hh)) + 1).astype("U9"), 9)),
        "name": make_names(male, rng),
        "id_number": ids,
        "sex": np.where(male, "男", "女"),
        "birth_date": birth.astype("datetime64[D]").astype(str),
        "phone": phones,
        "household_id": hh_code[p_hh],
        "relation": relation,
        "residence_type": np.where(floating, "流动人口", "户籍人口"),
        "grid_code": g_code[hh_grid][p_hh],
    })
    return households, persons, np.bincount(hh_grid[p_hh], minlength=n_grids)


def _addresses(building: np.ndarray, urban: np.ndarray, grid_name: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
    """Standard-address text: road, number, compound, building, unit, room (urban) or
    village group and yard number (rural). Households of one building share its prefix."""
    n = len(building)
    b = building
    road = np.char.add(ROADS[b % len(ROADS)], ROAD_KINDS[(b // 7) % len(ROAD_KINDS)])
    number = ((b * 7919) % 899 + 1).astype("U4")
    compound = np.char.add(COMPOUND_WORDS[(b // 3) % len(COMPOUND_WORDS)],
                           COMPOUND_KINDS[(b // 11) % len(COMPOUND_KINDS)])
    bldg = ((b % 40) + 1).astype("U3")
    unit = rng.integers(1, 7, n).astype("U2")
    room = np.char.add(rng.integers(1, 19, n).astype("U2"),
                       np.char.zfill(rng.integers(1, 5, n).astype("U2"), 2))
    urban_addr = np.char.add(np.char.add(np.char.add(road, number), "号"),
                             np.char.add(np.char.add(compound, bldg), "栋"))
    urban_addr = np.char.add(np.char.add(urban_addr, np.char.add(unit, "单元")),
                             np.char.add(room, "室"))
    village = np.char.partition(grid_name.astype(str), "第")[:, 0]
    rural_addr = np.char.add(np.char.add(village, np.char.add(((b % 9) + 1).astype("U2"), "组")),
                             np.char.add(((b * 31) % 120 + 1).astype("U4"), "号"))
    return np.where(urban, urban_addr, rural_addr)
