"""The area hierarchy's levels, one definition for the ETL, the cockpit and the notebooks. Codes
nest: 6 digits county, +3 street, +3 community, +3 grid; CITY_CODE ("2202") is Jilin City as a
whole, in a scope and in every table that has a row for the city (the warning tables' too)."""

CITY_CODE, CITY_NAME = "2202", "吉林市"
CODE_LENGTH = {"city": 4, "district": 6, "street": 9, "community": 12, "grid": 15}
LEVEL_OF_LENGTH = {n: level for level, n in CODE_LENGTH.items()}
# the names a page shows for a level, and the short ones the early-warning labels carry
LEVEL_NAMES = {"city": "市", "district": "区县", "street": "街道（乡镇）", "community": "社区（村）",
               "grid": "网格"}
SHORT_LEVEL_NAMES = {"city": "全市", "district": "区县", "street": "街道", "community": "社区", "grid": "网格"}


def is_area_code(code) -> bool:
    """An area code of some level: ASCII digits of one of the levels' lengths."""
    return isinstance(code, str) and code.isascii() and code.isdigit() and len(code) in LEVEL_OF_LENGTH
