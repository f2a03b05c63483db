"""What a client may ask the open API, checked before anything reaches a query: each endpoint's
parameters (anything else, or a parameter given twice, is refused), their types and ranges, and
the area a client narrows to (only ever inside its token's). Errors are `BadParameter` (HTTP
400) or `OutsideScope` (403), with a message for the client that never echoes what it sent."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from cockpit.queries.filters import last_days
from cockpit.scope import Scope
from warehouse.areas import CODE_LENGTH, is_area_code

# the warehouse's times are local, UTC+8 (docs/data-contract.md); Open311 wants an offset
LOCAL = dt.timezone(dt.timedelta(hours=8))
LEVELS = {level: n for level, n in CODE_LENGTH.items() if level != "city"}     # a client may ask for
MAX_PAGE = 1_000_000
MAX_LIST = 100                      # codes or ids in one comma-separated parameter
DEFAULT_DAYS = 90                   # Open311: without dates, the last 90 days
DEFAULT_MONTHS = 12


class BadParameter(ValueError):
    pass


class OutsideScope(PermissionError):
    pass


def check_names(args: Mapping, allowed: set[str]) -> None:
    """Only the endpoint's parameters, each at most once (a repeated one is ambiguous)."""
    for name in args:
        if name not in allowed:
            raise BadParameter(f"不支持的参数（可用：{'、'.join(sorted(allowed)) or '无'}）")
        if len(args.getlist(name)) > 1:
            raise BadParameter(f"参数 {name} 只能出现一次（多个值用逗号分隔）")


def _text(args: Mapping, name: str, cap: int = 2000) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    if len(value) > cap:
        raise BadParameter(f"参数 {name} 过长")
    return value


def integer(args: Mapping, name: str, default: int, low: int, high: int) -> int:
    value = _text(args, name, 12)
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not (low <= int(value) <= high):
        raise BadParameter(f"参数 {name} 须为 {low}–{high} 的整数")
    return int(value)


def listed(args: Mapping, name: str, cap_each: int = 64) -> list[str] | None:
    """A comma-separated list (Open311's form for several values), or None when absent."""
    value = _text(args, name)
    if value is None:
        return None
    items = [v.strip() for v in value.split(",")]
    if not all(items) or len(items) > MAX_LIST:
        raise BadParameter(f"参数 {name} 须为逗号分隔的值（至多 {MAX_LIST} 个）")
    if any(len(v) > cap_each or not v.isprintable() for v in items):
        raise BadParameter(f"参数 {name} 含无效的值")
    return list(dict.fromkeys(items))


def instant(args: Mapping, name: str) -> dt.datetime | None:
    """An ISO 8601 date-time (with Z or an offset; without one it is local time, UTC+8) or a
    date (its first instant, local), as a naive local time like the warehouse's."""
    value = _text(args, name, 40)
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadParameter(f"参数 {name} 须为 ISO 8601 时间，如 2026-10-01T00:00:00+08:00") from None
    if not 1900 <= parsed.year <= 2100:
        raise BadParameter(f"参数 {name} 超出范围")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(LOCAL).replace(tzinfo=None)
    return parsed


def month(args: Mapping, name: str) -> dt.date | None:
    value = _text(args, name, 10)
    if value is None:
        return None
    try:
        parsed = dt.date.fromisoformat(value + "-01") if len(value) == 7 else None
    except ValueError:
        parsed = None
    if parsed is None or not 1900 <= parsed.year <= 2100:
        raise BadParameter(f"参数 {name} 须为年月，如 2026-10")
    return parsed


def area(args: Mapping, scope: Scope) -> Scope:
    """The token's scope, or the part of it `area_code` names. Unlike the cockpit's filters, a
    code outside the token's area is refused (403), not quietly widened back to it: a client
    must learn that it asked for something it may not read."""
    code = _text(args, "area_code", 20)
    if code is None:
        return scope
    if not is_area_code(code):
        raise BadParameter("参数 area_code 须为 4/6/9/12/15 位区划或网格编码")
    if not scope.contains(code):
        raise OutsideScope("area_code 不在本令牌的区域内")
    return Scope(code, code, scope.department)


def level(args: Mapping, scope: Scope) -> str:
    """An area level at or below the scope's own (default: the scope's own; the city's districts)."""
    own = next((name for name, n in LEVELS.items() if n == len(scope.code)), "district")
    value = _text(args, "level", 20)
    if value is None:
        return own
    if value not in LEVELS or LEVELS[value] < LEVELS[own]:
        below = [n for n, k in LEVELS.items() if k >= LEVELS[own]]
        raise BadParameter(f"参数 level 须为 {'、'.join(below)} 之一")
    return value


def statuses(args: Mapping) -> str | None:
    """Open311's status: open, closed or both (None)."""
    given = listed(args, "status", 6)
    if given is None:
        return None
    if not set(given) <= {"open", "closed"}:
        raise BadParameter("参数 status 须为 open、closed 或 open,closed")
    return given[0] if len(given) == 1 else None


def period(start: dt.datetime | None, end: dt.datetime | None, as_of: dt.datetime) \
        -> tuple[dt.datetime | None, dt.datetime | None]:
    """Open311's window: without either date the last DEFAULT_DAYS days up to the data's as-of
    instant, as the cockpit's "last N days" (calendar days, that day included); with only an end
    (an instant the client chose), the DEFAULT_DAYS × 24 h before it; with only a start, everything
    since."""
    if start is not None and end is not None and start > end:
        raise BadParameter("start_date 晚于 end_date")
    if start is None and end is None:
        return last_days(as_of, DEFAULT_DAYS).start, None
    if start is None:
        return end - dt.timedelta(days=DEFAULT_DAYS), end
    return start, end


def months(args: Mapping, as_of: dt.datetime) -> tuple[dt.date, dt.date]:
    """[start_month, end_month]: by default the DEFAULT_MONTHS months up to the as-of month."""
    end = month(args, "end_month") or as_of.date().replace(day=1)
    start = month(args, "start_month")
    if start is None:
        y, m = divmod(end.year * 12 + end.month - 1 - (DEFAULT_MONTHS - 1), 12)
        start = dt.date(y, m + 1, 1)
    if start > end:
        raise BadParameter("start_month 晚于 end_month")
    return start, end
