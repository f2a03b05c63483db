"""How the notebooks present what they find, so that they read as a report a leader can be handed:
one palette with enough distinct colours for every category (the event taxonomy has 12 classes;
plotly's default has 10, so 营商环境 came out the same blue as 公用设施), legends with room for
every entry, and tables in Chinese: no pandas row numbers, 是/否 instead of True/False, — for a
missing value, thousands separators, rates as percentages with one decimal, and a long table cut
only with a note saying how many rows there are.

`import notebooks.present` sets the palette and the layout as plotly's defaults."""
from __future__ import annotations

import datetime as dt
import html
import math
import numbers

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio

# Kelly's colours of maximum contrast (without white and black): 20 categories told apart
PALETTE = ["#0067A5", "#F38400", "#008856", "#BE0032", "#875692", "#F3C300", "#848482", "#A1CAF1",
           "#E68FAC", "#8DB600", "#604E97", "#F99379", "#882D17", "#C2B280", "#DCD300", "#B3446C",
           "#654522", "#E25822", "#2B3D26", "#F6A600"]
FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
MISSING = "—"
MAX_ROWS = 30

pio.templates["report"] = go.layout.Template(layout=dict(
    colorway=PALETTE, font=dict(family=FONT, size=13), height=540,
    # a vertical legend beside the plot, with room for 20 entries at this height
    legend=dict(orientation="v", yanchor="top", y=1, x=1.02, font=dict(size=12), itemsizing="constant",
                tracegroupgap=2),
    margin=dict(r=160), hoverlabel=dict(font=dict(family=FONT))))
pio.templates.default = "plotly_white+report"
px.defaults.template = "plotly_white+report"
px.defaults.color_discrete_sequence = PALETTE


def percent(value, digits: int = 1) -> str:
    """93.22185727082712 → 93.2%; missing → —."""
    return MISSING if _missing(value) else f"{value:.{digits}f}%"


def number(value, digits: int = 0) -> str:
    """1234567 → 1,234,567; 366.5 → 366.5; missing → —."""
    if _missing(value):
        return MISSING
    if digits == 0 and float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits or 1}f}"


def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isnan(value)


def cell(value, *, rate: bool = False, digits: int = 1) -> str:
    """One value as a report shows it."""
    if _missing(value):
        return MISSING
    if isinstance(value, (bool, pd.BooleanDtype().type)) or type(value).__name__ == "bool_":
        return "是" if value else "否"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return percent(value, digits) if rate else number(value, digits)
    return str(value)


class Table:
    """A frame shown as a report table (HTML in JupyterLab, aligned text elsewhere)."""

    def __init__(self, frame: pd.DataFrame, caption: str = "", note: str = ""):
        self.frame, self.caption, self.note = frame, caption, note

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in self.frame.columns)
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>"
                       for row in self.frame.itertuples(index=False))
        caption = f"<caption style='text-align:left'>{html.escape(self.caption)}</caption>" if self.caption else ""
        note = f"<p style='color:#555'>{html.escape(self.note)}</p>" if self.note else ""
        return (f"<table class='report-table'>{caption}<thead><tr>{head}</tr></thead>"
                f"<tbody>{rows}</tbody></table>{note}")

    def __repr__(self) -> str:
        text = self.frame.to_string(index=False) if len(self.frame) else "（无）"
        return "\n".join(filter(None, (self.caption, text, self.note)))


def table(frame: pd.DataFrame, columns: dict[str, str], *, rates=(), digits: dict | None = None,
          max_rows: int = MAX_ROWS, caption: str = "", note: str = "", name: str = "") -> Table:
    """`columns` (column → Chinese header, in this order) of `frame` as a report table. `rates`:
    columns in percent (printed with one decimal and %); `digits`: decimals of other float
    columns (default 1). More than `max_rows` rows: the first ones, and a note with the count
    (and `name`, the variable holding them all)."""
    digits = dict(digits or {})
    shown = frame[list(columns)].head(max_rows)
    for col in columns:          # a count column that holds a missing value is float: print it whole
        values = pd.to_numeric(shown[col], errors="coerce") if shown[col].dtype.kind == "f" else None
        if values is not None and col not in rates and col not in digits \
                and values.dropna().map(float.is_integer).all():
            digits[col] = 0
    out = pd.DataFrame({header: [cell(v, rate=col in rates, digits=digits.get(col, 1)) for v in shown[col]]
                        for col, header in columns.items()})
    notes = [note] if note else []
    if len(frame) > max_rows:
        where = f"，全部 {len(frame):,} 行在变量 {name} 中" if name else ""
        notes.append(f"共 {len(frame):,} 行，此处列出前 {max_rows:,} 行{where}。")
    elif len(frame) == 0:
        notes.append("无符合条件的记录。")
    return Table(out, caption, " ".join(notes))
