"""Name pools for generated administrative areas (Jilin City / Northeast China style).

Everything here is deterministic given a ``numpy.random.Generator``: the
``NamePicker`` draws names from shuffled pools and guarantees uniqueness within
the scope it is used for (the caller decides the scope, e.g. one district).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

__all__ = [
    "COMMUNITY_BASES",
    "URBAN_STREET_BASES",
    "TOWN_BASES",
    "SURNAMES",
    "SURNAME_VILLAGE_SUFFIXES",
    "VILLAGE_PLACE_NAMES",
    "VILLAGE_PREFIXES",
    "VILLAGE_TERRAIN_SUFFIXES",
    "NUMERALS",
    "NamePicker",
    "grid_name",
]

# 社区 name stems ("XX社区"). Typical urban community names of Jilin City and of
# Northeast cities in general: political/auspicious words, landmarks, directions.
COMMUNITY_BASES: tuple[str, ...] = (
    "和平", "新华", "东升", "繁荣", "光明", "站前", "江南", "铁东", "北山", "临江",
    "向阳", "东风", "红旗", "建设", "解放", "民主", "团结", "胜利", "前进", "幸福",
    "文化", "新兴", "长青", "松江", "江滨", "江城", "世纪", "春光", "曙光", "新风",
    "朝阳", "东方", "友谊", "吉祥", "安宁", "富强", "兴华", "永安", "康宁", "青松",
    "翠江", "滨江", "东山", "西山", "南山", "双龙", "龙华", "福源", "祥和", "惠民",
    "新城", "工农", "铁西", "江北", "西关", "东关", "南关", "北关", "松花", "雾凇",
    "长白", "丰华", "华丰", "华山", "泰山", "昌盛", "兴隆", "兴业", "振兴", "立新",
    "育民", "安居", "恒山", "金珠", "玉泉", "清源", "明珠", "锦绣", "阳光", "桃源",
    "花园", "松园", "翠园", "景园", "绿园", "滨河", "越山", "温德", "承德", "通江",
    "迎宾", "天津", "延安", "重庆", "哈达", "湘潭", "沈阳", "北大", "东局子", "西局子",
    "庆丰", "丰收", "长春", "南昌", "德新", "新地", "通天", "碧水", "春华", "秀水",
    "凤凰", "龙泉", "银河", "金秋", "正阳", "宏业", "鸿博", "嘉和", "泰安", "宝山",
)

# Generated 街道 stems ("XX街道") when a plan has no real street names.
URBAN_STREET_BASES: tuple[str, ...] = (
    "站前", "新安", "延安", "哈达湾", "通江", "文庙", "东局子", "兴华", "民主", "莲花",
    "延江", "新地号", "双吉", "长山", "泡子沿", "江北", "土城子", "承德", "铁东", "山前",
    "江南", "新吉林", "东市场", "江密峰", "泰山", "湘潭", "汉阳", "红旗", "滨江", "松江",
    "东升", "向阳", "北山", "临江", "致和", "德胜", "青岛", "南京", "长白", "越山",
)

# Generated 镇 / 乡 stems ("XX镇", "XX乡") when a plan has no real names.
TOWN_BASES: tuple[str, ...] = (
    "岔路河", "金家", "口前", "双河", "一拉溪", "万昌", "北大湖", "西阳", "桦皮厂", "左家",
    "天岗", "拉法", "新站", "白石山", "漂河", "红石", "庆岭", "松江", "黄松甸", "天北",
    "乌林", "前进", "新农", "大口钦", "孤店子", "搜登站", "旺起", "一拉溪", "溪河", "平安",
    "法特", "白旗", "朝阳", "上营", "水曲柳", "开原", "小城", "莲花", "七里", "亮甲山",
    "金马", "缸窑", "吉舒", "四合", "二道甸子", "八道河子", "常山", "横道河子", "夹皮沟", "公郎头",
    "明城", "红旗岭", "烟筒山", "石嘴", "呼兰", "宝山", "黑石", "富太", "取柴河", "官马",
)

SURNAMES: tuple[str, ...] = (
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高",
    "林", "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "程",
    "曹", "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁",
    "魏", "薛", "叶", "阎", "潘", "杜", "戴", "夏", "钟", "汪", "田", "任", "姜", "范", "方",
    "石", "姚", "谭", "邹", "金", "陆", "郝", "孔", "白", "崔", "康", "毛", "邱", "秦", "史",
    "顾", "侯", "邵", "孟", "万", "段", "钱", "尹", "常", "武", "乔", "贺", "关", "佟", "那",
    "付", "庞", "隋", "栾", "鲍", "富", "索", "肖", "葛", "岳", "齐", "温", "单", "邢", "牛",
)

# Northeast village forms: 王家屯, 李家堡, 孙家沟, 赵家窝堡 ...
SURNAME_VILLAGE_SUFFIXES: tuple[str, ...] = (
    "家屯", "家屯", "家屯", "家堡", "家堡", "家沟", "家沟", "家窝堡", "家店", "家岗",
    "家街", "家营", "家大院", "家油坊", "家粉房", "家烧锅",
)

# Stand-alone village stems typical of Jilin (numbered ravines, banner names, ...).
VILLAGE_PLACE_NAMES: tuple[str, ...] = (
    "头道沟", "二道沟", "三道沟", "四道沟", "五道沟", "二道河", "三道河", "头道岗", "二道岭",
    "三家子", "五家子", "七家子", "八家子", "十家子", "二十家子", "大荒地", "小荒地", "荒地",
    "岔路河", "三台子", "五里河", "十里堡", "二十里堡", "腰屯", "大屯", "柳树屯", "杨木",
    "桦树", "黄榆", "孤店子", "碱场", "蓝旗", "镶红旗", "正白旗", "镶黄旗", "大岗子",
    "小岗子", "杨木顶子", "亮子", "榆树沟", "椴木", "松树", "红石砬子", "太平", "永安",
    "新立", "兴隆", "长岭", "双山", "团山子", "河湾子", "四间房", "八间房", "五间房",
    "老爷岭", "板石", "南沟", "北沟", "东沟", "西沟", "马鞍山", "小白山", "龙王庙",
    "獾子洞", "大绥河", "小绥河", "河南", "河北", "岭前", "岭后", "前进", "胜利", "光明",
)

# "X屯"-style composites: prefix + terrain suffix (东屯, 前沟, 大甸子, 新开河 ...).
VILLAGE_PREFIXES: tuple[str, ...] = (
    "东", "西", "南", "北", "前", "后", "大", "小", "新", "老", "腰", "上", "下", "头", "二",
    "三", "双", "高", "长", "红", "青", "黑", "白", "金", "榆", "柳", "杨", "桦", "松", "石",
)
VILLAGE_TERRAIN_SUFFIXES: tuple[str, ...] = (
    "屯", "屯", "沟", "堡", "甸子", "岗", "台", "河", "岭", "泡子", "窝堡", "营子", "山",
)

NUMERALS: tuple[str, ...] = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")


def grid_name(community_name: str, n: int) -> str:
    """Grid name: "{community name}第{n}网格" (n is the 1-based grid number)."""
    return f"{community_name}第{n}网格"


class NamePicker:
    """Deterministic, duplicate-free name generator for one naming scope.

    ``used`` may be seeded with names that must not be generated (e.g. real
    names from a plan). Every ``*_name`` method returns a full name with its
    suffix and records it as used.
    """

    def __init__(self, rng: np.random.Generator, used: Iterable[str] = ()):
        self.rng = rng
        self.used: set[str] = set(used)
        self._queues: dict[str, list[str]] = {}

    # -- internals ---------------------------------------------------------
    def _queue(self, key: str, pool: tuple[str, ...]) -> list[str]:
        if key not in self._queues:
            order = self.rng.permutation(len(pool))
            # de-duplicate the pool while keeping the shuffled order
            seen: set[str] = set()
            q = []
            for i in order:
                s = pool[int(i)]
                if s not in seen:
                    seen.add(s)
                    q.append(s)
            self._queues[key] = q
        return self._queues[key]

    def _take(self, full: str) -> str | None:
        if full in self.used:
            return None
        self.used.add(full)
        return full

    def _from_pool(self, key: str, pool: tuple[str, ...], suffix: str) -> str | None:
        q = self._queue(key, pool)
        while q:
            name = self._take(q.pop(0) + suffix)
            if name:
                return name
        return None

    def _fallback(self, stems: tuple[str, ...], suffix: str) -> str:
        # Compose new stems ("新" + stem, stem + numeral) until one is free.
        for _ in range(10_000):
            stem = stems[int(self.rng.integers(len(stems)))]
            pre = ("新", "东", "西", "南", "北", "前", "后")[int(self.rng.integers(7))]
            name = self._take(pre + stem + suffix)
            if name:
                return name
        n = 1
        while True:  # pragma: no cover - practically unreachable
            name = self._take(f"{stems[0]}{n}{suffix}")
            if name:
                return name
            n += 1

    # -- public ------------------------------------------------------------
    def community_name(self) -> str:
        """"XX社区"."""
        return self._from_pool("community", COMMUNITY_BASES, "社区") or self._fallback(
            COMMUNITY_BASES, "社区"
        )

    def urban_street_name(self) -> str:
        """"XX街道"."""
        return self._from_pool("street", URBAN_STREET_BASES, "街道") or self._fallback(
            URBAN_STREET_BASES, "街道"
        )

    def town_name(self, kind: str = "镇") -> str:
        """"XX镇" or "XX乡" (``kind`` is the suffix)."""
        return self._from_pool("town", TOWN_BASES, kind) or self._fallback(TOWN_BASES, kind)

    def village_stem(self) -> str:
        """A Northeast-style village stem without the trailing 村."""
        r = self.rng
        for _ in range(1000):
            u = r.random()
            if u < 0.55:
                stem = SURNAMES[int(r.integers(len(SURNAMES)))] + SURNAME_VILLAGE_SUFFIXES[
                    int(r.integers(len(SURNAME_VILLAGE_SUFFIXES)))
                ]
            elif u < 0.8:
                stem = VILLAGE_PLACE_NAMES[int(r.integers(len(VILLAGE_PLACE_NAMES)))]
            else:
                stem = VILLAGE_PREFIXES[int(r.integers(len(VILLAGE_PREFIXES)))] + (
                    VILLAGE_TERRAIN_SUFFIXES[int(r.integers(len(VILLAGE_TERRAIN_SUFFIXES)))]
                )
            if stem + "村" not in self.used:
                return stem
        return self._fallback(VILLAGE_PLACE_NAMES, "村")[:-1]  # pragma: no cover

    def village_name(self) -> str:
        """"XX村" (e.g. 王家屯村, 二道沟村, 东屯村)."""
        stem = self.village_stem()
        name = stem + "村"
        self.used.add(name)
        return name
