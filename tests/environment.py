"""The environment variables the code reads, found from the code: literal reads anywhere, and what
the settings functions ask a recording environment for (tests/test_docs.py checks they are all
documented, tests/deploy/test_kit.py that the install kit sets only those)."""
from __future__ import annotations

import ast
import re

from warehouse.paths import ROOT

NAME = re.compile(r"^(?:COCKPIT|ETL)_[A-Z0-9_]+$")


class Recording(dict):
    """A mapping that remembers every key asked for (and holds nothing): the environment a
    settings function reads, however it builds the names (f-strings included)."""

    def __init__(self):
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return default

    def __getitem__(self, key):
        self.asked.add(key)
        raise KeyError(key)

    def __contains__(self, key):
        self.asked.add(key)
        return False


def _environment_receiver(node: ast.expr) -> bool:
    """`env`, `environ`, `os.environ`, `self.env` …: what an environment is called here."""
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name.lower().endswith(("env", "environ"))


def variables_in(source: str) -> set[str]:
    """The names a module reads from an environment with a literal name: `env.get("X")`,
    `os.environ["X"]`, `os.getenv("X")`, `"X" in env`."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        key = None
        if isinstance(node, ast.Call) and node.args:
            f = node.func
            if (isinstance(f, ast.Attribute) and f.attr in ("get", "pop", "setdefault") and _environment_receiver(f.value)) \
                    or (getattr(f, "attr", getattr(f, "id", None)) == "getenv"):
                key = node.args[0]
        elif isinstance(node, ast.Subscript) and _environment_receiver(node.value):
            key = node.slice
        elif isinstance(node, ast.Compare) and isinstance(node.ops[0], (ast.In, ast.NotIn)) \
                and _environment_receiver(node.comparators[0]):
            key = node.left
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and NAME.match(key.value):
            names.add(key.value)
    return names


def variables_read_by_code() -> set[str]:
    """Every variable the code reads: literal reads anywhere in the code, and what the settings
    functions ask a recording environment for (names they build, the kept files' locations)."""
    from cockpit.config import Settings
    from warehouse import state
    names = set()
    for path in [ROOT / "app.py", *ROOT.glob("cockpit/**/*.py"), *ROOT.glob("etl/**/*.py"),
                 *ROOT.glob("warehouse/*.py"), *ROOT.glob("notebooks/*.py")]:
        names |= variables_in(path.read_text(encoding="utf-8"))
    for read in (Settings.from_env, state.locate):
        env = Recording()
        read(env)
        names |= {k for k in env.asked if NAME.match(k)}
    return names
