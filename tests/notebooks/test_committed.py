"""The notebooks as committed: no outputs (they would carry a warehouse's numbers into git), no
execution counts, and a papermill `parameters` cell."""
import json
import subprocess

from tests.conftest import ROOT

EXPECTED = {"notebooks/01_event_trends.ipynb", "notebooks/02_grid_workload.ipynb",
            "notebooks/03_needs_services.ipynb", "notebooks/04_incident_review.ipynb"}


def notebooks() -> list[str]:
    """Every .ipynb git tracks or would add (untracked, not ignored)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.ipynb"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return sorted(set(listed))


def test_every_notebook_is_committed_without_outputs():
    found = notebooks()
    assert EXPECTED <= set(found)
    for path in found:
        cells = json.loads((ROOT / path).read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, f"{path}: strip outputs"


def test_every_notebook_has_a_parameters_cell():
    for path in notebooks():
        cells = json.loads((ROOT / path).read_text(encoding="utf-8"))["cells"]
        tagged = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
        assert len(tagged) == 1 and tagged[0]["cell_type"] == "code", path
