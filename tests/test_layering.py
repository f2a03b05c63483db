"""Layers look down only (docs/design.md, "Layers"), read from every module's imports with `ast`:
the read side (the cockpit, app.py, the analysts' notebooks) never imports the write side (`etl`);
the ETL and the shared read package `warehouse` never import the cockpit or a web framework; the
notebooks never import the cockpit (it starts Dash); `warehouse` imports neither side. The demo
generator (`demo`) writes source files by the ETL's contract: it may import `etl` and `warehouse`,
and nothing but the tests and the commands that run it as a process (app.py, bench/) imports it.

Imports anywhere in a module count (inside functions too), and so do importlib.import_module and
__import__ with a literal name; a notebook's code cells are read like a module."""
from __future__ import annotations

import ast
import json
import re

import pytest

from warehouse.paths import ROOT

WEB = {"cockpit", "dash", "flask", "plotly"}
# layer → (where its code is, the top-level packages it must not import)
RULES = {
    "cockpit": (["cockpit", "app.py"], {"etl", "demo"}),
    "notebooks": (["notebooks"], {"etl", "cockpit", "demo"}),
    "etl": (["etl"], WEB | {"demo"}),
    "warehouse": (["warehouse"], WEB | {"etl", "demo"}),
    "demo": (["demo"], WEB),
}


def imported(source: str, package: str) -> set[str]:
    """The top-level names of everything `source` imports (a relative import: its own package)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(package if node.level else node.module)
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ast.unparse(node.func) in ("importlib.import_module", "import_module", "__import__")):
            names.add(node.args[0].value)
    return {name.split(".")[0] for name in names}


def sources(where: list[str]):
    """(path, source) of every module and notebook under `where`."""
    for entry in where:
        path = ROOT / entry
        files = [path] if path.is_file() else sorted([*path.rglob("*.py"), *path.rglob("*.ipynb")])
        for f in files:
            if ".ipynb_checkpoints" in f.parts:
                continue
            if f.suffix == ".ipynb":
                cells = json.loads(f.read_text(encoding="utf-8"))["cells"]
                code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
                # IPython magics and shell lines are not Python
                yield f, "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
            else:
                yield f, f.read_text(encoding="utf-8")


@pytest.mark.parametrize("layer", RULES)
def test_layers_look_down_only(layer):
    where, forbidden = RULES[layer]
    seen, wrong = 0, []
    for path, source in sources(where):
        seen += 1
        if bad := imported(source, layer) & forbidden:
            wrong.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert seen >= 3, f"no code found for {layer}"          # a rule over nothing proves nothing
    assert not wrong, "\n".join(wrong)


def test_every_kind_of_import_is_seen():
    source = """
import os, etl.publish.generations as g
from etl.area_levels import CITY_CODE
from . import sibling
def later():
    import dash
    importlib.import_module("flask.json")
    __import__("plotly.io")
"""
    assert imported(source, "cockpit") == {"os", "etl", "cockpit", "dash", "flask", "plotly"}


def test_the_read_side_imports_without_dash():
    """`import cockpit` and its queries (what a script, bench or notebook-side tool needs) start no
    web framework: only cockpit.app (create_app) imports Dash. A fresh interpreter, since this
    one has long imported Dash."""
    import subprocess
    import sys

    code = ("import importlib, pkgutil, sys\n"
            "import cockpit, cockpit.scope, cockpit.queries as q\n"
            "for m in pkgutil.iter_modules(q.__path__): importlib.import_module('cockpit.queries.' + m.name)\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'dash', 'flask'}))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
    app = subprocess.run([sys.executable, "-c", "import sys, cockpit.app; print('dash' in sys.modules)"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    assert app.stdout.strip() == "True"          # the check can see Dash when it is there


def test_no_test_module_imports_another():
    """Shared test helpers live in helper modules (tests/sources.py, tests/cockpit/web.py, …),
    never in a test module: importing one runs its fixtures' module code and couples the two."""
    wrong = []
    for path, source in sources(["tests"]):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                if node.module.startswith("tests.") and node.module.rsplit(".", 1)[-1].startswith("test_"):
                    wrong.append(f"{path.relative_to(ROOT)} imports {node.module}")
    assert not wrong, "\n".join(wrong)


# the code that may name the schema `secure` (the sealed vault): the ETL's sealing and the one
# read-side module that opens a record (warehouse/vault.py), and the contract's document (its
# table of schemas), and the sealing's benchmark (empty copies of the vault tables to seal into);
# never a cockpit SQL file or page, a notebook, other bench or demo code
SECURE_NAMED_BY = {"etl/load/bookkeeping.py", "etl/privacy/vault.py", "warehouse/vault.py", "etl/contract/doc.py",
                   "bench/load_phases.py", "etl/storage.py"}
SECURE = re.compile(r'(?<![\w$])"?secure"?\s*\.\s*"?[a-z_]', re.IGNORECASE)     # quoted or not


def names_secure(text: str) -> bool:
    return bool(SECURE.search(text))


def test_only_the_vault_code_names_the_secure_schema():
    found = {str(p.relative_to(ROOT)) for top in ("cockpit", "etl", "warehouse", "notebooks", "bench", "demo", "app.py")
             for p in ([ROOT / top] if top.endswith(".py") else (ROOT / top).rglob("*"))
             if p.suffix in (".py", ".sql", ".ipynb") and names_secure(p.read_text(encoding="utf-8"))}
    assert found == SECURE_NAMED_BY
    assert not [p for p in (ROOT / "cockpit" / "queries" / "sql").glob("*.sql") if names_secure(p.read_text("utf-8"))]


@pytest.mark.parametrize("text, named", [("FROM secure.vault v", True), ("JOIN SECURE . vault_index", True),
                                         ("JOIN wh.secure.vault", True), ('"secure"."vault"', True),
                                         ("FROM core.persons", False), ("insecure.vault", False)])
def test_naming_the_secure_schema_is_seen(text, named):
    assert names_secure(text) is named


def dash_tables(source: str) -> list[str]:
    """Every use of Dash's DataTable package in `source`: imports of it in any form and
    attribute access (dash.dash_table.DataTable)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[:2] in (["dash_table"], ["dash", "dash_table"])]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[:2] in (["dash_table"], ["dash", "dash_table"]):
                found.append(node.module)
            elif node.module == "dash" and any(a.name == "dash_table" for a in node.names):
                found.append("dash.dash_table")
        elif isinstance(node, ast.Attribute) and node.attr == "dash_table":
            found.append(ast.unparse(node))
    return found


def test_the_cockpit_has_no_dash_table():
    """Dash 4 deprecates dash_table.DataTable (to be removed): the cockpit's tables are AG Grids
    (cockpit/components/table.py)."""
    wrong = [f"{path.relative_to(ROOT)}: {use}" for path, source in sources(["cockpit", "app.py"])
             for use in dash_tables(source)]
    assert not wrong, "\n".join(wrong)


def test_every_form_of_dash_table_is_seen():
    source = """
import dash_table
import dash.dash_table as dt
from dash import Input, dash_table
from dash.dash_table.Format import Format
def later():
    return dash.dash_table.DataTable()
"""
    assert dash_tables(source) == ["dash_table", "dash.dash_table", "dash.dash_table", "dash.dash_table.Format",
                                   "dash.dash_table"]
