"""Briefing downloads (/briefings/file/<area>/<name>) and the 简报 list: a session is required, the
area is checked on the server against the signed-in account's, no forged path reaches another
file, and every download is audited. The list shows an account the briefings of its own area and
the areas inside it, and nothing else."""
import shutil
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cockpit.briefing import archive
from tests.cockpit.web import client, post

URL = "/briefings/file/{}/{}"


@pytest.fixture(scope="session")
def served(world, briefing_archive, tmp_path_factory):
    """The rendered briefings in the test app's archive, and a file outside it that a link inside
    the archive points to. {"root", "day", "district", "street", "other_street", "outside"}"""
    root = world["app"].server.config["COCKPIT_BRIEFINGS"]
    shutil.copytree(briefing_archive["root"], root, dirs_exist_ok=True)
    outside = tmp_path_factory.mktemp("outside") / "secret.pdf"
    outside.write_bytes(b"%PDF-1.4 not a briefing")
    link = root / briefing_archive["district"] / "daily-2020-01-01.pdf"
    if not link.is_symlink():
        link.symlink_to(outside)
    (root / "9999").mkdir(exist_ok=True)
    return {**briefing_archive, "root": root, "outside": outside}


def _name(served, kind="daily", fmt="pdf"):
    return archive.file_name(kind, served["day"], fmt)


def _last(world, account):
    return world["app"].server.config["COCKPIT_AUDIT"].recent(1, account=account).iloc[0]


@pytest.mark.parametrize("account, area_key, kind, fmt", [
    ("leader", "district", "daily", "pdf"), ("leader", "district", "weekly", "png"), ("leader", "street", "daily", "pdf"),
    ("leader", "other_street", "daily", "png"), ("admin", "district", "daily", "pdf"), ("analyst", "district", "weekly", "pdf"),
    ("street", "street", "daily", "pdf")])
def test_an_account_downloads_the_briefings_of_its_area_and_each_download_is_audited(world, served, account,
                                                                                      area_key, kind, fmt):
    area = served[area_key]
    if account == "street":
        assert area == world["roles"]["street"][1]
    name = _name(served, kind, fmt)
    r = client(world, account).get(URL.format(area, name))
    assert r.status_code == 200
    assert r.data == (served["root"] / area / name).read_bytes()
    assert r.mimetype == {"pdf": "application/pdf", "png": "image/png"}[fmt]
    assert "attachment" in r.headers["Content-Disposition"] and r.headers["Cache-Control"] == "no-store"
    last = _last(world, account)
    assert (last["action"], last["target"]) == ("briefing_download", f"{area}/{name}")


@pytest.mark.parametrize("account, area_key", [("street", "district"), ("street", "other_street"),
                                               ("community", "street"), ("community", "district"),
                                               ("grid", "street")])
def test_a_briefing_of_an_area_outside_the_account_s_is_refused_and_audited(world, served, account, area_key):
    target = f"{served[area_key]}/{_name(served)}"
    r = client(world, account).get(URL.format(served[area_key], _name(served)))
    assert r.status_code == 403 and b"%PDF" not in r.data
    last = _last(world, account)
    assert (last["action"], last["target"]) == ("denied", target)


def test_an_account_that_may_not_open_the_page_gets_no_briefing(world, served):
    r = client(world, "department").get(URL.format(served["district"], _name(served)))
    assert r.status_code == 403 and b"%PDF" not in r.data
    assert _last(world, "department")["action"] == "denied"


def test_without_a_session_the_download_goes_to_the_login_page(world, served):
    for c in (client(world), world["app"].server.test_client(use_cookies=False)):
        r = c.get(URL.format(served["district"], _name(served)))
        assert r.status_code == 302 and "/login" in r.headers["Location"] and b"%PDF" not in r.data


FORGED = ["../../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/secret.pdf", "..", ".",
          "daily-2020-01-01.pdf",                         # a link in the archive to a file outside it
          "daily-2026-13-01.pdf", "daily-2026-02-30.pdf", "DAILY-2026-11-01.PDF", "daily-2026-11-01.pdf.png",
          "daily-2026-11-01.pdf%00.png", "daily-2026-11-01.pdf/", "daily-2026-11-01.pdf%2F..%2F..%2Fx",
          "daily-{day}.pdf;.png", " daily-{day}.pdf",
          "monthly-{day}.pdf", "daily-{day}.html", "daily-{day}", "%252e%252e%252fsecret.pdf"]
FORGED_AREAS = ["..", "%2e%2e", "2202041", "22020400", "220204%2F..", "-220204", "２２０２０４", "220204 ",
                "9999", "0x2202"]


def test_no_forged_name_or_area_reaches_a_file(world, served):
    c = client(world, "leader")
    for name in FORGED:
        for area in (served["district"], served["street"]):
            r = c.get(URL.format(area, name.format(day=served["day"])))
            assert r.status_code != 200 or r.mimetype == "text/html", (area, name, r.status_code)
            assert b"%PDF" not in r.data and b"\x89PNG" not in r.data, (area, name)
    for area in FORGED_AREAS:
        r = c.get(URL.format(area, _name(served)))
        assert b"%PDF" not in r.data and r.status_code in (400, 403, 404) or r.mimetype == "text/html", area
    assert served["outside"].read_bytes() not in c.get(URL.format(served["district"], "daily-2020-01-01.pdf")).data


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(area=st.one_of(st.text(max_size=20), st.sampled_from(["220204", "220204001", "2202", "220204002"])),
       name=st.one_of(st.text(max_size=40), st.builds(
           lambda kind, day, fmt, junk: f"{kind}-{day}.{fmt}{junk}", st.sampled_from(["daily", "weekly", "dail"]),
           st.dates().map(str), st.sampled_from(["pdf", "png", "PDF"]), st.sampled_from(["", "/", "/..", "%00"]))))
def test_a_file_is_served_only_for_an_archive_name_of_the_account_s_area(world, served, area, name):
    """Whatever a browser sends as area and name (percent-encoded as a browser would), a file
    comes back only when both are exactly a briefing of the account's area that exists."""
    c = client(world, "street")
    r = c.get(URL.format(quote(area, safe=""), quote(name, safe="")))
    allowed = area == served["street"] and name in {p.name for p in (served["root"] / area).iterdir()}
    if allowed:
        assert r.status_code == 200 and r.data == (served["root"] / area / name).read_bytes()
    else:
        assert r.status_code != 200 or r.mimetype == "text/html", (area, name)     # Dash's page shell
        assert b"%PDF" not in r.data and b"\x89PNG" not in r.data


def test_the_list_shows_the_briefings_of_the_account_s_area_and_those_inside_it(world, served):
    def links(account):
        status, out = post(client(world, account), world, "briefings-list", {})
        assert status == 200
        text = str(out["briefings-list.children"])
        return {area for area in (served["district"], served["street"], served["other_street"])
                if f"/briefings/file/{area}/" in text}
    assert links("leader") == {served["district"], served["street"], served["other_street"]}
    assert links("street") == {served["street"]}
    assert links("community") == set()
    status, out = post(client(world, "community"), world, "briefings-list", {})
    assert "暂无简报" in str(out["briefings-list.children"])
    status, _ = post(client(world, "department"), world, "briefings-list", {})
    assert status == 403


def test_the_archive_lists_only_its_own_form(served, tmp_path):
    root = tmp_path / "root"
    (root / "220204").mkdir(parents=True)
    (root / "220204" / "daily-2026-11-01.pdf").write_bytes(b"x")
    (root / "220204" / "notes.txt").write_bytes(b"x")
    (root / "220204" / "daily-2026-11-01.pdf.partial").write_bytes(b"x")
    (root / "220204001").mkdir()
    (root / "220204001" / "weekly-2026-11-02.png").write_bytes(b"x")
    (root / "220205").mkdir()
    (root / "220205" / "daily-2026-11-01.pdf").write_bytes(b"x")
    (root / "220204002").symlink_to(root / "220205")          # a link named like an area inside
    found = [(e.area_code, e.kind, str(e.day), sorted(e.files)) for e in archive.listing(root, "220204")]
    assert found == [("220204001", "weekly", "2026-11-02", ["png"]), ("220204", "daily", "2026-11-01", ["pdf"])]
    assert archive.listing(root, "220204001") == archive.listing(root, "220204")[:1]
    assert archive.listing(root, "../x") == [] and archive.listing(tmp_path / "none", "2202") == []
