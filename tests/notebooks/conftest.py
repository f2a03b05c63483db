"""The notebooks run headless against the session's tiny warehouse, their parameters injected by
papermill as an analyst's `papermill -p …` would; each run's key numbers are read back from its
output and checked against SQL written here on the served generation's own tables.

One kernel serves every run of a test process: starting it and importing pandas and plotly is
most of a run's cost. Each run starts by deleting every name an earlier run left (imports included),
so a notebook that leans on one fails as it would in a fresh kernel."""
import os
from pathlib import Path

import duckdb
import pytest

from notebooks.warehouse import NUMBERS_MIME
from tests.conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
CELL_TIMEOUT = 120


@pytest.fixture(scope="session")
def kernel():
    """A kernel started in notebooks/ with the repository root importable (as `make notebooks`)."""
    import nbformat
    from nbclient import NotebookClient
    host = NotebookClient(nbformat.v4.new_notebook(), kernel_name="python3", shutdown_kernel="immediate")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}
    with host.setup_kernel(cwd=str(NOTEBOOKS), env=env):
        yield host


@pytest.fixture
def execute(kernel):
    def run(name: str, **parameters) -> dict:
        """Run notebooks/<name> with these parameters; the key numbers it recorded."""
        import nbformat
        import papermill
        from nbclient import NotebookClient
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook
        path = NOTEBOOKS / name
        unknown = parameters.keys() - papermill.inspect_notebook(str(path)).keys()
        assert not unknown, f"not parameters of {name}: {unknown}"
        nb = parameterize_notebook(load_notebook_node(str(path)), parameters)
        # every user name; a third of %reset's cost, which also collects garbage and clears history
        nb.cells.insert(0, nbformat.v4.new_code_cell("%reset_selective -f ."))
        client = NotebookClient(nb, km=kernel.km, timeout=CELL_TIMEOUT)
        client.kc = kernel.kc
        client.execute()
        recorded = [out["data"][NUMBERS_MIME] for cell in nb.cells for out in cell.get("outputs", [])
                    if NUMBERS_MIME in out.get("data", {})]
        assert len(recorded) == 1, "a notebook records its key numbers once, in its last cell"
        run.last = nb          # the executed notebook, for tests of what it shows
        return recorded[0]
    return run


@pytest.fixture
def base(tiny_db: Path):
    """The served generation's own tables (not the notebooks' views), read-only."""
    con = duckdb.connect(str(tiny_db), read_only=True)
    yield con
    con.close()
