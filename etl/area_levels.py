"""The area hierarchy's levels, shared by the ETL, the cockpit and the notebooks (this module
imports nothing, so a notebook kernel can use it without starting Dash). Codes nest: 6 digits
county, +3 street, +3 community, +3 grid; "2202" is Jilin City as a whole."""

CITY_CODE, CITY_NAME = "2202", "吉林市"
CODE_LENGTH = {"city": 4, "district": 6, "street": 9, "community": 12, "grid": 15}
LEVEL_NAMES = {"city": "市", "district": "区县", "street": "街道（乡镇）", "community": "社区（村）",
               "grid": "网格"}
