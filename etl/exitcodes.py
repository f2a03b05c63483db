"""The exit codes of `python -m etl`, one list: what each command returns, what the scheduler logs
of a run, what `python -m etl --help` prints and what docs/operations.md's table says (a test checks it).

Only the failures a person can act on have a code of their own, and each carries it: a subclass of
`Failure` names its code where it is defined. Anything else is unexpected, 1, with its traceback on
stderr (an unexpected KeyError is a bug to report, not "nothing to roll back to")."""
from __future__ import annotations

import tomllib
from enum import IntEnum

from etl.warning.settings import SettingsError


class ExitCode(IntEnum):
    def __new__(cls, value: int, label: str, meaning: str):
        member = int.__new__(cls, value)
        member._value_ = value
        member.label = label            # Chinese, as the scheduler's log shows a run's outcome
        member.meaning = meaning        # English, as docs/operations.md and --help list it
        return member

    DONE = 0, "完成 (done)", "done (published or unchanged)"
    UNEXPECTED = 1, "意外错误 (unexpected error)", "unexpected error (its traceback is on stderr)"
    SOURCE_ERROR = 2, "源文件错误 (source error)", \
        "a source file, the warning settings or the work calendar cannot be read"
    LOCKED = 3, "跳过: 另一次运行未结束 (locked)", "another run holds the warehouse (skipped)"
    REJECTED = 4, "未发布: 检查未通过 (rejected)", "the build failed its checks (nothing published)"
    NOTHING_TO_ROLL_BACK = 5, "无可回退的版本 (nothing to roll back to)", "nothing to roll back to"
    REFUSED = 6, "备份或恢复被拒绝 (refused)", "a backup or restore refused (checksum, existing files)"


def outcome(code: int) -> str:
    """A process's exit code as the scheduler logs it (a code not listed: a crash, a signal)."""
    try:
        return ExitCode(code).label
    except ValueError:
        return f"失败 (exit {code})"


def table() -> str:
    """The list as `--help` prints it."""
    return "\n".join(f"{c.value}  {c.meaning}" for c in ExitCode)


class Failure(Exception):
    """A failure a person can act on; `exit_code` is what the process returns for it."""
    exit_code: ExitCode = ExitCode.UNEXPECTED


def exit_code(exc: BaseException) -> ExitCode:
    """The process exit code for a run that ended with `exc`. A TOML file that does not parse
    (settings, mapping) is a source error, though Python's exception cannot carry our code; so is
    the early-warning settings' SettingsError (etl/warning/settings.py, a ValueError)."""
    if isinstance(exc, Failure):
        return exc.exit_code
    if isinstance(exc, (tomllib.TOMLDecodeError, SettingsError)):
        return ExitCode.SOURCE_ERROR
    return ExitCode.UNEXPECTED
