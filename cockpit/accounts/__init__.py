"""Platform accounts: who may sign in and what each one sees.

Roles are the platform's own (accounts.csv, data contract). Each falls into a kind:

- `admin`      区级管理员: everything, plus the audit log
- `district`   指挥长 / 值班调度员 / 督办员: everything in their area and the data-health page
- `analyst`    分析研判员: the analytic pages of their area (pseudonymised data only)
- `area`       street, community and grid roles: the pages of their area
- `department` 部门管理员 / 部门处置员: the events assigned to their department (事件查询); every
               query refuses a department scope unless its SQL limits rows by `$department`
- `kiosk`      大屏终端: a wall screen's device, read-only, signed in for days (sessions.py): the
               big screen and the pages the centre rotates through it (settings `kiosk_pages`, a
               choice among WALL_PAGES); never a record in full, an export, the audit log

An account's area is an area code (6/9/12/15 digits); a department account's is the
department's name, and its area is the whole platform."""
from __future__ import annotations

from dataclasses import dataclass

KINDS = {
    "区级管理员": "admin",
    "指挥长": "district", "值班调度员": "district", "督办员": "district",
    "分析研判员": "analyst",
    "街道管理员": "area", "街道调度员": "area", "街道审核员": "area", "综治专干": "area",
    "业务科室": "area", "社区书记": "area", "社区主任": "area", "社区管理员": "area",
    "社区专干": "area", "专职网格员": "area", "兼职网格员": "area",
    "部门管理员": "department", "部门处置员": "department",
    "大屏终端": "kiosk",
}
LEVEL_OF_LENGTH = {4: "市", 6: "区", 9: "街道", 12: "社区", 15: "网格"}

# pages (by path) each kind may open: every page but some, or only some
PAGES_DENIED = {"admin": set(), "district": {"/audit"}, "area": {"/audit", "/health"}}
PAGES_ONLY = {"analyst": {"/map", "/heatmap", "/workflow", "/incident", "/warning", "/services",
                          "/property", "/explorer", "/briefings"},
              "department": {"/explorer"}}
# what a wall may show: pages of counts, charts and maps that read without a hand on them; never
# the lists of events or residents (事件查询 exports, 实有人口), data health or the audit log
WALL_PAGES = ("/", "/map", "/heatmap", "/workflow", "/incident", "/warning", "/services", "/property")
STATUSES = ("正常", "停用", "锁定")
# who may open one resident's record in full (with a reason, audited): the accounts whose work is
# with residents; analysts see pseudonymised data only, departments only their events
UNMASK_KINDS = {"admin", "district", "area"}


@dataclass(frozen=True)
class Account:
    account_id: str
    role: str
    area: str                     # area code, or the department's name
    holder: str = ""              # masked (张*): the holder's name never leaves the server in clear
    status: str = "正常"
    # a kiosk account's pages: the big screen and the centre's rotation (the gate sets them from
    # the settings; an account read from the store alone shows the big screen only)
    wall_pages: tuple[str, ...] = ("/",)

    @property
    def kind(self) -> str:
        return KINDS[self.role]

    @property
    def department(self) -> str:
        return self.area if self.kind == "department" else ""

    @property
    def area_code(self) -> str | None:
        return None if self.kind == "department" else self.area

    def may_open(self, path: str) -> bool:
        if self.kind == "kiosk":
            return path == "/" or (path in self.wall_pages and path in WALL_PAGES)
        if self.kind in PAGES_ONLY:
            return path in PAGES_ONLY[self.kind]
        return path not in PAGES_DENIED[self.kind]

    @property
    def may_unmask(self) -> bool:
        return self.kind in UNMASK_KINDS

    @property
    def views_audited(self) -> bool:
        """Whether opening a page is written to the audit log. Not a wall's: it opens the next page
        of the centre's rotation every few seconds, for weeks (thousands of records a day the
        retention period cannot shorten), and what it shows is the settings' choice, not a
        person's. Its sign-in and every refusal are recorded like anyone's."""
        return self.kind != "kiosk"

    @property
    def home(self) -> str:
        """Where the account lands after signing in: the big screen, or its first page."""
        return "/" if self.may_open("/") else sorted(PAGES_ONLY[self.kind])[0]


def check_role_and_area(role: str, area: str) -> None:
    if role not in KINDS:
        raise ValueError(f"未知角色 {role!r}（可选：{'、'.join(KINDS)}）")
    if KINDS[role] == "department":
        if not area.strip():
            raise ValueError("部门账号须填写部门名称")
    elif not (area.isascii() and area.isdigit() and len(area) in LEVEL_OF_LENGTH):
        raise ValueError(f"所属区域须为 4/6/9/12/15 位区划或网格编码：{area!r}")


def check_wall_pages(pages) -> tuple[str, ...]:
    """The pages a centre rotates on its walls (settings `kiosk_pages`), as paths without a
    trailing slash, in order, each once; any page not among WALL_PAGES is an error at start."""
    out = []
    for page in pages:
        path = "/" + page.strip().strip("/")
        if path not in WALL_PAGES:
            raise ValueError(f"大屏轮播页面只能是 {' '.join(WALL_PAGES)} 之一：{page!r}")
        if path not in out:
            out.append(path)
    return tuple(out) or ("/",)
