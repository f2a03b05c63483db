"""Exit codes: one list (etl/exitcodes.py) that docs/operations.md (tests/test_docs.py), `--help`
and the scheduler's log all show; only the failures a person can act on have a code of their own,
and an unexpected error is 1 with its traceback, never a code that tells the operator something false."""
import json
import tomllib

import pytest
from hypothesis import given, strategies as st

from etl import runlog
from etl.__main__ import build_parser, main
from etl.exitcodes import ExitCode, outcome
from etl.extract import SourceError
from etl.generations import NothingToRollBack, rollback
from etl.lock import Locked
from etl.refresh import PublishRefused, exit_code


def test_help_and_the_scheduler_name_every_exit_code():
    text = " ".join(build_parser().format_help().split())
    for c in ExitCode:
        assert f"{c.value} {c.meaning}" in text
    labels = [outcome(c) for c in ExitCode]
    assert len(set(labels)) == len(labels) and outcome(-9) == "失败 (exit -9)"


@pytest.mark.parametrize("exc, code", [
    (SourceError("x"), ExitCode.SOURCE_ERROR), (tomllib.TOMLDecodeError("x", "", 0), ExitCode.SOURCE_ERROR),
    (Locked("x"), ExitCode.LOCKED), (PublishRefused("x"), ExitCode.REJECTED),
    (NothingToRollBack("x"), ExitCode.NOTHING_TO_ROLL_BACK)])
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
