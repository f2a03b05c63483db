"""Exit codes: one list (etl/exitcodes.py) that docs/operations.md (tests/test_docs.py), `--help`
and the scheduler's log all show; only the failures a person can act on have a code of their own,
and an unexpected error is 1 with its traceback, never a code that tells the operator something false."""
import importlib
import json
import pkgutil
import tomllib

import pytest
from hypothesis import given, strategies as st

import etl
from etl import runlog
from etl.__main__ import build_parser, main
from etl.backup import BackupError
from etl.exitcodes import ExitCode, Failure, exit_code, outcome
from etl.load.extract import SourceError
from etl.lock import Locked
from etl.publish.generations import NothingToRollBack, rollback
from etl.run import PublishRefused
from etl.warning.settings import SettingsError
from etl.workcalendar import CalendarError
from warehouse import generations


def test_help_and_the_scheduler_name_every_exit_code():
    text = " ".join(build_parser().format_help().split())
    for c in ExitCode:
        assert f"{c.value} {c.meaning}" in text
    labels = [outcome(c) for c in ExitCode]
    assert len(set(labels)) == len(labels) and outcome(-9) == "失败 (exit -9)"


@pytest.mark.parametrize("exc, code", [
    (SourceError("x"), ExitCode.SOURCE_ERROR), (tomllib.TOMLDecodeError("x", "", 0), ExitCode.SOURCE_ERROR),
    (SettingsError("x"), ExitCode.SOURCE_ERROR), (CalendarError("x"), ExitCode.SOURCE_ERROR),
    (Locked("x"), ExitCode.LOCKED), (PublishRefused("x"), ExitCode.REJECTED),
    (NothingToRollBack("x"), ExitCode.NOTHING_TO_ROLL_BACK), (BackupError("x"), ExitCode.REFUSED)])
def test_each_known_failure_has_its_code(exc, code):
    assert exit_code(exc) == code


@given(st.sampled_from([KeyError, IndexError, LookupError, ValueError, TypeError, OSError, FileNotFoundError,
                        RuntimeError, AttributeError, ZeroDivisionError, UnicodeDecodeError, MemoryError]))
def test_any_other_exception_is_unexpected(kind):
    exc = kind("utf-8", b"", 0, 1, "x") if kind is UnicodeDecodeError else kind("x")
    assert exit_code(exc) == ExitCode.UNEXPECTED


def test_nothing_to_roll_back_is_5_and_says_why(tmp_path, capsys):
    (tmp_path / "wh").mkdir()
    with pytest.raises(NothingToRollBack):
        rollback(tmp_path / "wh")
    assert main(["rollback", "--warehouse", str(tmp_path / "wh")]) == 5
    err = capsys.readouterr().err
    assert "nothing has been published" in err and "Traceback" not in err


def test_an_unexpected_error_is_1_with_its_traceback_and_in_the_run_log(tmp_path, capsys):
    """A pointer without its generation (a KeyError deep in the reader) is a bug, not "nothing to
    roll back to": exit 1, the traceback on stderr, the run recorded as failed with that code."""
    wh = tmp_path / "wh"
    wh.mkdir()
    (wh / "CURRENT").write_text(json.dumps({"file": "generations/x.duckdb"}), encoding="utf-8")
    assert main(["rollback", "--warehouse", str(wh)]) == ExitCode.UNEXPECTED
    err = capsys.readouterr().err
    assert "Traceback" in err and "KeyError: 'generation'" in err
    run = runlog.runs(wh)[0]
    assert (run["command"], run["status"], run["exit_code"]) == ("rollback", "failed", 1)
    assert run["error"].startswith("KeyError")


def _failures() -> set[type]:
    """Every Failure class the ETL defines (its modules imported, the demo's not)."""
    for info in pkgutil.walk_packages(etl.__path__, "etl."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found, todo = set(), [Failure]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("etl.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def test_each_failure_carries_its_own_code_and_every_code_has_a_failure():
    """The code travels with the exception: a class with none of its own would exit 1 as if it
    were a bug; a code no exception carries could never be returned for a failure."""
    failures = _failures()
    assert all(cls.exit_code not in (ExitCode.DONE, ExitCode.UNEXPECTED) for cls in failures), failures
    carried = {cls.exit_code for cls in failures}
    assert carried == set(ExitCode) - {ExitCode.DONE, ExitCode.UNEXPECTED}


def test_a_failure_that_is_also_a_lookup_error_keeps_its_code_and_a_bare_one_does_not():
    class Missing(Failure, LookupError):
        exit_code = ExitCode.NOTHING_TO_ROLL_BACK

    assert exit_code(Missing("x")) == ExitCode.NOTHING_TO_ROLL_BACK
    assert exit_code(KeyError("x")) == exit_code(IndexError(0)) == ExitCode.UNEXPECTED


@pytest.mark.parametrize("kind", [KeyError, IndexError])
def test_an_unexpected_error_inside_a_refresh_is_1_with_its_traceback(kind, tiny_source, tmp_path, monkeypatch,
                                                                       capsys):
    """A bug deep inside a stage (here reading the area layers) is a bug to report: exit 1, the
    traceback on stderr, the run recorded as failed with that code, nothing published."""
    import etl.load.areas

    def broken(source):
        raise kind("area layer 42")

    monkeypatch.setattr(etl.load.areas, "read_area_layers", broken)
    wh = tmp_path / "wh"
    code = main(["refresh", "--source", str(tiny_source), "--warehouse", str(wh),
                 "--key-file", str(tmp_path / "key")])
    assert code == ExitCode.UNEXPECTED
    err = capsys.readouterr().err
    assert "Traceback" in err and f"{kind.__name__}:" in err and "broken" in err
    run = runlog.runs(wh)[0]
    assert (run["command"], run["status"], run["exit_code"]) == ("refresh", "failed", 1)
    assert run["error"].startswith(kind.__name__)
    assert generations.current(wh) is None
