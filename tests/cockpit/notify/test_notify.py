"""Push (cockpit/notify): real local receivers (an HTTP server for 企业微信, 钉钉 and a webhook, an SMTP
server), a real warehouse (the tiny generation, its warning tables scripted so each case is
known), published generation after generation as refreshes would."""
from __future__ import annotations

import datetime as dt
import json
import os
import re

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cockpit.notify import __main__ as cli, channels, notices, render, run
from cockpit.notify.notices import Notice
from cockpit.notify.store import NotifyStore
from etl import runlog, storage
from etl.publish import generations
from tests.cockpit.notify.receivers import HttpReceiver, SmtpReceiver
from tests.conftest import ROOT
from warehouse.personal import holds_personal

PUBLIC = "https://cockpit.example.gov.cn"
PREFIX = "/cockpit"
SETTINGS = ROOT / "etl" / "warning" / "settings.toml"      # has 街道超期积压骤增 (metric overdue)
OVERDUE_RULE = "街道超期积压骤增"
NOON = dt.datetime(2026, 12, 7, 12, 0)
PHONE, ID_NUMBER = "13912345678", "11010519491231002X"


@pytest.fixture(scope="module")
def places(tiny_db):
    con = duckdb.connect(str(tiny_db), read_only=True)
    try:
        def one(sql, *args):
            return con.execute(sql, list(args)).fetchone()[0]
        s1, s2 = (r[0] for r in con.execute("SELECT code FROM core.areas WHERE level = 'street' AND valid_to IS NULL "
                                            "ORDER BY code LIMIT 2").fetchall())
        grid = "SELECT min(code) FROM core.areas WHERE level = 'grid' AND valid_to IS NULL AND starts_with(code, ?)"
        c2 = one("SELECT min(code) FROM core.areas WHERE level = 'community' AND valid_to IS NULL AND starts_with(code, ?)", s2)
        g2 = one(grid, c2)
        g2b = one("SELECT max(code) FROM core.areas WHERE level = 'grid' AND valid_to IS NULL AND starts_with(code, ?)", c2)
        return {"s1": s1, "s2": s2, "g1": one(grid, s1), "c2": c2, "g2": g2, "g2b": g2b,
                "district": s1[:6], "name": dict(con.execute("SELECT code, name FROM core.areas").fetchall())}
    finally:
        con.close()


def incident(iid, kind, level, area, grids, *, name=None, status="进行中", new=True, excess=6.0, reason=None,
             subject="道路不洁、积存垃圾渣土", rule=None):
    return {"incident_id": iid, "kind": kind, "level": level, "area_code": area, "grids": grids, "name": name,
            "status": status, "new": new, "excess": excess, "subject": subject, "rule": rule,
            "reason": reason or f"{iid} 近 3 天报告 12 件，预期 2.0 件（6.0 倍）"}


def scripted(places) -> list[dict]:
    p = places
    return [
        incident("YJT-A", "excess", "grid", p["g1"], [p["g1"]]),
        # an area name and a reason holding personal numbers: the read path must mask them
        incident("YJT-B", "excess", "community", p["c2"], [p["g2"], p["g2b"]],
                 name=f"{p['name'][p['c2']]} 联系人{PHONE}", reason=f"报告人身份证 {ID_NUMBER}，近 7 天报告 20 件"),
        incident("YJT-D", "drop", "grid", p["g2"], [p["g2"]], excess=-9.0, subject="全部上报",
                 reason="近 7 天全部上报 1 件，按以往应有 10.0 件，少了 90%"),
        incident("YJT-O", "rule", "street", p["s2"], [], excess=25.0, subject="全部上报", rule=OVERDUE_RULE,
                 reason=f"规则「{OVERDUE_RULE}」：{p['name'][p['s2']]} 全部 55 件，达到阈值 30"),
        # a grid incident of street 2 whose footprint reaches into street 1: both sides see it
        incident("YJT-X", "excess", "grid", p["g2"], [p["g2"], p["g1"]], new=False),
    ]


def write_warnings(db, places, rows) -> None:
    """Replace the generation's incidents with `rows` (as the ETL would have written them)."""
    con = duckdb.connect(str(db))
    try:
        for table in ("warning.incidents", "warning.incident_areas", "warning.incident_grids", "warning.alerts"):
            con.execute(f"DELETE FROM {table}")
        con.execute("CREATE OR REPLACE TABLE warning.alerts AS SELECT * REPLACE (CAST(rule AS VARCHAR) AS rule) "
                    "FROM warning.alerts")
        for r in rows:
            name = r["name"] or places["name"][r["area_code"]]
            con.execute("""INSERT INTO warning.incidents BY NAME SELECT
                ? AS incident_id, ? AS kind, ? AS kind_name, ? AS status, ? AS on_screen, ? AS new, 1.0 AS rank,
                DATE '2026-10-29' AS first_day, DATE '2026-10-31' AS last_day, 3 AS alarm_days, 3 AS alerts,
                8.0 AS peak_score, ? AS level, ? AS area_code, ? AS area_name, ? AS subject, ? AS n_grids,
                ? AS reason, ? AS first_reason, ? AS excess, 2.5 AS peak_ratio""",
                        [r["incident_id"], r["kind"], {"excess": "上报激增", "drop": "上报骤减", "rule": "规则"}[r["kind"]],
                         r["status"], r["status"] == "进行中", r["new"], r["level"], r["area_code"], name, r["subject"],
                         len(r["grids"]), r["reason"], r["reason"], r["excess"]])
            seen = {r["area_code"], *(r["grids"] if r["level"] in ("grid", "community") else [])}
            con.executemany("INSERT INTO warning.incident_areas VALUES (?, ?)", [(r["incident_id"], a) for a in seen])
            for g in r["grids"]:
                con.execute("INSERT INTO warning.incident_grids VALUES (?, ?)", [r["incident_id"], g])
            con.execute("INSERT INTO warning.alerts BY NAME SELECT ? AS alert_id, DATE '2026-10-31' AS day, ? AS kind, "
                        "? AS area_code, ? AS rule, ? AS incident_id, 8.0 AS score",
                        [r["incident_id"] + "-1", r["kind"], r["area_code"], r["rule"], r["incident_id"]])
    finally:
        con.close()


class World:
    """A warehouse folder whose generations the test publishes; the push store; a channels file."""

    def __init__(self, tmp_path, tiny_db, places):
        self.tmp, self.tiny, self.places = tmp_path, tiny_db, places
        self.warehouse = tmp_path / "warehouse"
        self.store = NotifyStore(tmp_path / "notify.sqlite")
        self.briefings = tmp_path / "briefings"
        self.count = 0
        self.sleeps = []

    def publish(self, rows) -> None:
        self.count += 1
        built = generations.start(self.warehouse, f"g{self.count}")     # a generation of one file
        storage.single_file(self.tiny, built)
        write_warnings(built, self.places, rows)
        generations.publish(self.warehouse, built, f"g{self.count}", keep=2)

    def config(self, text: str, env=None) -> channels.Config:
        path = self.tmp / "notify.toml"
        path.write_text(f'public_url = "{PUBLIC}"\n' + text, encoding="utf-8")
        return channels.load(path, env or {})

    def run(self, config, now=NOON, store=None, dry_run=None) -> run.Report:
        ctx = run.context(config, self.warehouse, PREFIX, SETTINGS, self.briefings, now)
        return run.run_all(config, ctx, store or self.store, sleep=self.sleeps.append, dry_run=dry_run)


@pytest.fixture
def world(tmp_path, tiny_db, places):
    w = World(tmp_path, tiny_db, places)
    w.publish(scripted(places))
    return w


def channel(name, kind, url, area, **extra) -> str:
    lines = [f"[channels.{name}]", f'type = "{kind}"', f'url = "{url}"', f'area = "{area}"',
             'backoff_seconds = 0.5']
    lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def contents(receiver) -> list[str]:
    return [r.json["markdown"]["content"] for r in receiver.received]


def keys(receiver) -> set[str]:
    return {r.json["key"] for r in receiver.received}


def test_a_wecom_group_hears_each_incident_once_as_markdown_without_personal_data(world, places):
    with HttpReceiver() as robot:
        config = world.config(channel("district", "wecom", robot.url(), places["district"]))
        report = world.run(config)
        assert report.counts["district"]["sent"] == 5 and report.failed == 0
        for got in robot.received:
            assert got.path == "/cgi-bin/webhook/send" and got.query["key"] == ["test-key"]
            payload = got.json
            assert set(payload) == {"msgtype", "markdown"} and payload["msgtype"] == "markdown"
            assert set(payload["markdown"]) == {"content"}
            assert len(payload["markdown"]["content"].encode("utf-8")) <= render.WECOM_BYTES
            assert not holds_personal(got.body.decode("utf-8")), got.body.decode("utf-8")
        texts = contents(robot)
        titles = [t.splitlines()[0] for t in texts]
        assert sum("新发预警" in t for t in titles) == 2 and sum("持续预警" in t for t in titles) == 1
        assert any("上报骤减</font> " + places["name"][places["g2"]] in t for t in titles)
        overdue = next(t for t in texts if "超期积压骤增</font> " + places["name"][places["s2"]] in t.splitlines()[0])
        assert f"规则：<font color=\"comment\">{OVERDUE_RULE}</font>" in overdue and "本辖区超期在办" in overdue
        assert "类别" not in overdue
        for iid in ("YJT-A", "YJT-B", "YJT-D", "YJT-O", "YJT-X"):
            assert sum(f"({PUBLIC}{PREFIX}/m?incident={iid})" in t for t in texts) == 1
        masked = next(t for t in texts if "YJT-B" in t)
        assert PHONE not in masked and "139＊＊＊＊5678" in masked and ID_NUMBER not in masked   # ＊: no markup
        # nothing changed: the next run (a new generation of the same warnings) says nothing
        world.publish(scripted(places))
        assert world.run(config).counts["district"]["sent"] == 0
        assert len(robot.received) == 5
    log = world.store.deliveries("district")
    assert list(log["outcome"]) == ["sent"] * 5 and set(log["attempts"]) == {1}
    assert not any(robot.url() in str(d) or "test-key" in str(d) for d in log["detail"])


def test_a_streets_channel_hears_only_what_its_accounts_see(world, places):
    with HttpReceiver() as hook:
        config = world.config(channel("s1", "webhook", hook.url("/s1"), places["s1"])
                              + channel("s2", "webhook", hook.url("/s2"), places["s2"]))
        world.run(config)
        heard = {p: {r.json["key"] for r in hook.received if r.path == f"/{p}"} for p in ("s1", "s2")}
    assert heard["s1"] == {"incident:YJT-A", "incident:YJT-X"}          # X reaches into street 1
    assert heard["s2"] == {"incident:YJT-B", "incident:YJT-D", "incident:YJT-O", "incident:YJT-X"}
    for r in hook.received:
        body = r.json
        assert set(body) >= {"kind", "key", "title", "facts", "link", "area_name", "text"}
        assert body["link"].startswith(f"{PUBLIC}{PREFIX}/m?incident=") and not holds_personal(r.body.decode())


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_area_hears_exactly_the_incidents_seen_from_inside_it(world, places, data):
    """Any area, any level: the incidents announced are those with a seen-from area inside it
    (warning_incident_areas, read here with plain SQL, not through the cockpit)."""
    db = generations.current(world.warehouse).path
    con = duckdb.connect(str(db), read_only=True)
    codes = sorted(r[0] for r in con.execute("SELECT DISTINCT code FROM core.areas WHERE valid_to IS NULL").fetchall())
    area = data.draw(st.sampled_from(codes))
    want = {f"incident:{r[0]}" for r in con.execute(
        "SELECT DISTINCT incident_id FROM warning.incident_areas WHERE starts_with(area_code, ?)", [area]).fetchall()}
    con.close()
    shown = []
    config = world.config(channel("any", "webhook", "http://127.0.0.1:9/", area, kinds=["incident", "drop", "overdue"]))
    world.run(config, dry_run=lambda _c, n, _link: shown.append(n.key))
    assert set(shown) == want


def test_an_incident_is_announced_again_only_when_it_grows_or_ends(world, places):
    p = places
    with HttpReceiver() as robot:
        config = world.config(channel("s2", "wecom", robot.url(), p["s2"]))
        world.run(config)
        assert len(robot.received) == 4
        rows = scripted(places)
        rows[1]["grids"] = [p["g2"], p["g2b"], p["g2"][:-1] + "9"]            # 2 → 3 grids: too little
        rows[1]["excess"] = 7.0                                                 # 6 → 7: too little
        world.publish(rows)
        world.run(config)
        assert len(robot.received) == 4
        rows[1]["excess"] = 12.0                                                # 6 → 12: twice as many
        rows[2]["status"] = "已结束"                                             # the drop ended
        world.publish(rows)
        world.run(config)
        new = contents(robot)[4:]
        assert len(new) == 2
        grew = next(t for t in new if "YJT-B" in t)
        assert "预警升级" in grew and "超出基线由 6 件增至 12 件" in grew
        ended = next(t for t in new if "YJT-D" in t)
        assert ended.startswith('### <font color="info">上报骤减结束</font>')
        world.publish(rows)                                                     # nothing new since
        world.run(config)
        rows[3]["level"] = "district"
        rows[3]["area_code"] = p["district"]
        world.publish(rows)                                                     # moved out of street 2
        world.run(config)
        assert len(robot.received) == 6


def test_change_rules():
    first = {"status": "进行中", "level": "grid", "n_grids": 4, "excess": 10.0}
    assert notices.change(None, first) == ""
    assert notices.change(None, {**first, "status": "已结束"}) is None
    assert notices.change(first, first) is None
    assert notices.change(first, {**first, "level": "community"}) == "范围由网格扩大至社区"
    assert notices.change(first, {**first, "n_grids": 6}) is None               # 1.5 × 4 but only 2 more
    assert notices.change(first, {**first, "n_grids": 7}) == "涉及网格由 4 个增至 7 个"
    assert notices.change(first, {**first, "excess": 14.9}) is None
    assert notices.change(first, {**first, "status": "已结束"}) == "已结束"
    assert notices.change({**first, "status": "已结束"}, {**first, "status": "已结束"}) is None
    assert notices.change({"status": "failed"}, {"status": "failed"}) is None


def test_dingtalk_messages_are_signed_and_a_wrong_secret_is_not_retried(world, places):
    with HttpReceiver(secret="SEC-right") as robot:
        config = world.config(channel("ding", "dingtalk", robot.url("/robot/send?access_token=t"), places["s1"],
                                      secret_env="DING_SECRET"), {"DING_SECRET": "SEC-right"})
        assert world.run(config).counts["ding"]["sent"] == 2 and robot.bad_signatures == 0
        for got in robot.received:
            assert got.query["access_token"] == ["t"]
            stamp = int(got.query["timestamp"][0])
            assert abs(stamp / 1000 - dt.datetime.now().timestamp()) < 600
            body = got.json
            assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"title", "text"}
            assert "在驾驶舱中查看" in body["markdown"]["text"]
        wrong = world.config(channel("ding2", "dingtalk", robot.url("/robot/send?access_token=t"), places["s1"],
                                     secret="SEC-wrong"))
        report = world.run(wrong)
        assert report.counts["ding2"]["failed"] == 2 and robot.bad_signatures == 2
    log = world.store.deliveries("ding2")
    assert set(log["attempts"]) == {1} and set(log["detail"]) == {"permanent: errcode 310000"}


def test_transient_failures_are_retried_with_backoff_and_permanent_ones_tried_next_run(world, places):
    with HttpReceiver(answers=[(502, {}), (200, {"errcode": 45009, "errmsg": "api freq out of limit"})]) as robot:
        config = world.config(channel("s1", "wecom", robot.url(), places["s1"], kinds=["incident"]))
        report = world.run(config)
        assert report.counts["s1"]["sent"] == 2
        assert world.sleeps == [0.5, 1.0]                      # 2 failures of the first message, then back-off
        log = world.store.deliveries("s1")
        assert sorted(log["attempts"]) == [1, 3]
    with HttpReceiver(answers=[(404, {}), (404, {})]) as robot:
        config = world.config(channel("s1b", "wecom", robot.url(), places["s1"], kinds=["incident"]))
        report = world.run(config)
        assert report.counts["s1b"]["failed"] == 2 and len(robot.received) == 2    # no retry on a 404
        assert world.run(config).counts["s1b"]["sent"] == 2                        # not marked: tried again
    assert cli.main(["log", "--channel", "s1b"], env=_env(world)) == 0


def _env(world, **more) -> dict:
    return {"COCKPIT_NOTIFY_STORE": str(world.store.path), "COCKPIT_WAREHOUSE": str(world.warehouse),
            "COCKPIT_PUBLIC_URL": PUBLIC, "COCKPIT_URL_PREFIX": PREFIX, "COCKPIT_BRIEFINGS": str(world.briefings),
            "COCKPIT_WARNING_SETTINGS": str(SETTINGS), "PATH": os.environ.get("PATH", ""), **more}


def test_quiet_hours_hold_messages_until_they_end_and_drop_the_kinds_asked(world, places):
    with HttpReceiver() as robot:
        config = world.config(channel("s2", "wecom", robot.url(), places["s2"], quiet="22:00-07:00",
                                      quiet_drop=["drop"]))
        night = world.run(config, now=dt.datetime(2026, 12, 7, 23, 30))
        assert robot.received == [] and night.counts["s2"]["held"] == 3 and night.counts["s2"]["dropped"] == 1
        assert world.run(config, now=dt.datetime(2026, 12, 8, 6, 59)).counts["s2"]["held"] == 3
        morning = world.run(config, now=dt.datetime(2026, 12, 8, 7, 0))
        assert morning.counts["s2"]["sent"] == 3 and not any("YJT-D" in t for t in contents(robot))
    assert channels._quiet("x", "08:00-12:00") == (480, 720)
    day = channels.Channel("d", "wecom", "2202", quiet=(480, 720))
    assert day.in_quiet_hours(480) and not day.in_quiet_hours(720) and not day.in_quiet_hours(60)


def test_the_rate_limit_holds_across_runs(world, places, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr("cockpit.notify.store.time.time", lambda: clock[0])
    with HttpReceiver() as robot:
        config = world.config(channel("s2", "wecom", robot.url(), places["s2"], per_minute=2))
        first = world.run(config)
        assert first.counts["s2"]["sent"] == 2 and first.counts["s2"]["deferred"] == 2
        clock[0] += 20                                        # 20 s: not a whole token back yet
        again = world.run(config, store=NotifyStore(world.store.path))      # another run, another process
        assert again.counts["s2"]["sent"] == 0 and again.counts["s2"]["deferred"] == 2
        clock[0] += 40
        assert world.run(config).counts["s2"]["sent"] == 2
        assert len(robot.received) == 4 and len({r.body for r in robot.received}) == 4


def test_failed_refused_and_killed_refreshes_are_announced_to_who_asks(world, places, tmp_path):
    con = runlog.connect(world.warehouse)
    for run_id, status, code in (("r-ok", "published", 0), ("r-fail", "failed", 1), ("r-refused", "refused", 3)):
        runlog.start(con, run_id, "refresh --incremental", "/srv/exports")
        runlog.finish(con, run_id, status, code, seconds=3.0)
    runlog.start(con, "r-killed", "refresh", "/srv/exports")
    con.execute("UPDATE runs SET pid = 999999999, pid_start = 'gone' WHERE run_id = 'r-killed'")
    runlog.start(con, "r-old", "refresh", "/srv/exports")
    runlog.finish(con, "r-old", "failed", 1, seconds=1.0)
    con.execute("UPDATE runs SET started_at = '2020-01-01T00:00:00+08:00' WHERE run_id = 'r-old'")
    con.close()
    with HttpReceiver() as robot:
        config = world.config(channel("ops", "wecom", robot.url(), places["district"], kinds=["refresh"])
                              + channel("s1", "wecom", robot.url("/s1"), places["s1"]))
        world.run(config, now=dt.datetime.now())
        ops = [r.json["markdown"]["content"] for r in robot.received if r.path != "/s1"]
        assert len(ops) == 3 and all("数据刷新未完成" in t and f"{PREFIX}/health)" in t for t in ops)
        results = sorted(next(line for line in t.splitlines() if "结果" in line) for t in ops)
        assert any("失败" in r for r in results) and any("另一次刷新尚未结束" in r for r in results)
        assert any("中断" in r for r in results)
        assert not any("数据刷新" in r.json["markdown"]["content"] for r in robot.received if r.path == "/s1")
        world.run(config, now=dt.datetime.now())
        assert len([r for r in robot.received if r.path != "/s1"]) == 3


def _briefing(world, area, name, size=2048):
    folder = world.briefings / area
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"%PDF-1.4\n" + b"0" * size)
    (folder / name.replace(".pdf", ".png")).write_bytes(b"\x89PNG")


def test_e_mail_gets_the_briefing_attached_and_incidents_as_text(world, places):
    today = NOON.date()
    _briefing(world, places["s1"], f"daily-{today}.pdf")
    _briefing(world, places["s1"], f"weekly-{today - dt.timedelta(days=30)}.pdf")     # too old
    _briefing(world, places["s2"], f"daily-{today}.pdf")                              # another street's
    _briefing(world, places["s1"], f"daily-{today - dt.timedelta(days=1)}.pdf", size=3 * 1024 * 1024)
    with SmtpReceiver(user="cockpit", password="pw") as smtp:
        config = world.config(f"""[channels.mail]
type = "email"
host = "127.0.0.1"
port = {smtp.port}
security = "none"
user = "cockpit"
password_env = "SMTP_PW"
sender = "cockpit@example.gov.cn"
to = ["duty@example.gov.cn", "lead@example.gov.cn"]
area = "{places['s1']}"
kinds = ["incident", "briefing"]
attach_max_mb = 1
""", {"SMTP_PW": "pw"})
        report = world.run(config)
        assert report.counts["mail"]["sent"] == 4 and smtp.logins == ["cockpit"] * 4
        mails = {m["message"]["Subject"]: m for m in smtp.messages}
        assert all(m["to"] == ["TO:<duty@example.gov.cn>", "TO:<lead@example.gov.cn>"] for m in mails.values())
        daily = next(m["message"] for s, m in mails.items() if f"每日简报 {today}" in s)
        attached = [part for part in daily.iter_attachments()]
        assert [a.get_filename() for a in attached] == [f"daily-{today}.pdf"]
        assert attached[0].get_content().startswith(b"%PDF")
        link = f"{PUBLIC}{PREFIX}/briefings/file/{places['s1']}/daily-{today}.pdf"
        assert link in daily.get_body(("plain",)).get_content()
        big = next(m["message"] for s, m in mails.items() if f"每日简报 {today - dt.timedelta(days=1)}" in s)
        assert list(big.iter_attachments()) == []                 # over attach_max_mb: the link only
        for m in mails.values():
            text = m["message"].get_body(("plain",)).get_content()
            assert not holds_personal(text) and not holds_personal(m["message"]["Subject"])


def test_smtp_4xx_is_retried_and_5xx_is_not(world, places):
    with SmtpReceiver(refuse=[451, 550]) as smtp:
        config = world.config(f"""[channels.mail]
type = "email"
host = "127.0.0.1"
port = {smtp.port}
security = "none"
sender = "cockpit@example.gov.cn"
to = "duty@example.gov.cn"
area = "{places['g1']}"
""")
        report = world.run(config)
    # g1 hears A and X: the first met 451 (tried again) then 550 (not), the second went through
    assert report.counts["mail"] == {"failed": 1, "sent": 1}
    log = world.store.deliveries("mail").set_index("outcome")
    assert log.loc["failed", "attempts"] == 2 and log.loc["failed", "detail"] == "permanent: SMTP 550"
    assert log.loc["sent", "attempts"] == 1 and len(smtp.messages) == 1


def test_a_message_with_a_personal_number_is_refused_never_sent(world, places):
    with HttpReceiver() as robot:
        config = world.config(channel("s1", "wecom", robot.url(), places["s1"]))
        leaky = Notice("incident", "incident:leak", {}, "上报激增", "某社区",
                       (("依据", f"联系电话 {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}"),), "/m")
        assert run.send(world.store, config.channels["s1"], leaky, PUBLIC + "/m") == "refused"
        assert robot.received == []


@settings(max_examples=60)
@given(facts=st.lists(st.tuples(st.sampled_from(["区域", "类别", "依据", "时间"]),
                                st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]),
                                        max_size=400)), max_size=40),
       headline=st.text(max_size=80))
def test_a_wecom_message_fits_its_limit_and_values_cannot_add_markup(facts, headline):
    n = Notice("incident", "incident:x", {}, headline, "区", tuple(facts), "/m?incident=x")
    link = f"{PUBLIC}{PREFIX}/m?incident=x"
    content = render.wecom(n, link, "ch")["markdown"]["content"]
    assert len(content.encode("utf-8")) <= render.WECOM_BYTES
    assert content.count("](") == 1 and f"[在驾驶舱中查看]({link})" in content
    assert content.count("<font") == content.count("</font>")
    bare = re.sub(r'<font color="(warning|info|comment)">|</font>', "", content)
    assert "<" not in bare and all(">" not in line.removeprefix("> ") for line in bare.splitlines())
    ding = render.dingtalk(n, link, "ch")["markdown"]["text"]
    assert len(ding.encode("utf-8")) <= render.DINGTALK_BYTES and ding.count("](") == 1


def test_links_carry_the_prefix_once():
    assert render.absolute("https://a.gov.cn", "/cockpit", "/m?incident=1") == "https://a.gov.cn/cockpit/m?incident=1"
    assert render.absolute("https://a.gov.cn/cockpit/", "/cockpit", "/health") == "https://a.gov.cn/cockpit/health"
    assert render.absolute("http://10.0.0.5:8050", "", "/") == "http://10.0.0.5:8050/"


@pytest.mark.parametrize("text,error", [
    ('[channels.a]\ntype = "wecom"\nurl = "http://x/"\narea = "2202"\nkinds = ["incidents"]\n', "kinds"),
    ('[channels.a]\ntype = "wecom"\nurl = "http://x/"\narea = "22020"\n', "area"),
    ('[channels.a]\ntype = "wecom"\nurl_env = "NOPE"\narea = "2202"\n', "NOPE"),
    ('[channels.a]\ntype = "wecom"\nurl = "http://x/"\narea = "2202"\nquiet = "22:00"\n', "quiet"),
    ('[channels.a]\ntype = "wecom"\nurl = "http://x/"\narea = "2202"\nsecret = "s"\n', "secret"),
    ('[channels.a]\ntype = "sms"\nurl = "http://x/"\narea = "2202"\n', "type"),
    ('[channels.a]\ntype = "wecom"\nurl = "http://x/"\narea = "2202"\nper_minute = 0\n', "per_minute"),
    ('[channels.a]\ntype = "email"\nhost = "h"\nsender = "s@x"\nto = []\narea = "2202"\n', "to"),
])
def test_a_wrong_channels_file_is_refused(tmp_path, text, error):
    path = tmp_path / "n.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(channels.ChannelError, match=error):
        channels.load(path, {})


def test_the_command_sends_tests_and_says_what_is_wrong(world, places, capsys):
    with HttpReceiver() as robot:
        path = world.tmp / "channels.toml"
        path.write_text(channel("district", "wecom", robot.url(), places["district"], kinds=["refresh"]),
                        encoding="utf-8")
        env = _env(world, COCKPIT_NOTIFY_CHANNELS=str(path))
        assert cli.main(["test", "district"], env=env) == 0
        assert "推送测试" in contents(robot)[0] and f"({PUBLIC}{PREFIX}/)" in contents(robot)[0]
        assert cli.main(["test", "nobody"], env=env) == 3
        assert cli.main([], env=env) == 0                      # nothing failed (no refresh failures)
        assert cli.main([], env={k: v for k, v in env.items() if k != "COCKPIT_PUBLIC_URL"}) == 2
        assert cli.main([], env=_env(world, COCKPIT_NOTIFY_CHANNELS=str(world.tmp / "none.toml"))) == 0
        assert "未配置推送渠道" in capsys.readouterr().out


def test_the_kits_example_channels_file_loads():
    secrets = {"NOTIFY_DISTRICT_WECOM_URL": "https://qyapi.example/cgi-bin/webhook/send?key=k",
               "NOTIFY_DADONG_DINGTALK_URL": "https://oapi.example/robot/send?access_token=t",
               "NOTIFY_DADONG_DINGTALK_SECRET": "SEC1", "NOTIFY_SMTP_PASSWORD": "pw"}
    config = channels.load(ROOT / "deploy" / "notify.example.toml", secrets)
    assert {c.type for c in config.channels.values()} == set(channels.TYPES)
    assert config.public_url == "https://cockpit.example.gov.cn"
    assert config.channels["dadong-dingtalk"].options["secret"] == "SEC1"
    with pytest.raises(channels.ChannelError, match="NOTIFY_SMTP_PASSWORD"):
        channels.load(ROOT / "deploy" / "notify.example.toml", {**secrets, "NOTIFY_SMTP_PASSWORD": ""})
