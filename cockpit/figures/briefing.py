"""The briefing's charts as inline SVG: pure functions of numbers to markup, drawn by the browser
that prints the briefing with no script at all (the page runs none: its own policy forbids it),
so the PDF and the PNG show exactly what was computed, offline, in print colours on white."""
from __future__ import annotations

import math
from html import escape

INK, MUTED, RULE = "#1f2933", "#6b7785", "#d9dee3"
PAST, NOW, BAND = "#9fb3c8", "#1565c0", "#e3ecf7"
RED, AMBER = "#c62828", "#ef8f00"


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">' + "".join(body) + "</svg>")


def _text(x, y, s, size=11, anchor="middle", color=MUTED, weight="normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{color}" '
            f'font-weight="{weight}">{escape(str(s))}</text>')


def _nice_top(value: float) -> float:
    """A round axis top at or above `value` (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value)


def bars(values, labels, label: str, width: int = 330, height: int = 136, number=lambda v: f"{v:,.0f}") -> str:
    """The period's value (the last bar, in colour) beside the same period of the weeks before
    (grey), oldest first, with the weeks' median as a dashed line. None: no data that week."""
    left, right, top, bottom = 8, 8, 18, 22
    known = [v for v in values if v is not None]
    ymax = _nice_top(max(known) if known else 1) * 1.05
    n = len(values)
    slot = (width - left - right) / n
    bar = slot * 0.62
    y = lambda v: top + (height - top - bottom) * (1 - v / ymax)
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="{RULE}"/>']
    for i, (v, lab) in enumerate(zip(values, labels)):
        x = left + i * slot + (slot - bar) / 2
        last = i == n - 1
        if v is not None:
            body.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bar:.1f}" height="{height - bottom - y(v):.1f}" '
                        f'fill="{NOW if last else PAST}" rx="1.5"/>')
            if last or i == 0:
                body.append(_text(x + bar / 2, y(v) - 4, number(v), 10.5, color=INK if last else MUTED,
                                  weight="bold" if last else "normal"))
        body.append(_text(x + bar / 2, height - 7, lab, 9.5, color=INK if last else MUTED))
    past = sorted(v for v in values[:-1] if v is not None)
    if past:
        mid = past[len(past) // 2] if len(past) % 2 else (past[len(past) // 2 - 1] + past[len(past) // 2]) / 2
        body.append(f'<line x1="{left}" y1="{y(mid):.1f}" x2="{width - right}" y2="{y(mid):.1f}" '
                    f'stroke="{AMBER}" stroke-width="1.2" stroke-dasharray="4 3"/>')
    return _svg(width, height, body, label)


def lines(series, labels, label: str, width: int = 330, height: int = 136, low: float | None = None,
          high: float | None = None) -> str:
    """Rates over the periods, oldest first: [(name, values, colour)]; the last point marked and
    labelled. The axis spans the values (rates move by a point or two), padded."""
    left, right, top, bottom = 34, 42, 22, 22
    known = [v for _, vals, _ in series for v in vals if v is not None]
    if not known:
        return _svg(width, height, [_text(width / 2, height / 2, "无应结案事件", 12)], label)
    lo = low if low is not None else math.floor(min(known) - 1)
    hi = high if high is not None else math.ceil(max(known) + 1)
    n = len(labels)
    x = lambda i: left + (width - left - right) * (i / max(n - 1, 1))
    y = lambda v: top + (height - top - bottom) * (1 - (v - lo) / max(hi - lo, 1e-9))
    body = []
    for tick in (lo, (lo + hi) / 2, hi):
        body.append(f'<line x1="{left}" y1="{y(tick):.1f}" x2="{width - right}" y2="{y(tick):.1f}" stroke="{RULE}"/>')
        body.append(_text(left - 4, y(tick) + 3.5, f"{tick:.0f}%", 9.5, anchor="end"))
    for i, lab in enumerate(labels):
        body.append(_text(x(i), height - 7, lab, 9.5, color=INK if i == n - 1 else MUTED))
    legend_x = left
    for name, vals, colour in series:
        pts = [(x(i), y(v)) for i, v in enumerate(vals) if v is not None]
        if len(pts) > 1:
            body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.8" points="'
                        + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts) + '"/>')
        if vals[-1] is not None:
            body.append(f'<circle cx="{x(n - 1):.1f}" cy="{y(vals[-1]):.1f}" r="3.2" fill="{colour}"/>')
            body.append(_text(x(n - 1) + 6, y(vals[-1]) + 3.5, f"{vals[-1]:.1f}", 10, anchor="start",
                              color=colour, weight="bold"))
        body.append(f'<rect x="{legend_x}" y="6" width="10" height="3" fill="{colour}"/>')
        body.append(_text(legend_x + 14, 11, name, 10, anchor="start", color=INK))
        legend_x += 14 + 12 * len(name) + 14
    return _svg(width, height, body, label)


def sparkline(reported, expected, upper, label: str, width: int = 124, height: int = 24, drop: bool = False) -> str:
    """An incident's course: reports per day (line) against the baseline (dashed) and its upper
    bound (band); the last day marked."""
    values = [v for seq in (reported, expected, upper) for v in seq if v is not None and v == v]
    if not values:
        return _svg(width, height, [_text(width / 2, height / 2 + 4, "—", 10)], label)
    hi = max(values) or 1.0
    n = len(reported)
    x = lambda i: 2 + (width - 6) * (i / max(n - 1, 1))
    y = lambda v: 2 + (height - 4) * (1 - v / hi)
    body = []
    band = [(x(i), y(u)) for i, u in enumerate(upper) if u == u and u is not None]
    if len(band) > 1:
        body.append(f'<polygon fill="{BAND}" points="' + " ".join(f"{a:.1f},{b:.1f}" for a, b in band)
                    + f' {band[-1][0]:.1f},{height - 2} {band[0][0]:.1f},{height - 2}"/>')
    base = [(x(i), y(e)) for i, e in enumerate(expected) if e == e and e is not None]
    if len(base) > 1:
        body.append(f'<polyline fill="none" stroke="{MUTED}" stroke-width="1" stroke-dasharray="3 2" points="'
                    + " ".join(f"{a:.1f},{b:.1f}" for a, b in base) + '"/>')
    colour = AMBER if drop else RED
    pts = [(x(i), y(r)) for i, r in enumerate(reported)]
    body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="'
                + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts) + '"/>')
    body.append(f'<circle cx="{pts[-1][0]:.1f}" cy="{pts[-1][1]:.1f}" r="2.4" fill="{colour}"/>')
    return _svg(width, height, body, label)


def meter(value: float, most: float, width: int = 90, height: int = 8, colour: str = RED) -> str:
    """A bar in a table cell: `value` out of `most`."""
    share = 0 if not most else max(0.0, min(1.0, value / most))
    return _svg(width, height, [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f1f3f5" rx="2"/>',
                                f'<rect x="0" y="0" width="{width * share:.1f}" height="{height}" fill="{colour}" rx="2"/>'],
                f"{value:,.0f}")
