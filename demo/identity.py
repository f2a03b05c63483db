"""Personal identifiers as source systems hold them: resident ID numbers (GB 11643-1999),
Chinese names and mobile numbers. Vectorised over numpy arrays: the city scale needs millions."""
from __future__ import annotations

import numpy as np

from demo.arrays import ymd
from warehouse.personal import ID_CHECK as CHECK_CHARS, ID_WEIGHTS as _WEIGHTS, id_check_digit

# the rule is warehouse/personal.py's; here vectorised for drawing millions of numbers
ID_WEIGHTS = np.array(_WEIGHTS)


def id_check_char(first17: str) -> str:
    """Check character of an ID number from its first 17 digits (GB 11643-1999)."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"need 17 digits, got {first17!r}")
    return id_check_digit(first17)


def is_valid_id(number: str) -> bool:
    """True if the 18-character ID number has a valid check character (birth date not checked)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    return id_check_char(number[:17]) == number[17].upper()


# per person (offset, stride, count): the sequence halved is offset + stride * i, 0 ≤ i < count
Slots = tuple[np.ndarray | int, np.ndarray | int, np.ndarray | int]
ONE_GENERATOR: Slots = (0, 1, 500)


def shard_slots(native: np.ndarray, district_shard: tuple[int, int], city_shard: tuple[int, int]) -> Slots:
    """Sequence slots that keep ID numbers unique across generators running apart. Natives (born
    in the district they live in: dense, one region code per district) share the lower 200 values
    with the other shards of their district only; everyone else (born elsewhere: sparse, the same
    few region codes in every shard) shares the upper 300 with every shard of the city."""
    k_d, n_d = district_shard
    k, n = city_shard
    if n_d > 200 or n > 300:
        raise ValueError("too many shards for the 3-digit sequence of an ID number")
    return (np.where(native, k_d, 200 + k), np.where(native, n_d, n), np.where(native, 200 // n_d, 300 // n))


def _first17(region: np.ndarray, birth: np.ndarray, male: np.ndarray,
             rng: np.random.Generator, slots: Slots = ONE_GENERATOR) -> np.ndarray:
    """The first 17 digits as int64: region, birth date YYYYMMDD, a sequence odd for men,
    drawn from the person's slots (generators with disjoint slots never draw the same number)."""
    offset, stride, count = (np.broadcast_to(x, len(region)) for x in slots)
    half = offset + stride * (rng.random(len(region)) * count).astype(np.int64)
    seq = half * 2 + np.where(male, 1, 0)
    year, month, day = ymd(birth)
    return region.astype(np.int64) * 10**11 + (year * 10000 + month * 100 + day) * 1000 + seq


def _with_check(first17: np.ndarray) -> np.ndarray:
    powers = 10 ** np.arange(16, -1, -1, dtype=np.int64)
    digits = (first17[:, None] // powers) % 10
    checks = np.array(list(CHECK_CHARS))[(digits @ ID_WEIGHTS) % 11]
    return np.char.add(np.char.zfill(first17.astype("U17"), 17), checks)


def make_id_numbers(region: np.ndarray, birth: np.ndarray, male: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
    """ID numbers for people with the given 6-digit region codes, birth dates (datetime64[D])
    and sexes; the 3-digit sequence is odd for men, even for women."""
    return _with_check(_first17(region, birth, male, rng))


def unique_id_numbers(region, birth, male, rng, slots: Slots = ONE_GENERATOR) -> np.ndarray:
    """As make_id_numbers, redrawing the sequence of the rare duplicates (see _first17: slots)."""
    first17 = _first17(region, birth, male, rng, slots)
    for _ in range(20):
        _, first = np.unique(first17, return_index=True)
        dup = np.ones(len(first17), bool)
        dup[first] = False
        if not dup.any():
            return _with_check(first17)
        first17[dup] = _first17(region[dup], birth[dup], male[dup], rng,
                               tuple(np.broadcast_to(x, len(region))[dup] for x in slots))
    raise RuntimeError("could not draw unique ID numbers")


# Surnames with approximate national frequencies (per cent, 2020 household-register figures),
# heavier on names common in the Northeast.
SURNAMES = {
    "王": 7.1, "李": 7.0, "张": 6.7, "刘": 5.4, "陈": 4.5, "杨": 3.1, "赵": 2.9, "黄": 2.4,
    "周": 2.1, "吴": 2.0, "徐": 1.7, "孙": 1.9, "胡": 1.3, "朱": 1.3, "高": 1.3, "林": 1.0,
    "何": 1.1, "郭": 1.2, "马": 1.2, "罗": 0.9, "梁": 0.9, "宋": 0.8, "郑": 0.8, "谢": 0.7,
    "韩": 0.8, "唐": 0.6, "冯": 0.6, "于": 0.9, "董": 0.6, "萧": 0.1, "程": 0.5, "曹": 0.5,
    "袁": 0.5, "邓": 0.5, "许": 0.5, "傅": 0.4, "沈": 0.4, "曾": 0.4, "彭": 0.4, "吕": 0.4,
    "苏": 0.4, "卢": 0.4, "蒋": 0.4, "蔡": 0.4, "贾": 0.4, "丁": 0.4, "魏": 0.4, "薛": 0.3,
    "叶": 0.3, "阎": 0.3, "姜": 0.5, "崔": 0.4, "潘": 0.3, "田": 0.4, "任": 0.4, "范": 0.3,
    "金": 0.4, "石": 0.3, "姚": 0.3, "谭": 0.3, "廖": 0.2, "邹": 0.3, "熊": 0.2, "陆": 0.2,
    "孟": 0.3, "秦": 0.2, "白": 0.3, "江": 0.2, "闫": 0.3, "常": 0.2, "邵": 0.2, "尹": 0.2,
    "关": 0.3, "隋": 0.1, "佟": 0.1, "富": 0.05, "那": 0.05, "朴": 0.1, "曲": 0.2, "宫": 0.1,
    "司马": 0.01, "欧阳": 0.02,
}
GIVEN_MALE = list("伟强军磊勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林国志建文海峰东")
GIVEN_FEMALE = list("芳娜敏静丽艳娟霞秀燕玲桂红梅琳丹萍洁雪颖倩婷慧莹晶佳欣月彤悦琪淑凤英兰")
GIVEN_ANY = list("子晨思雨嘉一梓博天佳新春永振立德家玉小金宏海成庆")


def make_names(male: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Chinese full names: a frequency-weighted surname and a one- or two-character given name."""
    n = len(male)
    surnames = np.array(list(SURNAMES))
    weights = np.array(list(SURNAMES.values()))
    surname = surnames[rng.choice(len(surnames), n, p=weights / weights.sum())]
    first = np.where(male, np.array(GIVEN_MALE)[rng.integers(0, len(GIVEN_MALE), n)],
                     np.array(GIVEN_FEMALE)[rng.integers(0, len(GIVEN_FEMALE), n)])
    middle = np.array(GIVEN_ANY + GIVEN_MALE[:10] + GIVEN_FEMALE[:10])[
        rng.integers(0, len(GIVEN_ANY) + 20, n)]
    two_chars = rng.random(n) < 0.7
    given = np.where(two_chars, np.char.add(middle, first), first)
    return np.char.add(surname, given)


MOBILE_PREFIXES = np.array(["130", "131", "132", "133", "135", "136", "137", "138", "139", "150",
                            "151", "152", "155", "156", "157", "158", "159", "166", "173", "176",
                            "177", "180", "181", "182", "185", "186", "187", "188", "189", "191",
                            "198", "199"])


def make_mobiles(n: int, rng: np.random.Generator) -> np.ndarray:
    """Mobile numbers matching ^1[3-9]\\d{9}$."""
    prefix = MOBILE_PREFIXES[rng.integers(0, len(MOBILE_PREFIXES), n)]
    rest = np.char.zfill(rng.integers(0, 10**8, n).astype("U8"), 8)
    return np.char.add(prefix, rest)
