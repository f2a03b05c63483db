"""The demo's district plans: how many streets, towns, communities, villages and grids each of
Jilin City's nine county-level divisions gets, where its urban core is, and its street names
(demo/geography.py builds the layers from them).

Plans: :data:`GRID_PLAN_CHUANYING` and one plan per other division;
:data:`JILIN_CITY_PLANS` holds all nine (the whole of Jilin City, ~9,900 grids)."""
from __future__ import annotations

from dataclasses import dataclass

from etl.geo.crs import gcj02_to_wgs84


@dataclass(frozen=True)
class DistrictPlan:
    adcode: str  # 6-digit GB/T 2260 county code, e.g. "220204"
    n_urban_streets: int  # 街道 count
    n_towns: int  # 镇 / 乡 count (rural townships)
    n_communities: int  # 社区 (urban communities) total in the district
    n_villages: int  # 村 total in the district
    n_grids: int  # target grid total (actual may differ by a few)
    urban_centre: tuple[float, float]  # WGS-84 lon, lat of the urban core
    urban_radius_km: float  # scale of the dense urban area
    street_names: tuple[str, ...] = ()  # optional real names, urban streets first then towns


# 船营区 (220204): 15 streets/townships and 120 communities/villages (published
# figures); the urban core is the east end of the district on the Songhua river.
GRID_PLAN_CHUANYING = DistrictPlan(
    adcode="220204",
    n_urban_streets=10,
    n_towns=5,
    n_communities=70,
    n_villages=50,
    n_grids=950,
    urban_centre=tuple(round(v, 6) for v in gcj02_to_wgs84(126.530, 43.850)),  # type: ignore[arg-type]
    urban_radius_km=3.5,
    street_names=(
        "北京路街道", "大东街道", "青岛街道", "致和街道", "南京街道",
        "德胜街道", "临江街道", "北山街道", "向阳街道", "长春路街道",
        "搜登站镇", "越北镇", "大绥河镇", "欢喜乡", "黄榆乡",
    ),
)


def _wgs84(lon_gcj: float, lat_gcj: float) -> tuple[float, float]:
    """A GCJ-02 (AMap) point as WGS-84 lon/lat, rounded to 1e-6 degrees."""
    return tuple(round(v, 6) for v in gcj02_to_wgs84(lon_gcj, lat_gcj))  # type: ignore[return-value]


# Plans for the other eight divisions of Jilin City. Street/township names and the
# 社区 (居委会) / 村 (村委会) counts follow the 2023 statistical division codes
# (国家统计局 统计用区划代码, as of 2023-06-30); units the statistics file under
# the functional zones 220271 经开区 (九站、双吉街道), 220272 高新区 (高新街道) and
# 220273 中新食品区 (岔路河镇) are given back to the district they lie in, and
# special "开发区" units are folded into the totals. Urban centres are the seats'
# government locations (AMap, GCJ-02, converted). n_grids is tuned so that the
# expected residents, 1.063 * (500 * urban grids + 250 * rural grids), is within
# 5 % of the 2020 census population given in each comment (approximate).
# 街道 that in reality also hold villages (county seats) get 社区 only: the model
# puts every 村 in a 镇/乡, so the village totals go to the townships.

# 昌邑区 (220202): 14 街道, 3 镇, 2 乡; 82 社区, 101 村. Census 2020 ≈ 610,000 (approximate).
# 双吉 and 九站 (statistics: 经开区) lie in 昌邑区.
GRID_PLAN_CHANGYI = DistrictPlan(
    adcode="220202",
    n_urban_streets=14,
    n_towns=5,
    n_communities=82,
    n_villages=101,
    n_grids=1395,
    urban_centre=_wgs84(126.574709, 43.881818),
    urban_radius_km=4.0,
    street_names=(
        "兴华街道", "文庙街道", "东局子街道", "新地号街道", "延安街道",
        "站前街道", "民主街道", "莲花街道", "通江街道", "哈达湾街道",
        "新建街道", "延江街道", "双吉街道", "九站街道",
        "孤店子镇", "桦皮厂镇", "左家镇", "两家子满族乡", "土城子满族朝鲜族乡",
    ),
)

# 龙潭区 (220203): 13 街道, 5 镇, 1 乡; 44 社区, 127 村. Census 2020 ≈ 416,000 (approximate).
GRID_PLAN_LONGTAN = DistrictPlan(
    adcode="220203",
    n_urban_streets=13,
    n_towns=6,
    n_communities=44,
    n_villages=127,
    n_grids=1095,
    urban_centre=_wgs84(126.562197, 43.910802),
    urban_radius_km=3.5,
    street_names=(
        "龙华街道", "湘潭街道", "铁东街道", "泡子沿街道", "龙潭街道",
        "新吉林街道", "山前街道", "新安街道", "遵义街道", "榆树街道",
        "东城街道", "承德街道", "靠山街道",
        "乌拉街满族镇", "缸窑镇", "江密峰镇", "大口钦镇", "金珠镇", "江北乡",
    ),
)

# 丰满区 (220211): 8 街道, 1 镇, 3 乡; 67 社区, 52 村. Census 2020 ≈ 328,000 (approximate).
# 高新街道 (statistics: 高新区) is taken to lie in 丰满区 (assumption).
GRID_PLAN_FENGMAN = DistrictPlan(
    adcode="220211",
    n_urban_streets=8,
    n_towns=4,
    n_communities=67,
    n_villages=52,
    n_grids=715,
    urban_centre=_wgs84(126.562274, 43.821601),
    urban_radius_km=3.0,
    street_names=(
        "泰山街道", "江南街道", "石井街道", "沿丰街道", "丰满街道",
        "建华街道", "红旗街道", "高新街道",
        "旺起镇", "江南乡", "前二道乡", "小白山乡",
    ),
)

# 永吉县 (220221): no 街道 (the seat is 口前镇), 7 镇, 2 乡; 16 社区, 141 村.
# Census 2020 ≈ 329,000 (approximate).
GRID_PLAN_YONGJI = DistrictPlan(
    adcode="220221",
    n_urban_streets=0,
    n_towns=9,
    n_communities=16,
    n_villages=141,
    n_grids=1020,
    urban_centre=_wgs84(126.497741, 43.672582),
    urban_radius_km=2.0,
    street_names=(
        "口前镇", "岔路河镇", "西阳镇", "北大湖镇", "一拉溪镇",
        "双河镇", "万昌镇", "金家满族乡", "黄榆乡",
    ),
)

# 蛟河市 (220281): 7 街道, 8 镇, 2 乡; 30 社区, 256 村. Census 2020 ≈ 340,000 (approximate).
GRID_PLAN_JIAOHE = DistrictPlan(
    adcode="220281",
    n_urban_streets=7,
    n_towns=10,
    n_communities=30,
    n_villages=256,
    n_grids=1070,
    urban_centre=_wgs84(127.344229, 43.724007),
    urban_radius_km=2.5,
    street_names=(
        "民主街道", "长安街道", "河南街道", "奶子山街道", "拉法街道",
        "河北街道", "新农街道",
        "新站镇", "天岗镇", "白石山镇", "漂河镇", "黄松甸镇",
        "天北镇", "松江镇", "庆岭镇", "乌林朝鲜族乡", "前进乡",
    ),
)

# 桦甸市 (220282): 5 街道, 6 镇, 3 乡; 26 社区, 156 村. Census 2020 ≈ 353,000 (approximate).
GRID_PLAN_HUADIAN = DistrictPlan(
    adcode="220282",
    n_urban_streets=5,
    n_towns=9,
    n_communities=26,
    n_villages=156,
    n_grids=1060,
    urban_centre=_wgs84(126.746309, 42.972096),
    urban_radius_km=2.5,
    street_names=(
        "明桦街道", "永吉街道", "胜利街道", "新华街道", "启新街道",
        "夹皮沟镇", "二道甸子镇", "红石砬子镇", "八道河子镇", "常山镇",
        "金沙镇", "桦郊乡", "横道河子乡", "公吉乡",
    ),
)

# 舒兰市 (220283): 5 街道, 10 镇, 5 乡; 37 社区, 211 村. Census 2020 ≈ 441,000 (approximate).
# Its boundary has a tiny exclave (a second polygon).
GRID_PLAN_SHULAN = DistrictPlan(
    adcode="220283",
    n_urban_streets=5,
    n_towns=15,
    n_communities=37,
    n_villages=211,
    n_grids=1310,
    urban_centre=_wgs84(126.965607, 44.406105),
    urban_radius_km=2.5,
    street_names=(
        "北城街道", "南城街道", "环城街道", "吉舒街道", "滨河街道",
        "法特镇", "白旗镇", "溪河镇", "朝阳镇", "小城镇",
        "上营镇", "水曲柳镇", "平安镇", "金马镇", "开原镇",
        "莲花乡", "亮甲山乡", "新安乡", "七里乡", "天德乡",
    ),
)

# 磐石市 (220284): 3 街道, 13 镇, 1 乡; 30 社区, 268 村. Census 2020 ≈ 417,000 (approximate).
GRID_PLAN_PANSHI = DistrictPlan(
    adcode="220284",
    n_urban_streets=3,
    n_towns=14,
    n_communities=30,
    n_villages=268,
    n_grids=1325,
    urban_centre=_wgs84(126.060427, 42.946285),
    urban_radius_km=2.0,
    street_names=(
        "福安街道", "东宁街道", "河南街道",
        "烟筒山镇", "红旗岭镇", "明城镇", "石嘴镇", "驿马镇",
        "牛心镇", "呼兰镇", "吉昌镇", "松山镇", "黑石镇",
        "朝阳山镇", "富太镇", "取柴河镇", "宝山乡",
    ),
)

#: all nine divisions of Jilin City (吉林市), in adcode order
JILIN_CITY_PLANS: tuple[DistrictPlan, ...] = (
    GRID_PLAN_CHANGYI,
    GRID_PLAN_LONGTAN,
    GRID_PLAN_CHUANYING,
    GRID_PLAN_FENGMAN,
    GRID_PLAN_YONGJI,
    GRID_PLAN_JIAOHE,
    GRID_PLAN_HUADIAN,
    GRID_PLAN_SHULAN,
    GRID_PLAN_PANSHI,
)


def validate_plan(plan: DistrictPlan) -> None:
    a = plan.adcode
    if not (isinstance(a, str) and len(a) == 6 and a.isdigit()):
        raise ValueError(f"adcode must be a 6-digit string, got {a!r}")
    counts = (plan.n_urban_streets, plan.n_towns, plan.n_communities, plan.n_villages, plan.n_grids)
    if min(counts) < 0:
        raise ValueError(f"{a}: negative count in plan")
    if plan.n_urban_streets + plan.n_towns == 0:
        raise ValueError(f"{a}: plan has no streets")
    if plan.n_urban_streets > 99:
        raise ValueError(f"{a}: at most 99 街道 (codes 001-099)")
    if plan.n_urban_streets and plan.n_communities < 2 * plan.n_urban_streets:
        raise ValueError(f"{a}: need at least 2 社区 per 街道")
    if plan.n_communities + plan.n_villages < 2 * (plan.n_urban_streets + plan.n_towns):
        raise ValueError(f"{a}: need at least 2 communities/villages per street")
    if plan.n_grids < plan.n_communities + plan.n_villages:
        raise ValueError(f"{a}: need at least one grid per community/village")
    if plan.urban_radius_km <= 0:
        raise ValueError(f"{a}: urban_radius_km must be positive")
    if plan.street_names:
        if len(plan.street_names) != plan.n_urban_streets + plan.n_towns:
            raise ValueError(f"{a}: street_names must list the urban streets, then the towns")
        if len(set(plan.street_names)) != len(plan.street_names):
            raise ValueError(f"{a}: duplicate street names")
        towns = plan.street_names[plan.n_urban_streets :]
        if sum(s.endswith("乡") for s in towns) > 100 or sum(not s.endswith("乡") for s in towns) > 100:
            raise ValueError(f"{a}: at most 100 镇 and 100 乡")
    elif plan.n_towns > 150:
        raise ValueError(f"{a}: too many towns")
