"""Everything a centre can set is documented, found from the code rather than listed by hand (in the
manner of Datasette's tests/test_docs.py): every environment variable the code or the install
kit reads is a row of docs/operations.md's settings table (section 18), every option of every
`python -m etl` command a row of its commands table, `python app.py`'s options are in that
section, every exit code is a row of the exit-code table (section 17), and every key the
early-warning settings loader reads is a row of docs/early-warning.md's table. The other way too:
a row naming something the code no longer has is a stale doc and fails."""
from __future__ import annotations

import argparse
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.environment import NAME, Recording, variables_in, variables_read_by_code
from warehouse.paths import ROOT

OPERATIONS = ROOT / "docs" / "operations.md"
EARLY_WARNING = ROOT / "docs" / "early-warning.md"
UNIT_VARIABLE = re.compile(r"\$\{((?:COCKPIT|ETL)_[A-Z0-9_]+)")
CODE = re.compile(r"`([^`]+)`")


# -- what the docs say ------------------------------------------------------------------------

def section(path: Path, heading: str) -> str:
    """The text under the heading that is `heading` (its number aside) up to the next heading of
    the same or a higher level."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(#+)\s+(?:\d+\.\s+)?(.*?)\s*$", line)
        if m and m.group(2) == heading:
            level, out = len(m.group(1)), []
            for rest in lines[i + 1:]:
                n = re.match(r"^(#+)\s", rest)
                if n and len(n.group(1)) <= level:
                    break
                out.append(rest)
            return "\n".join(out)
    raise AssertionError(f"{path.relative_to(ROOT)} has no heading {heading!r}")


def rows(text: str) -> list[list[str]]:
    """The cells of every table row but header and rule (`\\|` inside a cell is no border)."""
    found = []
    for line in text.splitlines():
        if line.startswith("|") and not re.fullmatch(r"[|\s:-]+", line):
            found.append([c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return found[1:] if found else []


def code_spans(cell: str) -> list[str]:
    return CODE.findall(cell)


def documented_variables() -> set[str]:
    table = rows(section(OPERATIONS, "Environment variables"))
    return {name for row in table for name in code_spans(row[2]) if NAME.match(name)}


def documented_options(heading: str = "The ETL's commands and options") -> set[tuple[str, str]]:
    """(command, option) for every row of a commands table; a cell may name several commands,
    and an option is written with its value (`--keep N`)."""
    found = set()
    for row in rows(section(OPERATIONS, heading)):
        commands, options = code_spans(row[0]), [s.split()[0] for s in code_spans(row[1])]
        found |= {(c, o) for c in commands for o in options}
    return found


def documented_warning_keys() -> set[str]:
    return {key for row in rows(section(EARLY_WARNING, "Settings")) for key in code_spans(row[0])}


# -- what the code reads ----------------------------------------------------------------------

def variables_read_by_kit() -> set[str]:
    """`${NAME}` in the kit's units and scripts (the exports and backups folders live there only)."""
    files = [*(ROOT / "deploy").glob("**/*.service"), *(ROOT / "deploy").glob("**/*.sh")]
    return {n for f in files for n in UNIT_VARIABLE.findall(f.read_text(encoding="utf-8"))}


def options_of(parser: argparse.ArgumentParser) -> set[tuple[str, str]]:
    """(command, option) for every option of every subcommand, `--help` aside."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {(name, option) for name, command in sub.choices.items() for action in command._actions
            if not isinstance(action, argparse._HelpAction)
            for option in action.option_strings if option.startswith("--")}


def commands_of(parser: argparse.ArgumentParser) -> set[str]:
    return set(next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices)


class _Table(dict):
    """A TOML table that records every key the loader reads, as `section.key`."""

    def __init__(self, data: dict, prefix: str, asked: set[str]):
        super().__init__(data)
        self.prefix, self.asked = prefix, asked

    def _wrap(self, key, value):
        if isinstance(value, dict):
            return _Table(value, f"{self.prefix}{key}.", self.asked)
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return [_Table(v, f"{self.prefix}{key}.", self.asked) for v in value]
        return value

    def get(self, key, default=None):
        self.asked.add(self.prefix + key)
        return self._wrap(key, super().get(key, default))

    def __getitem__(self, key):
        self.asked.add(self.prefix + key)
        return self._wrap(key, super().__getitem__(key))


def warning_keys_read(monkeypatch, settings_file: Path | None = None) -> set[str]:
    """The keys `etl.warning.settings.load` reads from a file (the shipped one: it has a rule and
    a period, so their keys are read too)."""
    from etl.warning import settings
    asked: set[str] = set()

    class RecordingToml:
        @staticmethod
        def load(f):
            return _Table(tomllib.load(f), "", asked)

    monkeypatch.setattr(settings, "tomllib", RecordingToml)
    settings.load(settings_file or settings.DEFAULT_FILE)
    return {k for k in asked if not any(other.startswith(k + ".") for other in asked)}   # not `[excess]` itself


# -- the checks ---------------------------------------------------------------------------------

def _missing_and_stale(in_code: Iterable, in_docs: Iterable) -> tuple[list, list]:
    return sorted(set(in_code) - set(in_docs)), sorted(set(in_docs) - set(in_code))


def test_every_environment_variable_is_in_the_settings_table_and_no_other():
    read = variables_read_by_code() | variables_read_by_kit()
    missing, stale = _missing_and_stale(read, documented_variables())
    assert missing == [], f"read by the code, not in docs/operations.md, \"Environment variables\": {missing}"
    assert stale == [], f"in docs/operations.md's settings table, read by nothing: {stale}"


def test_every_etl_option_is_in_the_commands_table_and_no_other():
    from etl.__main__ import build_parser
    parser = build_parser()
    missing, stale = _missing_and_stale(options_of(parser), documented_options())
    assert missing == [], f"options of python -m etl not in docs/operations.md's commands table: {missing}"
    assert stale == [], f"rows of docs/operations.md's commands table no command has: {stale}"
    assert commands_of(parser) <= {c for c, _ in documented_options()}


def test_every_option_of_the_demo_generator_is_in_its_commands_table_and_no_other():
    from demo.__main__ import build_parser
    parser = build_parser()
    documented = documented_options("The demo generator's commands and options")
    missing, stale = _missing_and_stale(options_of(parser), documented)
    assert missing == [] and stale == []
    assert commands_of(parser) <= {c for c, _ in documented}


def test_every_option_of_the_web_server_is_documented():
    from app import build_parser
    text = section(OPERATIONS, "Every setting")
    options = {o for a in build_parser()._actions for o in a.option_strings if o.startswith("--") and o != "--help"}
    assert options and sorted(o for o in options if f"`{o}`" not in text) == []


def test_the_exit_code_table_lists_every_exit_code_and_no_other():
    from etl.exitcodes import ExitCode
    table = section(OPERATIONS, "Exit codes")
    assert [tuple(r) for r in rows(table)] == [(str(c.value), c.meaning) for c in ExitCode]


def test_every_warning_setting_key_is_in_the_table_and_no_other(monkeypatch):
    missing, stale = _missing_and_stale(warning_keys_read(monkeypatch), documented_warning_keys())
    assert missing == [], f"keys etl/warning/settings.py reads, not in docs/early-warning.md: {missing}"
    assert stale == [], f"keys in docs/early-warning.md that the settings loader does not read: {stale}"


# -- the checks find what they are for --------------------------------------------------------

def test_an_undocumented_etl_option_is_found():
    from etl.__main__ import build_parser
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub.choices["refresh"].add_argument("--brand-new-option")
    sub.add_parser("brand-new-command").add_argument("--out")
    missing, _ = _missing_and_stale(options_of(parser), documented_options())
    assert {("brand-new-command", "--out"), ("refresh", "--brand-new-option")} <= set(missing)


def test_a_variable_read_in_any_written_form_is_found():
    source = ('import os\nfrom os import getenv\nenv = {}\n'
              'a = os.environ.get("COCKPIT_A", "x")\nb = os.environ["ETL_B"]\nc = getenv("COCKPIT_C")\n'
              'd = "COCKPIT_D" in self.env\ne = env.get(\n    "COCKPIT_E")\n'
              'f = app.config["COCKPIT_NOT_AN_ENV"]\ng = settings.get("COCKPIT_NOT_EITHER")\n')
    assert variables_in(source) == {"COCKPIT_A", "ETL_B", "COCKPIT_C", "COCKPIT_D", "COCKPIT_E"}
    from cockpit.config import Settings
    env = Recording()
    Settings.from_env(env)
    assert {"COCKPIT_SESSION_IDLE_MINUTES", "COCKPIT_KIOSK_SECONDS"} <= env.asked   # names built by f-strings


def test_a_warning_key_read_by_the_loader_is_found(monkeypatch):
    from etl.warning import settings
    real = settings.load

    def load_reading_one_more_key(path=None):
        with open(settings.DEFAULT_FILE, "rb") as f:
            settings.tomllib.load(f).get("drop", {}).get("brand_new_key")
        return real(path)

    assert {"excess.windows", "rule.ratio", "period.onset_days", "max_items"} <= warning_keys_read(monkeypatch)
    monkeypatch.setattr(settings, "load", load_reading_one_more_key)
    assert "drop.brand_new_key" in warning_keys_read(monkeypatch)


@pytest.mark.parametrize("table, expected", [
    ("| a | b |\n| --- | --- |\n| `x` | `--y N` |\n| `p`, `q` | `--r a\\|b` |\n", [["`x`", "`--y N`"], ["`p`, `q`", "`--r a|b`"]]),
    ("no table here\n", []),
])
def test_table_rows_are_read_as_written(table, expected):
    assert rows(table) == expected
