"""A briefing as one self-contained HTML document: A4 portrait, two pages, in Chinese, on white.

Nothing in it loads anything: no script (its own Content-Security-Policy forbids scripts and
every request), the charts are inline SVG (cockpit/figures/briefing.py), the fonts are the
system's Noto CJK. Each page is a fixed A4 box and every list is cut to fit it, so the PDF has
exactly PAGES pages and the PNG shows them one under the other."""
from __future__ import annotations

import datetime as dt
from html import escape

import pandas as pd

from cockpit.briefing.content import Briefing, Incident, Measure
from cockpit.figures import briefing as fig
from cockpit.figures.warning import subject
from cockpit.queries.briefing import WEEKS
from cockpit.queries.health import STATUS_NAMES

PAGES = 2
WEEKDAYS = "一二三四五六日"
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"
LEVEL_BELOW = {4: "区县", 6: "街道（乡镇）", 9: "社区（村）", 12: "网格"}
MAX_SUBJECTS = 2
MAX_DEPARTMENT_ROWS = 8
MAX_NAMED = 3             # areas named in the summary


def day_text(d: dt.date, weekday: bool = True) -> str:
    return f"{d.year}年{d.month}月{d.day}日" + (f"（星期{WEEKDAYS[d.weekday()]}）" if weekday else "")


def period_text(b: Briefing) -> str:
    if b.kind == "daily":
        return day_text(b.last_day)
    return f"{day_text(b.first_day, False)}—{b.last_day.month}月{b.last_day.day}日"


def n(value, digits: int = 0) -> str:
    if value is None or value != value:
        return "—"
    return f"{value:,.{digits}f}"


def pct(value) -> str:
    return "—" if value is None or value != value else f"{value:.1f}%"


def stamp(value) -> str:
    """A time in Beijing time to the minute (the run log writes UTC with an offset)."""
    if value is None or (not isinstance(value, (str, dt.datetime)) and pd.isna(value)):
        return "—"
    t = pd.Timestamp(value)
    if t.tzinfo is not None:
        t = t.tz_convert("Asia/Shanghai").tz_localize(None)
    return f"{t:%Y-%m-%d %H:%M}"


def _same_period(b: Briefing, rate: bool = False) -> str:
    """What the period is held against: the same weekday (daily counts) or the weeks before."""
    return f"近{WEEKS}周同日" if b.kind == "daily" and not rate else f"前{WEEKS}周"


def _compare(m: Measure, b: Briefing, rate: bool = False) -> str:
    """How a number stands against the weeks before, in words."""
    if m.value is None or m.median is None:
        return "无可比数据"
    fmt = pct if rate else n
    where = {"above": "高于", "below": "低于"}.get(m.outside, "处于")
    span = f"{_same_period(b, rate)}范围（{fmt(m.low)}–{fmt(m.high)}）"
    return f"{where}{span}" + ("之内" if not m.outside else "")


def _delta(m: Measure, rate: bool = False, worse: str = "") -> tuple[str, str]:
    """(text, class) of the change against the median: points for a rate, percent for a count;
    the class says whether a value outside the weeks' range is worse ("bad": below for a rate,
    `worse`), better ("good") or only unusual ("odd": more reports)."""
    if m.value is None or m.median is None:
        return "", ""
    diff = m.value - m.median
    if rate:
        text = f"{'+' if diff >= 0 else '−'}{abs(diff):.1f} 个百分点"
    elif m.median:
        text = f"{'+' if diff >= 0 else '−'}{abs(100 * diff / m.median):.0f}%"
    else:
        text = f"+{n(diff)}" if diff else "±0"
    if not m.outside:
        return text, ""
    if not worse:
        return text, "odd"
    return text, "bad" if m.outside == worse else "good"


def _card(m: Measure, b: Briefing, title: str, rate: bool = False, worse: str = "") -> str:
    text, cls = _delta(m, rate, worse)
    alarm = " alarm" if cls == "bad" else ""
    value = pct(m.value) if rate else n(m.value)
    unit = "" if rate else f'<span class="unit">{escape(m.unit)}</span>'
    return (f'<div class="card{alarm}"><div class="card-label">{escape(title)}</div>'
            f'<div class="card-value">{value}{unit}</div>'
            f'<div class="card-delta {cls}">较中位数 {escape(text) or "—"}</div>'
            f'<div class="card-range">{_same_period(b, rate)}中位数 {pct(m.median) if rate else n(m.median)}'
            f'，范围 {pct(m.low) if rate else n(m.low)}–{pct(m.high) if rate else n(m.high)}</div></div>')


def _overdue_card(b: Briefing) -> str:
    now, before = b.overdue.values
    diff = now - before
    cls = "bad" if diff > 0 else "good" if diff < 0 else ""
    return (f'<div class="card{" alarm" if diff > 0 else ""}"><div class="card-label">超期在办（截至期末）</div>'
            f'<div class="card-value">{n(now)}<span class="unit">件</span></div>'
            f'<div class="card-delta {cls}">较一周前 {"+" if diff >= 0 else "−"}{n(abs(diff))} 件</div>'
            f'<div class="card-range">一周前 {n(before)} 件；已过期限、尚未处置</div></div>')


def _labels(b: Briefing) -> list[str]:
    """The periods' labels, oldest first: the day (daily) or the week's last day (weekly)."""
    ends = [b.last_day - dt.timedelta(days=7 * k) for k in range(WEEKS, -1, -1)]
    return [f"{d.month}/{d.day}" for d in ends]


def _summary(b: Briefing) -> list[str]:
    reported = b.counts[0]
    closure, on_time = b.rates
    lines = [f"{'昨日' if b.kind == 'daily' else '本周'}上报 <b>{n(reported.value)}</b> 件，"
             f"较{_same_period(b)}中位数 {escape(_delta(reported)[0] or '—')}，{_compare(reported, b)}。",
             f"近 7 日结案率 <b>{pct(closure.value)}</b>、按期结案率 <b>{pct(on_time.value)}</b>；"
             f"结案率{_compare(closure, b, True)}，按期结案率{_compare(on_time, b, True)}。"]
    now, before = b.overdue.values
    worst = b.departments.iloc[0] if len(b.departments) and b.departments.iloc[0]["overdue"] > 0 else None
    lines.append(f"超期在办 <b>{n(now)}</b> 件，较一周前{'增加' if now >= before else '减少'} {n(abs(now - before))} 件"
                 + (f"；最多的是{escape(worst['department'])}（{n(worst['overdue'])} 件）。" if worst is not None else "。"))
    if b.incidents is None:
        lines.append("本数据版本没有预警结果。")
    else:
        new = sum(i.new for i in b.incidents)
        lines.append(f"预警事件：新发 <b>{new}</b> 起，持续 <b>{len(b.incidents) - new}</b> 起；"
                     f"上报骤减 <b>{len(b.drops)}</b> 处" + (f"（另有 {b.incidents_left} 起未列出）" if b.incidents_left else "") + "。")
    rising = b.areas[b.areas["outside"] == "above"]["name"].tolist() if len(b.areas) else []
    if rising:
        what = "事项" if b.areas_are_subclasses else "区域"
        lines.append(f"上报高于{_same_period(b)}范围的{what}：{escape('、'.join(rising[:MAX_NAMED]))}"
                     + (f" 等 {len(rising)} 个" if len(rising) > MAX_NAMED else "") + "。")
    return lines


def _health_problem(b: Briefing) -> str:
    h = b.health
    if not b.complete:
        return f"数据仅截至 {stamp(b.as_of)}，{'昨日' if b.kind == 'daily' else '本周'}数据不完整，以下数字偏低。"
    if h["last_run"] and h["last_run"]["status"] not in ("published", "unchanged", "rolled_back", "running", "refused"):
        return f"最近一次数据刷新{STATUS_NAMES.get(h['last_run']['status'], h['last_run']['status'])}，仍在使用上一版本数据。"
    if h["warning_lag"] is not None:
        return "预警结果来自上一版本数据。"
    return ""


def _incident_row(i: Incident) -> str:
    spark = fig.sparkline(i.course["reported"].tolist(), i.course["expected"].tolist(), i.course["upper"].tolist(),
                          f"{i.area_name} 近{len(i.course)}天上报", drop=i.kind == "drop")
    ratio = f"{i.reported / i.expected:.1f} 倍" if i.expected >= 0.5 else "—"
    return (f'<tr><td><span class="tag {"new" if i.new else "on"}">{"新发" if i.new else "持续"}</span></td>'
            f'<td>{escape(i.area_name)}</td><td>{escape(subject(i.subject, MAX_SUBJECTS))}</td>'
            f'<td class="num">{i.since.month}/{i.since.day}</td><td>{spark}</td>'
            f'<td class="num">{n(i.reported)} / {n(i.expected, 1)}</td><td class="num">{ratio}</td></tr>')


def _incidents(b: Briefing) -> str:
    return _incident_table(b.incidents, "本期本辖区没有上报激增的预警事件。")


def _left(b: Briefing) -> str:
    """Beside the heading: how many incidents the page has no room for."""
    return (f'<span class="left">另有 {b.incidents_left} 起未列出，见驾驶舱“预警研判”</span>'
            if b.incidents_left else "")


def _drops(b: Briefing) -> str:
    return _incident_table(b.drops, "本期本辖区没有上报骤减或网格静默。")


def _incident_table(rows: list[Incident] | None, none_text: str) -> str:
    """Incidents or drops as one table (None: the generation has no warnings)."""
    if rows is None:
        return '<p class="note">本数据版本没有预警结果（预警计算未完成或未启用）。</p>'
    if not rows:
        return f'<p class="note">{none_text}</p>'
    head = ('<tr><th></th><th>区域</th><th>事项</th><th>起始</th><th>近 3 周走势</th>'
            '<th>3 周上报 / 基线</th><th>倍数</th></tr>')
    return f'<table class="list incidents">{head}' + "".join(_incident_row(i) for i in rows) + "</table>"


def _departments(b: Briefing) -> str:
    d = b.departments
    if d.empty or d["overdue"].sum() == 0:
        return '<p class="note">期末本辖区没有超期在办事件。</p>'
    shown = d.head(MAX_DEPARTMENT_ROWS)
    most = shown["overdue"].max()
    rows = "".join(
        f'<tr><td>{escape(r.department)}</td><td class="num">{n(r.overdue)}</td><td>{fig.meter(r.overdue, most)}</td>'
        f'<td class="num">{n(r.overdue_week)}</td><td class="num">{n(r.overdue_before)}</td>'
        f'<td class="num {"up" if r.overdue > r.overdue_before else "down" if r.overdue < r.overdue_before else ""}">'
        f'{"+" if r.overdue >= r.overdue_before else "−"}{n(abs(r.overdue - r.overdue_before))}</td>'
        f'<td class="num">{n(r.open)}</td><td class="num">{n(r.longest_days)} 天</td></tr>'
        for r in shown.itertuples())
    rest = d.iloc[MAX_DEPARTMENT_ROWS:]
    more = (f'<p class="note">另有 {len(rest)} 个部门共 {n(rest["overdue"].sum())} 件超期在办。</p>' if len(rest) else "")
    return ('<table class="list"><tr><th>责任部门</th><th>超期在办</th><th></th><th>超期 7 天以上</th><th>一周前</th>'
            f'<th>变化</th><th>在办</th><th>最长超期</th></tr>{rows}</table>{more}')


def _areas(b: Briefing) -> str:
    a = b.areas
    what = "事项" if b.areas_are_subclasses else LEVEL_BELOW.get(len(b.area_code), "区域")
    if a.empty:
        return '<p class="note">本期本辖区没有上报。</p>'
    rows = "".join(
        f'<tr><td>{escape(str(r.name))}</td><td class="num">{n(r.reported)}</td><td class="num">{n(r.median, 1 if r.median % 1 else 0) if r.median is not None and r.median == r.median else "—"}</td>'
        f'<td class="num">{n(r.low)}–{n(r.high)}</td>'
        f'<td><span class="tag {"up" if r.outside == "above" else "down" if r.outside == "below" else "plain"}">'
        f'{"偏高" if r.outside == "above" else "偏低" if r.outside == "below" else "正常"}</span></td>'
        f'<td class="num">{pct(r.closure_rate)}</td><td class="num">{pct(r.on_time_rate)}</td></tr>'
        for r in a.itertuples())
    return (f'<table class="list"><tr><th>{escape(what)}</th><th>{"昨日" if b.kind == "daily" else "本周"}上报</th>'
            f'<th>{_same_period(b)}中位数</th><th>范围</th><th>对比</th><th>近 7 日结案率</th><th>按期结案率</th></tr>'
            f'{rows}</table>')


def _health(b: Briefing) -> str:
    h = b.health
    last = h["last_run"]
    last_text = (f"{STATUS_NAMES.get(last['status'], last['status'])}（{stamp(last['ended_at'] or last['started_at'])}）"
                 if last else "无运行记录（单文件数据仓库）")
    share = f"{100 * h['quarantined'] / h['rows_in']:.2f}%" if h["rows_in"] else "—"
    items = [("数据截至", stamp(h["as_of"]) + ("" if b.complete else "（不完整）")),
             ("数据版本发布", stamp(h["published_at"]) if h["published_at"] else stamp(h["built_at"])),
             ("最近一次刷新", last_text),
             ("最近一次成功刷新", stamp(h["last_good"]) if h["last_good"] else "—"),
             ("24 小时内失败或中断的刷新", f"{h['bad_runs']} 次"),
             ("读入 / 隔离行数", f"{n(h['rows_in'])} / {n(h['quarantined'])}（{share}）"),
             ("修复后入库行数", n(h["repaired"])),
             ("预警结果", "无" if b.incidents is None else "来自上一版本数据" if h["warning_lag"] else "与数据同一版本")]
    bad = {"24 小时内失败或中断的刷新": h["bad_runs"] > 0, "数据截至": not b.complete,
           "预警结果": b.incidents is None or bool(h["warning_lag"])}
    return '<dl class="health">' + "".join(
        f'<div class="{"bad" if bad.get(k) else ""}"><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>' for k, v in items) + "</dl>"


def _footer(b: Briefing, page: int) -> str:
    return (f'<footer><span>{escape(b.area_name)} · {b.title} · {period_text(b)}</span>'
            f'<span>生成于 {b.generated_at:%Y-%m-%d %H:%M} · 第 {page} 页 / 共 {PAGES} 页</span></footer>')


def html(b: Briefing) -> str:
    labels = _labels(b)
    closure, on_time = b.rates
    reported_chart = fig.bars(list(reversed(b.counts[0].values)), labels, "上报量对比")
    rate_chart = fig.lines([("结案率", list(reversed(closure.values)), fig.NOW),
                            ("按期结案率", list(reversed(on_time.values)), fig.AMBER)], labels, "结案率对比")
    banner = _health_problem(b)
    page1 = f"""
<section class="page">
  <header class="head">
    <div class="org">网格治理数字驾驶舱 · {escape(b.title)}</div>
    <h1>{escape(b.area_name)}<span>{escape(b.title)}</span></h1>
    <div class="sub">{period_text(b)} · 数据截至 {stamp(b.as_of)}</div>
  </header>
  {f'<div class="banner">{escape(banner)}</div>' if banner else ''}
  <section class="summary"><h2>要点</h2><ul>{''.join(f'<li>{line}</li>' for line in _summary(b))}</ul></section>
  <section class="cards">
    {_card(b.counts[0], b, "上报（" + ("昨日" if b.kind == "daily" else "本周") + "）")}
    {_card(b.counts[1], b, "立案")}
    {_card(b.counts[2], b, "办结", worse="below")}
    {_card(closure, b, "结案率（近 7 日）", rate=True, worse="below")}
    {_card(on_time, b, "按期结案率（近 7 日）", rate=True, worse="below")}
    {_overdue_card(b)}
  </section>
  <section class="charts">
    <figure><figcaption>上报量：{escape(_same_period(b))}与本期（虚线为中位数）</figcaption>{reported_chart}</figure>
    <figure><figcaption>近 7 日结案率与按期结案率（应结案 {n(b.due.value)} 件）</figcaption>{rate_chart}</figure>
  </section>
  <section class="incidents"><h2>预警事件（上报激增）{_left(b)}</h2>{_incidents(b)}</section>
  {_footer(b, 1)}
</section>"""
    page2 = f"""
<section class="page">
  <section><h2>上报骤减 / 网格静默</h2>{_drops(b)}</section>
  <section><h2>超期在办（按责任部门，截至期末）</h2>{_departments(b)}</section>
  <section><h2>{"主要事项" if b.areas_are_subclasses else "重点区域"}（按{"昨日" if b.kind == "daily" else "本周"}上报量）</h2>{_areas(b)}</section>
  <section><h2>数据健康</h2>{_health(b)}</section>
  <section class="method"><h2>口径说明</h2><p>
    {"昨日" if b.kind == "daily" else "本周"}为{period_text(b)}；对比期为{_same_period(b)}（{WEEKS} 期），各期均按其结束后同样时长时的状态统计，中位数与范围取自这 {WEEKS} 期。
    结案率 = 结案 / 应结案，按期结案率 = 按期结案 / 应结案（GB/T 30428），应结案为期限落在近 7 日内的已立案事件。
    超期在办为已过处置期限、尚未处置的事件。预警事件取自驾驶舱预警研判（同一数据版本），“新发”为预警屏幕标为新出现者；走势图实线为每日上报，虚线为基线，浅色带为上限。
    本简报不含个人信息。</p></section>
  {_footer(b, 2)}
</section>"""
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{POLICY}">
<title>{escape(b.area_name)} {escape(b.title)} {b.issued.isoformat()}</title>
<style>{CSS}</style></head>
<body>{page1}{page2}</body></html>"""


CSS = """
@page { size: A4; margin: 0; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; background: #fff; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; color: #1f2933; font-size: 10.5pt;
       line-height: 1.45; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.page { width: 210mm; height: 297mm; padding: 13mm 14mm 0 14mm; position: relative; overflow: hidden;
        break-after: page; page-break-after: always; }
.page:last-child { break-after: auto; page-break-after: auto; }
.head { border-bottom: 2.5pt solid #1565c0; padding-bottom: 2.5mm; margin-bottom: 3mm; }
.org { color: #6b7785; font-size: 9pt; letter-spacing: 1pt; }
h1 { margin: 1mm 0 0; font-size: 21pt; line-height: 1.2; color: #0d3c78; }
h1 span { font-size: 15pt; margin-left: 4mm; color: #1f2933; font-weight: normal; }
.sub { margin-top: 1mm; font-size: 10.5pt; color: #3e4c59; }
h2 .left { font-size: 9pt; font-weight: normal; color: #52606d; margin-left: 3mm; }
h2 { font-size: 12pt; margin: 3mm 0 1.5mm; color: #0d3c78; border-left: 3pt solid #1565c0; padding-left: 2mm; }
h3 { font-size: 10.5pt; margin: 2.5mm 0 1mm; color: #3e4c59; }
.banner { background: #fdecea; color: #b71c1c; border: 1pt solid #f5c2c0; padding: 1.5mm 3mm; margin-bottom: 2mm;
          font-weight: bold; }
.summary ul { margin: 0; padding-left: 5mm; }
.summary li { margin: 0.6mm 0; }
.summary b { color: #0d3c78; }
.bad { color: #b71c1c; }
.cards { display: grid; grid-template-columns: repeat(3, 1fr); gap: 2.5mm; margin-top: 3mm; }
.card { border: 0.8pt solid #d9dee3; border-radius: 2mm; padding: 2mm 3mm; background: #f8fafc; }
.card.alarm { border-color: #e57373; background: #fff5f5; }
.card-label { font-size: 9.5pt; color: #3e4c59; }
.card-value { font-size: 20pt; font-weight: bold; line-height: 1.25; color: #0d3c78; }
.card.alarm .card-value { color: #b71c1c; }
.unit { font-size: 10pt; font-weight: normal; margin-left: 1mm; color: #3e4c59; }
.card-delta { font-size: 9.5pt; font-weight: bold; color: #3e4c59; }
.card-delta.bad { color: #c62828; } .card-delta.good { color: #2e7d32; } .card-delta.odd { color: #b26a00; }
.card-range { font-size: 8.5pt; color: #6b7785; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 4mm; margin-top: 3mm; }
figure { margin: 0; border: 0.8pt solid #d9dee3; border-radius: 2mm; padding: 1.5mm 2mm 0; }
figcaption { font-size: 9pt; color: #3e4c59; margin-bottom: 0.5mm; }
figure svg { display: block; width: 100%; height: auto; }
table.list { width: 100%; border-collapse: collapse; font-size: 9.5pt; }
table.list th { text-align: left; font-weight: normal; color: #6b7785; border-bottom: 0.8pt solid #9aa5b1;
                padding: 0.8mm 1.5mm; white-space: nowrap; }
table.list td { border-bottom: 0.5pt solid #e4e7eb; padding: 0.6mm 1.5mm; vertical-align: middle; }
table.list td svg { display: block; }
table.incidents { table-layout: fixed; }
table.incidents td { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
table.incidents th:nth-child(1) { width: 12.5mm; } table.incidents th:nth-child(2) { width: 38mm; }
table.incidents th:nth-child(4) { width: 13mm; } table.incidents th:nth-child(5) { width: 36mm; }
table.incidents th:nth-child(6) { width: 33mm; } table.incidents th:nth-child(7) { width: 14mm; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.up { color: #c62828; } td.down { color: #2e7d32; }
.tag { display: inline-block; padding: 0 1.5mm; border-radius: 1mm; font-size: 8.5pt; white-space: nowrap; }
.tag.new { background: #c62828; color: #fff; } .tag.on { background: #fbe3c4; color: #8a4b00; }
.tag.up { background: #fdecea; color: #c62828; } .tag.down { background: #e8f5e9; color: #2e7d32; }
.tag.plain { background: #eef1f4; color: #52606d; }
.note { color: #52606d; font-size: 9.5pt; margin: 1mm 0; }
dl.health { display: grid; grid-template-columns: 1fr 1fr; gap: 1mm 6mm; margin: 0; }
dl.health div { display: flex; justify-content: space-between; border-bottom: 0.5pt solid #e4e7eb; padding: 0.8mm 0; }
dl.health dt { color: #52606d; } dl.health dd { margin: 0; font-weight: bold; }
dl.health div.bad dd { color: #b71c1c; }
.method p { font-size: 8.5pt; color: #52606d; margin: 0; }
footer { position: absolute; left: 14mm; right: 14mm; bottom: 7mm; display: flex; justify-content: space-between;
         font-size: 8pt; color: #9aa5b1; border-top: 0.5pt solid #e4e7eb; padding-top: 1mm; }
"""
