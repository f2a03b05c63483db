"""A viewer's jurisdiction: an area code prefix. Grid codes nest (6 county + 3 street +
3 community + 3 grid), so "inside my area" is `starts_with(grid_code, scope.code)` in SQL.
A department account's scope also names its department: it sees the events assigned to it.
Every query takes a Scope; the signed-in account supplies it (cockpit/context.py), never the
browser."""
from __future__ import annotations

from dataclasses import dataclass

from warehouse.areas import CITY_CODE, CITY_NAME, is_area_code


@dataclass(frozen=True)
class Scope:
    code: str     # "2202" = the whole of Jilin City; 6/9/12/15 digits = district/street/community/grid
    name: str
    department: str = ""

    def __post_init__(self):
        if not is_area_code(self.code):
            raise ValueError(f"not an area code: {self.code!r}")

    def contains(self, code: str) -> bool:
        return code.startswith(self.code)

    def narrow(self, code: str | None, name: str = "") -> "Scope":
        """The part of this scope a filter asks for. A code the browser sends is only ever a
        narrowing: outside this scope (or not an area code) it falls back to the scope itself."""
        if not code or not isinstance(code, str) or not code.startswith(self.code):
            return self
        try:
            return Scope(code, name or code, self.department)
        except ValueError:
            return self


CITY = Scope(CITY_CODE, CITY_NAME)
