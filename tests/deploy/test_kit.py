"""The install kit (deploy/) says what the code does: its units run real commands with real
options, its settings file sets only settings the code reads, with values the code accepts (that
every setting is documented: tests/test_docs.py)."""
import re
import shlex

import pytest

from tests.environment import variables_read_by_code
from warehouse.paths import ROOT

DEPLOY = ROOT / "deploy"
# read by the kit's units (ExecStart=… ${NAME}), not by the code
UNIT_ONLY = {"COCKPIT_SOURCE", "COCKPIT_BACKUP_DIR"}


def _kit_settings(examples: bool = True) -> dict[str, str]:
    """The NAME=value lines of deploy/cockpit.env (with `examples`, the commented-out ones too)."""
    found = {}
    for line in (DEPLOY / "cockpit.env").read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"(#?)\s*((?:COCKPIT|ETL)_[A-Z0-9_]+)=(\S*).*", line.strip())
        if m and (examples or not m.group(1)):
            found[m.group(2)] = m.group(3)
    return found


def test_the_kit_sets_only_settings_that_exist_with_values_the_code_accepts():
    from cockpit.config import Settings
    assert set(_kit_settings()) - UNIT_ONLY <= variables_read_by_code(), set(_kit_settings()) - UNIT_ONLY - variables_read_by_code()
    settings = _kit_settings(examples=False)
    s = Settings.from_env(settings)
    assert s.url_prefix == "/cockpit" and s.secure_cookies and s.access_log == "-"
    from cockpit.ops.proxy import networks
    networks(s.trusted_proxies), networks(s.monitor_from)
    site = (DEPLOY / "nginx" / "cockpit.conf").read_text(encoding="utf-8")
    assert f"server {settings['COCKPIT_HOST']}:{settings['COCKPIT_PORT']};" in site
    assert f"location {s.url_prefix}/ " in site and s.trusted_proxies == (settings["COCKPIT_HOST"],)


def _exec_starts():
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        for line in unit.read_text(encoding="utf-8").splitlines():
            if line.startswith("ExecStart="):
                yield unit.name, shlex.split(line.partition("=")[2])


@pytest.mark.parametrize("unit,argv", list(_exec_starts()), ids=[u for u, _ in _exec_starts()])
def test_each_unit_runs_a_real_command_with_real_options(unit, argv):
    assert argv[0] == "/opt/cockpit/.venv/bin/python"
    argv = [re.sub(r"\$\{(\w+)\}", lambda m: f"/placeholder/{m.group(1)}", a) for a in argv[1:]]
    assert all(re.findall(r"\$\{(\w+)\}", a) == [] for a in argv)
    if argv[0] == "app.py":
        from app import build_parser
        build_parser().parse_args(argv[1:])
    elif argv[:2] == ["-m", "cockpit.briefing"]:
        from cockpit.briefing.__main__ import build_parser as briefing_parser
        briefing_parser().parse_args(argv[2:])
    else:
        assert argv[:2] == ["-m", "etl"], argv
        from etl.__main__ import build_parser
        args = build_parser().parse_args(argv[2:])
        if args.command == "schedule":
            from etl.schedule import parse_clock, parse_period
            parse_period(args.every), parse_clock(args.full_at)
            assert args.incremental
    for name in re.findall(r"\$\{(\w+)\}", (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")):
        assert name in _kit_settings(), f"{unit} reads {name}, which deploy/cockpit.env does not set"
