"""A notice as each channel shows it: pure functions, no I/O.

- 企业微信 group robot: markdown (`### `, `> ` quotes, `**bold**`, links, and its three colours
  <font color="warning|info|comment">), at most WECOM_BYTES bytes of UTF-8;
- 钉钉 robot: markdown with a title (no colours: 钉钉 does not promise them), at most DINGTALK_BYTES;
- a generic JSON webhook: the notice's fields;
- e-mail: a subject and a plain-text body.

Values come from the warehouse's generated words; characters that would make markup of them
(`< > [ ] * _ #` and line breaks) are replaced, so no value can add a link or a colour."""
from __future__ import annotations

from cockpit.notify.notices import Notice

WECOM_BYTES = 4096
DINGTALK_BYTES = 5000
FACT_CHARS = 160
SIGNATURE = "网格治理数字驾驶舱"
# first told (新发, or already going on when the channel first hears of it), grown, ended
TITLES = {
    "incident": ("新发预警", "持续预警", "预警升级", "预警结束"),
    "drop": ("上报骤减", "上报骤减（持续）", "上报骤减扩大", "上报骤减结束"),
    "overdue": ("超期积压骤增", "超期积压骤增（持续）", "超期积压加剧", "超期积压回落"),
    "refresh": ("数据刷新未完成",) * 4,
    "briefing": ("简报已生成",) * 4,
    "test": ("推送测试",) * 4,
}
_MARKUP = str.maketrans({"<": "＜", ">": "＞", "[": "【", "]": "】", "*": "＊", "_": "＿", "#": "＃",
                         "`": "'", "\n": " ", "\r": " "})


def title(n: Notice) -> str:
    fresh, going, grew, ended = TITLES[n.kind]
    return (fresh if n.fresh else going) if not n.change else ended if n.change == "已结束" else grew


def absolute(public_url: str, prefix: str, path: str) -> str:
    """The link a reader follows: public URL + URL prefix + the page's path (the prefix once,
    even if the public URL already ends with it)."""
    base = public_url.rstrip("/")
    if prefix and not base.endswith(prefix):
        base += prefix
    return base + path


def _v(text: str) -> str:
    text = str(text).translate(_MARKUP).strip()
    return text if len(text) <= FACT_CHARS else text[:FACT_CHARS - 1] + "…"


def _facts(n: Notice) -> list[tuple[str, str]]:
    facts = list(n.facts)
    if n.change and n.change != "已结束":
        facts.insert(0, ("变化", n.change))
    return [(label, _v(value)) for label, value in facts if value]


def _footer(n: Notice, channel: str) -> str:
    stamp = f"数据截至 {n.as_of} · " if n.as_of else ""
    return f"{stamp}{SIGNATURE} · {channel}"


def _fit(head: list[str], body: list[str], tail: list[str], limit: int) -> str:
    """head + as many body lines as fit + tail, within `limit` bytes of UTF-8."""
    body = list(body)
    while True:
        text = "\n".join(head + body + tail)
        if len(text.encode("utf-8")) <= limit or not body:
            return text
        body.pop()


def wecom(n: Notice, link: str, channel: str) -> dict:
    colour = "info" if n.change == "已结束" else "comment" if n.kind in ("briefing", "test") else "warning"
    head = [f"### <font color=\"{colour}\">{title(n)}</font> {_v(n.headline)}"]
    body = [f"> {label}：<font color=\"comment\">{value}</font>" if label not in ("区域", "变化")
            else f"> {label}：**{value}**" for label, value in _facts(n)]
    tail = [f"[{'下载简报 PDF' if n.kind == 'briefing' else '在驾驶舱中查看'}]({link})",
            f"<font color=\"comment\">{_v(_footer(n, channel))}</font>"]
    return {"msgtype": "markdown", "markdown": {"content": _fit(head, body, tail, WECOM_BYTES)}}


def dingtalk(n: Notice, link: str, channel: str) -> dict:
    head = [f"### {title(n)} · {_v(n.headline)}", ""]
    body = [f"> **{label}**：{value}\n" for label, value in _facts(n)]
    tail = ["", f"[{'下载简报 PDF' if n.kind == 'briefing' else '在驾驶舱中查看'}]({link})", "",
            f"{_v(_footer(n, channel))}"]
    return {"msgtype": "markdown", "markdown": {"title": f"{title(n)} · {_v(n.area_name or n.headline)}",
                                                "text": _fit(head, body, tail, DINGTALK_BYTES)}}


def webhook(n: Notice, link: str, channel: str) -> dict:
    return {"kind": n.kind, "key": n.key, "title": title(n), "headline": _v(n.headline), "change": n.change,
            "area_code": n.area_code, "area_name": _v(n.area_name),
            "facts": [{"label": label, "value": value} for label, value in _facts(n)],
            "link": link, "as_of": n.as_of, "channel": channel,
            "text": plain(n, link, channel)}


def plain(n: Notice, link: str, channel: str) -> str:
    lines = [f"【{title(n)}】{_v(n.headline)}", *(f"{label}：{value}" for label, value in _facts(n)),
             f"{'下载简报' if n.kind == 'briefing' else '查看'}：{link}", _footer(n, channel)]
    return "\n".join(lines)


def subject(n: Notice) -> str:
    where = f" · {_v(n.area_name)}" if n.area_name else ""
    return f"[{SIGNATURE}] {title(n)} · {_v(n.headline)}{where}"
